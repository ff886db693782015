"""Every main page works under the Content-Security-Policy, in a real Chromium (Debian's): no
page breaks a rule of the policy (no inline script or handler, nothing from elsewhere), and the
behaviours that used to be inline handlers (the language switch, filters that submit on change,
the door plate's print button) still work from the static script."""

from __future__ import annotations

import pytest

from wangge.cases.tests.conftest import GRID, GRID_POINT

pytestmark = [pytest.mark.browser,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# what the page itself reports: each violation of the policy, as the browser sees it
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " "
                    + (e.sourceFile || "") + ":" + (e.lineNumber || ""));
});
"""


class Watch:
    """A browser context that collects policy violations from events and the console."""

    def __init__(self, browser, **options):
        self.context = browser.new_context(locale="zh-CN", **options)
        self.context.add_init_script(WATCH)
        self.console: list[str] = []
        self.errors: list[str] = []
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _console(self, message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in \
                message.text:
            self.console.append(message.text)

    def visit(self, url: str, ready: str | None = None):
        response = self.page.goto(url)
        assert response.status == 200, (url, response.status)
        assert "default-src 'self'" in response.headers["content-security-policy"]
        if ready:
            self.page.wait_for_selector(ready, state="attached", timeout=20_000)
        self.page.wait_for_load_state("networkidle")
        return response

    def violations(self) -> list[str]:
        return self.page.evaluate("window.__csp || []") + self.console

    def log_in(self, base: str, username: str, next_path: str = "/"):
        self.page.goto(f"{base}/login/?next={next_path}")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", "Secret-pass-123")
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state("networkidle")

    def close(self):
        self.context.close()


@pytest.fixture
def case(people):
    from wangge.cases import services

    return services.report(actor=people["gw"], category="0101", description="人行道上堆着垃圾",
                           source="patrol", lon=GRID_POINT[0], lat=GRID_POINT[1])


@pytest.fixture
def building(people, territory):
    from wangge.places.services import create_building

    return create_building(None, name="幸福楼", grid=territory[GRID], lon=GRID_POINT[0],
                           lat=GRID_POINT[1])


def test_the_staff_pages_break_no_rule_of_the_policy(browser, live_server, people, case,
                                                     building):
    base = live_server.url
    watch = Watch(browser, viewport={"width": 1440, "height": 900})
    watch.log_in(base, "center")
    pages = [
        ("/command/", "#queue .qi, #queue .empty, #queue p"),
        ("/cockpit/", "#cockpit[data-state=ready]"),
        ("/cases/", None),
        (f"/cases/{case.number}/", "#case-map .leaflet-pane"),
        ("/territory/", "#map[data-state=ready]"),
        ("/people/", None),
        ("/places/", None),
        ("/organisations/", None),
        ("/things/", None),
        ("/profiles/", None),
        ("/analytics/", None),
        ("/evaluation/", None),
        ("/inbox/", None),
        ("/api/v1/docs", ".swagger-ui .info"),
    ]
    for path, ready in pages:
        watch.visit(base + path, ready)
        assert watch.violations() == [], path
    # the door plate's print button prints (from the static script, not an inline handler)
    watch.visit(f"{base}/places/b/{building.qr_token}/plate/")
    watch.page.evaluate("window.print = function () { window.__printed = true; }")
    watch.page.click("button[data-print]")
    assert watch.page.evaluate("window.__printed === true")
    assert watch.violations() == []
    # the language switch submits on change
    watch.visit(f"{base}/cases/")
    with watch.page.expect_navigation():
        watch.page.select_option("#lang", "en")
    assert "Log out" in watch.page.content()
    assert watch.violations() == [] and watch.errors == []
    watch.close()


def test_the_grid_app_breaks_no_rule_of_the_policy(browser, live_server, people, case):
    base = live_server.url
    watch = Watch(browser, viewport={"width": 360, "height": 780}, has_touch=True,
                  geolocation={"longitude": GRID_POINT[0], "latitude": GRID_POINT[1]},
                  permissions=["geolocation"])
    watch.log_in(base, "gw", "/m/")
    for path, ready in [("/m/", None), ("/m/report/", "#loc-status[data-state=ok]"),
                        ("/m/tasks/", None), ("/m/patrol/", None), ("/places/b/", None)]:
        watch.visit(base + path, ready)
        assert watch.violations() == [], path
    assert watch.errors == []
    watch.close()


def test_the_public_pages_break_no_rule_of_the_policy(browser, live_server, territory):
    base = live_server.url
    watch = Watch(browser, viewport={"width": 390, "height": 844})
    for path, ready in [("/public/", None), ("/public/report/", None),
                        ("/public/track/", None), ("/login/", None), ("/admin/login/", None)]:
        watch.visit(base + path, ready)
        assert watch.violations() == [], path
    # the portal's language switch submits on change
    watch.visit(f"{base}/public/")
    with watch.page.expect_navigation():
        watch.page.select_option("#lang", "en")
    assert watch.page.locator("html").get_attribute("lang") == "en"
    assert watch.violations() == [] and watch.errors == []
    watch.close()


def test_the_admin_breaks_no_rule_of_the_policy(browser, live_server, territory):
    """The admin as a superuser (session made by the test client, two-factor marked
    answered): index, a list with its filters and actions, an edit form with its widgets."""
    from urllib.parse import urlparse

    from django.test import Client

    from wangge.accounts.models import User

    admin = User.objects.create_superuser("root", password="Secret-pass-123", role="admin",
                                          jurisdiction=territory["350583000000"])
    client = Client()
    client.force_login(admin)
    watch = Watch(browser, viewport={"width": 1440, "height": 900})
    watch.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                                "domain": urlparse(live_server.url).hostname, "path": "/"}])
    base = live_server.url
    for path in ("/admin/", "/admin/accounts/user/", f"/admin/accounts/user/{admin.pk}/change/",
                 "/admin/accounts/user/add/", "/admin/territory/area/"):
        watch.visit(base + path, "#content")
        assert watch.violations() == [], path
    # the admin's own scripts run: the action checkbox selects every row
    watch.visit(f"{base}/admin/accounts/user/", "#action-toggle")
    watch.page.click("#action-toggle")
    assert watch.page.locator("input.action-select:checked").count() >= 1
    assert watch.violations() == [] and watch.errors == []
    watch.close()


def test_the_watch_sees_an_inline_handler_blocked(browser, live_server, territory):
    """The control: an inline handler added to a page is blocked and reported, so an empty
    list above means there was none."""
    watch = Watch(browser)
    watch.visit(f"{live_server.url}/public/")
    watch.page.evaluate("""() => {
        const b = document.createElement('button');
        b.id = 'evil'; b.setAttribute('onclick', 'window.__ran = true');
        document.body.appendChild(b);
    }""")
    watch.page.click("#evil")
    watch.page.wait_for_function("window.__csp.length > 0")
    assert watch.page.evaluate("window.__ran") is None
    assert any("script-src" in v for v in watch.violations())
    watch.close()
