"""Production mode (``WANGGE_PRODUCTION=1``): the settings a deployment must not get wrong are
checked when the settings load, and the process refuses to start on any of them, naming the
environment variable. Read by wangge/settings.py before Django is set up, so nothing here may
touch models or the database."""

from __future__ import annotations

from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

SQLITE = "django.db.backends.sqlite3"


def problems(values: dict) -> list[str]:
    """What is unsafe about these settings (the module's globals) for production."""
    from wangge.core.keys import parse_data_keys

    found = []
    if values.get("DEBUG"):
        found.append("DEBUG is on: set DEBUG=0 (the debug pages show settings, code and data)")
    if "*" in values.get("ALLOWED_HOSTS", []):
        found.append("ALLOWED_HOSTS contains '*': list the host names the site is served under")
    if (values["DATABASES"]["default"]["ENGINE"] == SQLITE
            and not values.get("ALLOW_SQLITE_IN_PRODUCTION")):
        found.append("DATABASE_URL is SQLite: use PostgreSQL, or set "
                     "ALLOW_SQLITE_IN_PRODUCTION=1 for a single small installation")
    if not (values.get("SESSION_COOKIE_SECURE") and values.get("CSRF_COOKIE_SECURE")):
        found.append("SECURE_COOKIES is not on: set SECURE_COOKIES=1 (session and CSRF cookies "
                     "over HTTPS only)")
    try:
        parse_data_keys(values.get("WANGGE_DATA_KEYS", ""))
    except ImproperlyConfigured as exc:
        found.append(str(exc))
    lookup = values.get("WANGGE_LOOKUP_KEY", "") or ""
    if len(lookup) < 32:
        found.append(f"LOOKUP_KEY is {len(lookup)} characters: give 32 or more random "
                     "characters")
    return found


def refuse_insecure(values: dict) -> None:
    found = problems(values)
    if found:
        raise ImproperlyConfigured("WANGGE_PRODUCTION=1 refuses to start: " + "; ".join(found))


def proxy_ssl_header(raw: str) -> tuple[str, str] | None:
    """``SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto`` (or ``X-Forwarded-Proto: https``): the
    header a TLS-terminating proxy sets on requests that came in over HTTPS."""
    if not raw:
        return None
    name, _, value = raw.partition(":")
    name, value = name.strip(), (value.strip() or "https")
    if not name or not name.replace("-", "").replace("_", "").isalnum():
        raise ImproperlyConfigured(f"environment variable SECURE_PROXY_SSL_HEADER={raw!r} must "
                                   "be a header name such as X-Forwarded-Proto")
    return "HTTP_" + name.upper().replace("-", "_"), value


def tile_sources(url: str) -> list[str]:
    """The CSP source of a Leaflet tile URL template: ``https://{s}.tile.example/{z}/{x}/{y}``
    → ``https://*.tile.example`` (a templated label becomes the one wildcard CSP allows, at the
    left)."""
    if not url:
        return []
    parsed = urlparse(url)
    host, _, port = parsed.netloc.rpartition("@")[2].partition(":")
    labels = host.split(".")
    templated = [i for i, label in enumerate(labels) if "{" in label or "}" in label]
    if templated:
        labels = ["*", *labels[templated[-1] + 1:]]
        if len(labels) < 3:  # "*.com": too wide — the scheme alone says as much
            return [f"{parsed.scheme}:"]
    source = f"{parsed.scheme}://{'.'.join(labels)}"
    if port and "{" not in port:
        source += f":{port}"
    return [source]


def refuse_demo(command: str) -> None:
    """The demo commands stop here in production mode: the demo's accounts share one published
    password and its residents are made up."""
    from django.conf import settings
    from django.core.management.base import CommandError

    if getattr(settings, "PRODUCTION", False):
        raise CommandError(f"{command} refuses to run in production mode (WANGGE_PRODUCTION=1): "
                           "the demo's accounts share one published password and its data is "
                           "made up")
