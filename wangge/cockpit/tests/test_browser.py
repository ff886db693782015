"""The cockpit in a real Chromium (Debian's) at 1920×1080, through Playwright."""

import os

import pytest

from wangge.accounts.testing import answer_mfa, give_totp
from wangge.cockpit.tests.conftest import XIMEI

pytestmark = [pytest.mark.browser,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CHROMIUM = os.environ.get("WANGGE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]



def test_a_leader_watches_the_county_and_drills_into_a_township(browser, live_server,
                                                                cases_set, make_user,
                                                                territory, tmp_path):
    boss = make_user("boss", "leader", territory["350583000000"], display_name="区领导")
    device = give_totp(boss)  # leaders log in with a second factor
    page = browser.new_page(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    remote = []
    page.on("request", lambda r: remote.append(r.url)
            if not r.url.startswith(live_server.url) and not r.url.startswith("data:") else None)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "Secret-pass-123")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    answer_mfa(page, device)
    page.goto(f"{live_server.url}/cockpit/")
    page.wait_for_selector("#cockpit[data-state=ready]")
    page.wait_for_selector("#ck-map[data-state=ready]")
    assert page.url.endswith("/cockpit/350583000000/")
    # the hand-built set: C4, C5, C7, C8 are open now; all four are overdue by now (Nov 2026)
    assert page.inner_text("#kpi-open") == "4"
    assert page.inner_text("#kpi-overdue") == "4"
    assert "÷" in page.get_attribute("#kpi-closure_rate >> xpath=..", "title")
    assert page.inner_text("#ck-updated") != "--:--:--"
    # every chart drew on its canvas
    for chart in ("daily", "monthly", "categories", "sources", "children", "departments"):
        assert page.locator(f"#chart-{chart} canvas").count() == 1, chart
    assert page.get_attribute("#ck-map", "data-features") == "3"  # the county and 2 townships
    page.screenshot(path=str(tmp_path / "county.png"))
    # drill down: click 溪美街道 on the map
    page.locator(f"path.ck-area-{XIMEI}").click()
    page.wait_for_url(f"**/cockpit/{XIMEI}/**")
    page.wait_for_selector("#cockpit[data-state=ready]")
    assert page.inner_text("#kpi-open") == "3"  # C4, C5, C8
    assert "溪美街道" in page.inner_text("h1")
    page.wait_for_selector("#ck-map[data-state=ready]")
    assert page.get_attribute("#ck-map", "data-features") == "3"  # the street and 2 villages
    assert errors == []
    assert remote == []  # local assets only
    page.close()
