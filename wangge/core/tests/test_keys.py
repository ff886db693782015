"""The keys of personal data are checked against the fingerprints in the database: a process
with other keys refuses to run, naming the key — the web server before it serves, and every
command before it reads or writes. Through the command line in fresh processes, as deployed."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time

import pytest
import requests
from django.db import connection

from wangge.core import keys
from wangge.core.models import KeyFingerprint

KEY1 = base64.b64encode(os.urandom(32)).decode()
KEY2 = base64.b64encode(os.urandom(32)).decode()
LOOKUP = "x" * 20 + base64.b64encode(os.urandom(24)).decode()


def _env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "WANGGE_VAR_DIR", "DATA_KEYS", "LOOKUP_KEY",
                        "SECRET_KEY", "WANGGE_PRODUCTION")}
    env["WANGGE_VAR_DIR"] = str(tmp_path / "var")
    env.update({k: v for k, v in extra.items() if v is not None})
    return env


def _wangge(env, *args, timeout=300):
    return subprocess.run([sys.executable, "-m", "wangge.cli", *args], env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def _people_csv(tmp_path):
    from wangge.people.tests.conftest import make_id

    path = tmp_path / "people.csv"
    path.write_text("name,id_number,kind,phone,area_code,address,tags\n"
                    f"林秀英,{make_id('19760315', '247')},registered,13712345678,"
                    "350583001001001,幸福路12号,\n", encoding="utf-8")
    return path


def test_a_lost_key_file_no_longer_means_a_silent_new_key(tmp_path):
    """The old failure: var/data-keys gone (a new machine, a lost volume), a new random key
    was made and every ID number became unreadable. Now the process refuses, naming the key."""
    import json

    from wangge.conftest import small_territory

    env = _env(tmp_path)  # keys made and kept in var/, as in development
    territory = tmp_path / "territory.geojson"
    territory.write_text(json.dumps(small_territory(), ensure_ascii=False), encoding="utf-8")
    assert _wangge(env, "migrate", "-v0").returncode == 0
    assert _wangge(env, "import-territory", str(territory)).returncode == 0
    assert _wangge(env, "import", "people", str(_people_csv(tmp_path))).returncode == 0
    assert "the keys fit the database" in _wangge(env, "check-keys").stdout

    (tmp_path / "var" / "data-keys").unlink()
    for args in (["export", "people"], ["shell", "-c", "from wangge.people.models import Person; "
                 "print('started', Person.objects.count())"],
                 ["import", "people", str(_people_csv(tmp_path))]):
        result = _wangge(env, *args)
        assert result.returncode != 0, args
        assert "Wangge refuses to run with keys that do not fit the database" in result.stderr
        assert "the data key 'k1' in DATA_KEYS is not the key 'k1'" in result.stderr
        assert "started" not in result.stdout
    check = _wangge(env, "check-keys")
    assert check.returncode != 0 and "data:k1" in check.stdout and "DIFFERS" in check.stdout

    (tmp_path / "var" / "lookup-key").unlink()
    result = _wangge(env, "export", "people")
    assert "LOOKUP_KEY is not the key this database's lookup hashes were made with" in \
        result.stderr


def test_rotation_adds_a_key_and_retiring_needs_the_data_moved_first(tmp_path):
    old = {"DATA_KEYS": f"k1:{KEY1}", "LOOKUP_KEY": LOOKUP, "SECRET_KEY": "s" * 50}
    env = _env(tmp_path, **old)
    assert _wangge(env, "migrate", "-v0").returncode == 0
    import json

    from wangge.conftest import small_territory

    territory = tmp_path / "territory.geojson"
    territory.write_text(json.dumps(small_territory(), ensure_ascii=False), encoding="utf-8")
    assert _wangge(env, "import-territory", str(territory)).returncode == 0
    assert _wangge(env, "import", "people", str(_people_csv(tmp_path))).returncode == 0

    # a new key put first, the old one kept: accepted, and stored
    both = _env(tmp_path, **{**old, "DATA_KEYS": f"k2:{KEY2},k1:{KEY1}"})
    check = _wangge(both, "check-keys")
    assert check.returncode == 0, check.stderr
    assert "data:k2" in check.stdout
    # the old key dropped too early: refused, saying what to do
    only_new = _env(tmp_path, **{**old, "DATA_KEYS": f"k2:{KEY2}"})
    result = _wangge(only_new, "export", "people")
    assert result.returncode != 0
    assert "DATA_KEYS has no key 'k1'" in result.stderr
    assert "wangge check-keys --retire k1" in result.stderr
    # retiring k1 while values still use it is refused …
    result = _wangge(both, "check-keys", "--retire", "k1")
    assert result.returncode != 0 and "still holds values encrypted with 'k1'" in result.stderr
    # … after rotate-data-keys it is forgotten, and the new key alone is enough
    assert _wangge(both, "rotate-data-keys").returncode == 0
    result = _wangge(both, "check-keys", "--retire", "k1")
    assert result.returncode == 0, result.stderr
    assert "retired" in result.stdout
    result = _wangge(only_new, "export", "people")
    assert result.returncode == 0, result.stderr
    assert "林秀英" in result.stdout
    # the current key cannot be retired
    result = _wangge(only_new, "check-keys", "--retire", "k2")
    assert result.returncode != 0 and "is the current data key" in result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_web_server_refuses_to_start_with_other_keys(tmp_path):
    good = {"DATA_KEYS": f"k1:{KEY1}", "LOOKUP_KEY": LOOKUP, "SECRET_KEY": "s" * 50}
    env = _env(tmp_path, **good)
    assert _wangge(env, "migrate", "-v0").returncode == 0
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "wangge.cli", "runserver", "--noreload",
                               f"127.0.0.1:{port}"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(100):
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert answer.status_code == 200
    finally:
        server.terminate()
        server.communicate(timeout=30)

    wrong = _env(tmp_path, **{**good, "DATA_KEYS": f"k1:{KEY2}"})
    server = subprocess.run([sys.executable, "-m", "wangge.cli", "runserver", "--noreload",
                             f"127.0.0.1:{port}"], env=wrong, capture_output=True, text=True,
                            timeout=120)
    assert server.returncode != 0
    assert "the data key 'k1' in DATA_KEYS is not the key 'k1'" in server.stderr


@pytest.mark.django_db
def test_the_check_in_process(settings):
    """The test database got its fingerprints when it was migrated; the comparison itself."""
    stored = keys.verify(connection)
    assert "lookup" in stored and any(name.startswith("data:") for name in stored)
    assert KeyFingerprint.objects.filter(name="lookup").exists()
    for value in stored.values():  # fingerprints, not keys
        assert len(value) == 64
        assert value not in settings.WANGGE_DATA_KEYS and value != settings.WANGGE_LOOKUP_KEY
    original = settings.WANGGE_DATA_KEYS
    first_id = original.split(",")[0].split(":")[0]
    settings.WANGGE_DATA_KEYS = f"{first_id}:{KEY2}"
    with pytest.raises(keys.KeyMismatch, match=f"the data key '{first_id}' in DATA_KEYS"):
        keys.verify(connection)
    settings.WANGGE_DATA_KEYS = f"new:{KEY2},{original}"
    assert "data:new" in keys.verify(connection)
    settings.WANGGE_DATA_KEYS = original
    settings.WANGGE_LOOKUP_KEY = "y" * 40
    with pytest.raises(keys.KeyMismatch, match="LOOKUP_KEY is not the key"):
        keys.verify(connection)


def test_malformed_data_keys_are_named_without_their_value():
    with pytest.raises(Exception, match=r"DATA_KEYS item 2 \('k2'\) is 3 bytes") as caught:
        keys.parse_data_keys(f"k1:{KEY1},k2:{base64.b64encode(b'abc').decode()}")
    assert KEY1 not in str(caught.value)
    with pytest.raises(Exception, match="the key id must be letters"):
        keys.parse_data_keys(f"k 1:{KEY1}")
