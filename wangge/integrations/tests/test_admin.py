"""Keys issued in the admin: shown once, stored as a digest, and they authenticate."""

import re

import pytest

from wangge.integrations.alarms import authenticate
from wangge.integrations.models import Device, Platform, key_digest


@pytest.fixture
def admin_client(client, db):
    from wangge.accounts.models import User

    client.force_login(User.objects.create_superuser("root", "r@example.com", "Secret-pass-1"))
    return client


def test_a_platform_gets_a_key_once(admin_client, territory):
    response = admin_client.post("/admin/integrations/platform/add/",
                                 {"name": "视频平台", "active": "on"}, follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    key = re.search(r"(wga_[A-Za-z0-9_\-]+)", text).group(1)
    platform = Platform.objects.get(name="视频平台")
    assert platform.key_digest == key_digest(key) and key not in platform.key_digest
    assert authenticate(f"Bearer {key}") == platform
    assert authenticate("Bearer wrong") is None and authenticate("") is None


def test_a_device_is_located_and_may_get_its_own_key(admin_client, territory):
    response = admin_client.post("/admin/integrations/device/add/", {
        "device_id": "SMK-9", "kind": "smoke", "name": "烟感", "lon": "118.05", "lat": "24.85",
        "building": "", "component": "", "active": "on", "new_key": "on"}, follow=True)
    assert response.status_code == 200
    device = Device.objects.get(device_id="SMK-9")
    assert device.grid.code == "350583001001001"
    key = re.search(r"(wga_[A-Za-z0-9_\-]+)", response.content.decode()).group(1)
    assert authenticate(f"Bearer {key}") == device
    # a position outside the territory is refused
    response = admin_client.post("/admin/integrations/device/add/", {
        "device_id": "SMK-10", "kind": "smoke", "lon": "100", "lat": "30", "active": "on"})
    assert response.status_code == 200 and not Device.objects.filter(device_id="SMK-10")
