"""The statistics page, its XLSX export, the monthly PDF report, the hot-spot map data and the
command center's warnings board: scoped to the viewer."""

import io
import re

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from wangge.analytics import services

from .conftest import COUNTY, LIUCHENG, NOW, XIMEI

pytestmark = pytest.mark.django_db
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture
def refreshed(cases_set):
    services.refresh_all(now=NOW)
    return cases_set


def test_anonymous_users_are_sent_to_log_in(client, territory):
    for path in ("/analytics/", "/analytics/export.xlsx", "/analytics/warnings/"):
        response = client.get(path)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_page_shows_the_period_by_every_dimension(client, people, refreshed):
    client.force_login(people["center"])
    response = client.get("/analytics/", MARCH)
    assert response.status_code == 200
    ctx = response.context
    assert ctx["totals"]["reported"] == 7 and ctx["totals"]["closure_rate"] == 60.0
    assert [a["code"] for a in ctx["areas"]["rows"]] == [XIMEI, LIUCHENG]
    assert [a["reported"] for a in ctx["areas"]["rows"]] == [6, 1]
    assert sum(m["reported"] for m in ctx["categories"]) == 7
    assert ctx["time"]["unit"] == "day" and len(ctx["time"]["rows"]) == 31
    html = response.text
    assert "溪美街道" in html and "60.0\u00a0%" in html
    assert f"area={XIMEI}" in html  # drill down
    # drill down into 溪美街道, only patrol reports
    ctx = client.get("/analytics/", MARCH | {"area": XIMEI, "source": "patrol"}).context
    assert ctx["totals"]["reported"] == 5  # C1 C2 C4 C5 C6
    # a year: by month
    ctx = client.get("/analytics/", {"from": "2025-04-01", "to": "2026-03-31"}).context
    assert ctx["time"]["unit"] == "month" and len(ctx["time"]["rows"]) == 12
    assert ctx["time"]["rows"][-1]["reported"] == 7 and ctx["time"]["rows"][-2]["reported"] == 1


def test_another_street_never_appears(client, people, refreshed):
    client.force_login(people["comm2"])  # 柳城街道 1社区
    response = client.get("/analytics/", MARCH)
    assert response.context["totals"]["reported"] == 1
    assert "溪美" not in response.text
    assert client.get("/analytics/", MARCH | {"area": XIMEI}).status_code == 404
    assert client.get("/analytics/export.xlsx", MARCH | {"area": COUNTY}).status_code == 404
    book = load_workbook(io.BytesIO(client.get("/analytics/export.xlsx", MARCH).content))
    assert "溪美" not in str([[c.value for c in row] for ws in book for row in ws.iter_rows()])


def sheet_rows(ws):
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_the_xlsx_export_has_the_numbers_of_the_page(client, people, refreshed):
    client.force_login(people["center"])
    response = client.get("/analytics/export.xlsx", MARCH | {"area": COUNTY})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    summary = sheet_rows(book.worksheets[0])
    figures = {row[0]: row[1:] for row in summary if row and row[0]}
    reports = next(v for k, v in figures.items() if k in ("Reports", "上报数"))
    assert reports[:4] == [7, 1, 600.0, 0]  # this period, previous, MoM %, a year before
    closure = next(v for k, v in figures.items() if k in ("Closure rate", "结案率"))
    assert closure[0] == 60.0
    names = book.sheetnames
    assert len(names) == 8  # summary, area, major, minor, source, department, urgency, time
    by_area = sheet_rows(book.worksheets[1])
    assert by_area[1][:3] == [XIMEI, "溪美街道", 6] and by_area[2][:3] == [LIUCHENG, "柳城街道", 1]
    by_source = {row[0]: row[1] for row in sheet_rows(book.worksheets[4])[1:]}
    assert sorted(by_source.values()) == [1, 1, 5]
    by_time = sheet_rows(book.worksheets[-1])
    assert len(by_time) == 32 and sum(row[1] for row in by_time[1:]) == 7
    # the same filters as the page: one source only
    book = load_workbook(io.BytesIO(client.get(
        "/analytics/export.xlsx", MARCH | {"source": "hotline"}).content))
    figures = {row[0]: row[1:] for row in sheet_rows(book.worksheets[0]) if row and row[0]}
    assert next(v for k, v in figures.items() if k in ("Reports", "上报数"))[0] == 1


def pdf_fonts(data: bytes) -> set[bytes]:
    return set(re.findall(rb"/BaseFont /(?:[A-Z]{6}\+)?([^\s/]+)", data))


def test_the_monthly_report_command_writes_a_pdf_with_the_chinese_font(tmp_path, refreshed):
    target = tmp_path / "report.pdf"
    call_command("monthly_report", "--month", "2026-03", "--area", XIMEI, "-o", str(target))
    data = target.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert b"NotoSansCJKsc-Regular" in pdf_fonts(data)
    assert data.count(b"/Type /Page\n") + data.count(b"/Type /Page ") >= 3 or \
        len(re.findall(rb"/Type\s*/Page\b", data)) >= 3
    with pytest.raises(Exception, match="2026-10"):
        call_command("monthly_report", "--month", "October", "-o", str(target))


def test_the_report_can_be_downloaded_from_the_page(client, people, refreshed):
    client.force_login(people["street"])
    page = client.get("/analytics/", MARCH).text
    assert "/analytics/report.pdf?month=" in page
    response = client.get("/analytics/report.pdf", {"month": "2026-03"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert b"NotoSansCJKsc-Regular" in pdf_fonts(response.content)
    assert client.get("/analytics/report.pdf", {"month": "2026-03",
                                                "area": LIUCHENG}).status_code == 404


def test_the_hotspot_map_data_is_scoped(client, people, cases_set):
    client.force_login(people["comm2"])
    assert client.get("/analytics/hotspots/").status_code == 200
    data = client.get("/analytics/hotspots.json", {"days": 30}).json()
    # the only visible case of the last 30 days from today is none (the set is in March
    # 2026 and the clock is real): the layer is just empty, never another street's
    assert all(c["count"] >= 1 and len(c["ring"]) == 7 for c in data["cells"])
    assert all(g["properties"]["code"].startswith("350583002001") for g in data["grids"])


def test_the_command_center_boards_show_the_warnings_board(client, people, territory):
    client.force_login(people["comm"])
    html = client.get("/command/boards/").text
    assert 'id="board-warnings"' in html and "/analytics/warnings/board/" in html
    assert client.get("/analytics/warnings/board/").status_code == 200
