"""网格通, the grid worker's phone app: pages, the patrol endpoints, the PWA files.

Pages render on the server (they work without JavaScript for reading and for the verify and
handle forms); the report form and the patrol use small scripts, and the service worker keeps
the app shell and the offline report queue."""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wangge.cases import services as case_services
from wangge.cases.choices import Action
from wangge.cases.models import Case
from wangge.core.scope import get_scoped_or_404
from wangge.gridapp import selectors
from wangge.gridapp import services as patrol_services
from wangge.gridapp.models import Patrol

STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "wangge" / "gridapp"
SHELL_FILES = ["wangge/app.css", "wangge/gridapp/gridapp.css", "wangge/gridapp/outbox.js",
               "wangge/gridapp/app.js", "wangge/gridapp/report.js", "wangge/gridapp/patrol.js",
               "wangge/gridapp/icon.svg", "wangge/gridapp/icon-192.png",
               "vendor/leaflet/leaflet.js", "vendor/leaflet/leaflet.css"]
SHELL_PAGES = ["gridapp:home", "gridapp:report", "gridapp:tasks", "gridapp:patrol"]


def js_strings() -> dict:
    """Messages the scripts show, translated on the server (cached pages keep them offline)."""
    return {
        "queued": _("%(n)s waiting to be sent"),
        "queue_empty": _("Nothing waiting to be sent."),
        "sending": _("Sending…"),
        "sent": _("Sent: case %(number)s."),
        "sent_self": _("Recorded as handled on the spot: case %(number)s."),
        "saved_offline": _("No network: the report is kept on this phone and will be sent "
                           "automatically when the network returns."),
        "offline": _("Offline: reports are kept on this phone and sent later."),
        "offline_short": _("Offline"),
        "online": _("Online"),
        "login_again": _("Your login has expired: log in again and the waiting reports will be "
                         "sent."),
        "server_busy": _("The server did not answer; it will be tried again automatically."),
        "refused": _("Not accepted: %(message)s"),
        "delete": _("Delete"),
        "retry": _("Send now"),
        "confirm_delete": _("Delete this waiting report from the phone? It was not sent."),
        "locating": _("Finding your position…"),
        "located": _("Located: %(name)s"),
        "accuracy": _("accuracy ±%(m)s m"),
        "outside": _("Outside your grids: choose the grid below."),
        "no_gps": _("No GPS position (%(reason)s). Choose the grid below."),
        "gps_unsupported": _("This phone gives no position. Choose the grid below."),
        "locate_offline": _("Position recorded; the grid will be found when the report is sent."),
        "need_category": _("Choose the type of the problem."),
        "need_description": _("Describe the problem."),
        "need_location": _("Wait for the position, or choose the grid."),
        "need_resolution": _("Say how you handled it."),
        "need_result_photo": _("Take a photo of the result."),
        "no_match": _("No type matches “%(q)s”. Try a shorter word."),
        "selected": _("Selected: %(name)s"),
        "patrol_running": _("Patrolling since %(time)s"),
        "patrol_points": _("%(n)s points · %(km)s km · %(min)s min"),
        "patrol_gps_wait": _("Waiting for the GPS…"),
        "patrol_gps_error": _("No GPS: %(reason)s. Allow location access for this site and "
                              "stay outdoors."),
        "patrol_sync_error": _("Points could not be saved yet (%(reason)s); they are kept and "
                               "sent again."),
        "patrol_stopped": _("Patrol stopped: %(km)s km in %(min)s min."),
        "patrol_none": _("No points recorded on this patrol."),
        "load_error": _("Could not load: %(reason)s. Check the network and try again."),
        "network_error": _("no network"),
    }


def _json_error(message: str, code: str, status: int) -> JsonResponse:
    return JsonResponse({"code": code, "message": message}, status=status)


def api_login_required(view):
    """For the JSON endpoints: 401 with a message instead of a redirect to the login page."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return _json_error(_("Log in again."), "unauthenticated", 401)
        try:
            return view(request, *args, **kwargs)
        except patrol_services.PatrolError as exc:
            return _json_error(exc.message, exc.code, exc.status)

    return wrapper


def _page(request, template: str, context: dict, active: str) -> HttpResponse:
    context.update({"nav_active": active, "js_strings": js_strings(),
                    "manifest_url": reverse("gridapp:manifest"), "sw_url": reverse("gridapp:sw")})
    return render(request, template, context)


# --- pages ----------------------------------------------------------------------------------


@login_required
def home(request):
    user = request.user
    verify = list(selectors.to_verify(user)[:20])
    held = list(selectors.held_by_me(user)[:20])
    return _page(request, "gridapp/home.html", {
        "posts": selectors.my_posts(user), "to_verify": verify, "held": held,
        "counts": selectors.today_counts(user), "now": timezone.now(),
    }, "home")


@login_required
def tasks(request):
    user = request.user
    return _page(request, "gridapp/tasks.html", {
        "to_verify": selectors.to_verify(user)[:100], "held": selectors.held_by_me(user)[:100],
        "reports": selectors.my_reports(user), "now": timezone.now(),
    }, "tasks")


@login_required
def report(request):
    categories, usual = selectors.categories_for(request.user)
    return _page(request, "gridapp/report.html", {
        "categories": categories, "usual": usual, "posts": selectors.my_posts(request.user),
        "can_self_handle": request.user.role == "grid_worker",
        "max_upload": settings.WANGGE.get("MAX_UPLOAD_BYTES", 10 * 1024 * 1024),
    }, "report")


def _case_for(request, number: str) -> Case:
    return get_scoped_or_404(Case, request.user, number=number)


def _photos_of(case: Case):
    return [{"id": a.pk, "kind": a.kind, "url": reverse("cases:file", args=[case.number, a.pk]),
             "label": a.get_kind_display()}
            for a in case.attachments.all().order_by("id") if a.content_type.startswith("image/")]


def _last_event(case: Case, actions):
    return case.events.filter(action__in=actions).order_by("-id").first()


@login_required
@require_http_methods(["GET", "POST"])
def verify(request, number: str):
    """核查: see the department's result, take a photo, pass or fail (with the reason)."""
    case = _case_for(request, number)
    error = ""
    if request.method == "POST":
        decision = request.POST.get("decision")
        note = request.POST.get("note", "")
        photos = request.FILES.getlist("photos")
        if decision not in ("pass", "fail"):
            error = _("Choose whether the case passes or fails the verification.")
        else:
            try:
                version = int(request.POST.get("version") or 0) or None
                case_services.verify(actor=request.user, case=case, passed=decision == "pass",
                                     note=note, photos=photos, expected_version=version)
            except case_services.CaseError as exc:
                error = exc.message
            else:
                messages.success(request, _("Case %(number)s: verification passed.") % {
                    "number": number} if decision == "pass" else _(
                    "Case %(number)s: verification failed, sent back for rework.") % {
                    "number": number})
                return redirect("gridapp:home")
        case = _case_for(request, number)
    allowed = case_services.allowed_actions(case, request.user)
    return _page(request, "gridapp/verify.html", {
        "case": case, "photos": _photos_of(case), "error": error,
        "can_verify": Action.VERIFY_PASS in allowed,
        "result": _last_event(case, [Action.FEEDBACK]),
        "post": request.POST if request.method == "POST" else {},
    }, "tasks")


@login_required
@require_http_methods(["GET", "POST"])
def handle(request, number: str):
    """A case held by me: sign for it, then report the result with photos (处置反馈)."""
    case = _case_for(request, number)
    error = ""
    if request.method == "POST":
        action = request.POST.get("action")
        version = int(request.POST.get("version") or 0) or None
        try:
            if action == "sign":
                case_services.sign(actor=request.user, case=case, expected_version=version)
                messages.success(request, _("Signed for case %(number)s. Report the result "
                                            "when it is handled.") % {"number": number})
                return redirect("gridapp:handle", number=number)
            if action == "feedback":
                case_services.feedback(actor=request.user, case=case,
                                       note=request.POST.get("note", ""),
                                       photos=request.FILES.getlist("photos"),
                                       expected_version=version)
                messages.success(request, _("Result of case %(number)s reported; it now "
                                            "waits for verification.") % {"number": number})
                return redirect("gridapp:home")
            error = _("Unknown action.")
        except case_services.CaseError as exc:
            error = exc.message
        case = _case_for(request, number)
    allowed = case_services.allowed_actions(case, request.user)
    return _page(request, "gridapp/handle.html", {
        "case": case, "photos": _photos_of(case), "error": error,
        "can_sign": Action.SIGN in allowed, "can_feedback": Action.FEEDBACK in allowed,
        "can_verify": Action.VERIFY_PASS in allowed,
        "post": request.POST if request.method == "POST" else {},
    }, "tasks")


@login_required
def patrol(request):
    from wangge.territory.models import Area

    user = request.user
    grids = Area.objects.filter(pk__in=selectors.my_grid_ids(user)).exclude(geometry=None)
    features = [{"type": "Feature", "geometry": g.geometry,
                 "properties": {"code": g.code, "name": g.name}} for g in grids]
    running = patrol_services.running_patrol(user)
    recent = Patrol.objects.filter(user=user, ended_at__isnull=False).order_by(
        "-started_at")[:10]
    return _page(request, "gridapp/patrol.html", {
        "grids": {"type": "FeatureCollection", "features": features},
        "running": _patrol_out(running, with_points=True) if running else None,
        "recent": recent,
    }, "patrol")


# --- patrol endpoints ---------------------------------------------------------------------------


def _patrol_out(patrol: Patrol, with_points: bool = False) -> dict:
    data = {
        "id": patrol.pk, "started_at": patrol.started_at.isoformat(),
        "ended_at": patrol.ended_at.isoformat() if patrol.ended_at else None,
        "running": patrol.ended_at is None, "distance_m": patrol.distance_m,
        "duration_s": patrol.duration_s if patrol.ended_at else int(
            (timezone.now() - patrol.started_at).total_seconds()),
        "point_count": patrol.point_count,
        "last_ms": patrol.points[-1][2] if patrol.points else None,
    }
    if with_points:
        data["points"] = patrol.points
    return data


def _body(request) -> dict:
    if not request.body:
        return {}
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise patrol_services.PatrolError(_("The request body is not JSON."), "invalid") from None
    if not isinstance(data, dict):
        raise patrol_services.PatrolError(_("The request body must be a JSON object."), "invalid")
    return data


@require_http_methods(["GET", "POST"])
@api_login_required
def patrols_api(request):
    """GET: my recent patrols. POST: start one (201)."""
    if request.method == "POST":
        started = patrol_services.start_patrol(user=request.user)
        return JsonResponse(_patrol_out(started, with_points=True), status=201)
    rows = Patrol.objects.filter(user=request.user).order_by("-started_at")[:50]
    return JsonResponse({"results": [_patrol_out(p) for p in rows]})


def _mine(request, patrol_id: int) -> Patrol:
    found = Patrol.objects.filter(pk=patrol_id, user=request.user).first()
    if found is None:
        raise patrol_services.PatrolError(_("No such patrol of yours."), "not_found", 404)
    return found


@require_GET
@api_login_required
def patrol_api(request, patrol_id: int):
    return JsonResponse(_patrol_out(_mine(request, patrol_id), with_points=True))


@require_POST
@api_login_required
def patrol_points_api(request, patrol_id: int):
    found, added = patrol_services.add_points(user=request.user, patrol=patrol_id,
                                              points=_body(request).get("points", []))
    return JsonResponse(_patrol_out(found) | {"added": added})


@require_POST
@api_login_required
def patrol_stop_api(request, patrol_id: int):
    found = patrol_services.stop_patrol(user=request.user, patrol=patrol_id,
                                        points=_body(request).get("points") or [])
    return JsonResponse(_patrol_out(found, with_points=True))


@never_cache
@require_GET
def session_api(request):
    """The CSRF token and user of this browser session (for the service worker's queue)."""
    if not request.user.is_authenticated:
        return _json_error(_("Log in again."), "unauthenticated", 401)
    return JsonResponse({"csrf": get_token(request), "user": request.user.username})


# --- PWA files --------------------------------------------------------------------------------


def _shell_version() -> str:
    digest = hashlib.sha256()
    for name in ["sw.js"] + [f.split("/", 2)[-1] for f in SHELL_FILES if "gridapp/" in f]:
        path = STATIC_DIR / name
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@require_GET
def service_worker(request):
    """The service worker, served under /m/ so that its scope is the app."""
    source = (STATIC_DIR / "sw.js").read_text(encoding="utf-8")
    config = {
        "version": _shell_version(),
        "shell": [static(f) for f in SHELL_FILES],
        "pages": [reverse(name) for name in SHELL_PAGES],
        "outbox": static("wangge/gridapp/outbox.js"),
        "scope": reverse("gridapp:home"),
    }
    body = f"self.WANGGE_SW = {json.dumps(config)};\n{source}"
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("gridapp:home")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request):
    data = {
        "name": _("Wangge grid app"), "short_name": _("Grid app"),
        "description": _("Report, verify and patrol for grid workers."),
        "lang": "zh-CN", "start_url": reverse("gridapp:home"), "scope": reverse("gridapp:home"),
        "display": "standalone", "orientation": "portrait",
        "background_color": "#f3f5f9", "theme_color": "#0f1b33",
        "icons": [
            {"src": static("wangge/gridapp/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("wangge/gridapp/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": static("wangge/gridapp/icon-maskable-512.png"), "sizes": "512x512",
             "type": "image/png", "purpose": "maskable"},
            {"src": static("wangge/gridapp/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
        "shortcuts": [
            {"name": _("Report"), "url": reverse("gridapp:report")},
            {"name": _("Patrol"), "url": reverse("gridapp:patrol")},
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response
