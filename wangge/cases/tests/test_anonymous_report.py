"""Issue #11, leak 4: anonymous ``POST /api/v1/cases``, tried over real HTTP.

It was unthrottled and took ten 9 MB photos, 2 MB descriptions, ``urgency=critical`` (routed to
the district center) and any category. Without login it now has exactly the resident portal's
protections: its rate limits per address (429 with Retry-After), its honeypot, at most three
photos within the upload limit, its length limits, its type list, and no urgency, source or
on-the-spot handling chosen by the caller (422 naming the field).
"""

from __future__ import annotations

import io

import pytest
import requests
from django.core.cache import cache

from wangge.cases.models import Case
from wangge.cases.tests.conftest import GRID_POINT, Api, png_bytes

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

LON, LAT = GRID_POINT


@pytest.fixture(autouse=True)
def _clean_limits():
    cache.clear()  # the rate limits live in the cache, shared with the live server thread
    yield
    cache.clear()


def fields(**extra) -> dict:
    data = {"category": "0101", "description": "小区门口垃圾堆积", "lon": LON, "lat": LAT,
            "source": "resident"}
    data.update(extra)
    return data


def post(base, files=None, **data):
    return requests.post(base + "/api/v1/cases", data=data, files=files, timeout=60,
                         headers={"Accept-Language": "en"})


def refused(response, status, field=None) -> dict:
    assert response.status_code == status, (response.status_code, response.text[:400])
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] and body["message"]
    if field is not None:
        assert field in body["errors"], body
        assert body["message"].startswith(field)
    return body


def photos(count, size=None):
    data = png_bytes() if size is None else png_bytes() + b"\0" * (size - len(png_bytes()))
    return [("photos", (f"p{i}.png", io.BytesIO(data), "image/png")) for i in range(count)]


def test_reports_are_limited_per_address_like_the_portal(live_server, people):
    base = live_server.url
    for i in range(5):  # the portal's "report" limit: 5 reports in 10 minutes
        assert post(base, **fields(description=f"第{i}处垃圾")).status_code == 201
    sixth = post(base, **fields(description="第六处"))
    body = refused(sixth, 429)
    assert body["code"] == "rate_limited"
    assert 1 <= int(sixth.headers["Retry-After"]) <= 600
    assert Case.objects.count() == 5
    # staff are not limited by it
    worker = Api(base, people["gw"])
    worker.report(category="0101", description="巡查", lon=LON, lat=LAT, source="patrol")

    # and any submission counts ("report_post": 20 in 10 minutes), valid or not
    cache.clear()
    for _ in range(20):
        refused(post(base, **fields(category="9999")), 422, "category")
    refused(post(base, **fields()), 429)


def test_the_honeypot_is_refused_and_counted(live_server, people):
    body = refused(post(live_server.url, **fields(website="http://spam.example")), 422,
                   "website")
    assert "robot" in body["errors"]["website"][0]
    assert Case.objects.count() == 0


def test_at_most_three_photos_within_the_upload_limit(live_server, people, settings):
    base = live_server.url
    ok = post(base, files=photos(3), **fields())
    assert ok.status_code == 201 and len(ok.json()["attachments"]) == 3
    refused(post(base, files=photos(4), **fields()), 422, "photos")
    not_a_photo = [("photos", ("a.pdf", io.BytesIO(b"%PDF-1.4 x"), "application/pdf"))]
    refused(post(base, files=not_a_photo, **fields()), 422, "photos")
    settings.WANGGE = {**settings.WANGGE, "MAX_UPLOAD_BYTES": 1024 * 1024}
    body = refused(post(base, files=photos(1, size=1536 * 1024), **fields()), 422, "photos")
    assert "1.5 MB" in body["message"]
    # ten big photos are refused before they are read: 413
    cache.clear()
    body = refused(post(base, files=photos(10, size=900 * 1024), **fields()), 413)
    assert body["code"] == "too_large"
    assert Case.objects.count() == 1


def test_length_limits_of_the_portal(live_server, people):
    base = live_server.url
    refused(post(base, **fields(description="垃" * 2000)), 422, "description")
    refused(post(base, **fields(description="a" * 2 * 1024 * 1024)), 422, "description")
    refused(post(base, **fields(reporter_name="王" * 51)), 422, "reporter_name")
    refused(post(base, **fields(address="路" * 201)), 422, "address")
    refused(post(base, **fields(reporter_phone="12345")), 422, "reporter_phone")
    # more than Django reads into memory: still a JSON 4xx, not an HTML page or a 500
    cache.clear()
    body = refused(post(base, **fields(description="a" * 3 * 1024 * 1024)), 413)
    assert body["code"] == "too_large"
    assert Case.objects.count() == 0


def test_only_the_portals_types(live_server, people):
    base = live_server.url
    for code in ("0404", "1805", "1210", "01"):  # 火灾 (call 119), managed groups, base data
        refused(post(base, **fields(category=code)), 422, "category")
    assert post(base, **fields(category="5105")).status_code == 201  # 路灯不亮


def test_no_urgency_source_or_handling_from_an_anonymous_caller(live_server, people):
    base = live_server.url
    body = refused(post(base, **fields(urgency="critical")), 422, "urgency")
    assert "urgency" in body["message"]
    refused(post(base, **fields(source="hotline")), 422, "source")
    refused(post(base, **fields(source="patrol")), 422, "source")
    refused(post(base, **fields(self_handled="true", resolution="已处理")), 422, "self_handled")
    result = [("result_photos", ("r.png", io.BytesIO(png_bytes()), "image/png"))]
    refused(post(base, files=result, **fields()), 422, "result_photos")
    assert Case.objects.count() == 0
    # without those fields, it is a resident's report at the category's own tier
    made = post(base, **{k: v for k, v in fields().items() if k != "source"})
    assert made.status_code == 201
    case = Case.objects.get()
    assert (case.source, case.urgency, case.tier) == ("resident", "normal", "community")
    assert made.json()["tracking_token"] == case.tracking_token
