"""The resident portal through Django's test client: reporting, tracking, rating and abuse."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from wangge.cases import services
from wangge.cases.choices import Satisfaction, Source, Status
from wangge.cases.models import Case
from wangge.portal.tests.conftest import GRID, photo, png_bytes, report_data

pytestmark = pytest.mark.django_db


def post_report(client, files=(), remote="127.0.0.1", **extra):
    data = report_data(**extra)
    if files:
        data["photos"] = list(files)
    return client.post(reverse("portal:report"), data, REMOTE_ADDR=remote)


def report_case(client, **extra) -> Case:
    response = post_report(client, **extra)
    assert response.status_code == 302, response.content.decode()[:2000]
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    return Case.objects.get(tracking_token=token)


def text_of(response) -> str:
    return response.content.decode()


# --- reporting ----------------------------------------------------------------------------------


def test_the_landing_page_needs_no_login_and_shows_no_staff_navigation(client, territory):
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    page = text_of(response)
    assert "Report a problem" in page and "Follow your report" in page
    assert reverse("cases:list") not in page  # no staff navigation
    assert 'href="/login/"' in page  # the small staff link in the footer


def test_a_resident_reports_without_logging_in(client, territory):
    response = post_report(client, files=[photo()], phone="138 1234 5678", name="张女士")
    assert response.status_code == 302
    case = Case.objects.get()
    assert response["Location"] == reverse("portal:done", args=[case.tracking_token])
    assert case.source == Source.RESIDENT
    assert case.status == Status.REPORTED
    assert case.grid.code == GRID
    assert case.reporter is None
    assert (case.reporter_name, case.reporter_phone) == ("张女士", "13812345678")
    assert len(case.client_ref) in (0, 64)  # bound to the browser with a keyed hash
    assert case.attachments.count() == 1
    done = client.get(response["Location"])
    assert done.status_code == 200
    page = text_of(done)
    assert case.number in page
    assert "Save this link" in page
    assert f"/public/track/{case.tracking_token}/" in page
    assert done["Referrer-Policy"] == "same-origin"
    assert "no-store" in done["Cache-Control"]


def test_the_same_form_sent_twice_makes_one_case(client, territory):
    client.get(reverse("portal:report"))  # the form sets the browser's CSRF cookie
    ref = "0123456789abcdef0123456789abcdef"
    first = report_case(client, client_ref=ref)
    second = report_case(client, client_ref=ref)
    assert first.pk == second.pk
    assert Case.objects.count() == 1
    assert ref not in first.client_ref


def test_a_form_ref_of_another_browser_is_another_report(territory):
    from django.test import Client

    ref = "0123456789abcdef0123456789abcdef"
    mine, theirs = Client(), Client()
    mine.get(reverse("portal:report"))
    theirs.get(reverse("portal:report"))
    first = report_case(mine, client_ref=ref)
    second = report_case(theirs, client_ref=ref)
    assert first.pk != second.pk
    assert Case.objects.count() == 2


def test_a_resend_from_a_browser_without_cookie_does_not_get_the_link(client, territory):
    ref = "0123456789abcdef0123456789abcdef"
    first = report_case(client, client_ref=ref)  # Django's test client: no CSRF cookie sent
    again = post_report(client, client_ref=ref)
    assert again.status_code == 200
    assert first.tracking_token not in text_of(again)
    assert "Report received" in text_of(again)
    assert Case.objects.count() == 1


def test_a_point_outside_the_jurisdiction_is_refused_and_nothing_is_made(client, territory):
    response = post_report(client, files=[photo()], lon="117.5", lat="24.85")
    assert response.status_code == 400
    assert "outside the area we serve" in text_of(response)
    assert Case.objects.count() == 0


def test_no_location_says_what_to_do(client, territory):
    response = post_report(client, lon="", lat="")
    assert response.status_code == 400
    assert "Tell us where the problem is" in text_of(response)
    assert Case.objects.count() == 0


@pytest.mark.parametrize("phone", ["12345", "12812345678", "1381234567x", "138123456789"])
def test_a_bad_phone_number_is_refused(client, territory, phone):
    response = post_report(client, phone=phone)
    assert response.status_code == 400
    assert "11-digit mainland mobile number" in text_of(response)
    assert Case.objects.count() == 0


def test_a_fake_image_is_refused(client, territory):
    fake = photo("evil.png", b"<script>alert(1)</script>" * 10)
    response = post_report(client, files=[fake])
    assert response.status_code == 400
    assert "is not a JPEG, PNG" in text_of(response)
    assert Case.objects.count() == 0


def test_a_pdf_is_not_a_photo(client, territory):
    response = post_report(client, files=[photo("doc.pdf", b"%PDF-1.4 hello")])
    assert response.status_code == 400
    assert "is not a photo" in text_of(response)
    assert Case.objects.count() == 0


def test_more_than_three_photos_are_refused(client, territory):
    response = post_report(client, files=[photo(f"p{i}.png") for i in range(4)])
    assert response.status_code == 400
    assert "at most 3 photos" in text_of(response)
    assert Case.objects.count() == 0


def test_only_resident_types_can_be_chosen(client, territory):
    page = text_of(client.get(reverse("portal:report")))
    assert 'value="0101"' in page  # 暴露垃圾
    assert 'value="1210"' not in page  # 出租房屋未登记: the grid workers' own work
    response = post_report(client, category="1210")
    assert response.status_code == 400
    assert Case.objects.count() == 0


def test_the_sixth_report_in_ten_minutes_gets_429(client, territory):
    for i in range(5):
        report_case(client, description=f"问题{i}")
    response = post_report(client, description="第六个")
    assert response.status_code == 429
    assert "Please wait a moment" in text_of(response)
    assert int(response["Retry-After"]) > 0
    assert Case.objects.count() == 5
    # another client is not affected
    assert post_report(client, remote="10.0.0.9").status_code == 302


def test_the_honeypot_is_refused_silently(client, territory):
    response = post_report(client, website="http://spam.example")
    assert response.status_code == 200
    assert "Report received" in text_of(response)
    assert Case.objects.count() == 0


def test_the_form_needs_the_csrf_token(territory):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("portal:report"), report_data())
    assert response.status_code == 403
    assert Case.objects.count() == 0


def test_a_building_qr_code_fills_in_the_place(client, territory):
    page = text_of(client.get(reverse("portal:report"),
                              {"lon": "118.05", "lat": "24.85", "address": "溪美1号楼"}))
    assert "1社区1网格" in page and 'value="溪美1号楼"' in page
    assert "Filled in from the code on the building" in page
    page = text_of(client.get(reverse("portal:report"), {"grid": GRID, "address": "2号楼"}))
    assert "1社区1网格" in page and f'value="{GRID}"' in page
    case = report_case(client, lon="", lat="", grid=GRID, address="2号楼")
    assert case.grid.code == GRID and case.lon is None
    page = text_of(client.get(reverse("portal:report"), {"grid": "999"}))
    assert "building code is not valid" in page


def test_locate_and_grid_outlines(client, territory):
    inside = client.get(reverse("portal:locate"), {"lon": "118.05", "lat": "24.85"}).json()
    assert inside["inside"] is True and "1社区1网格" in inside["text"]
    outside = client.get(reverse("portal:locate"), {"lon": "117.0", "lat": "24.85"}).json()
    assert outside["inside"] is False and "outside the area" in outside["text"]
    response = client.get(reverse("portal:grids"))
    assert response.status_code == 200
    import json

    data = json.loads(response.content)
    assert len(data["features"]) == 8
    assert set(data["features"][0]["properties"]) == {"code", "name", "area"}


# --- tracking -------------------------------------------------------------------------------


def _handle(case, people, note_prefix="内部备注"):
    services.accept(actor=people["comm"], case=case, note=f"{note_prefix}：符合立案条件")
    services.dispatch(actor=people["comm"], case=case,
                      department=people["departments"]["chengguan-350583"],
                      note=f"{note_prefix}：请城管尽快处理，联系人王五13900001111")
    services.sign(actor=people["cg"], case=case)
    services.feedback(actor=people["cg"], case=case, note=f"{note_prefix}：已清运，找了李四",
                      photos=[SimpleUploadedFile("after.png", png_bytes(), "image/png")])


def test_tracking_shows_public_steps_and_no_staff_names_or_notes(client, people):
    case = report_case(client, phone="13812345678", name="张女士", files=[photo()])
    track = reverse("portal:track", args=[case.tracking_token])
    page = text_of(client.get(track))
    assert 'data-status="received"' in page
    _handle(case, people)
    response = client.get(track)
    assert response.status_code == 200
    assert response["Referrer-Policy"] == "same-origin"
    page = text_of(response)
    assert 'data-status="handled"' in page
    for step in ("Report received", "Case accepted", "Dispatched to 南安城市管理局",
                 "Being handled", "Handled, awaiting on-site check"):
        assert step in page, step
    for secret in ("社区受理员", "城管处置员", "网格员", "内部备注", "王五", "13900001111", "李四",
                   "comm", "Result photos"):
        assert secret not in page, secret
    # the result photo is not shown, nor served, before the case is closed
    after = case.attachments.get(kind="after")
    photo_url = reverse("portal:photo", args=[case.tracking_token, after.pk])
    assert client.get(photo_url).status_code == 404
    own = case.attachments.get(kind="before")
    assert client.get(reverse("portal:photo", args=[case.tracking_token, own.pk])).status_code \
        == 200
    services.verify(actor=people["gw"], case=case, passed=True, note="内部备注：复核")
    services.close(actor=people["comm"], case=case)
    page = text_of(client.get(track))
    assert 'data-status="closed"' in page and "Handled and closed" in page
    assert "Result photos" in page and photo_url in page
    assert client.get(photo_url).status_code == 200
    assert "内部备注" not in page and "网格员小陈" not in page
    # a photo of another case cannot be opened with this link
    other = report_case(client, files=[photo()], description="另一个问题")
    foreign = other.attachments.get()
    assert client.get(reverse("portal:photo", args=[case.tracking_token, foreign.pk])) \
        .status_code == 404


def test_an_unknown_token_says_what_to_do(client, territory):
    response = client.get(reverse("portal:track", args=["x" * 24]))
    assert response.status_code == 404
    assert "Look up by case number" in text_of(response)


def test_lookup_by_number_needs_the_right_phone_digits(client, territory):
    case = report_case(client, phone="13812345678")
    lookup = reverse("portal:lookup")
    good = client.post(lookup, {"number": case.number, "digits": "5678"})
    assert good.status_code == 302
    assert good["Location"] == reverse("portal:track", args=[case.tracking_token])
    wrong = client.post(lookup, {"number": case.number, "digits": "1234"})
    unknown = client.post(lookup, {"number": "2099010199999", "digits": "5678"})
    assert wrong.status_code == unknown.status_code == 400
    assert "No case matches this number and these digits" in text_of(wrong)

    def error(response):
        page = text_of(response)
        return page[page.index('id="lookup-error"'):].split("</div>")[0]

    assert error(wrong) == error(unknown)
    assert case.tracking_token not in text_of(wrong)


def test_a_case_without_phone_cannot_be_looked_up_by_number(client, territory):
    case = report_case(client)
    response = client.post(reverse("portal:lookup"), {"number": case.number, "digits": "0000"})
    assert response.status_code == 400


def test_guessing_the_digits_of_one_number_is_stopped(client, territory):
    case = report_case(client, phone="13812345678")
    lookup = reverse("portal:lookup")
    for guess in range(10):
        client.post(lookup, {"number": case.number, "digits": f"{guess:04d}"},
                    REMOTE_ADDR=f"10.1.0.{guess}")
    # even the right digits, from yet another address, wait now
    response = client.post(lookup, {"number": case.number, "digits": "5678"},
                           REMOTE_ADDR="10.2.0.1")
    assert response.status_code == 400
    assert "Too many wrong tries" in text_of(response)


def test_lookups_are_rate_limited(client, territory):
    for _i in range(60):
        client.post(reverse("portal:lookup"), {"number": "2026010100001", "digits": "1234"},
                    REMOTE_ADDR="10.3.0.1")
    response = client.post(reverse("portal:lookup"), {"number": "2026010100001",
                                                      "digits": "1234"}, REMOTE_ADDR="10.3.0.1")
    assert response.status_code == 429


def test_rating_after_closure_works_once(client, people):
    case = report_case(client, phone="13812345678")
    rate = reverse("portal:rate", args=[case.tracking_token])
    track = reverse("portal:track", args=[case.tracking_token])
    assert "How satisfied are you" not in text_of(client.get(track))
    # not closed yet: refused
    client.post(rate, {"satisfaction": Satisfaction.SATISFIED})
    case.refresh_from_db()
    assert case.satisfaction == ""
    _handle(case, people)
    services.verify(actor=people["gw"], case=case, passed=True)
    services.close(actor=people["comm"], case=case)
    assert "How satisfied are you" in text_of(client.get(track))
    response = client.post(rate, {"satisfaction": Satisfaction.FAIRLY, "comment": "清理及时"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.satisfaction, case.evaluation_comment) == (Satisfaction.FAIRLY, "清理及时")
    page = text_of(client.get(track))
    assert "Thank you for your rating" in page and "How satisfied are you" not in page
    client.post(rate, {"satisfaction": Satisfaction.UNSATISFIED})
    case.refresh_from_db()
    assert case.satisfaction == Satisfaction.FAIRLY
    assert case.events.filter(action="evaluate").count() == 1
    # a wrong token rates nothing
    assert client.post(reverse("portal:rate", args=["y" * 24]),
                       {"satisfaction": "satisfied"}).status_code == 404


def test_a_merged_case_shows_the_masters_progress(client, people):
    master = report_case(client, phone="13900002222", name="李先生",
                         description="李先生家楼下垃圾（他的描述）")
    duplicate = report_case(client, phone="13812345678", description="同一堆垃圾",
                            remote="10.9.9.9")
    services.merge(actor=people["comm"], case=duplicate, master=master,
                   note="内部备注：重复上报")
    services.accept(actor=people["comm"], case=master)
    services.dispatch(actor=people["comm"], case=master,
                      department=people["departments"]["chengguan-350583"])
    page = text_of(client.get(reverse("portal:track", args=[duplicate.tracking_token])))
    assert "Your report was merged with a report of the same problem" in page
    assert 'data-status="dispatched"' in page
    assert "Dispatched to 南安城市管理局" in page
    for secret in ("李先生", "13900002222", "他的描述", master.tracking_token, "内部备注"):
        assert secret not in page, secret
    assert "同一堆垃圾" in page  # the resident's own words
