"""In a real Chromium: the command center's and the cockpit's own refreshes are marked as
background requests, so a screen left open reaches the idle timeout although it keeps polling
(the clock of the session middleware is controlled; the polls are the page's real ones)."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from wangge.core.sessions import BACKGROUND_HEADER, SessionLifetimeMiddleware

pytestmark = [pytest.mark.browser,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]

HEADER = BACKGROUND_HEADER.lower()


class Clock:
    def __init__(self):
        self.t = time.time()

    def __call__(self):
        return self.t


@pytest.fixture
def clock(monkeypatch, settings):
    settings.SESSION_IDLE_SECONDS = 30 * 60
    fake = Clock()
    monkeypatch.setattr(SessionLifetimeMiddleware, "clock", staticmethod(fake))
    return fake


def open_page(browser, live_server, client, user):
    client.force_login(user)
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                          "url": live_server.url}])
    page = context.new_page()
    requests = []
    page.on("request", lambda r: requests.append((r.url, r.headers.get(HEADER))))
    return context, page, requests


def test_the_command_centers_polls_do_not_hold_an_idle_session(browser, live_server, client,
                                                               people, clock):
    context, page, seen = open_page(browser, live_server, client, people["center"])
    queue, boards = reverse("command:queue"), reverse("command:boards")
    with page.expect_response(lambda r: queue in r.url), \
            page.expect_response(lambda r: boards in r.url):
        page.goto(f"{live_server.url}{reverse('command:center')}")
    page.wait_for_selector("#command-map[data-state=ready]")
    marks = {}
    for url, mark in seen:
        for path in (queue, boards, reverse("command:map")):
            if url.split("?")[0].endswith(path):
                marks.setdefault(path, set()).add(mark)
    assert marks == {queue: {"1"}, boards: {"1"}, reverse("command:map"): {"1"}}
    assert [mark for url, mark in seen
            if url.rstrip("/").endswith("/command")] == [None]  # the page itself: activity

    # 20 minutes later the queue polls by itself: served …
    clock.t += 20 * 60
    with page.expect_response(lambda r: queue in r.url, timeout=20_000) as first:
        pass
    assert first.value.status == 200
    # … 11 minutes more, 31 after the last real request: the next poll ends the session and
    # the page goes to the login form
    clock.t += 11 * 60
    page.wait_for_url(f"**{reverse('login')}**", timeout=30_000)
    context.close()


def test_the_cockpit_refresh_is_marked(browser, live_server, client, people, clock):
    context, page, seen = open_page(browser, live_server, client, people["center"])
    page.goto(f"{live_server.url}{reverse('cockpit:home')}")
    page.wait_for_load_state("networkidle")
    data = [mark for url, mark in seen if "data.json" in url or "areas.geojson" in url]
    assert data and set(data) == {"1"}
    context.close()
