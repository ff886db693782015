"""The territory pages in a real Chromium (Debian's), through Playwright."""

import os

import pytest

pytestmark = [pytest.mark.browser,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CHROMIUM = os.environ.get("WANGGE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]



def log_in(page, base, username):
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "Secret-pass-123")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("viewport", [{"width": 1440, "height": 900},
                                      {"width": 360, "height": 780}], ids=["desktop", "phone"])
def test_drill_down_from_the_street_to_a_grid(browser, live_server, users, viewport, tmp_path):
    page = browser.new_page(viewport=viewport, locale="zh-CN")
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, live_server.url, "ximei")
    page.goto(f"{live_server.url}/territory/")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text().startswith("溪美街道")
    # the map draws the street's outline and its two communities
    page.wait_for_selector("#map[data-state=ready]")
    assert page.get_attribute("#map", "data-features") == "3"
    assert page.locator("#map canvas").count() == 1
    assert page.locator("#map .map-status").count() == 0
    # hovering a community on the map highlights its row (canvas hit-testing, map → list)
    box = page.locator("#map").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.3)
    page.wait_for_selector("#children tr.hover")
    page.screenshot(path=str(tmp_path / "street.png"))
    # click a community on the list, then a grid on the map
    page.click("#children a:text('溪美街道1社区')")
    page.wait_for_load_state("networkidle")
    assert "350583001001" in page.locator(".facts").inner_text()
    page.wait_for_selector("#map[data-state=ready]")
    page.locator("#children a").first.click()
    page.wait_for_load_state("networkidle")
    assert "350583001001001" in page.locator(".facts").inner_text()
    assert "网格人员" in page.content()
    page.wait_for_selector("#map[data-state=ready]")
    assert page.get_attribute("#map", "data-features") == "2"  # the grid and its neighbour
    assert errors == []
    page.close()


def test_the_list_filter_and_language_switch(browser, live_server, users):
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    log_in(page, live_server.url, "district")
    page.goto(f"{live_server.url}/territory/350583000000/")
    page.fill("#child-filter", "柳城")
    visible = page.locator("#children tbody tr:not([hidden])")
    assert visible.count() == 1
    assert "柳城街道" in visible.inner_text()
    page.select_option("#lang", "en")
    page.wait_for_load_state("networkidle")
    assert "Log out" in page.content()
    assert page.locator(".badge").inner_text() == "County / district"
    page.close()


def test_a_map_load_failure_says_what_to_do(browser, live_server, users):
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    log_in(page, live_server.url, "ximei")
    page.route("**/map.geojson", lambda route: route.fulfill(status=500, body="boom"))
    page.goto(f"{live_server.url}/territory/350583001000/")
    page.wait_for_selector(".map-status.map-error")
    assert "刷新页面" in page.locator(".map-status").inner_text()
    page.close()
