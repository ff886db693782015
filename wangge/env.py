"""Typed helpers that read settings from environment variables and fail loudly.

Every helper raises ``ImproperlyConfigured`` naming the variable and the bad value, so a
typo in a deployment is caught when the process starts, not when a page is first used.
"""

from __future__ import annotations

import math
import os
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    return None if value is None else value.strip()


def env_str(name: str, default: str | None = None, *, required: bool = False) -> str:
    value = _raw(name)
    if value is None or value == "":
        if required:
            raise ImproperlyConfigured(f"environment variable {name} must be set")
        if default is None:
            return ""
        return default
    return value


def env_bool(name: str, default: bool = False) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"environment variable {name}={value!r} is not a boolean; use one of 1/0, true/false, "
        "yes/no, on/off"
    )


def env_int(name: str, default: int, *, minimum: int | None = None,
            maximum: int | None = None) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"environment variable {name}={value!r} is not an integer"
        ) from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"environment variable {name}={number} is below {minimum}")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"environment variable {name}={number} is above {maximum}")
    return number


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"environment variable {name}={value!r} is not a number"
        ) from None
    if not math.isfinite(number):
        raise ImproperlyConfigured(
            f"environment variable {name}={value!r} is not a finite number"
        )
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"environment variable {name}={number} is below {minimum}")
    return number


def env_list(name: str, default: list[str] | None = None, *,
             allow_empty: bool = True) -> list[str]:
    """A comma-separated list. Unset gives ``default``; set but empty gives [] unless
    ``allow_empty=False``, which refuses it (e.g. ALLOWED_HOSTS= would reject every request).
    """
    value = _raw(name)
    if value is None:
        return list(default or [])
    if value == "" and not allow_empty:
        raise ImproperlyConfigured(
            f"environment variable {name} is set but empty; give a comma-separated list or "
            "unset it to use the default"
        )
    items = [item.strip() for item in value.split(",")]
    if any(item == "" for item in items) and value != "":
        raise ImproperlyConfigured(
            f"environment variable {name}={value!r} has an empty item; use a comma-separated list"
        )
    return [item for item in items if item]


def env_url(name: str, default: str = "", *, schemes: tuple[str, ...] = ("http", "https"),
            allow_empty: bool = True) -> str:
    value = _raw(name)
    if value is None or value == "":
        if not allow_empty and not default:
            raise ImproperlyConfigured(f"environment variable {name} must be set to a URL")
        return default
    parsed = urlparse(value)
    if parsed.scheme not in schemes:
        raise ImproperlyConfigured(
            f"environment variable {name}={value!r} must be a URL starting with "
            + " or ".join(f"{s}://" for s in schemes)
        )
    if not parsed.netloc and parsed.scheme in ("http", "https"):
        raise ImproperlyConfigured(f"environment variable {name}={value!r} has no host")
    return value


def env_database(name: str, default: str) -> dict:
    """Parse DATABASE_URL into a Django DATABASES entry (SQLite or PostgreSQL only)."""
    import dj_database_url

    value = _raw(name) or default
    scheme = urlparse(value).scheme
    if scheme not in ("sqlite", "postgres", "postgresql", "pgsql"):
        raise ImproperlyConfigured(
            f"environment variable {name}={value!r}: only sqlite:/// and postgres:// URLs are "
            "supported"
        )
    try:
        config = dj_database_url.parse(value, conn_max_age=0)
    except ValueError as exc:
        raise ImproperlyConfigured(f"environment variable {name}={value!r}: {exc}") from None
    return config
