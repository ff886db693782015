"""The REST API root: /api/v1/, with its OpenAPI document at /api/v1/openapi.json.

Authentication: the browser session, or ``Authorization: Bearer <token>`` (``wangge
create-token``). A token expires, stops working when its account is locked or inactive, and a
read token may only read (GET): anything else is a 403 ``token_read_only``. Errors are JSON:
``{"code": "...", "message": "..."}``.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import APIKeyCookie, HttpBearer

from wangge.accounts.services import token_allows, token_for_key
from wangge.cases.selectors import FilterError
from wangge.cases.services import CaseError
from wangge.core.api import StaleError
from wangge.core.ratelimit import RateLimited


class BearerToken(HttpBearer):
    """A live token (not revoked or expired, its account active and not locked); a read
    token on an unsafe method is refused with 403, not passed on to another method."""

    def authenticate(self, request, token):
        found = token_for_key(token)
        if found is None:
            return None
        if not token_allows(found, request.method):
            raise ApiError(403, "token_read_only",
                           f"This API token is read-only: {request.method} needs a token with "
                           f"scope write (wangge create-token USER --scope write).")
        request.user = found.user
        request.api_token = found
        return found.user


class SessionAuth(APIKeyCookie):
    """The Django session; CSRF is enforced for unsafe methods."""

    param_name = "sessionid"

    def __call__(self, request):
        if not request.COOKIES.get(self.param_name):
            return None  # no session: not authenticated (401), rather than a CSRF failure
        return super().__call__(request)

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


api = NinjaAPI(
    title="Wangge API",
    version="1",
    description="Grid-based community governance: territory, cases, base data (people, places, "
                "things, organisations) and grid profiles, scoped to the caller's jurisdiction.",
    auth=[BearerToken(), SessionAuth()],
    urls_namespace="api",
)


def _error(request, status: int, code: str, message, **extra):
    body = {"code": code, "message": message}
    body.update(extra)
    return api.create_response(request, body, status=status)


@api.exception_handler(Http404)
def not_found(request, exc):
    return _error(request, 404, "not_found", str(exc) or "Not found.")


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return _error(request, 401, "unauthenticated",
                  "Log in, or send Authorization: Bearer <token>.")


@api.exception_handler(ValidationError)
def invalid(request, exc):
    return _error(request, 422, "invalid", "The request is not valid.", errors=exc.errors)


@api.exception_handler(HttpError)
def http_error(request, exc):
    unparsable = _unparsable_body(request, exc)
    if unparsable is not None:
        return unparsable
    return _error(request, exc.status_code, getattr(exc, "code", "error"), str(exc))


@api.exception_handler(CaseError)
def case_error(request, exc):
    return _error(request, exc.status, exc.code, exc.message)


@api.exception_handler(FilterError)
def filter_error(request, exc):
    return _error(request, 400, "bad_filter", str(exc))


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return _error(request, 403, "forbidden", str(exc) or "You may not do this.")


@api.exception_handler(DjangoValidationError)
def invalid_data(request, exc):
    """A service refused the data: the problems by field."""
    if hasattr(exc, "error_dict"):
        errors = {field: [str(m) for e in problems for m in e.messages]
                  for field, problems in exc.error_dict.items()}
    else:
        errors = {"__all__": [str(m) for m in exc.messages]}
    first = next(iter(errors.items()))
    return _error(request, 422, "invalid", f"{first[0]}: {first[1][0]}", errors=errors)


@api.exception_handler(StaleError)
def stale(request, exc):
    return _error(request, 409, "conflict", str(exc), current_updated_at=exc.current.isoformat())


@api.exception_handler(ValueError)
def bad_value(request, exc):
    return _error(request, 400, "bad_request", str(exc))


# --- bad input is a 400, never a 500 ----------------------------------------------------------
# A number past what the database takes (?page=99999999999999999999 becomes an OFFSET no
# database accepts) or a structure nested deeper than Python recurses.
BIGINT = 2**63 - 1


def _out_of_range(request) -> list[str]:
    """The query parameters holding an integer no database column or OFFSET can take."""
    found = []
    for name, values in request.GET.lists():
        for value in values:
            digits = value.strip().lstrip("+-")
            if digits.isdigit() and (len(digits) > 18 and int(digits) > BIGINT):
                found.append(name)
                break
    return found


def _out_of_range_error(request, what: str, problem: str):
    names = _out_of_range(request)
    where = ", ".join(names) if names else f"{what} in the request"
    return _error(request, 400, "out_of_range", f"{where}: {problem}.", parameters=names)


@api.exception_handler(OverflowError)
def overflow(request, exc):
    return _out_of_range_error(request, "a number", "the number is too large")


@api.exception_handler(DataError)
def data_error(request, exc):
    """PostgreSQL's 'out of range' and the like: bad values that got past the checks."""
    return _out_of_range_error(request, "a value", "the value is out of range")


@api.exception_handler(RecursionError)
def too_deep(request, exc):
    return _error(request, 400, "too_deep", "The request body is nested too deeply.")


@api.exception_handler(RequestDataTooBig)
def too_large(request, exc):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return _error(request, 413, "too_large",
                  f"The request is larger than the {limit:,} bytes accepted (files aside).")


@api.exception_handler(SuspiciousOperation)
def suspicious(request, exc):
    """Too many fields and the like: Django's refusal, in the API's format."""
    return _error(request, 400, "bad_request", str(exc))


def _unparsable_body(request, exc):
    """Django Ninja answers a body it cannot parse with a bare 400 'Cannot parse request body';
    say what was wrong, and where."""
    cause = exc.__cause__
    if isinstance(cause, RequestDataTooBig):
        return too_large(request, cause)
    if isinstance(cause, RecursionError):
        return too_deep(request, cause)
    if isinstance(cause, json.JSONDecodeError):
        return _error(request, 400, "bad_json", f"The request body is not valid JSON: "
                      f"{cause.msg} at line {cause.lineno}, column {cause.colno}.",
                      line=cause.lineno, column=cause.colno)
    if isinstance(cause, UnicodeDecodeError):
        return _error(request, 400, "bad_json", "The request body is not UTF-8 text.")
    return None


@api.exception_handler(RateLimited)
def rate_limited(request, exc):
    response = _error(request, 429, "rate_limited", exc.message, retry_after=exc.wait)
    response["Retry-After"] = str(exc.wait)
    return response


class ApiError(HttpError):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(status, message)
        self.code = code


from wangge.cases.api import router as cases_router  # noqa: E402
from wangge.notifications.api import router as notifications_router  # noqa: E402
from wangge.organisations.api import router as organisations_router  # noqa: E402
from wangge.people.api import router as people_router  # noqa: E402
from wangge.places.api import router as places_router  # noqa: E402
from wangge.profiles.api import router as profiles_router  # noqa: E402
from wangge.territory.api import router as territory_router  # noqa: E402
from wangge.things.api import router as things_router  # noqa: E402

api.add_router("/", territory_router)
api.add_router("/", cases_router)
api.add_router("/", notifications_router)
api.add_router("/", people_router)
api.add_router("/", places_router)
api.add_router("/", things_router)
api.add_router("/", organisations_router)
api.add_router("/", profiles_router)
