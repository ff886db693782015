"""网格通 in a real Chromium (Debian's) at phone size, with a GPS position in grid 350583001001001:
a report with a photo, one handled on the spot, and a report made offline that is sent once
when the network returns."""

import os

import pytest

from wangge.gridapp.tests.conftest import GRID, GRID_POINT, png_bytes

pytestmark = [pytest.mark.browser,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CHROMIUM = os.environ.get("WANGGE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"width": 360, "height": 780}



@pytest.fixture
def phone(browser):
    context = browser.new_context(
        geolocation={"longitude": GRID_POINT[0], "latitude": GRID_POINT[1]},
        permissions=["geolocation"], viewport=PHONE, locale="zh-CN", has_touch=True)
    yield context
    context.close()


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "photo.png"
    path.write_bytes(png_bytes())
    return str(path)


def log_in(page, base, username, next_path="/m/"):
    page.goto(f"{base}/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", "Secret-pass-123")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def fill_report(page, photo, category="0101", description="人行道上堆着垃圾"):
    page.wait_for_selector("#loc-status[data-state=ok]")
    assert GRID in page.inner_text("#loc-status")
    page.set_input_files("#photos", photo)
    page.wait_for_selector("#photo-previews img")
    page.fill("#cat-search", category)
    page.check(f"input[name=category][value='{category}']")
    page.fill("#description", description)


def wait_for(predicate, page, timeout_ms=10_000):
    waited = 0
    while not predicate():
        page.wait_for_timeout(200)
        waited += 200
        assert waited < timeout_ms, "timed out"


def test_report_with_a_photo_and_one_handled_on_the_spot(phone, live_server, people, photo):
    from wangge.cases.models import Case

    page = phone.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, live_server.url, "gw", "/m/report/")
    assert page.url.endswith("/m/report/")
    fill_report(page, photo)
    page.click("#report-submit")
    page.wait_for_selector("#report-done:not([hidden])")
    case = Case.objects.get()
    assert case.number in page.inner_text("#report-done")
    assert case.reporter == people["gw"] and case.grid.code == GRID
    assert (case.lon, case.lat) == pytest.approx(GRID_POINT)
    assert case.attachments.count() == 1 and case.client_ref

    # the second, handled on the spot: a result photo and how it was handled are required
    page.click("#report-again")
    fill_report(page, photo, "0103", "路面有油污")
    page.check("#self_handled")
    page.fill("#resolution", "已冲洗干净")
    page.click("#report-submit")
    assert page.locator("#report-error").is_visible()  # no result photo yet
    assert Case.objects.count() == 1
    page.set_input_files("#result_photos", photo)
    page.click("#report-submit")
    page.wait_for_selector("#report-done:not([hidden])")
    handled = Case.objects.get(self_handled=True)
    assert handled.status == "closed" and handled.resolution == "已冲洗干净"
    assert handled.attachments.filter(kind="after").count() == 1

    page.goto(f"{live_server.url}/m/")
    assert page.inner_text("#count-reported") == "2"
    assert page.inner_text("#count-self") == "1"
    assert page.locator("#queue").is_hidden()
    page.screenshot(path=str(photo).replace("photo.png", "home.png"))
    assert errors == []


def test_offline_report_is_kept_and_sent_once(phone, live_server, people, photo):
    from wangge.cases.models import Case

    page = phone.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, live_server.url, "gw", "/m/report/")
    page.wait_for_selector("#loc-status[data-state=ok]")
    phone.set_offline(True)
    page.wait_for_selector("#net-state:not([hidden])")
    page.set_input_files("#photos", photo)
    page.wait_for_selector("#photo-previews img")
    page.check("input[name=category][value='0101']")
    page.fill("#description", "没有网络时上报的垃圾")
    page.click("#report-submit")
    page.wait_for_selector("#report-done:not([hidden])")
    page.wait_for_selector("#queue-badge:not([hidden])")
    assert "1" in page.inner_text("#queue-badge")
    queued = page.evaluate(
        "WanggeOutbox.all().then(items => items.map(i => i.photos[0].blob.size))")
    assert queued == [len(png_bytes())]  # the photo is kept on the phone as a Blob
    assert Case.objects.count() == 0

    phone.set_offline(False)  # the online event sends the queue
    wait_for(lambda: Case.objects.count() == 1, page)
    page.wait_for_selector("#queue-badge", state="hidden")
    assert page.evaluate("WanggeOutbox.all().then(items => items.length)") == 0

    # sending the same report again (a lost answer, a retry) never makes a second case
    page.reload()
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/m/")
    page.wait_for_load_state("networkidle")
    assert Case.objects.count() == 1
    case = Case.objects.get()
    assert case.description == "没有网络时上报的垃圾" and case.attachments.count() == 1
    assert page.locator("#queue").is_hidden()
    assert errors == []


def test_a_resend_with_the_same_client_ref_returns_the_same_case(phone, live_server, people,
                                                                 photo):
    """The queue's guarantee, exercised directly: an item sent twice is one case."""
    from wangge.cases.models import Case

    page = phone.new_page()
    log_in(page, live_server.url, "gw", "/m/")
    numbers = page.evaluate("""async () => {
        const item = {client_ref: crypto.randomUUID(), created_at: Date.now(), user: "gw",
                      category_name: "暴露垃圾", state: "pending", photos: [], result_photos: [],
                      fields: {category: "0101", description: "重复发送", lon: "118.05",
                               lat: "24.85", crs: "wgs84", source: "patrol"}};
        await WanggeOutbox.put(item);
        const first = await WanggeOutbox.sendOne(item.client_ref, Ga.options);
        await WanggeOutbox.put(item);
        const second = await WanggeOutbox.sendOne(item.client_ref, Ga.options);
        return [first.state, first.case.number, second.state, second.case.number];
    }""")
    assert numbers[0] == numbers[2] == "sent"
    assert numbers[1] == numbers[3]
    assert Case.objects.count() == 1


def test_patrol_records_and_draws_the_track(phone, live_server, people):
    from wangge.gridapp.models import Patrol

    page = phone.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, live_server.url, "gw", "/m/patrol/")
    page.wait_for_selector("#patrol-map[data-state=ready]")
    page.click("#patrol-start")
    page.wait_for_selector("#patrol-stop:not([hidden])")
    wait_for(lambda: "1" in page.inner_text("#patrol-stats"), page)
    phone.set_geolocation({"longitude": GRID_POINT[0], "latitude": GRID_POINT[1] + 0.001})
    page.wait_for_timeout(1500)
    page.click("#patrol-stop")
    page.wait_for_selector("#patrol-start:not([hidden])")
    patrol = Patrol.objects.get()
    assert patrol.ended_at is not None and patrol.point_count >= 1
    assert patrol.user == people["gw"]
    assert errors == []


def test_the_app_starts_without_network(phone, live_server, people):
    """The service worker keeps the app's pages and their static files for an offline start."""
    page = phone.new_page()
    log_in(page, live_server.url, "gw", "/m/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now controlled by the service worker, which keeps a copy of the page
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/m/report/")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("!!navigator.serviceWorker.controller")
    phone.set_offline(True)
    page.goto(f"{live_server.url}/m/")
    assert page.locator(".ga-nav").is_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('.ga-nav')).position") == "fixed"
    page.goto(f"{live_server.url}/m/report/")
    assert page.locator("#report-form").is_visible()
    assert page.locator("input[name=category]").count() > 100
    phone.set_offline(False)
