"""Issue #11, leak 2: client_ref replay, tried over real HTTP.

A report's ``client_ref`` makes a resend find the case it already made (offline queues). Sending
someone else's ref returned their case in full, with its tracking token; Open311 refs were an
unkeyed hash of the client and its Idempotency-Key, so a hotline ticket number was enough. Now a
ref is bound to its sender (user, Open311 client, resident's browser) with a keyed hash, and a
replay answers no more than the case number to someone who cannot be told apart.
"""

from __future__ import annotations

import hashlib
import re

import pytest
import requests
from django.core.cache import cache

from wangge.accounts.choices import Role
from wangge.cases.choices import Source
from wangge.cases.models import Case
from wangge.cases.tests.conftest import GRID_POINT, OTHER_GRID_POINT, Api

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

LON, LAT = GRID_POINT
SECRET_TEXT = "溪美滨江路8号502室门口堆满垃圾"


@pytest.fixture(autouse=True)
def _clean_limits():
    cache.clear()  # the portal's rate limits live in the cache, shared with the live server
    yield
    cache.clear()


@pytest.fixture
def liucheng_worker(territory, make_user):
    return make_user("lcgw", Role.GRID_WORKER, territory["350583002001"],
                     display_name="柳城网格员")


def _leaks(body: dict, case: Case) -> list[str]:
    text = str(body)
    return [secret for secret in (case.number, case.tracking_token, SECRET_TEXT,
                                  case.reporter_name) if secret and secret in text]


def test_a_worker_of_another_street_cannot_replay_a_ximei_workers_ref(live_server, people,
                                                                     liucheng_worker):
    ximei = Api(live_server.url, people["gw"])
    mine = ximei.report(category="0101", description=SECRET_TEXT, lon=LON, lat=LAT,
                        source="patrol", client_ref="5b1e0c8e-17aa-4c6e-9a51-0a3c1d2e3f40")
    case = Case.objects.get(number=mine["number"])
    # the 溪美 worker's own resend is the same case (the offline queue's guarantee)
    again = ximei.report(category="0101", description=SECRET_TEXT, lon=LON, lat=LAT,
                         source="patrol", client_ref="5b1e0c8e-17aa-4c6e-9a51-0a3c1d2e3f40")
    assert again["number"] == case.number and Case.objects.count() == 1

    # the 柳城 worker sends the same ref with a report of his own: it is his own new case
    other = Api(live_server.url, liucheng_worker)
    body = other.report(category="0105", description="柳城垃圾桶满溢", lon=OTHER_GRID_POINT[0],
                        lat=OTHER_GRID_POINT[1], source="patrol",
                        client_ref="5b1e0c8e-17aa-4c6e-9a51-0a3c1d2e3f40")
    assert _leaks(body, case) == []
    assert body["description"] == "柳城垃圾桶满溢" and body["grid_code"].startswith("350583002")
    assert Case.objects.get(number=body["number"]).reporter == liucheng_worker
    # sending it again now finds his own case, still never the 溪美 one
    replay = other.report(category="0101", description="x", lon=LON, lat=LAT,
                          source="patrol", client_ref="5b1e0c8e-17aa-4c6e-9a51-0a3c1d2e3f40")
    assert replay["number"] == body["number"] and _leaks(replay, case) == []
    assert Case.objects.count() == 2
    # nothing in the database holds the ref itself
    assert not Case.objects.filter(client_ref__contains="5b1e0c8e").exists()


def test_an_anonymous_replay_gets_no_token_and_no_details(live_server, people):
    reporter = Api(live_server.url)
    first = reporter.report(category="0101", description=SECRET_TEXT, lon=LON, lat=LAT,
                            source="resident", reporter_name="张女士",
                            reporter_phone="13812345678", client_ref="offline-0001")
    assert first["tracking_token"]
    case = Case.objects.get(number=first["number"])

    attacker = Api(live_server.url)  # another resident, no login: no way to tell them apart
    replay = attacker.report(expect=200, category="0101", description="随便写点",
                             lon=LON, lat=LAT, source="resident", client_ref="offline-0001")
    assert replay["number"] == case.number and replay["replayed"] is True
    assert set(replay) == {"number", "replayed", "message"}
    for secret in (case.tracking_token, SECRET_TEXT, "张女士", "13812345678"):
        assert secret not in str(replay)
    assert Case.objects.count() == 1
    # a logged-in worker sending a resident's ref makes his own case, and sees nothing of it
    worker = Api(live_server.url, people["gw"])
    own = worker.report(category="0101", description="巡查", lon=LON, lat=LAT,
                        source="patrol", client_ref="offline-0001")
    assert own["number"] != case.number and case.tracking_token not in str(own)


def test_an_open311_key_belongs_to_its_client(live_server, people):
    from wangge.open311.models import ApiClient
    from wangge.open311.services import issue_key

    _, hotline = issue_key(name="12345热线", source=Source.HOTLINE)
    _, app = issue_key(name="小程序", source=Source.RESIDENT)
    base = live_server.url + "/open311/v2/requests.json"
    ticket = "RX20260301-000123"  # a hotline ticket number: easy to learn or guess
    fields = {"service_code": "0101", "lat": str(LAT), "long": str(LON),
              "description": SECRET_TEXT, "first_name": "女士", "last_name": "张",
              "phone": "13812345678"}
    made = requests.post(base, data={**fields, "api_key": hotline}, timeout=30,
                         headers={"Idempotency-Key": ticket})
    assert made.status_code == 201
    case = Case.objects.get(number=made.json()[0]["service_request_id"])
    again = requests.post(base, data={**fields, "api_key": hotline}, timeout=30,
                          headers={"Idempotency-Key": ticket})
    assert again.status_code == 200 and again.json()[0]["service_request_id"] == case.number

    # another client with the same key: a request of its own, not the hotline's
    other = requests.post(base, timeout=30, headers={"Idempotency-Key": ticket},
                          data={**fields, "api_key": app, "description": "小程序上报"})
    assert other.status_code == 201
    assert _leaks(other.json()[0], case) == []
    # the old unkeyed form of the hotline's ref, and the ticket itself, sent as an anonymous
    # API client_ref: never the hotline's case
    client = ApiClient.objects.get(name="12345热线")
    unkeyed = "o311:" + hashlib.sha256(f"{client.pk}:{ticket}".encode()).hexdigest()[:40]
    resident = Api(live_server.url)
    for ref in (unkeyed, ticket):
        body = resident.report(category="0105", description="居民上报", lon=LON, lat=LAT,
                               source="resident", client_ref=ref)
        assert _leaks(body, case) == []
    assert Case.objects.count() == 4


def _portal_form(session: requests.Session, base: str) -> tuple[str, str]:
    page = session.get(base + "/public/report/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    ref = re.search(r'name="client_ref" value="([0-9a-f]{32})"', page.text).group(1)
    return token, ref


def _portal_post(session, base, token, ref, description):
    return session.post(base + "/public/report/", timeout=30, allow_redirects=False, data={
        "csrfmiddlewaretoken": token, "client_ref": ref, "category": "0101",
        "description": description, "lon": str(LON), "lat": str(LAT), "crs": "wgs84",
        "address": "", "name": "", "phone": "", "website": ""},
        headers={"Referer": base + "/public/report/"})


def test_a_portal_form_ref_belongs_to_its_browser(live_server, territory):
    base = live_server.url
    victim = requests.Session()
    token, ref = _portal_form(victim, base)
    sent = _portal_post(victim, base, token, ref, SECRET_TEXT)
    assert sent.status_code == 302
    case = Case.objects.get()
    assert sent.headers["Location"].endswith(f"/public/report/done/{case.tracking_token}/")
    # sent twice from the same browser (a lost answer): the same case and its link
    again = _portal_post(victim, base, token, ref, SECRET_TEXT)
    assert again.status_code == 302 and again.headers["Location"] == sent.headers["Location"]
    assert Case.objects.count() == 1

    # another browser with the victim's ref: a report of its own, never the victim's link
    attacker = requests.Session()
    other_token, _ = _portal_form(attacker, base)
    stolen = _portal_post(attacker, base, other_token, ref, "另一个问题")
    assert stolen.status_code == 302
    assert case.tracking_token not in stolen.headers["Location"]
    assert Case.objects.count() == 2
