"""Production mode refuses to start on an unsafe setting, naming it; a good production
environment starts with HSTS, the HTTPS redirect and no secret written to disk. Each case loads
the whole settings module in a fresh interpreter, as a deployment would."""

from __future__ import annotations

import base64
import subprocess
import sys

import pytest

from wangge.core.production import proxy_ssl_header, tile_sources

KEY = base64.b64encode(b"k" * 32).decode()
GOOD = {
    "WANGGE_PRODUCTION": "1",
    "SECRET_KEY": "s" * 50,
    "DATA_KEYS": f"k1:{KEY}",
    "LOOKUP_KEY": "l" * 40,
    "ALLOWED_HOSTS": "wangge.example.gov.cn",
    "SECURE_COOKIES": "1",
    "DATABASE_URL": "postgres://wangge:secret@127.0.0.1:5432/wangge",
}
SHOW = ("from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_CONTENT_TYPE_NOSNIFF, s.SECURE_REFERRER_POLICY, s.SECURE_PROXY_SSL_HEADER)")


def start(tmp_path, **environment):
    env = {"DJANGO_SETTINGS_MODULE": "wangge.settings", "WANGGE_VAR_DIR": str(tmp_path / "var"),
           "PATH": "/usr/bin:/bin"}
    env.update({k: v for k, v in environment.items() if v is not None})
    return subprocess.run([sys.executable, "-c", "import django; django.setup(); " + SHOW],
                          env=env, capture_output=True, text=True, timeout=120)


def test_a_good_production_environment_starts_with_hsts_and_the_https_redirect(tmp_path):
    result = start(tmp_path, **GOOD)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["31536000", "True", "True", "True", "same-origin", "None"]
    # every secret came from the environment: none was made and written in var/
    written = sorted(p.name for p in (tmp_path / "var").iterdir())
    assert not {"secret-key", "data-keys", "lookup-key"} & set(written), written


def test_behind_a_tls_proxy(tmp_path):
    result = start(tmp_path, **GOOD, SECURE_SSL_REDIRECT="0",
                   SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto", SECURE_HSTS_SECONDS="600")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[:3] == ["600", "True", "False"]
    assert "('HTTP_X_FORWARDED_PROTO', 'https')" in result.stdout


@pytest.mark.parametrize(("change", "message"), [
    ({"DEBUG": "1"}, "DEBUG is on"),
    ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS contains '*'"),
    ({"ALLOWED_HOSTS": "wangge.example.gov.cn,*"}, "ALLOWED_HOSTS contains '*'"),
    ({"DATABASE_URL": None}, "DATABASE_URL is SQLite"),
    ({"DATABASE_URL": "sqlite:////tmp/wangge-prod.sqlite3"}, "DATABASE_URL is SQLite"),
    ({"SECURE_COOKIES": None}, "SECURE_COOKIES is not on"),
    ({"SECURE_COOKIES": "0"}, "SECURE_COOKIES is not on"),
    ({"DATA_KEYS": "k1:" + base64.b64encode(b"k" * 16).decode()},
     "DATA_KEYS item 1 ('k1') is 16 bytes"),
    ({"DATA_KEYS": "k1:not base64!"}, "DATA_KEYS item 1 ('k1') is not valid base64"),
    ({"DATA_KEYS": KEY}, "DATA_KEYS item 1 must be id:base64key"),
    ({"DATA_KEYS": f"k2:{KEY},k2:{KEY}"}, "the key id 'k2' appears twice"),
    ({"LOOKUP_KEY": "short-lookup-key"}, "LOOKUP_KEY is 16 characters"),
    ({"SECRET_KEY": None}, "environment variable SECRET_KEY must be set"),
    ({"DATA_KEYS": None}, "environment variable DATA_KEYS must be set"),
    ({"LOOKUP_KEY": None}, "environment variable LOOKUP_KEY must be set"),
])
def test_production_refuses_an_unsafe_setting_naming_it(tmp_path, change, message):
    result = start(tmp_path, **{**GOOD, **change})
    assert result.returncode != 0
    assert message in result.stderr, result.stderr[-2000:]
    assert "ImproperlyConfigured" in result.stderr
    # and wrote no secret of its own to disk on the way
    var = tmp_path / "var"
    assert not any((var / name).exists() for name in ("secret-key", "data-keys", "lookup-key"))


def test_all_problems_are_named_at_once(tmp_path):
    result = start(tmp_path, **{**GOOD, "DEBUG": "1", "ALLOWED_HOSTS": "*",
                                "SECURE_COOKIES": "0", "DATABASE_URL": None})
    assert result.returncode != 0
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("django.core.exceptions.ImproperlyConfigured: WANGGE_PRODUCTION=1")
    for message in ("DEBUG is on", "ALLOWED_HOSTS contains '*'", "DATABASE_URL is SQLite",
                    "SECURE_COOKIES is not on"):
        assert message in line


def test_sqlite_when_allowed(tmp_path):
    result = start(tmp_path, **{**GOOD, "DATABASE_URL": None,
                                "ALLOW_SQLITE_IN_PRODUCTION": "1"})
    assert result.returncode == 0, result.stderr[-2000:]


def test_outside_production_nothing_is_refused(tmp_path):
    result = start(tmp_path, DEBUG="1", ALLOWED_HOSTS="*")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[:3] == ["0", "False", "False"]


def test_the_proxy_header_and_the_tile_hosts():
    assert proxy_ssl_header("") is None
    assert proxy_ssl_header("X-Forwarded-Proto") == ("HTTP_X_FORWARDED_PROTO", "https")
    assert proxy_ssl_header("X-Forwarded-Ssl: on") == ("HTTP_X_FORWARDED_SSL", "on")
    assert tile_sources("") == []
    assert tile_sources("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png") == [
        "https://*.tile.openstreetmap.org"]
    assert tile_sources("https://webrd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}") == [
        "https://*.is.autonavi.com"]
    assert tile_sources("http://tiles.intranet:8080/{z}/{x}/{y}.png") == [
        "http://tiles.intranet:8080"]


@pytest.mark.parametrize("command", ["load-demo", "demo-data"])
def test_the_demo_commands_refuse_to_run_in_production(tmp_path, command):
    env = {"DJANGO_SETTINGS_MODULE": "wangge.settings", "WANGGE_VAR_DIR": str(tmp_path / "var"),
           "PATH": "/usr/bin:/bin", **GOOD, "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
           "ALLOW_SQLITE_IN_PRODUCTION": "1"}
    result = subprocess.run([sys.executable, "-m", "wangge.cli", command], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert f"{command} refuses to run in production mode (WANGGE_PRODUCTION=1)" in \
        result.stderr
    assert "Traceback" not in result.stderr


def test_the_policy_names_the_tile_host(tmp_path):
    env = {"DJANGO_SETTINGS_MODULE": "wangge.settings", "WANGGE_VAR_DIR": str(tmp_path / "var"),
           "PATH": "/usr/bin:/bin",
           "MAP_TILE_URL": "https://webrd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}"}
    code = ("import django; django.setup(); from django.conf import settings; "
            "print(settings.CONTENT_SECURITY_POLICY)")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "img-src 'self' data: blob: https://*.is.autonavi.com;" in result.stdout
    assert "script-src 'self';" in result.stdout


def test_a_production_server_redirects_to_https_and_sends_hsts(tmp_path):
    """runserver with the production settings: plain HTTP is sent to HTTPS; a request the TLS
    proxy marks as HTTPS gets Strict-Transport-Security."""
    import socket
    import time

    import requests

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"DJANGO_SETTINGS_MODULE": "wangge.settings", "WANGGE_VAR_DIR": str(tmp_path / "var"),
           "PATH": "/usr/bin:/bin", **GOOD, "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
           "ALLOW_SQLITE_IN_PRODUCTION": "1", "ALLOWED_HOSTS": "127.0.0.1",
           "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto"}
    server = subprocess.Popen([sys.executable, "-m", "wangge.cli", "runserver", "--noreload",
                               f"127.0.0.1:{port}"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(150):
            try:
                plain = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2,
                                     allow_redirects=False)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert plain.status_code == 301
        assert plain.headers["Location"] == f"https://127.0.0.1:{port}/healthz"
        secure = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5,
                              headers={"X-Forwarded-Proto": "https"}, allow_redirects=False)
        assert secure.status_code == 200, secure.text[:300]
        assert secure.headers["Strict-Transport-Security"] == \
            "max-age=31536000; includeSubDomains"
        assert "default-src 'self'" in secure.headers["Content-Security-Policy"]
    finally:
        server.terminate()
        server.communicate(timeout=30)
