"""The case pages: list with filters and lights, detail with its actions, the report form."""


import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from wangge.cases import services
from wangge.cases.models import Case
from wangge.cases.tests.conftest import GRID, GRID_POINT, png_bytes

pytestmark = pytest.mark.django_db


def new_case(people, **extra):
    return services.report(actor=people["gw"], category="0101", description="路边垃圾",
                           source="patrol", lon=GRID_POINT[0], lat=GRID_POINT[1], **extra)


def test_list_shows_only_the_jurisdiction_with_lights_and_filters(client, people):
    mine = new_case(people)
    other = services.report(actor=people["comm2"], category="0101", description="柳城",
                            source="patrol", grid_code="350583002001001")
    client.force_login(people["comm"])
    page = client.get(reverse("cases:list"))
    assert page.status_code == 200
    assert mine.number in page.text and other.number not in page.text
    assert "light-green" in page.text
    filtered = client.get(reverse("cases:list"), {"status": "closed"})
    assert mine.number not in filtered.text
    assert "No case matches" in filtered.text or "没有符合" in filtered.text
    bad = client.get(reverse("cases:list"), {"status": "nonsense"})
    assert bad.status_code == 200 and mine.number in bad.text  # the error is a message


def test_detail_offers_only_the_allowed_actions_and_runs_them(client, people):
    case = new_case(people)
    client.force_login(people["comm"])
    page = client.get(reverse("cases:detail", args=[case.number]))
    assert page.status_code == 200
    assert reverse("cases:act", args=[case.number, "accept"]) in page.text
    assert reverse("cases:act", args=[case.number, "sign"]) not in page.text
    response = client.post(reverse("cases:act", args=[case.number, "accept"]),
                           {"version": case.version, "note": "立案"})
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).status == "to_dispatch"
    # the same (now stale) form again: refused, with a message, nothing changed
    again = client.post(reverse("cases:act", args=[case.number, "accept"]),
                        {"version": case.version, "note": "立案"}, follow=True)
    assert "Reload" in again.text or "刷新" in again.text or "重新" in again.text
    assert Case.objects.get(pk=case.pk).events.filter(action="accept").count() == 1
    # dispatch proposes the responsible unit
    page = client.get(reverse("cases:detail", args=[case.number]))
    assert "dept:chengguan-350583" in page.text


def test_a_grid_worker_reports_and_self_handles_through_the_form(client, people):
    client.force_login(people["gw"])
    form = client.get(reverse("cases:new"))
    assert form.status_code == 200 and "0101" in form.text
    response = client.post(reverse("cases:new"), {
        "category": "0101", "description": "门口垃圾", "lon": str(GRID_POINT[0]),
        "lat": str(GRID_POINT[1]), "crs": "wgs84", "source": "patrol", "self_handled": "on",
        "resolution": "已清理",
        "result_photos": SimpleUploadedFile("after.png", png_bytes(), "image/png")})
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.status == "closed" and case.self_handled and case.grid.code == GRID


def test_report_form_errors_say_what_is_wrong_and_keep_the_input(client, people):
    client.force_login(people["gw"])
    outside = client.post(reverse("cases:new"), {
        "category": "0101", "description": "很远的地方", "lon": "120.5", "lat": "30.2",
        "crs": "wgs84", "source": "patrol"})
    assert outside.status_code == 400
    assert "很远的地方" in outside.text  # nothing lost
    assert Case.objects.count() == 0
    text = outside.text
    assert "outside the jurisdiction" in text or "不在辖区" in text
    bad_number = client.post(reverse("cases:new"), {
        "category": "0101", "description": "x", "lon": "east", "lat": "24.8", "crs": "wgs84"})
    assert bad_number.status_code == 400
    fake_photo = client.post(reverse("cases:new"), {
        "category": "0101", "description": "x", "grid": GRID, "crs": "wgs84",
        "photos": SimpleUploadedFile("x.png", b"not really a png", "image/png")})
    assert fake_photo.status_code == 400 and Case.objects.count() == 0


def test_files_are_served_only_inside_the_jurisdiction(client, people):
    case = services.report(actor=people["gw"], category="0101", description="x",
                           source="patrol", grid_code=GRID,
                           photos=[SimpleUploadedFile("a.png", png_bytes(), "image/png")])
    attachment = case.attachments.get()
    url = reverse("cases:file", args=[case.number, attachment.pk])
    client.force_login(people["comm"])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    served = b"".join(response.streaming_content)  # the photo as stored: re-encoded
    from PIL import Image

    assert served.startswith(b"\x89PNG") and Image.open(io.BytesIO(served)).size == (1, 1)
    client.force_login(people["comm2"])
    assert client.get(url).status_code == 404


def test_inbox_lists_notifications_after_the_worker_ran(client, people):
    from wangge.jobs.services import drain

    case = new_case(people)
    drain()
    client.force_login(people["comm"])
    page = client.get(reverse("inbox"))
    assert case.number in page.text
    client.post(reverse("inbox-read"))
    assert not people["comm"].notifications.filter(read_at__isnull=True).exists()


def test_the_same_client_ref_never_makes_a_second_case(people):
    first = new_case(people, client_ref="3f1c2a9e-offline-1")
    again = new_case(people, client_ref="3f1c2a9e-offline-1")
    assert again.pk == first.pk
    assert Case.objects.count() == 1
    other = new_case(people, client_ref="3f1c2a9e-offline-2")
    assert other.pk != first.pk
