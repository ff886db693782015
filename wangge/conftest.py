"""Shared fixtures: a small hand-made territory of boxes, and users with different scopes.

County 350583000000 covers lon 118.0–118.4, lat 24.8–25.0. Two townships split it west/east
at 118.2; each has two villages split south/north at 24.9; each village has two grids split at
its middle longitude. So every grid is a 0.1° × 0.1° box and grid borders are easy to hit.
"""

from __future__ import annotations

import os

import pytest

COUNTY = "350583000000"
TOWNSHIPS = {"350583001000": (118.0, 118.2, "溪美街道"), "350583002000": (118.2, 118.4, "柳城街道")}


def box(x0, y0, x1, y1) -> dict:
    return {"type": "Polygon",
            "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def feature(code, name, geometry, level=None, parent_code=None, **extra) -> dict:
    properties = {"code": code, "name": name}
    if level:
        properties["level"] = level
    if parent_code:
        properties["parent_code"] = parent_code
    properties.update(extra)
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def small_territory() -> dict:
    features = [feature(COUNTY, "南安市", box(118.0, 24.8, 118.4, 25.0), "county")]
    for t_code, (x0, x1, t_name) in TOWNSHIPS.items():
        features.append(feature(t_code, t_name, box(x0, 24.8, x1, 25.0), "township", COUNTY))
        for v_serial, (y0, y1) in enumerate([(24.8, 24.9), (24.9, 25.0)], start=1):
            v_code = t_code[:9] + f"{v_serial:03d}"
            features.append(feature(v_code, f"{t_name}{v_serial}社区", box(x0, y0, x1, y1),
                                    "village", t_code))
            mid = round((x0 + x1) / 2, 6)
            for g_serial, (gx0, gx1) in enumerate([(x0, mid), (mid, x1)], start=1):
                features.append(feature(f"{v_code}{g_serial:03d}", f"{v_serial}社区{g_serial}网格",
                                        box(gx0, y0, gx1, y1), "grid", v_code))
    return {"type": "FeatureCollection", "features": features}


@pytest.fixture
def territory(db):
    from wangge.territory.services import import_territory

    import_territory(small_territory())
    from wangge.territory.models import Area

    return {a.code: a for a in Area.objects.all()}


@pytest.fixture
def make_user(db):
    from wangge.accounts.models import User

    def make(username, role="dispatcher", area=None, **extra):
        user = User(username=username, role=role, jurisdiction=area, **extra)
        user.set_password("Secret-pass-123")
        user.save()
        return user

    return make


@pytest.fixture
def users(territory, make_user):
    """Three people: a district operator, a dispatcher of 溪美街道, one of 柳城街道."""
    return {
        "district": make_user("district", "operator", territory[COUNTY]),
        "ximei": make_user("ximei", "dispatcher", territory["350583001000"]),
        "liucheng": make_user("liucheng", "dispatcher", territory["350583002000"]),
        "nobody": make_user("nobody", "dispatcher", None),
    }


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate limits (wangge/core/ratelimit.py) live in the cache: each test starts with none
    used, so a limit one test used up never refuses the next."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _force_login_answers_the_second_factor(monkeypatch):
    """``client.force_login`` skips the login form; here it also stands for the two-factor
    code (wangge/accounts/testing.py). Tests of the login gate use ``raw_force_login``."""
    from django.test import Client

    from wangge.accounts.testing import verifying_force_login

    monkeypatch.setattr(Client, "force_login", verifying_force_login)


# the people and units of the case tests, shared by every app's tests
from wangge.cases.tests.conftest import apis, people  # noqa: E402, F401

CHROMIUM = os.environ.get("WANGGE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser(django_db_setup):
    """Debian's Chromium through Playwright (never a downloaded browser).

    Playwright's sync API changes the context Django keys its database connections on, so
    tests after it get a new connection object without the serialized database contents that
    ``serialized_rollback`` restores: hand them over."""
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    saved = getattr(connections["default"], "_test_serialized_contents", None)
    with sync_playwright() as p:
        if saved is not None:
            connections["default"]._test_serialized_contents = saved
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
