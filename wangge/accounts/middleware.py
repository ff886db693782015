"""The login gate: a logged-in session goes nowhere else until its login is complete.

In this order, a session of a logged-in user is sent to
1. the code page (/account/verify/) when the account has two-factor login and the code has not
   been answered in this session (a password alone, or Django's ``force_login``, is not enough);
2. the password page (/account/password/) when the password must be changed (set by an
   administrator, or older than PASSWORD_MAX_AGE_DAYS);
3. enrolment (/account/mfa/) when the account must have two-factor login and has none.

Pages are redirected there (htmx requests through HX-Redirect); API calls get 403 with a
JSON reason. Logging out, the
language switch and static files stay open. Tests that log in with ``force_login`` use
``wangge.accounts.testing`` (see there) to mark the session verified.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from wangge.accounts import mfa
from wangge.accounts.passwords import password_change_reason

ALWAYS_OPEN = ("/logout/", "/i18n/", "/jsi18n/", "/healthz", "/favicon.ico")


def gate_for(request) -> str | None:
    """The step the session must take first: "verify", "password", "enrol" or None."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    verified = mfa.is_verified(request)
    if not verified and mfa.has_mfa(user):
        return "verify"
    if password_change_reason(user):
        return "password"
    if not verified and mfa.required_for(user):
        return "enrol"
    return None


STEP_URLS = {"verify": "account:verify", "password": "account:password",
             "enrol": "account:mfa-setup"}


class LoginGateMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith(settings.STATIC_URL) or path.startswith(ALWAYS_OPEN):
            return self.get_response(request)
        step = gate_for(request)
        if step is None:
            return self.get_response(request)
        target = reverse(STEP_URLS[step])
        if path == target:
            return self.get_response(request)
        message = {
            "verify": _("Enter the code of your authenticator app first."),
            "password": _("Change your password first."),
            "enrol": _("Set up two-factor login first."),
        }[step]
        if path.startswith("/api/"):
            return JsonResponse({"code": f"login_{step}", "message": message,
                                 "location": target}, status=403)
        if request.headers.get("HX-Request"):
            response = HttpResponse(message, content_type="text/plain; charset=utf-8")
            response["HX-Redirect"] = target
            return response
        if request.method == "GET" and path not in (reverse("login"), "/"):
            target += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(target)
