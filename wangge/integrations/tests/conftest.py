"""Devices, a platform and alarm types on the small territory of wangge/conftest.py."""

from __future__ import annotations

import socket
from types import SimpleNamespace

import pytest

from wangge.cases.tests.conftest import GRID_POINT


@pytest.fixture(autouse=True)
def _fresh_alarm_cache():
    from wangge.integrations.alarms import clear_cache

    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def iot(people):
    from wangge.cases.models import Category
    from wangge.integrations.models import AlarmTypeMapping, Device, Platform

    platform = Platform(name="消防物联平台")
    platform_key = platform.set_key()
    platform.save()
    other = Platform(name="别家平台")
    other_key = other.set_key()
    other.save()
    lon, lat = GRID_POINT
    smoke = Device.objects.create(device_id="SMK-001", kind="smoke", name="1号楼烟感",
                                  lon=lon, lat=lat, building="1号楼", component="3层走廊",
                                  platform=platform)
    camera = Device(device_id="CAM-001", kind="camera", name="路口摄像头", lon=lon + 0.01,
                    lat=lat + 0.01)
    camera_key = camera.set_key()
    camera.save()
    foreign = Device.objects.create(device_id="GAS-900", kind="gas", lon=lon, lat=lat,
                                    platform=other)
    mappings = {
        "smoke": AlarmTypeMapping.objects.create(
            alarm_type="smoke", label="烟雾报警", category=Category.objects.get(code="0404"),
            auto_close_on_clear=True),
        "gas": AlarmTypeMapping.objects.create(
            alarm_type="gas", label="燃气泄漏", category=Category.objects.get(code="0403")),
        "garbage": AlarmTypeMapping.objects.create(
            alarm_type="garbage", label="暴露垃圾识别", urgency="normal",
            category=Category.objects.get(code="0101"), auto_close_on_clear=True),
    }
    return SimpleNamespace(platform=platform, platform_key=platform_key, other=other,
                           other_key=other_key, smoke=smoke, camera=camera,
                           camera_key=camera_key, foreign=foreign, mappings=mappings,
                           people=people)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _installed() -> bool:
    from django.apps import apps

    return apps.is_installed("wangge.integrations")


# until settings.py lists the app, run these with --ds=wangge.integrations.test_settings
if not _installed():
    collect_ignore_glob = ["test_*.py"]
