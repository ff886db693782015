"""Synthetic demo devices (wangge/integrations/synthetic.py) and the devices' stream URL:
sensors at organisations and buildings, cameras on components or at roads with a valid
stream URL, all inside their grids; ``wangge demo-data`` runs twice without duplicates."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from wangge.integrations import synthetic
from wangge.integrations.models import STREAM_URL_VALIDATOR, Device
from wangge.organisations.models import Organisation, OrganisationDevice
from wangge.territory.locate import locate
from wangge.things.models import Component


@pytest.fixture
def base(territory):
    from wangge.organisations.synthetic import create_organisations
    from wangge.places.models import Building
    from wangge.things.synthetic import create_components

    create_organisations(200, seed=3)
    create_components(600, seed=3)
    Building.objects.create(grid=territory["350583001001001"], name="新华路8号楼")
    return territory


def test_sensors_and_cameras_are_linked_and_inside_their_grids(base):
    made = synthetic.create_devices(300, 200, seed=3)
    assert made["sensors"] == 300 and made["cameras"] == 200 and made["existing"] == 0
    assert Device.objects.count() == 500
    for device in Device.objects.all():
        assert locate(device.lon, device.lat).grid_id == device.grid_id, device.device_id
    sensors = Device.objects.exclude(kind="camera")
    assert set(sensors.values_list("kind", flat=True)) == {"smoke", "gas", "heat", "power"}
    links = OrganisationDevice.objects.select_related("organisation", "device")
    assert made["linked"] == links.count() > 100
    for link in links:
        assert (link.device.lon, link.device.lat) == (link.organisation.lon,
                                                      link.organisation.lat)
        assert link.device.grid_id == link.organisation.grid_id
        assert link.device.name.startswith(link.organisation.name)
    in_buildings = sensors.filter(building__startswith="新华路8号楼")
    assert in_buildings.exists()
    assert all(d.grid.code == "350583001001001" for d in in_buildings)
    assert sensors.filter(device_id__regex=r"^(YG|RQ|WG|DQ)3505830\d{6}$").count() == 300
    cameras = Device.objects.filter(kind="camera")
    components = {c.code: c for c in Component.objects.all()}
    on_components = 0
    for camera in cameras:
        assert len(camera.device_id) == 20 and camera.device_id.isdigit()
        STREAM_URL_VALIDATOR(camera.stream_url)
        assert camera.stream_url.startswith(("rtsp://10.", "http://10."))
        if camera.component:
            on_components += 1
            component = components[camera.component]
            assert component.category.code in synthetic.CAMERA_COMPONENTS
            assert (camera.lon, camera.lat, camera.grid_id) == (component.lon, component.lat,
                                                                component.grid_id)
    assert 0 < on_components < 200
    again = synthetic.create_devices(300, 200, seed=3)
    assert again == {"sensors": 0, "cameras": 0, "linked": 0, "existing": 500}
    assert Device.objects.count() == 500 and OrganisationDevice.objects.count() == links.count()


def test_without_organisations_or_buildings_sensors_stand_in_a_grid(territory):
    made = synthetic.create_devices(30, 10, seed=1)
    assert made == {"sensors": 30, "cameras": 10, "linked": 0, "existing": 0}
    assert not Device.objects.exclude(kind="camera").exclude(building="").exists()
    assert not Device.objects.exclude(component="").exists()


@pytest.mark.parametrize(("url", "ok"), [
    ("rtsp://10.36.1.2:554/Streaming/Channels/101", True),
    ("rtsps://video.example.com/live/1", True),
    ("https://video.example.com/live/1.m3u8", True),
    ("ftp://video.example.com/1", False),
    ("javascript:alert(1)", False),
    ("rtsp:/10.0.0.1", False),
])
def test_the_stream_url_must_be_rtsp_or_http(territory, url, ok):
    device = Device(device_id="CAM-1", kind="camera", grid=territory["350583001001001"],
                    stream_url=url)
    if ok:
        device.full_clean()
    else:
        with pytest.raises(ValidationError) as info:
            device.full_clean()
        assert "stream_url" in info.value.message_dict


def test_the_component_page_shows_its_cameras_stream(client, users):
    from wangge.things import services

    component = services.save_component(None, code="3505835602000001", name="治安监控杆",
                                        lon=118.05, lat=24.85)
    Device.objects.create(device_id="35058300001320000001", kind="camera", name="路口球机",
                          lon=118.05, lat=24.85, component=component.code,
                          stream_url="rtsp://10.36.1.2:554/Streaming/Channels/101")
    client.force_login(users["district"])
    page = client.get(f"/things/{component.code}/")
    assert page.status_code == 200
    assert "rtsp://10.36.1.2:554/Streaming/Channels/101" in page.content.decode()


def test_demo_data_command_counts_and_reruns(territory):
    out = io.StringIO()
    options = {"people": 0, "houses": 0, "organisations": 80, "components": 150,
               "devices": 60, "cameras": 20, "stdout": out}
    call_command("demo_data", **options)
    assert Organisation.objects.count() == 80
    assert Component.objects.count() == 150
    assert Device.objects.filter(kind="camera").count() == 20
    assert Device.objects.exclude(kind="camera").count() == 40
    call_command("demo_data", **options)
    text = out.getvalue()
    assert "0 new organisations (80 there already)" in text
    assert "0 new city components (150 there already)" in text
    assert "0 new cameras (60 there already)" in text
    assert Organisation.objects.count() == 80 and Device.objects.count() == 60


def test_more_cameras_than_devices_is_refused(territory):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="more than --devices"):
        call_command("demo_data", people=0, houses=0, organisations=0, components=0,
                     devices=5, cameras=10, stdout=io.StringIO())
    assert not Device.objects.exists()
