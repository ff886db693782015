"""Session lifetime: an idle timeout, an absolute lifetime, and background polling that is
served but does not count as activity. Time is a controlled clock, not real minutes."""

from __future__ import annotations

import time

import pytest
import requests
from django.urls import reverse

from wangge.core import sessions
from wangge.core.sessions import LOGIN_AT, SEEN_AT, SessionLifetimeMiddleware

pytestmark = pytest.mark.django_db

IDLE = 30 * 60
ABSOLUTE = 12 * 3600
BACKGROUND = {"HTTP_X_WANGGE_BACKGROUND": "1"}


class Clock:
    def __init__(self):
        self.t = time.time()

    def __call__(self):
        return self.t

    def advance(self, seconds):
        self.t += seconds


@pytest.fixture
def clock(monkeypatch, settings):
    settings.SESSION_IDLE_SECONDS = IDLE
    settings.SESSION_ABSOLUTE_SECONDS = ABSOLUTE
    settings.SESSION_SAVE_EVERY_REQUEST = False
    fake = Clock()
    monkeypatch.setattr(SessionLifetimeMiddleware, "clock", staticmethod(fake))
    return fake


def logged_out(response) -> bool:
    return response.status_code == 302 and response.url.startswith(reverse("login"))


def test_a_login_stamps_the_session(client, people, clock):
    client.force_login(people["center"])
    session = client.session
    assert session[LOGIN_AT] == clock.t and session[SEEN_AT] == clock.t
    assert session.get_expiry_age() == IDLE


def test_background_polls_are_served_but_do_not_keep_an_idle_session_alive(client, people,
                                                                          clock):
    client.force_login(people["center"])
    assert client.get(reverse("command:center")).status_code == 200  # the user, at t0
    t0 = clock.t
    queue = reverse("command:queue")
    for minutes in (10, 10, 9):  # a poll now and then: served, the session not written
        clock.advance(minutes * 60)
        response = client.get(queue, **BACKGROUND)
        assert response.status_code == 200
        assert "sessionid" not in response.cookies
        assert client.session[SEEN_AT] == t0
    clock.advance(60)  # 30 minutes since the last real request, polls all along
    response = client.get(queue, **BACKGROUND)
    assert logged_out(response)
    assert logged_out(client.get(reverse("command:center")))
    assert LOGIN_AT not in client.session


def test_a_real_request_is_activity(client, people, clock):
    client.force_login(people["center"])
    clock.advance(25 * 60)
    response = client.get(reverse("command:queue"))  # a click: not marked
    assert response.status_code == 200 and "sessionid" in response.cookies
    assert client.session[SEEN_AT] == clock.t
    clock.advance(25 * 60)  # 50 minutes after the login, 25 after the click
    assert client.get(reverse("command:center")).status_code == 200


def test_the_absolute_lifetime_ends_even_a_busy_session(client, people, clock):
    client.force_login(people["center"])
    cases = reverse("cases:list")
    for _ in range(ABSOLUTE // (20 * 60) - 1):  # busy every 20 minutes for 11 h 40 min
        clock.advance(20 * 60)
        assert client.get(cases).status_code == 200
    # the cookie ends at the absolute end when that comes before the idle timeout
    clock.advance(10 * 60)
    response = client.get(cases)
    assert response.status_code == 200
    assert response.cookies["sessionid"]["max-age"] == 10 * 60
    clock.advance(10 * 60)  # 12 hours after the login
    assert logged_out(client.get(cases))


def test_an_ended_session_sends_an_htmx_panel_to_the_login_page(client, people, clock):
    client.force_login(people["center"])
    clock.advance(IDLE)
    response = client.get(reverse("command:queue"), HTTP_HX_REQUEST="true", **BACKGROUND)
    assert response.status_code == 200 and response["HX-Redirect"] == reverse("login")
    assert response.content == b""


def test_the_api_with_a_session_follows_the_same_rules(client, people, clock):
    client.force_login(people["center"])
    clock.advance(20 * 60)
    assert client.get("/api/v1/cases", **BACKGROUND).status_code == 200
    clock.advance(10 * 60)
    assert client.get("/api/v1/cases", **BACKGROUND).status_code == 401


def test_a_session_without_stamps_starts_now(client, people, clock):
    """A session from before this middleware is given a lifetime from its next request."""
    client.force_login(people["center"])
    session = client.session
    del session[LOGIN_AT], session[SEEN_AT]
    session.save()
    assert client.get(reverse("command:center")).status_code == 200
    assert client.session[LOGIN_AT] == clock.t


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_over_real_http_polls_do_not_hold_the_session(client, live_server, people, clock):
    client.force_login(people["center"])
    browser = requests.Session()
    browser.cookies.set("sessionid", client.cookies["sessionid"].value)
    base = live_server.url

    def poll():
        return browser.get(f"{base}{reverse('command:queue')}", timeout=30,
                           headers={"X-Wangge-Background": "1"}, allow_redirects=False)

    assert browser.get(f"{base}{reverse('command:center')}", timeout=30).status_code == 200
    clock.advance(20 * 60)
    assert poll().status_code == 200
    clock.advance(10 * 60)
    ended = poll()
    assert ended.status_code == 302 and ended.headers["Location"].startswith("/login/")
    page = browser.get(f"{base}{reverse('command:center')}", timeout=30, allow_redirects=False)
    assert page.status_code == 302


def test_the_middleware_is_installed_and_sessions_are_not_saved_on_every_request(settings):
    from django.conf import settings as live

    assert "wangge.core.sessions.SessionLifetimeMiddleware" in live.MIDDLEWARE
    position = live.MIDDLEWARE.index
    assert position("wangge.core.sessions.SessionLifetimeMiddleware") > position(
        "django.contrib.auth.middleware.AuthenticationMiddleware")
    assert live.SESSION_SAVE_EVERY_REQUEST is False
    assert sessions.absolute_seconds() == live.SESSION_ABSOLUTE_SECONDS
