"""Security headers on every response, and the refusal of absurd query strings.

- ``Content-Security-Policy`` (``settings.CONTENT_SECURITY_POLICY``) on every response: scripts
  only from the site's own files, nothing framed, no plugins. A view may set its own policy.
- ``Cache-Control: no-store`` and ``Pragma: no-cache`` on every response that is not a static
  file when the caller is logged in or sent a token, and on the pages and API of personal data
  whoever asks, so that no browser or proxy keeps a copy of a resident's data. An anonymous
  public page that chose its own caching keeps it.
- A query-string value longer than ``settings.MAX_QUERY_VALUE_CHARS``, or a ``page`` past
  ``MAX_PAGE`` (an OFFSET no database takes), is a 400 naming the parameter (the API and Open311
  answer in their own error formats), before any view runs.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse

MAX_PAGE = 1_000_000

# the faces that show personal data, whoever asks
PERSONAL_PREFIXES = ("/people/", "/places/", "/organisations/", "/cases/", "/m/", "/api/",
                     "/command/", "/cockpit/", "/profiles/", "/things/", "/inbox/", "/admin/",
                     "/analytics/", "/evaluation/", "/territory/", "/public/track/",
                     "/public/lookup/", "/open311/")


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        self.static_prefix = settings.STATIC_URL or "/static/"
        if not self.static_prefix.startswith("/"):
            self.static_prefix = "/" + self.static_prefix

    def __call__(self, request):
        refused = self.refuse_long_values(request)
        response = refused or self.get_response(request)
        if self.policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = self.policy
        if not request.path.startswith(self.static_prefix) and self.private(request, response):
            if "no-store" not in response.get("Cache-Control", ""):
                response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response

    @staticmethod
    def private(request, response) -> bool:
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            return True
        if "HTTP_AUTHORIZATION" in request.META:
            return True
        if request.path.startswith(PERSONAL_PREFIXES):
            return True
        # anonymous elsewhere: keep what the view chose, else no-store too
        return not response.has_header("Cache-Control")

    @staticmethod
    def refuse_long_values(request):
        limit = getattr(settings, "MAX_QUERY_VALUE_CHARS", 2000)
        for name, values in request.GET.lists():
            if len(name) > limit or any(len(value) > limit for value in values):
                shown = name if len(name) <= 60 else name[:60] + "…"
                message = (f"The query parameter {shown!r} is longer than {limit} characters.")
                return bad_request(request, message, parameter=shown)
        for value in request.GET.getlist("page"):
            digits = value.strip()
            if digits.isdigit() and int(digits) > MAX_PAGE:
                return bad_request(request, f"page: {MAX_PAGE:,} pages at most.",
                                   parameter="page")
        return None


def bad_request(request, message: str, **extra) -> HttpResponse:
    """A 400 in the format of the part of the site asked: the API's JSON, Open311's list of
    errors, or plain text."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "bad_request", "message": message, **extra}, status=400)
    if request.path.startswith("/open311/"):
        from wangge.open311.services import Open311Error
        from wangge.open311.views import render_error

        return render_error("xml" if request.path.endswith(".xml") else "json",
                            Open311Error(400, message))
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
