# Wangge: the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
HOST   ?= 127.0.0.1
WANGGE := $(BIN)/wangge

.PHONY: demo test check lint fmt serve install assets migrate bench clean browser-deps

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Wangge needs Python 3.11 or newer: PYTHON=python3.11 make …")'
	@command -v npm >/dev/null || { echo "npm is needed for the front-end assets: sudo apt-get install npm"; exit 1; }
	$(PYTHON) -m venv $(VENV) || { echo "python venv is missing: sudo apt-get install python3-venv"; exit 1; }
	$(BIN)/pip install -q --upgrade pip

# Python packages, pinned in pyproject.toml; reinstalled only when it changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# Front-end libraries from the npm registry, pinned by package-lock.json, served locally.
wangge/static/vendor/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf wangge/static/vendor && mkdir -p wangge/static/vendor/leaflet
	cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css \
	      node_modules/leaflet/dist/images wangge/static/vendor/leaflet/
	mkdir -p wangge/static/vendor/markercluster wangge/static/vendor/echarts
	cp node_modules/leaflet.markercluster/dist/leaflet.markercluster.js \
	   node_modules/leaflet.markercluster/dist/MarkerCluster.css \
	   node_modules/leaflet.markercluster/dist/MarkerCluster.Default.css \
	   wangge/static/vendor/markercluster/
	cp node_modules/echarts/dist/echarts.min.js wangge/static/vendor/echarts/
	touch $@

install: $(VENV)/.installed wangge/static/vendor/.installed
assets: wangge/static/vendor/.installed

migrate: install
	$(WANGGE) migrate --noinput -v0

demo: migrate
	$(WANGGE) load-demo
	$(WANGGE) demo-data
	$(WANGGE) collectstatic --noinput -v0
	HOST=$(HOST) PORT=$(PORT) scripts/serve

serve: migrate
	$(WANGGE) collectstatic --noinput -v0
	HOST=$(HOST) PORT=$(PORT) scripts/serve

# Browser tests drive Debian's Chromium; install it when missing (needs root, as in CI).
browser-deps:
	@scripts/ensure-chromium

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check wangge/territory wangge/accounts wangge/core wangge/web >/dev/null || true

test: install browser-deps
	$(BIN)/ruff check .
	$(WANGGE) makemigrations --check --dry-run -v0
	$(BIN)/pytest

bench: install
	$(WANGGE) bench locate --grids 5000 --points 1000000
	$(WANGGE) bench cases --cases 1000000

clean:
	rm -rf $(VENV) node_modules wangge/static/vendor var
