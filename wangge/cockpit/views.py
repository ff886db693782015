"""The leaders' cockpit (领导驾驶舱): one page per area, its figures from a JSON endpoint."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from wangge.accounts.choices import Role
from wangge.cockpit import selectors
from wangge.core.scope import get_scoped_or_404, scoped
from wangge.territory.models import Area

ALLOWED_ROLES = {Role.LEADER, Role.OPERATOR, Role.ADMIN}
PERIODS = (7, 30, 90)  # days; longer cohorts are too slow to count live at a million cases
DEFAULT_PERIOD = 30
REFRESH_SECONDS = 60


def may_use_cockpit(user) -> bool:
    return user.is_superuser or user.role in ALLOWED_ROLES


def cockpit_role_required(view):
    """Logged in, and a leader, an operator or an administrator; others get a 403 page (or a
    JSON 403 from the data endpoints)."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not may_use_cockpit(request.user):
            if request.path.endswith(".json"):
                return JsonResponse({"error": _("The cockpit is for leaders, command-center "
                                                "operators and administrators.")}, status=403)
            return render(request, "cockpit/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _root_for(user) -> Area | None:
    if user.jurisdiction_id:
        return user.jurisdiction
    if user.is_superuser:
        return Area.objects.filter(parent__isnull=True).order_by("code").first()
    return None


@never_cache
@cockpit_role_required
def home(request):
    root = _root_for(request.user)
    if root is None:
        return render(request, "cockpit/forbidden.html", {"no_jurisdiction": True}, status=403)
    return redirect("cockpit:area", code=root.code)


def _area(request, code: str) -> Area:
    """The area, if inside the user's jurisdiction; else 404 (as if it did not exist)."""
    return get_scoped_or_404(Area, request.user, code=code)


def _period(request, now) -> selectors.Period:
    try:
        days = int(request.GET.get("days", DEFAULT_PERIOD))
    except ValueError:
        days = DEFAULT_PERIOD
    if days not in PERIODS:
        days = DEFAULT_PERIOD
    return selectors.Period.last_days(days, now)


def _labels() -> dict:
    """Every text the script shows, translated here (the page carries them as JSON)."""
    return {
        "reported": _("Reports"), "closed": _("Closed"), "open": _("Open cases"),
        "overdue": _("Overdue"), "closure_rate": _("Closure rate"),
        "on_time_rate": _("On-time closure rate"), "satisfaction_rate": _("Satisfaction rate"),
        "today_reports": _("Reports today"),
        "no_data": _("No cases in this period"), "no_children": _("No sub-areas"),
        "no_departments": _("No cases were dispatched to departments in this period"),
        "refresh_failed": _("Could not refresh the figures; the screen shows the last ones "
                            "and tries again in a minute. Check the network or log in again."),
        "load_failed": _("Could not load the figures. Reload the page; if it keeps failing, "
                         "check the network or log in again."),
        "click_to_drill": _("Click to open"), "open_cases_legend": _("Open cases"),
        "exit_full_screen": _("Exit full screen"), "full_screen": _("Full screen"),
        "period_reports": _("Reported in the period"), "period_closed": _("Closed of them"),
        "share_of_open": _("Share of open cases"), "due": _("due for closure"),
        # %s: the level of the sub-areas, e.g. "Street / township"
        "ranking_of": _("Ranking of %s"),
    }


@never_cache
@cockpit_role_required
def area_page(request, code: str):
    area = _area(request, code)
    now = timezone.now()
    period = _period(request, now)
    path = selectors.area_path(request.user, area)
    children = list(scoped(Area, request.user).filter(parent=area).order_by("code")
                    .values("code", "name"))
    return render(request, "cockpit/area.html", {
        "area": area,
        "path": path,
        "children": children,
        "periods": PERIODS,
        "period_days": period.days,
        "labels": _labels(),
        "config": {
            "areaCode": area.code,
            "dataUrl": reverse("cockpit:data", args=[area.code]) + f"?days={period.days}",
            "geoUrl": reverse("cockpit:geo", args=[area.code]),
            "areaUrl": reverse("cockpit:area", args=["CODE"]) + f"?days={period.days}",
            "refreshSeconds": REFRESH_SECONDS,
            "tileUrl": settings.WANGGE["MAP_TILE_URL"] or "",
            "tileAttribution": settings.WANGGE["MAP_TILE_ATTRIBUTION"] or "",
        },
        "back_url": reverse("home"),
    })


@never_cache
@cockpit_role_required
def area_data(request, code: str):
    area = _area(request, code)
    now = timezone.now()
    data = selectors.cockpit(request.user, area, _period(request, now), now)
    data["refresh_seconds"] = REFRESH_SECONDS
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


@cockpit_role_required
def area_geo(request, code: str):
    area = _area(request, code)
    response = JsonResponse(selectors.geometry(request.user, area),
                            json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "private, max-age=300"
    return response

