"""Session lifetime (等保三级): an idle timeout and an absolute lifetime.

A logged-in session ends when it has been idle for ``SESSION_IDLE_SECONDS`` (default 30 min)
or has lived ``SESSION_ABSOLUTE_SECONDS`` since the login (default 12 h), whichever comes
first. Only real requests count as activity: a request marked ``X-Wangge-Background: 1`` (the
command center's queue and boards, the cockpit and map refreshes, which the browser sends by
itself every few seconds) is served, but does not move the last-activity time, so a screen
left open still times out. The times live in the session (epoch seconds), so Django's
``SESSION_SAVE_EVERY_REQUEST`` stays off: the session is written on real requests only.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpResponse
from django.shortcuts import resolve_url

LOGIN_AT = "_wg_login_at"
SEEN_AT = "_wg_seen_at"
BACKGROUND_HEADER = "X-Wangge-Background"


def now() -> float:
    """The clock (epoch seconds); tests may replace ``SessionLifetimeMiddleware.clock``."""
    return time.time()


def idle_seconds() -> int:
    return int(getattr(settings, "SESSION_IDLE_SECONDS", settings.SESSION_COOKIE_AGE))


def absolute_seconds() -> int:
    return int(getattr(settings, "SESSION_ABSOLUTE_SECONDS", 12 * 3600))


def is_background(request) -> bool:
    return request.headers.get(BACKGROUND_HEADER, "") == "1"


def start(session, at: float) -> None:
    """Stamp a session at login: it lives from now."""
    session[LOGIN_AT] = at
    session[SEEN_AT] = at
    session.set_expiry(min(idle_seconds(), absolute_seconds()))


@receiver(user_logged_in, dispatch_uid="wangge-session-lifetime-start")
def _on_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        start(request.session, SessionLifetimeMiddleware.clock())


class SessionLifetimeMiddleware:
    """After AuthenticationMiddleware: end an expired session, stamp activity on real
    requests."""

    clock = staticmethod(now)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            ended = self.check(request)
            if ended and request.headers.get("HX-Request") == "true":
                # an htmx panel (a polled queue) leads the whole page to the login form
                # instead of swapping the login form into the panel
                response = HttpResponse(status=200)
                response["HX-Redirect"] = resolve_url(settings.LOGIN_URL)
                return response
        return self.get_response(request)

    def check(self, request) -> bool:
        """True when the session has just been ended."""
        session = request.session
        at = self.clock()
        login_at = session.get(LOGIN_AT)
        seen_at = session.get(SEEN_AT)
        if not isinstance(login_at, int | float) or not isinstance(seen_at, int | float):
            # a session from before these stamps (or made without a login): it starts now
            start(session, at)
            return False
        idle, absolute = idle_seconds(), absolute_seconds()
        if at - seen_at >= idle or at - login_at >= absolute:
            request.session_expired = "absolute" if at - login_at >= absolute else "idle"
            logout(request)  # flushes the session; request.user becomes anonymous
            return True
        if is_background(request):
            return False  # served, but not activity: neither the stamp nor the cookie moves
        session[SEEN_AT] = at
        # the cookie and the stored session end at the idle timeout or the absolute end,
        # whichever is first
        session.set_expiry(max(1, int(min(idle, login_at + absolute - at))))
        return False
