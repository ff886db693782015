"""The four faces together, in a real Chromium: a resident reports with a photo and follows the
case; a grid worker handles one on the spot and reports another; the command center accepts and
dispatches it; the department signs and reports the result; the grid worker verifies; the
community closes it; the cockpit's counts move accordingly."""

import os

import pytest

from wangge.accounts.testing import answer_mfa, give_totp
from wangge.cases.tests.conftest import GRID, GRID_POINT, png_bytes

pytestmark = [pytest.mark.browser,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CHROMIUM = os.environ.get("WANGGE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1440, "height": 900}



def context(browser, viewport, geo=False):
    options = {"viewport": viewport, "locale": "zh-CN"}
    if geo:
        options |= {"geolocation": {"longitude": GRID_POINT[0], "latitude": GRID_POINT[1]},
                    "permissions": ["geolocation"]}
    return browser.new_context(**options)


def log_in(page, base, username, next_path):
    page.goto(f"{base}/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", "Secret-pass-123")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def open_action(page, action):
    """Unfold the action's form on the case page (the first one is unfolded already)."""
    page.locator(f"details:has(form[action$='/act/{action}/'])").evaluate("d => d.open = true")


def cockpit_kpis(page, base):
    page.goto(f"{base}/cockpit/350583000000/")
    page.wait_for_selector("#cockpit[data-state=ready]")
    return {name: page.inner_text(f"#kpi-{name}") for name in ("today_reports", "open")}


def test_the_four_faces_play_the_closed_loop(browser, live_server, people, tmp_path):
    from wangge.cases.models import Case

    base = live_server.url
    photo = tmp_path / "photo.png"
    photo.write_bytes(png_bytes())
    errors = []

    # the leader's cockpit before anything happened
    leader = context(browser, {"width": 1920, "height": 1080}).new_page()
    leader.on("pageerror", lambda exc: errors.append(f"cockpit: {exc}"))
    device = give_totp(people["leader"])  # leaders log in with a second factor
    log_in(leader, base, "leader", "/cockpit/")
    answer_mfa(leader, device)
    before = cockpit_kpis(leader, base)
    assert before == {"today_reports": "0", "open": "0"}

    # 1. a resident reports with a photo, without an account
    resident = context(browser, PHONE, geo=True).new_page()
    resident.on("pageerror", lambda exc: errors.append(f"portal: {exc}"))
    resident.goto(f"{base}/public/report/")
    resident.set_input_files("#photo-gallery", files=[str(photo)])
    resident.wait_for_selector("#photo-list img")
    resident.click("#use-gps")
    resident.wait_for_selector("#place.ok")
    resident.fill("#type-search", "暴露")
    resident.click("#type-results button[data-code='0101']")
    resident.fill("#id_description", "小区东门暴露垃圾一堆")
    resident.click("#send")
    resident.wait_for_url("**/public/report/done/**")
    resident_case = Case.objects.get(source="resident")
    assert resident_case.attachments.count() == 1 and resident_case.grid.code == GRID
    resident.click("#open-track")
    resident.wait_for_selector("[data-status]")
    track_url = resident.url

    # 2. the grid worker handles one on the spot and reports another
    worker = context(browser, PHONE, geo=True).new_page()
    worker.on("pageerror", lambda exc: errors.append(f"gridapp: {exc}"))
    log_in(worker, base, "gw", "/m/report/")

    def fill_report(category, description):
        worker.wait_for_selector("#loc-status[data-state=ok]")
        worker.set_input_files("#photos", str(photo))
        worker.wait_for_selector("#photo-previews img")
        worker.fill("#cat-search", category)
        worker.check(f"input[name=category][value='{category}']")
        worker.fill("#description", description)

    fill_report("0103", "路面油污")
    worker.check("#self_handled")
    worker.fill("#resolution", "已冲洗干净")
    worker.set_input_files("#result_photos", str(photo))
    worker.click("#report-submit")
    worker.wait_for_selector("#report-done:not([hidden])")
    worker.click("#report-again")
    fill_report("0101", "人行道上堆着建筑垃圾")
    worker.click("#report-submit")
    worker.wait_for_selector("#report-done:not([hidden])")
    handled = Case.objects.get(self_handled=True)
    assert handled.status == "closed"
    reported = Case.objects.get(source="patrol", self_handled=False)

    # 3. the community's command center accepts and dispatches it to the proposed unit
    desk = context(browser, DESKTOP).new_page()
    desk.on("pageerror", lambda exc: errors.append(f"command: {exc}"))
    log_in(desk, base, "comm", "/command/")
    item = desk.locator(f".queue-item[data-number='{reported.number}']")
    item.wait_for()
    assert desk.locator(f".queue-item[data-number='{resident_case.number}']").count() == 1
    assert "chengguan-350583" in item.locator("select").input_value()
    item.locator("button.qa-dispatch").click()
    desk.wait_for_selector(".flash.ok")
    reported.refresh_from_db()
    assert reported.status == "dispatched"
    assert reported.holder_department.code == "chengguan-350583"
    resident_item = desk.locator(f".queue-item[data-number='{resident_case.number}']")
    resident_item.locator("button.qa-dispatch").click()
    desk.wait_for_selector(f".queue-item[data-number='{resident_case.number}']",
                           state="detached")

    # 4. the department signs for it and reports the result on the case page
    department = context(browser, DESKTOP).new_page()
    department.on("pageerror", lambda exc: errors.append(f"case page: {exc}"))
    log_in(department, base, "cg", f"/cases/{reported.number}/")
    open_action(department, "sign")
    department.click("form[action$='/act/sign/'] button[type=submit]")
    department.wait_for_selector(".messages")
    open_action(department, "feedback")
    form = department.locator("form[action$='/act/feedback/']")
    form.locator("textarea[name=note]").fill("已清运完毕")
    form.locator("input[name=photos]").set_input_files(str(photo))
    form.locator("button[type=submit]").click()
    department.wait_for_selector(".messages")
    reported.refresh_from_db()
    assert reported.status == "to_verify"

    # 5. the grid worker verifies on the phone
    worker.goto(f"{base}/m/verify/{reported.number}/")
    worker.set_input_files("#v-photo", str(photo))
    worker.check("input[name=decision][value=pass]")
    worker.locator("#verify-form button[type=submit]").click()
    worker.wait_for_load_state("networkidle")
    reported.refresh_from_db()
    assert reported.status == "to_close"

    # 6. the community closes it from the case page
    desk.goto(f"{base}/cases/{reported.number}/")
    open_action(desk, "close")
    desk.locator("form[action$='/act/close/'] button[type=submit]").click()
    desk.wait_for_selector(".messages")
    reported.refresh_from_db()
    assert reported.status == "closed"
    # reported at the resident's spot, it was flagged as a possible duplicate of theirs
    assert [e.action for e in reported.events.order_by("id")] == [
        "report", "duplicate_flag", "accept", "dispatch", "sign", "feedback", "verify_pass",
        "close"]

    # 7. the resident follows the case: dispatched, in plain words
    resident.goto(track_url)
    resident.wait_for_selector("[data-status]")
    assert resident.get_attribute("[data-status]", "data-status") != "received"

    # 8. the cockpit counts three reports today, one of them (the resident's) still open
    after = cockpit_kpis(leader, base)
    assert after == {"today_reports": "3", "open": "1"}
    assert errors == []
