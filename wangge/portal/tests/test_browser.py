"""A resident on a phone (360×780) in a real Chromium (Debian's), through Playwright: reports with
a photo and the GPS position, keeps the link, opens it and sees the status."""

import os

import pytest

from wangge.cases.choices import Source, Status
from wangge.cases.models import Case
from wangge.portal.tests.conftest import GRID, GRID_POINT, png_bytes

pytestmark = [pytest.mark.browser,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CHROMIUM = os.environ.get("WANGGE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]



def test_a_resident_reports_with_a_photo_and_follows_the_case(browser, live_server, territory,
                                                              tmp_path):
    lon, lat = GRID_POINT
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale="zh-CN",
                                  geolocation={"longitude": lon, "latitude": lat},
                                  permissions=["geolocation"])
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    base = live_server.url
    page.goto(f"{base}/public/")
    page.click("a[href='/public/report/']")
    page.wait_for_selector("#report-form")
    # the photo, from the gallery: a preview appears
    page.set_input_files("#photo-gallery", files=[
        {"name": "rubbish.png", "mimeType": "image/png", "buffer": png_bytes()}])
    page.wait_for_selector("#photo-list img")
    # the position from the phone's GPS, located to its grid by the server
    page.click("#use-gps")
    page.wait_for_selector("#place.ok")
    assert "1社区1网格" in page.inner_text("#place")
    # the type, found by searching, then the description
    page.fill("#type-search", "暴露")
    page.click("#type-results button[data-code='0101']")
    assert page.input_value("#id_category") == "0101"
    page.fill("#id_description", "小区东门暴露垃圾一堆")
    page.fill("#id_phone", "13812345678")
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    page.click("#send")
    page.wait_for_url("**/public/report/done/**")
    number = page.inner_text("#case-number").strip()
    case = Case.objects.get(number=number)
    assert (case.source, case.status, case.grid.code) == (Source.RESIDENT, Status.REPORTED, GRID)
    assert case.attachments.count() == 1
    link = page.input_value("#track-link")
    assert link == f"{base}/public/track/{case.tracking_token}/"
    page.screenshot(path=str(tmp_path / "done.png"), full_page=True)
    # the page fits the phone: nothing wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.click("#open-track")
    page.wait_for_selector("[data-status]")
    assert page.get_attribute(".p-status", "data-status") == "received"
    assert number in page.inner_text("h1")
    assert page.locator(".p-timeline li").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert errors == []
    context.close()


def test_the_map_click_sets_the_place(browser, live_server, territory):
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale="zh-CN")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/public/report/")
    assert page.evaluate("typeof window.L") == "undefined"  # Leaflet only when the map opens
    page.click("#pick-map")
    page.wait_for_selector("#pick-map-canvas[data-state=ready]")
    page.locator("#pick-map-canvas").scroll_into_view_if_needed()
    box = page.locator("#pick-map-canvas").bounding_box()
    # the map fits the territory (118.0–118.4, 24.8–25.0) and centres it: grid 001001001
    # (118.0–118.1, 24.8–24.9) lies 1 to 2 tenths of a degree left of the centre and up to one
    # below it, a tenth of a degree being 56–80 px at this width
    page.mouse.click(box["x"] + box["width"] / 2 - 100, box["y"] + box["height"] / 2 + 30)
    page.wait_for_selector("#place.ok")
    assert "1社区1网格" in page.inner_text("#place")
    assert page.input_value("#id_lon") and page.input_value("#id_crs") == "wgs84"
    assert errors == []
    context.close()
