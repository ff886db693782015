"""POST /integrations/alarms/ over real HTTP: keys, payload errors, cases, repeats, clearing."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from django.utils import timezone

from wangge.cases.models import Case
from wangge.cases.tests.conftest import GRID
from wangge.integrations.models import Alarm, AlarmSlot

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


class Client:
    def __init__(self, live_server, key=None):
        self.url = live_server.url + "/integrations/alarms/"
        self.session = requests.Session()
        if key:
            self.session.headers["Authorization"] = f"Bearer {key}"

    def post(self, body, expect, raw=None):
        if raw is not None:
            response = self.session.post(self.url, data=raw, timeout=30,
                                         headers={"Content-Type": "application/json"})
        else:
            response = self.session.post(self.url, json=body, timeout=30)
        assert response.status_code == expect, (response.status_code, response.text[:500])
        assert response.headers["Content-Type"].startswith("application/json")
        return response.json()


def iso(moment) -> str:
    return timezone.localtime(moment).isoformat()


def test_keys_are_checked(live_server, iot):
    body = {"device_id": "SMK-001", "type": "smoke"}
    error = Client(live_server).post(body, 401)
    assert error["code"] == "unauthorized" and error["message"]
    assert Client(live_server, "wga_not-a-key").post(body, 401)["code"] == "unauthorized"
    response = requests.post(live_server.url + "/integrations/alarms/", json=body, timeout=30,
                             headers={"Authorization": "Basic abc"})
    assert response.status_code == 401 and response.headers["WWW-Authenticate"]
    # a device key speaks only for its own device
    error = Client(live_server, iot.camera_key).post(body, 403)
    assert error["code"] == "forbidden" and error["field"] == "device_id"
    # a platform key speaks only for the platform's devices
    error = Client(live_server, iot.other_key).post(body, 403)
    assert error["code"] == "forbidden"
    # a disabled platform is refused
    iot.platform.active = False
    iot.platform.save()
    assert Client(live_server, iot.platform_key).post(body, 403)["code"] == "forbidden"
    iot.platform.active = True
    iot.platform.save()
    # a disabled device too
    iot.smoke.active = False
    iot.smoke.save()
    assert Client(live_server, iot.platform_key).post(body, 403)["field"] == "device_id"
    # GET is not the way
    response = requests.get(live_server.url + "/integrations/alarms/", timeout=30)
    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"
    assert Alarm.objects.count() == 0 and Case.objects.count() == 0


@pytest.mark.parametrize(("body", "field", "code"), [
    ({"type": "smoke"}, "device_id", "missing_field"),
    ({"device_id": "SMK-001"}, "type", "missing_field"),
    ({"device_id": "SMK-001", "type": "smoke", "time": "yesterday"}, "time", "invalid_field"),
    ({"device_id": "SMK-001", "type": "smoke", "lon": 118.05}, "lat", "invalid_field"),
    ({"device_id": "SMK-001", "type": "smoke", "lon": 200, "lat": 24.8}, "lon", "invalid_field"),
    ({"device_id": "SMK-001", "type": "smoke", "lon": "x", "lat": 24.8}, "lon",
     "invalid_field"),
    ({"device_id": "SMK-001", "type": "smoke", "state": "on"}, "state", "invalid_field"),
    ({"device_id": "SMK-001", "type": "smoke", "picture_url": "ftp://x/y.jpg"}, "picture_url",
     "invalid_field"),
    ({"device_id": ["SMK-001"], "type": "smoke"}, "device_id", "invalid_field"),
    ({"device_id": "NOPE-1", "type": "smoke"}, "device_id", "unknown_device"),
])
def test_bad_payloads_name_the_field(live_server, iot, body, field, code):
    error = Client(live_server, iot.platform_key).post(body, 400)
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"]
    assert Alarm.objects.count() == 0


def test_bad_json(live_server, iot):
    client = Client(live_server, iot.platform_key)
    assert client.post(None, 400, raw=b"{not json")["code"] == "invalid_json"
    assert client.post(None, 400, raw=b"[1, 2]")["code"] == "invalid_json"


def test_an_alarm_becomes_a_case_at_the_device(live_server, iot):
    client = Client(live_server, iot.platform_key)
    when = timezone.now() - dt.timedelta(minutes=5)
    answer = client.post({"device_id": "SMK-001", "type": "smoke", "level": "2",
                          "time": iso(when), "picture_url": "https://cam.example/1.jpg"}, 201)
    assert answer["outcome"] == "opened" and answer["case_status"] == "reported"
    case = Case.objects.get(number=answer["case"])
    assert case.grid.code == GRID
    assert case.source == "iot"
    assert case.category.code == "0404"
    assert (case.lon, case.lat) == (iot.smoke.lon, iot.smoke.lat)
    assert "1号楼" in case.address and "https://cam.example/1.jpg" in case.description
    report = case.events.get(action="report")
    assert report.actor_id is None and "SMK-001" in report.actor_label
    alarm = Alarm.objects.get(pk=answer["alarm"])
    assert alarm.case == case and alarm.level == "2" and alarm.channel == "http"
    assert abs((alarm.occurred_at - when).total_seconds()) < 1
    assert alarm.raw["picture_url"] == "https://cam.example/1.jpg"
    # a camera (with its own key) reports as video recognition, at the point it sends
    camera = Client(live_server, iot.camera_key)
    answer = camera.post({"device_id": "CAM-001", "type": "garbage", "lon": 118.25,
                          "lat": 24.85}, 201)
    case = Case.objects.get(number=answer["case"])
    assert case.source == "video" and case.grid.code == "350583002001001"
    # an unmapped type is stored, and said so
    answer = client.post({"device_id": "SMK-001", "type": "tamper"}, 422)
    assert answer["outcome"] == "unmapped" and answer["case"] is None
    assert Alarm.objects.get(pk=answer["alarm"]).outcome == "unmapped"


def test_repeats_attach_within_the_window_only(live_server, iot):
    client = Client(live_server, iot.platform_key)
    start = timezone.now() - dt.timedelta(hours=3)
    first = client.post({"device_id": "SMK-001", "type": "smoke", "time": iso(start)}, 201)
    for minutes in (10, 25, 50):  # each within 30 minutes of the previous one
        repeat = client.post({"device_id": "SMK-001", "type": "smoke",
                              "time": iso(start + dt.timedelta(minutes=minutes))}, 200)
        assert (repeat["outcome"], repeat["case"]) == ("attached", first["case"])
    # another type of the same device is another case
    gas = client.post({"device_id": "SMK-001", "type": "gas", "time": iso(start)}, 201)
    assert gas["case"] != first["case"]
    # 31 minutes after the last repeat: a new case
    later = client.post({"device_id": "SMK-001", "type": "smoke",
                         "time": iso(start + dt.timedelta(minutes=81))}, 201)
    assert later["outcome"] == "opened" and later["case"] != first["case"]
    case = Case.objects.get(number=first["case"])
    assert case.events.filter(action="report").count() == 1
    assert Alarm.objects.filter(case=case).count() == 4
    assert Alarm.objects.count() == 6
    assert AlarmSlot.objects.get(device=iot.smoke, alarm_type="smoke").repeats == 0


def test_a_repeat_after_the_case_ended_opens_a_new_one(live_server, iot):
    from wangge.cases.services import void

    client = Client(live_server, iot.platform_key)
    first = client.post({"device_id": "SMK-001", "type": "smoke"}, 201)
    void(actor=iot.people["center"], case=first["case"], note="误报")
    again = client.post({"device_id": "SMK-001", "type": "smoke"}, 201)
    assert again["case"] != first["case"]


def test_cleared_voids_an_unaccepted_case_when_the_type_allows(live_server, iot):
    from wangge.accounts.models import User
    from wangge.cases.services import accept

    client = Client(live_server, iot.platform_key)
    opened = client.post({"device_id": "SMK-001", "type": "smoke"}, 201)
    cleared = client.post({"device_id": "SMK-001", "type": "smoke", "state": "cleared"}, 200)
    assert (cleared["outcome"], cleared["case"]) == ("voided", opened["case"])
    case = Case.objects.get(number=opened["case"])
    assert case.status == "voided"
    last = case.events.order_by("-id").first()
    assert last.action == "void" and last.note
    system = User.objects.get(username="system-iot")
    assert last.actor == system
    assert (system.role, system.jurisdiction.parent_id, system.is_active) == (
        "operator", None, False)
    assert not system.has_usable_password()
    # the next alarm is a new case; cleared with nothing open is stored and ignored
    again = client.post({"device_id": "SMK-001", "type": "smoke"}, 201)
    assert again["case"] != opened["case"]
    # once accepted, clearing does not void: the case stays, the holders are told
    accept(actor=iot.people["center"], case=again["case"])
    cleared = client.post({"device_id": "SMK-001", "type": "smoke", "state": "cleared"}, 200)
    assert cleared["outcome"] == "cleared"
    assert Case.objects.get(number=again["case"]).status == "to_dispatch"
    # a type without auto-close leaves the case as it is
    gas = client.post({"device_id": "SMK-001", "type": "gas"}, 201)
    cleared = client.post({"device_id": "SMK-001", "type": "gas", "state": "cleared"}, 200)
    assert cleared["outcome"] == "cleared"
    assert Case.objects.get(number=gas["case"]).status == "reported"
    nothing = Client(live_server, iot.camera_key).post(
        {"device_id": "CAM-001", "type": "garbage", "state": "cleared"}, 200)
    assert nothing["outcome"] == "ignored" and nothing["case"] is None
    assert Alarm.objects.count() == 7
