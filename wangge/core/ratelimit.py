"""Per-client and per-user rate limits (the public pages, logins, exact lookups), kept in
Django's cache.

A sliding window: the cache holds, per (limit, client), the times of the recent hits. With the
default cache (LocMemCache) every process counts on its own, so with N worker processes a client
can make up to N times the limit; point CACHES at a shared cache (Redis, Memcached or the
database cache) to make the limits exact. The limits can be changed in settings:
``WANGGE["PORTAL_RATE_LIMITS"] = {"report": (5, 600), ...}`` (count, seconds).

The client is REMOTE_ADDR. Behind reverse proxies set ``WANGGE["PORTAL_PROXY_HOPS"]`` to their
number: the address is then taken that many entries from the right of X-Forwarded-For (the
entries further left are written by the client and cannot be trusted). IPv6 clients are counted
per /64 network, since one host usually holds a whole /64.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "report": (5, 600),  # reports made (and honeypot hits)
    "report_post": (20, 600),  # any submission of the report form, valid or not
    "lookup": (60, 600),  # tracking page views, lookups by number, ratings
    "lookup_number": (10, 3600),  # failed lookups of one case number, from any client
    "map": (120, 600),  # locate checks and the grid outlines
    "photo": (300, 600),  # photos on tracking pages
    "people_lookup": (20, 60),  # exact lookups of people by ID number or phone, per user
    "login": (20, 600),  # failed logins and two-factor codes from one address, any usernames
}


class RateLimited(Exception):
    """A limit is used up. The API answers 429 with ``Retry-After: wait`` and a JSON error
    (``wangge/api.py``)."""

    def __init__(self, wait: int, message: str = "Too many requests."):
        super().__init__(message)
        self.wait = max(1, int(wait))
        self.message = message


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    seconds: int


def limit(name: str) -> Limit:
    configured = settings.WANGGE.get("PORTAL_RATE_LIMITS", {}) or {}
    count, seconds = configured.get(name, DEFAULT_LIMITS[name])
    return Limit(name, int(count), int(seconds))


def client_address(request) -> str:
    """The client's address as seen through the configured number of proxies (for logs)."""
    address = request.META.get("REMOTE_ADDR", "") or ""
    hops = int(settings.WANGGE.get("PORTAL_PROXY_HOPS", 0) or 0)
    if hops > 0:
        forwarded = [part.strip() for part in
                     request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    return address[:64]


def client_ip(request) -> str:
    """The client as counted by the limits: the address, an IPv6 client by its /64."""
    address = client_address(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64] or "unknown"
    if parsed.version == 6:
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _key(name: str, who: str) -> str:
    return f"wangge:portal:rl:{name}:{who}"


def _recent(key: str, seconds: int, now: float) -> list[float]:
    return [t for t in (cache.get(key) or []) if now - t < seconds]


def retry_after(name: str, who: str) -> int | None:
    """Seconds to wait when ``who`` has used up limit ``name``; None while within it."""
    rule = limit(name)
    now = time.time()
    hits = _recent(_key(name, who), rule.seconds, now)
    if len(hits) < rule.count:
        return None
    return max(1, int(rule.seconds - (now - hits[0])) + 1)


def hit(name: str, who: str) -> None:
    """Count one use of limit ``name`` by ``who``."""
    rule = limit(name)
    now = time.time()
    key = _key(name, who)
    hits = _recent(key, rule.seconds, now)
    hits.append(now)
    cache.set(key, hits[-(rule.count + 1):], rule.seconds)


def take(name: str, who: str) -> int | None:
    """Count a use unless the limit is used up: None when allowed, else seconds to wait."""
    wait = retry_after(name, who)
    if wait is None:
        hit(name, who)
    return wait
