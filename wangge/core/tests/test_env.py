"""Settings from the environment fail loudly on bad values, naming the variable."""

import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from wangge import env


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("yes", True), ("On", True),
                                                ("0", False), ("false", False), ("", False)])
def test_booleans(monkeypatch, raw, expected):
    monkeypatch.setenv("X_FLAG", raw)
    assert env.env_bool("X_FLAG") is expected


def test_a_bad_boolean_names_the_variable(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match=r"DEBUG='maybe' is not a boolean"):
        env.env_bool("DEBUG")


def test_integers_and_ranges(monkeypatch):
    monkeypatch.setenv("X_INT", "12")
    assert env.env_int("X_INT", 3) == 12
    monkeypatch.setenv("X_INT", "twelve")
    with pytest.raises(ImproperlyConfigured, match="X_INT='twelve' is not an integer"):
        env.env_int("X_INT", 3)
    monkeypatch.setenv("X_INT", "0")
    with pytest.raises(ImproperlyConfigured, match="X_INT=0 is below 1"):
        env.env_int("X_INT", 3, minimum=1)
    monkeypatch.delenv("X_INT")
    assert env.env_int("X_INT", 3) == 3


def test_lists(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", "a.example, b.example")
    assert env.env_list("ALLOWED_HOSTS") == ["a.example", "b.example"]
    monkeypatch.setenv("ALLOWED_HOSTS", "a.example,,b")
    with pytest.raises(ImproperlyConfigured, match="empty item"):
        env.env_list("ALLOWED_HOSTS")


def test_urls(monkeypatch):
    monkeypatch.setenv("MAP_TILE_URL", "http://tiles.intranet/{z}/{x}/{y}.png")
    assert env.env_url("MAP_TILE_URL").startswith("http://tiles.intranet/")
    monkeypatch.setenv("MAP_TILE_URL", "tiles.intranet/{z}/{x}/{y}.png")
    with pytest.raises(ImproperlyConfigured, match="must be a URL starting with http:// or"):
        env.env_url("MAP_TILE_URL")


def test_database_urls(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@127.0.0.1:5432/wangge")
    config = env.env_database("DATABASE_URL", "sqlite:///x.db")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == "wangge" and config["PORT"] == 5432
    monkeypatch.setenv("DATABASE_URL", "mysql://u:p@h/db")
    with pytest.raises(ImproperlyConfigured, match="only sqlite:/// and postgres://"):
        env.env_database("DATABASE_URL", "sqlite:///x.db")


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    """The whole settings module, in a fresh interpreter, as a deployment would load it."""
    code = "import django; django.setup()"
    base = {"DJANGO_SETTINGS_MODULE": "wangge.settings", "WANGGE_VAR_DIR": str(tmp_path),
            "PATH": "/usr/bin:/bin"}
    bad = subprocess.run([sys.executable, "-c", code], env={**base, "WANGGE_PRODUCTION": "1"},
                         capture_output=True, text=True)
    assert bad.returncode != 0
    assert "SECRET_KEY must be set" in bad.stderr
    no_data_keys = subprocess.run([sys.executable, "-c", code],
                                  env={**base, "WANGGE_PRODUCTION": "1", "SECRET_KEY": "k" * 50},
                                  capture_output=True, text=True)
    assert no_data_keys.returncode != 0 and "DATA_KEYS must be set" in no_data_keys.stderr
    good = subprocess.run([sys.executable, "-c", code],
                          env={**base, "WANGGE_PRODUCTION": "1", "SECRET_KEY": "k" * 50,
                               "DATA_KEYS": "k1:" + "A" * 43 + "=", "LOOKUP_KEY": "l" * 40,
                               "SECURE_COOKIES": "1", "ALLOW_SQLITE_IN_PRODUCTION": "1"},
                          capture_output=True, text=True)
    assert good.returncode == 0, good.stderr
    typo = subprocess.run([sys.executable, "-c", code], env={**base, "DEBUG": "ture"},
                          capture_output=True, text=True)
    assert typo.returncode != 0 and "DEBUG='ture' is not a boolean" in typo.stderr
    short = subprocess.run([sys.executable, "-c", code], env={**base, "SECRET_KEY": "short"},
                           capture_output=True, text=True)
    assert short.returncode != 0 and "40+ characters" in short.stderr


def test_without_a_key_outside_production_a_random_one_is_kept(tmp_path):
    code = "import django; django.setup(); from django.conf import settings; " \
           "print(settings.SECRET_KEY)"
    base = {"DJANGO_SETTINGS_MODULE": "wangge.settings", "WANGGE_VAR_DIR": str(tmp_path),
            "PATH": "/usr/bin:/bin"}
    first = subprocess.run([sys.executable, "-c", code], env=base, capture_output=True,
                           text=True).stdout.strip()
    second = subprocess.run([sys.executable, "-c", code], env=base, capture_output=True,
                            text=True).stdout.strip()
    assert len(first) >= 40 and first == second
    assert (tmp_path / "secret-key").stat().st_mode & 0o077 == 0


def test_sqlite_is_tuned(db):
    from django.db import connection

    if connection.vendor == "postgresql":
        assert connection.settings_dict["CONN_MAX_AGE"] >= 0
        return
    with connection.cursor() as cursor:
        assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert cursor.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert cursor.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


@pytest.mark.parametrize("raw", ["nan", "NaN", "inf", "-inf", "Infinity"])
def test_floats_must_be_finite(monkeypatch, raw):
    monkeypatch.setenv("X_FLOAT", raw)
    with pytest.raises(ImproperlyConfigured, match=r"X_FLOAT=.* is not a finite number"):
        env.env_float("X_FLOAT", 1.0)


def test_floats(monkeypatch):
    monkeypatch.setenv("X_FLOAT", "2.5")
    assert env.env_float("X_FLOAT", 1.0) == 2.5
    monkeypatch.setenv("X_FLOAT", "-1")
    with pytest.raises(ImproperlyConfigured, match=r"X_FLOAT=-1\.0 is below 0"):
        env.env_float("X_FLOAT", 1.0, minimum=0)
    monkeypatch.delenv("X_FLOAT")
    assert env.env_float("X_FLOAT", 1.0) == 1.0


def test_a_list_that_must_not_be_empty(monkeypatch):
    default = ["localhost"]
    monkeypatch.delenv("ALLOWED_HOSTS", raising=False)
    assert env.env_list("ALLOWED_HOSTS", default, allow_empty=False) == default
    for raw in ("", "  "):
        monkeypatch.setenv("ALLOWED_HOSTS", raw)
        assert env.env_list("ALLOWED_HOSTS", default) == []  # allowed unless refused
        with pytest.raises(ImproperlyConfigured, match="ALLOWED_HOSTS is set but empty"):
            env.env_list("ALLOWED_HOSTS", default, allow_empty=False)
    monkeypatch.setenv("ALLOWED_HOSTS", "a.example")
    assert env.env_list("ALLOWED_HOSTS", default, allow_empty=False) == ["a.example"]
