"""The app's pages and JSON endpoints: login, own data only, counts, verification."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from wangge.cases import services
from wangge.cases.choices import Source, Status
from wangge.gridapp.tests.conftest import GRID_POINT, OTHER_GRID_POINT, png_bytes

pytestmark = pytest.mark.django_db


def photo(name="p.png"):
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def report(actor, point=GRID_POINT, category="0101", **extra):
    return services.report(actor=actor, category=category, description="垃圾堆在路边",
                           source=Source.PATROL, lon=point[0], lat=point[1], **extra)


def to_verify(people, reporter, dispatcher, point=GRID_POINT):
    case = report(reporter, point)
    services.accept(actor=dispatcher, case=case)
    services.dispatch(actor=dispatcher, case=case, department="chengguan-350583")
    services.sign(actor=people["cg"], case=case)
    services.feedback(actor=people["cg"], case=case, note="已清理", photos=[photo()])
    case.refresh_from_db()
    assert case.status == Status.TO_VERIFY
    return case


@pytest.fixture
def gw_client(client, people):
    client.force_login(people["gw"])
    return client


@pytest.mark.parametrize("path", ["/m/", "/m/report/", "/m/tasks/", "/m/patrol/",
                                  "/m/verify/2026010100001/", "/m/handle/2026010100001/"])
def test_pages_need_a_login(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path}"


@pytest.mark.parametrize("method, path", [("get", "/m/api/patrols"), ("post", "/m/api/patrols"),
                                          ("get", "/m/api/patrols/1"),
                                          ("post", "/m/api/patrols/1/points"),
                                          ("get", "/m/api/session")])
def test_endpoints_answer_401_without_login(client, db, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_home_lists_only_my_tasks_and_grids(gw_client, people):
    mine = to_verify(people, people["gw"], people["comm"])
    elsewhere = to_verify(people, people["comm2"], people["comm2"], OTHER_GRID_POINT)
    for_me = report(people["gw2"])
    services.accept(actor=people["comm"], case=for_me)
    services.dispatch(actor=people["comm"], case=for_me, user="gw")
    for_gw2 = report(people["gw"])
    services.accept(actor=people["comm"], case=for_gw2)
    services.dispatch(actor=people["comm"], case=for_gw2, user="gw2")

    response = gw_client.get("/m/")
    assert response.status_code == 200
    verify_numbers = [c.number for c in response.context["to_verify"]]
    held_numbers = [c.number for c in response.context["held"]]
    assert verify_numbers == [mine.number]
    assert elsewhere.number not in verify_numbers
    assert held_numbers == [for_me.number]
    body = response.content.decode()
    assert f"/m/verify/{mine.number}/" in body
    assert f"/m/handle/{for_me.number}/" in body
    assert for_gw2.number not in body and elsewhere.number not in body
    assert "350583001001001" in body  # my grid
    assert 'rel="manifest"' in body


def test_todays_counts(gw_client, people):
    report(people["gw"])
    report(people["gw"], self_handled=True, resolution="当场清理", result_photos=[photo()])
    report(people["gw2"])  # someone else's
    case = to_verify(people, people["gw2"], people["comm"])
    services.verify(actor=people["gw"], case=case, passed=True)
    counts = gw_client.get("/m/").context["counts"]
    # the to_verify helper's report is gw2's; gw reported two today, one handled on the spot
    assert counts == {"reported": 2, "self_handled": 1, "verified": 1}


def test_empty_home_says_what_to_do(gw_client):
    body = gw_client.get("/m/").content.decode()
    assert "empty-note" in body


def test_report_page_puts_my_usual_categories_first(gw_client, people):
    for _ in range(3):
        report(people["gw"], category="0105")
    report(people["gw"], category="0103")
    response = gw_client.get("/m/report/")
    assert response.context["usual"][:2] == ["0105", "0103"]
    body = response.content.decode()
    assert body.index('value="0105"') < body.index('value="0101"')
    assert 'capture="environment"' in body


def test_verify_pass_with_a_photo(gw_client, people):
    case = to_verify(people, people["gw"], people["comm"])
    page = gw_client.get(f"/m/verify/{case.number}/")
    assert page.status_code == 200 and page.context["can_verify"]
    assert "已清理" in page.content.decode()  # the department's result
    response = gw_client.post(f"/m/verify/{case.number}/", {
        "decision": "pass", "note": "现场已清理", "version": case.version,
        "photos": io.BytesIO(png_bytes())})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.TO_CLOSE
    assert case.attachments.filter(event__action="verify_pass").count() == 1


def test_verify_fail_without_reason_shows_the_services_message(gw_client, people):
    case = to_verify(people, people["gw"], people["comm"])
    response = gw_client.post(f"/m/verify/{case.number}/", {"decision": "fail", "note": ""})
    assert response.status_code == 200
    assert response.context["error"]
    assert 'role="alert"' in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.TO_VERIFY
    response = gw_client.post(f"/m/verify/{case.number}/", {"decision": "fail",
                                                            "note": "垃圾还在"})
    case.refresh_from_db()
    assert case.status == Status.TO_DISPATCH and case.rework_count == 1


def test_a_case_outside_my_jurisdiction_is_404(gw_client, people):
    case = to_verify(people, people["comm2"], people["comm2"], OTHER_GRID_POINT)
    assert gw_client.get(f"/m/verify/{case.number}/").status_code == 404


def test_sign_and_feedback_a_case_dispatched_to_me(gw_client, people):
    case = report(people["gw2"])
    services.accept(actor=people["comm"], case=case)
    services.dispatch(actor=people["comm"], case=case, user="gw")
    assert gw_client.get(f"/m/handle/{case.number}/").context["can_sign"]
    gw_client.post(f"/m/handle/{case.number}/", {"action": "sign"})
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS
    gw_client.post(f"/m/handle/{case.number}/", {"action": "feedback", "note": "已劝导清理",
                                                 "photos": io.BytesIO(png_bytes())})
    case.refresh_from_db()
    assert case.status == Status.TO_VERIFY


def test_patrol_endpoints(gw_client, client, people):
    started = gw_client.post("/m/api/patrols")
    assert started.status_code == 201
    patrol_id = started.json()["id"]
    again = gw_client.post("/m/api/patrols")
    assert again.status_code == 409 and again.json()["message"]
    now = int(timezone.now().timestamp() * 1000)
    points = [[118.05, 24.85, now - 20_000], [118.05, 24.851, now - 10_000]]
    answer = gw_client.post(f"/m/api/patrols/{patrol_id}/points",
                            json.dumps({"points": points}), content_type="application/json")
    assert answer.status_code == 200 and answer.json()["added"] == 2
    bad = gw_client.post(f"/m/api/patrols/{patrol_id}/points",
                         json.dumps({"points": [[999, 24.85, now]]}),
                         content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_point"
    stopped = gw_client.post(f"/m/api/patrols/{patrol_id}/stop", "{}",
                             content_type="application/json")
    assert stopped.status_code == 200
    assert stopped.json()["distance_m"] == pytest.approx(111.2, abs=0.5)
    twice = gw_client.post(f"/m/api/patrols/{patrol_id}/stop", "{}",
                           content_type="application/json")
    assert twice.status_code == 409
    # another worker cannot see or change it
    client.force_login(people["gw2"])
    assert client.get(f"/m/api/patrols/{patrol_id}").status_code == 404
    assert client.get("/m/api/patrols").json()["results"] == []


def test_patrol_endpoints_need_the_csrf_token(people):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(people["gw"])
    assert strict.post("/m/api/patrols").status_code == 403


def test_patrol_page_shows_running_patrol(gw_client, people):
    from wangge.gridapp.services import start_patrol

    start_patrol(user=people["gw"])
    response = gw_client.get("/m/patrol/")
    assert response.context["running"]["running"] is True
    assert response.context["grids"]["features"]


def test_service_worker_and_manifest(client, db):
    sw = client.get("/m/sw.js")
    assert sw.status_code == 200
    assert sw["Content-Type"].startswith("application/javascript")
    assert sw["Service-Worker-Allowed"] == "/m/"
    assert "/static/wangge/gridapp/outbox.js" in sw.content.decode()
    manifest = client.get("/m/manifest.webmanifest")
    data = manifest.json()
    assert manifest["Content-Type"] == "application/manifest+json"
    assert data["start_url"] == "/m/" and data["display"] == "standalone"
    assert {i["sizes"] for i in data["icons"]} >= {"192x192", "512x512"}
