"""Fixtures of the portal tests: the territory and people of the case tests, a clean rate-limit
cache, uploads in a temporary folder, and an English-speaking anonymous client."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.test import Client

from wangge.cases.tests.conftest import GRID, GRID_POINT, people, png_bytes  # noqa: F401


@pytest.fixture(autouse=True)
def _clean_cache_and_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client():
    return Client(headers={"accept-language": "en"})


def photo(name="p.png", data=None):
    upload = io.BytesIO(data if data is not None else png_bytes())
    upload.name = name
    return upload


def report_data(**extra):
    lon, lat = GRID_POINT
    data = {"category": "0101", "description": "小区门口垃圾堆积", "lon": str(lon),
            "lat": str(lat), "crs": "wgs84", "address": "溪美街道1号楼", "name": "",
            "phone": "", "website": ""}
    data.update(extra)
    return data
