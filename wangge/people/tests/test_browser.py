"""The people pages in a real Chromium (Debian's), at desktop width and at 360 px."""

import os

import pytest

from wangge.people import services
from wangge.people.tests.conftest import GRID_XIMEI, make_id

pytestmark = [pytest.mark.browser,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]
SHOTS = os.environ.get("WANGGE_SCREENSHOTS")


def test_list_and_detail_at_desktop_and_phone_width(browser, live_server, users, territory,
                                                    tags, tmp_path):
    number = make_id(seq="777")
    person = services.register_person(None, name="林小明", id_number=number,
                                      phone="13812345678", area=territory[GRID_XIMEI],
                                      address="溪美街道新华路8号", tags=[tags["elderly"]])
    services.update_person(None, person, phone="13900001111")
    out = SHOTS or str(tmp_path)
    for width, height in ((1440, 900), (360, 740)):
        page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "ximei")
        page.fill("#id_password", "Secret-pass-123")
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.goto(f"{live_server.url}/people/")
        assert "林小明" in page.inner_text("main")
        assert number not in page.content()
        # nothing wider than the screen
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=f"{out}/people-list-{width}.png", full_page=True)
        page.click("text=林小明")
        page.wait_for_load_state("networkidle")
        assert number not in page.content()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=f"{out}/people-detail-{width}.png", full_page=True)
        page.close()
