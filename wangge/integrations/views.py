"""HTTP endpoints for machines: JSON in, JSON out, errors as {code, message[, field]}."""

from __future__ import annotations

import json

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from wangge.integrations import alarms as intake


def _error(status: int, code: str, message: str, **extra) -> JsonResponse:
    response = JsonResponse({"code": code, "message": message, **extra}, status=status,
                            json_dumps_params={"ensure_ascii": False})
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="wangge-alarms"'
    return response


@csrf_exempt
def alarms(request):
    """POST /integrations/alarms/ — one alarm (see README, “Alarms from devices”)."""
    if request.method != "POST":
        response = _error(405, "method_not_allowed", _("Use POST."))
        response["Allow"] = "POST"
        return response
    header = request.headers.get("Authorization", "")
    if not header:
        return _error(401, "unauthorized",
                      _("Send the platform's or the device's key: Authorization: Bearer <key>."))
    principal = intake.authenticate(header)
    if principal is None:
        return _error(401, "unauthorized", _("The key is not valid."))
    if len(request.body) > intake.MAX_BODY_BYTES:
        return _error(413, "too_large", _("The body is larger than %(n)d bytes.") % {
            "n": intake.MAX_BODY_BYTES})
    try:
        payload = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return _error(400, "invalid_json", _("The body is not valid JSON."))
    try:
        result = intake.receive_payload(principal, payload, channel="http")
    except intake.AlarmError as exc:
        return JsonResponse(exc.as_dict(), status=exc.status,
                            json_dumps_params={"ensure_ascii": False})
    return JsonResponse(result.as_dict(), status=result.status,
                        json_dumps_params={"ensure_ascii": False})
