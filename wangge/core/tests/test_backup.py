"""The backup drill through the command line, as an operator would run it: a database with a
resident's ID number (encrypted) and a photo, `wangge backup DIR`, `wangge restore DIR` into an
empty database on another "machine" (another var directory, the same keys from the
environment), and the ID number revealed again. Then what a restore refuses: other keys, a
database that holds data (without --force), a damaged backup.

On SQLite always (files in a temporary directory); when the suite runs on PostgreSQL, also with
pg_dump / pg_restore on two scratch databases of that server."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings

from wangge.conftest import small_territory
from wangge.people.tests.conftest import make_id

NUMBER = make_id("19760315", "247")
PHONE = "13712345678"
DATA_KEY = base64.b64encode(os.urandom(32)).decode()
LOOKUP_KEY = base64.b64encode(os.urandom(30)).decode()
REVEAL = ("from wangge.accounts.models import User; from wangge.people.models import Person; "
          "from wangge.people.services import reveal; "
          "u = User.objects.get_or_create(username='restorer', defaults=dict("
          "is_superuser=True, role='admin'))[0]; "
          "p = Person.objects.get(name='林秀英'); r = reveal(u, p, 'backup drill'); "
          "print(r['id_number'], r['phone'])")
ENGINES = ["sqlite"]
if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
    ENGINES.append("postgresql")


def _wangge(env, *args, expect=0):
    result = subprocess.run([sys.executable, "-m", "wangge.cli", *args], env=env,
                            capture_output=True, text=True, timeout=600, check=False)
    if expect is not None:
        assert result.returncode == expect, (args, result.stdout[-2000:],
                                             result.stderr[-2000:])
    return result


def _environment(var_dir, database_url=None, data_keys=None):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "WANGGE_VAR_DIR", "DATA_KEYS", "LOOKUP_KEY",
                        "SECRET_KEY", "WANGGE_PRODUCTION")}
    env.update({"WANGGE_VAR_DIR": str(var_dir), "DATA_KEYS": data_keys or f"k1:{DATA_KEY}",
                "LOOKUP_KEY": LOOKUP_KEY, "SECRET_KEY": "s" * 50})
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


class Scratch:
    """Two empty databases: SQLite files, or scratch databases on the suite's PostgreSQL."""

    def __init__(self, engine, tmp_path):
        self.engine = engine
        self.tmp_path = tmp_path
        self.names = []

    def url(self, label: str) -> str | None:
        if self.engine == "sqlite":
            return None  # the default: WANGGE_VAR_DIR/wangge.sqlite3
        import psycopg

        config = settings.DATABASES["default"]
        name = f"wangge_backup_{label}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(**self._params(config, "postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.names.append(name)
        password = f":{config['PASSWORD']}" if config.get("PASSWORD") else ""
        port = f":{config['PORT']}" if config.get("PORT") else ""
        return (f"postgres://{config['USER']}{password}@{config.get('HOST') or 'localhost'}"
                f"{port}/{name}")

    @staticmethod
    def _params(config, dbname):
        params = {"dbname": dbname, "user": config.get("USER") or None,
                  "password": config.get("PASSWORD") or None,
                  "host": config.get("HOST") or None, "port": config.get("PORT") or None}
        return {k: v for k, v in params.items() if v is not None}

    def drop(self):
        if not self.names:
            return
        import psycopg

        with psycopg.connect(**self._params(settings.DATABASES["default"], "postgres"),
                             autocommit=True) as conn:
            for name in self.names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=ENGINES)
def scratch(request, tmp_path):
    databases = Scratch(request.param, tmp_path)
    yield databases
    databases.drop()


def test_backup_and_restore_into_an_empty_database_reads_the_id_number_back(scratch,
                                                                            tmp_path):
    here = _environment(tmp_path / "here", scratch.url("here"))
    territory = tmp_path / "territory.geojson"
    territory.write_text(json.dumps(small_territory(), ensure_ascii=False), encoding="utf-8")
    people = tmp_path / "people.csv"
    people.write_text("name,id_number,kind,phone,area_code,address,tags\n"
                      f"林秀英,{NUMBER},registered,{PHONE},350583001001001,溪美街道幸福路12号,\n",
                      encoding="utf-8")
    _wangge(here, "migrate", "-v0")
    _wangge(here, "import-territory", str(territory))
    assert "1 new" in _wangge(here, "import", "people", str(people)).stdout
    photo = tmp_path / "here" / "media" / "cases" / "2026" / "photo.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8\xff\xe0 a photo of the case")

    backup = tmp_path / "backup"
    _wangge(here, "backup", str(backup))
    manifest = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["database"]["engine"] == scratch.engine
    assert set(manifest["keys"]) == {"lookup", "data:k1"}
    assert {f["path"] for f in manifest["files"]} >= {"media/cases/2026/photo.jpg"}
    assert all(len(f["sha256"]) == 64 and f["bytes"] > 0 for f in manifest["files"])
    everything = b"".join(p.read_bytes() for p in backup.rglob("*") if p.is_file())
    for secret in (DATA_KEY, LOOKUP_KEY, NUMBER, PHONE):  # no key, no clear personal data
        assert secret.encode() not in everything, secret

    # another machine: an empty database, the same keys from the environment
    there = _environment(tmp_path / "there", scratch.url("there"))
    _wangge(there, "restore", str(backup))
    revealed = _wangge(there, "shell", "-c", REVEAL).stdout.split()
    assert revealed[-2:] == [NUMBER, PHONE]
    assert (tmp_path / "there" / "media" / "cases" / "2026" / "photo.jpg").read_bytes() == \
        photo.read_bytes()
    assert "the keys fit the database" in _wangge(there, "check-keys").stdout

    # a second restore over it is refused: the database now holds data …
    refused = _wangge(there, "restore", str(backup), expect=1)
    assert "the database already holds data" in refused.stderr
    assert "--force" in refused.stderr
    # … unless forced
    _wangge(there, "restore", str(backup), "--force")
    assert _wangge(there, "shell", "-c", REVEAL).stdout.split()[-2:] == [NUMBER, PHONE]


def test_a_restore_with_other_keys_or_a_damaged_backup_is_refused(scratch, tmp_path):
    here = _environment(tmp_path / "here", scratch.url("here"))
    _wangge(here, "migrate", "-v0")
    (tmp_path / "here" / "media").mkdir(exist_ok=True)
    (tmp_path / "here" / "media" / "note.txt").write_text("a file", encoding="utf-8")
    backup = tmp_path / "backup"
    _wangge(here, "backup", str(backup))

    target = scratch.url("there")
    other_key = base64.b64encode(os.urandom(32)).decode()
    wrong = _environment(tmp_path / "there", target, data_keys=f"k1:{other_key}")
    refused = _wangge(wrong, "restore", str(backup), expect=1)
    assert "the configured keys cannot read this backup" in refused.stderr
    assert "the data key 'k1' in DATA_KEYS is not the key 'k1'" in refused.stderr
    missing = _environment(tmp_path / "there", target, data_keys=f"k2:{other_key}")
    refused = _wangge(missing, "restore", str(backup), expect=1)
    assert "DATA_KEYS has no key 'k1'" in refused.stderr
    # a new key put first, the old one still there (a rotation): accepted
    rotated = _environment(tmp_path / "there", target,
                           data_keys=f"k2:{other_key},k1:{DATA_KEY}")
    (tmp_path / "there").mkdir(exist_ok=True)

    (backup / "media" / "note.txt").write_text("a file, altered", encoding="utf-8")
    damaged = _wangge(rotated, "restore", str(backup), expect=1)
    assert "media/note.txt" in damaged.stderr and "damaged" in damaged.stderr
    (backup / "media" / "note.txt").write_text("a file", encoding="utf-8")
    _wangge(rotated, "restore", str(backup))
    assert "data:k2" in _wangge(rotated, "check-keys").stdout

    # a backup directory that is not empty is not written into
    refused = _wangge(here, "backup", str(backup), expect=1)
    assert "is not an empty directory" in refused.stderr
