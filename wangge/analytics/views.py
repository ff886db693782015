"""Statistics (/analytics/), its XLSX export and monthly PDF report, the early warnings and the
hot-spot map. Thin: figures come from analytics.selectors, scoped to the viewer."""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from wangge.analytics import rules, selectors, warnings
from wangge.analytics.choices import WarningKind
from wangge.analytics.models import RefreshState
from wangge.cases.choices import Source
from wangge.cases.models import Case, Category
from wangge.core.scope import get_scoped_or_404
from wangge.territory.models import Area


def analytics_user_required(view):
    """Logged in, with a jurisdiction (or a superuser): everything is scoped to it."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not (user.is_superuser or user.jurisdiction_id):
            if request.path.endswith(".json"):
                return JsonResponse({"error": _("You have no jurisdiction.")}, status=403)
            raise PermissionDenied(_("You have no jurisdiction."))
        return view(request, *args, **kwargs)

    return wrapped


def _root(user) -> Area:
    if user.jurisdiction_id:
        return user.jurisdiction
    area = Area.objects.filter(parent__isnull=True).order_by("code").first()
    if area is None:
        raise Http404(_("The territory is empty."))
    return area


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def parse_month(value: str | None) -> tuple[int, int] | None:
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        dt.date(year, month, 1)
    except ValueError:
        return None
    return year, month


def filters_from(request) -> selectors.Filters:
    """The filters of the query string, checked: the area must be visible (else 404), a bad
    date falls back to the default (this month so far)."""
    today = timezone.localdate()
    month = parse_month(request.GET.get("month"))
    if month:
        date_from, date_to = selectors.month_bounds(*month)
    else:
        date_from = _date(request.GET.get("from")) or today.replace(day=1)
        date_to = _date(request.GET.get("to")) or today
    if date_to < date_from:
        date_from, date_to = date_to, date_from
    if (date_to - date_from).days > 3 * 366:
        date_from = date_to - dt.timedelta(days=3 * 366)
    code = request.GET.get("area")
    area = get_scoped_or_404(Area, request.user, code=code) if code else _root(request.user)
    category = None
    if request.GET.get("category"):
        category = Category.objects.filter(code=request.GET["category"]).first()
    source = request.GET.get("source", "")
    if source not in Source.values:
        source = ""
    return selectors.Filters(date_from, date_to, area, category, source)


def presets(today: dt.date) -> list[dict]:
    """Quick periods: this month so far, last month, the last 30 days, this year so far."""
    last_month = selectors.add_months(today, -1)
    return [
        {"label": _("This month"), "from": today.replace(day=1), "to": today},
        {"label": _("Last month"), "from": last_month,
         "to": selectors.month_bounds(last_month.year, last_month.month)[1]},
        {"label": _("Last 30 days"), "from": today - dt.timedelta(days=29), "to": today},
        {"label": _("This year"), "from": today.replace(month=1, day=1), "to": today},
    ]


def _last_refresh():
    state = RefreshState.objects.filter(name="stats").first()
    return state.last_finished if state else None


@never_cache
@analytics_user_required
def stats(request):
    f = filters_from(request)
    scope = selectors.Scope.for_user(request.user)
    data = selectors.statistics(scope, f)
    query = f.query()
    today = timezone.localdate()
    report_month = f.date_to if f.date_to < today.replace(day=1) else \
        selectors.add_months(today, -1)
    majors = Category.objects.filter(parent__isnull=True, is_active=True).prefetch_related(
        "children").order_by("code")
    return render(request, "analytics/stats.html", {
        **data,
        "f": f,
        "path": selectors.area_path(scope, f.area),
        "presets": [p | {"query": urlencode({**query, "from": p["from"].isoformat(),
                                              "to": p["to"].isoformat()})}
                    for p in presets(today)],
        "majors": majors,
        "sources": Source.choices,
        "query": urlencode(query),
        "query_without_area": urlencode({k: v for k, v in query.items() if k != "area"}),
        "report_month": f"{report_month:%Y-%m}",
        "report_query": urlencode({"month": f"{report_month:%Y-%m}", "area": f.area.code}),
        "last_refresh": _last_refresh(),
        "comparison_labels": comparison_labels(),
    })


def comparison_labels() -> dict:
    return {"reported": _("Reports"), "accepted": _("Filed"), "closed": _("Closed"),
            "open": _("Still open"), "overdue_open": _("Overdue now"),
            "closure_rate": _("Closure rate"), "on_time_rate": _("On-time closure rate"),
            "satisfaction_rate": _("Satisfaction rate")}


@analytics_user_required
def export(request):
    from wangge.analytics.xlsx import workbook_bytes

    f = filters_from(request)
    data = selectors.statistics(selectors.Scope.for_user(request.user), f)
    response = HttpResponse(
        workbook_bytes(data),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = f"statistics-{f.area.code}-{f.date_from:%Y%m%d}-{f.date_to:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@analytics_user_required
def report_pdf(request):
    from wangge.analytics.report import monthly_report

    month = parse_month(request.GET.get("month"))
    if month is None:
        previous = selectors.add_months(timezone.localdate(), -1)
        month = (previous.year, previous.month)
    code = request.GET.get("area")
    area = get_scoped_or_404(Area, request.user, code=code) if code else _root(request.user)
    pdf = monthly_report(selectors.Scope.for_user(request.user), area, *month,
                         user=request.user)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="monthly-report-{area.code}-{month[0]}-{month[1]:02d}.pdf"')
    return response


# --- warnings -------------------------------------------------------------------------------


@never_cache
@analytics_user_required
def warnings_page(request):
    kind = request.GET.get("kind", "")
    if kind not in WarningKind.values:
        kind = ""
    show_resolved = request.GET.get("state") == "resolved"
    items = warnings.listed(request.user, kind=kind, resolved=show_resolved, limit=200)
    return render(request, "analytics/warnings.html", {
        "items": items, "kind": kind, "kinds": WarningKind.choices,
        "show_resolved": show_resolved, "counts": warnings.open_counts(request.user),
        "rules": rules, "last_run": RefreshState.objects.filter(name="warnings").first(),
    })


@never_cache
@analytics_user_required
def warnings_json(request):
    """The open warnings the viewer may see, with their evidence (for the cockpit)."""
    items = warnings.listed(request.user, limit=200)
    return JsonResponse({
        "generated": timezone.localtime().isoformat(timespec="seconds"),
        "counts": warnings.open_counts(request.user),
        "warnings": [warnings.as_json(w) for w in items],
    })


@never_cache
@analytics_user_required
def warnings_board(request):
    """The small board in the command center (an htmx fragment)."""
    return render(request, "analytics/_board.html", {
        "items": warnings.listed(request.user, limit=8),
        "counts": warnings.open_counts(request.user),
    })


# --- hot-spot map ---------------------------------------------------------------------------

HOT_PERIODS = (7, 30)


def _hot_days(request) -> int:
    try:
        days = int(request.GET.get("days", rules.HOT_DAYS))
    except ValueError:
        days = rules.HOT_DAYS
    return days if days in HOT_PERIODS else rules.HOT_DAYS


def _resolution(request) -> int:
    try:
        res = int(request.GET.get("res", rules.H3_RESOLUTION))
    except ValueError:
        res = rules.H3_RESOLUTION
    return res if res in (8, 9) else rules.H3_RESOLUTION


@never_cache
@analytics_user_required
def hotspots(request):
    days, res = _hot_days(request), _resolution(request)
    return render(request, "analytics/hotspots.html", {
        "days": days, "res": res, "periods": HOT_PERIODS,
        "data_url": reverse("analytics:hotspots_data") + "?" + urlencode({"days": days,
                                                                         "res": res}),
        "map_tile_url": settings.WANGGE.get("MAP_TILE_URL", ""),
        "map_tile_attribution": settings.WANGGE.get("MAP_TILE_ATTRIBUTION", ""),
        "rules": rules,
    })


@never_cache
@analytics_user_required
def hotspots_data(request):
    from wangge.command.selectors import grid_outlines

    days, res = _hot_days(request), _resolution(request)
    now = timezone.now()
    cells = warnings.cell_layer(Case.objects.visible_to(request.user), now, days, res)
    root = _root(request.user)
    return JsonResponse({"cells": cells, "grids": grid_outlines(root), "days": days,
                         "res": res, "generated": now.isoformat()})
