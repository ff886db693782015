"""Uploads over real HTTP (the API of the grid app, the resident portal): only real JPEG, PNG
and WebP photos, re-encoded without their metadata (the phone's GPS position), the camera's
orientation applied; PDFs without active content; no decompression bombs. Every refusal is a
4xx with the reason, never a 500."""

from __future__ import annotations

import io
import zlib

import pytest
import requests
from PIL import Image

from wangge.cases.models import Attachment, Case
from wangge.cases.tests.conftest import GRID_POINT, Api, png_bytes

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

LON, LAT = GRID_POINT
HOME = (24.0, 51.0, 30.0)  # where the reporter's phone was: 24°51'30"


def jpeg_with_gps(orientation: int = 6) -> bytes:
    """A 40 × 20 camera photo whose EXIF holds the phone's position, a camera serial number
    and 'rotate 90°' (a phone held upright)."""
    image = Image.new("RGB", (40, 20), "red")
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "Xiaomi"  # Make
    exif[0xA431] = "SERIAL-0042"  # BodySerialNumber
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", HOME, "E", (118.0, 3.0, 0.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def pdf(body: bytes) -> bytes:
    return (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R " + body + b" >>\nendobj\n"
            b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>"
            b"\n%%EOF\n")


def report(base, user, files, expect):
    """A grid worker's report with ``files`` as its photos, through the API."""
    api = Api(base, user, language="en")
    return api.call("POST", "/cases", expect, files=files, data={
        "category": "0101", "description": "井盖破损", "lon": LON, "lat": LAT})


def stored(number: str) -> list[bytes]:
    case = Case.objects.get(number=number)
    return [a.file.read() for a in Attachment.objects.filter(case=case).order_by("pk")]


def test_a_photo_loses_its_gps_position_and_stands_upright(live_server, people):
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)[2] == HOME
    case = report(live_server.url, people["gw"],
                  [("photos", ("IMG_0001.jpg", io.BytesIO(original), "image/jpeg"))], 201)
    [saved] = stored(case["number"])
    image = Image.open(io.BytesIO(saved))
    assert image.format == "JPEG" and image.size == (20, 40)  # turned as the camera said
    assert not image.getexif()  # no EXIF at all: no position, no serial, no make
    for trace in (b"Xiaomi", b"SERIAL-0042", b"Exif"):
        assert trace not in saved
    attachment = Attachment.objects.get(case__number=case["number"])
    assert attachment.size == len(saved) and attachment.content_type == "image/jpeg"
    # the same through the upload of a later action
    upload = Api(live_server.url, people["gw"]).call(
        "POST", f"/cases/{case['number']}/attachments", 201, data={"kind": "other"},
        files=[("files", ("b.jpg", io.BytesIO(original), "image/jpeg"))])
    again = Attachment.objects.get(pk=upload[0]["id"]).file.read()
    assert b"SERIAL-0042" not in again and not Image.open(io.BytesIO(again)).getexif()


def test_with_metadata_kept_the_photo_is_still_re_encoded(live_server, people, settings):
    settings.WANGGE = {**settings.WANGGE, "UPLOAD_STRIP_METADATA": False}
    original = jpeg_with_gps()
    case = report(live_server.url, people["gw"],
                  [("photos", ("IMG_0002.jpg", io.BytesIO(original), "image/jpeg"))], 201)
    [saved] = stored(case["number"])
    assert saved != original
    image = Image.open(io.BytesIO(saved))
    exif = image.getexif()
    assert image.size == (20, 40) and exif.get(0x0112) in (None, 1)  # orientation applied once
    assert exif[0x010F] == "Xiaomi" and exif.get_ifd(0x8825)[2] == HOME


@pytest.mark.parametrize(("name", "data", "content_type", "says"), [
    ("map.png", png_bytes() + b"<script>fetch('/api/v1/people')</script>", "image/png",
     "after the end of the image"),
    ("photo.jpg", b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>",
     "image/jpeg", "not a JPEG, PNG or WebP"),
    ("anim.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif", "not a JPEG, PNG or WebP"),
    ("broken.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 64, "image/jpeg", "not a readable image"),
])
def test_what_is_not_a_real_photo_is_refused(live_server, people, name, data, content_type,
                                             says):
    body = report(live_server.url, people["gw"],
                  [("photos", (name, io.BytesIO(data), content_type))], 400)
    assert body["code"] == "upload_invalid" and says in body["message"] and name in body["message"]
    assert not Case.objects.exists() and not Attachment.objects.exists()


@pytest.mark.parametrize("active", [
    b"/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>",
    b"/OpenAction 3 0 R",
    b"/AA << /O << /S /Launch /F (cmd.exe) >> >>",
    b"/Names << /EmbeddedFiles 4 0 R >>",
    b"/AcroForm << /XFA 5 0 R >>",
    b"/OpenAction << /S /J#61vaScript /J#53 (x) >>",  # hex-escaped names
])
def test_a_pdf_with_active_content_is_refused(live_server, people, active):
    body = report(live_server.url, people["gw"],
                  [("photos", ("notice.pdf", io.BytesIO(pdf(active)), "application/pdf"))], 400)
    assert "active content" in body["message"] and "notice.pdf" in body["message"]
    assert not Attachment.objects.exists()


def test_a_pdf_hiding_javascript_in_a_compressed_stream_is_refused(live_server, people):
    hidden = zlib.compress(b"<< /Type /Action /S /JavaScript /JS (app.alert(1)) >>")
    data = pdf(b"") + (b"3 0 obj\n<< /Type /ObjStm /Filter /FlateDecode /Length "
                       + str(len(hidden)).encode() + b" >>\nstream\n" + hidden
                       + b"\nendstream\nendobj\n")
    assert b"JavaScript" not in data
    body = report(live_server.url, people["gw"],
                  [("photos", ("scan.pdf", io.BytesIO(data), "application/pdf"))], 400)
    assert "/JavaScript" in body["message"]


def test_a_plain_pdf_is_kept_as_it_is(live_server, people):
    data = pdf(b"")
    case = report(live_server.url, people["gw"],
                  [("photos", ("form.pdf", io.BytesIO(data), "application/pdf"))], 201)
    assert stored(case["number"]) == [data]


def bomb() -> bytes:
    """20000 × 20000 pixels (400 million) in about 50 KB: an empty page compresses well."""
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, format="PNG")
    return out.getvalue()


def test_a_decompression_bomb_is_refused_over_the_api_and_the_portal(live_server, people):
    data = bomb()
    assert len(data) < 100_000
    body = report(live_server.url, people["gw"],
                  [("photos", ("bomb.png", io.BytesIO(data), "image/png"))], 400)
    assert body["code"] == "upload_too_large" and "too many pixels" in body["message"]
    # the resident portal: the form again with the reason, a 4xx
    session = requests.Session()
    form = session.get(f"{live_server.url}/public/report/", timeout=30)
    token = session.cookies.get("csrftoken") or form.cookies.get("csrftoken")
    response = session.post(f"{live_server.url}/public/report/", timeout=60, data={
        "csrfmiddlewaretoken": token, "category": "0101", "description": "路灯不亮",
        "lon": LON, "lat": LAT, "phone": "13812345678", "name": "张女士"},
        files=[("photos", ("bomb.png", io.BytesIO(data), "image/png"))],
        headers={"Referer": f"{live_server.url}/public/report/"})
    assert 400 <= response.status_code < 500, response.status_code
    assert "too many pixels" in response.text or "像素" in response.text
    assert not Case.objects.exists()


def test_a_photo_just_under_the_pixel_limit_goes_through(live_server, people, settings):
    settings.WANGGE = {**settings.WANGGE, "UPLOAD_MAX_PIXELS": 4_000_000}
    out = io.BytesIO()
    Image.new("RGB", (2000, 2000), "white").save(out, format="WEBP")
    report(live_server.url, people["gw"],
           [("photos", ("ok.webp", io.BytesIO(out.getvalue()), "image/webp"))], 201)
    out = io.BytesIO()
    Image.new("RGB", (2001, 2000), "white").save(out, format="WEBP")
    body = report(live_server.url, people["gw"],
                  [("photos", ("big.webp", io.BytesIO(out.getvalue()), "image/webp"))], 400)
    assert "2001 × 2000" in body["message"]
