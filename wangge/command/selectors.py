"""Read-only queries for the command center: the queue, the boards, the map layers."""

from __future__ import annotations

import threading

from django.db.models import Count, Q
from django.utils import timezone

from wangge.cases.choices import OPEN_STATUSES, Status
from wangge.cases.models import Case, ExtensionRequest, Supervision
from wangge.cases.services import DISPATCH_ROLES
from wangge.territory.models import Area


def _base(user):
    return Case.objects.visible_to(user).select_related("category", "grid", "tier_area",
                                                        "holder_department", "holder_user")


def actionable(queryset, user):
    """Cases whose tier area lies in the user's jurisdiction (what this desk may act on)."""
    if user.is_superuser:
        return queryset
    if user.role not in DISPATCH_ROLES or not user.scope_prefix:
        return queryset.none()
    return queryset.filter(tier_area__prefix__startswith=user.scope_prefix)


def queue(user, limit: int = 50):
    """New reports waiting for acceptance at this desk, urgent first, oldest first."""
    urgency_rank = {"critical": 0, "urgent": 1, "normal": 2}
    rows = list(actionable(_base(user).filter(status=Status.REPORTED), user)
                .order_by("reported_at")[:limit])
    return sorted(rows, key=lambda c: (urgency_rank.get(c.urgency, 3), c.reported_at))


def to_dispatch(user, limit: int = 30):
    return list(actionable(_base(user).filter(status=Status.TO_DISPATCH), user)
                .order_by("step_deadline")[:limit])


def deadline_board(user, now=None, limit: int = 40):
    """Open steps that are overdue (red) or past their warning time (yellow), latest first."""
    now = now or timezone.now()
    base = _base(user).filter(status__in=OPEN_STATUSES).exclude(status=Status.PARKED)
    red = list(base.filter(step_deadline__lte=now).order_by("step_deadline")[:limit])
    yellow = list(base.filter(step_warn_at__lte=now, step_deadline__gt=now)
                  .order_by("step_deadline")[:limit])
    return red, yellow


def returned(user, limit: int = 30):
    return list(actionable(_base(user).filter(status=Status.TO_DISPATCH, return_count__gt=0),
                           user).order_by("-updated_at")[:limit])


def pending_extensions(user, limit: int = 30):
    cases = actionable(Case.objects.visible_to(user), user)
    return list(ExtensionRequest.objects.filter(
        state=ExtensionRequest.State.PENDING, case__in=cases).select_related(
        "case", "case__category", "requested_by").order_by("requested_at")[:limit])


def open_supervisions(user, limit: int = 30):
    return list(Supervision.objects.visible_to(user).select_related("case", "case__category")
                .order_by("replied_at", "-created_at")[:limit])


def counts(user, now=None) -> dict:
    now = now or timezone.now()
    base = Case.objects.visible_to(user)
    today = timezone.localdate(now)
    row = base.aggregate(
        open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        overdue=Count("id", filter=Q(status__in=OPEN_STATUSES, step_deadline__lte=now)),
        today=Count("id", filter=Q(report_date=today)),
        closed_today=Count("id", filter=Q(closed_at__date=today)),
    )
    row["queue"] = actionable(base.filter(status=Status.REPORTED), user).count()
    return row


# --- map ------------------------------------------------------------------------------------

_outline_cache: dict = {}
_outline_lock = threading.Lock()


def grid_outlines(root: Area) -> list[dict]:
    """Simplified outlines of the unit grids under ``root`` (cached per territory version)."""
    import shapely
    from shapely.geometry import mapping, shape

    from wangge.territory.locate import current_version

    key = (root.pk, current_version())
    with _outline_lock:
        if key in _outline_cache:
            return _outline_cache[key]
    features = []
    rows = Area.objects.filter(prefix__startswith=root.prefix, level__in=[4, 5]).exclude(
        geometry=None).values_list("code", "name", "geometry")
    for code, name, geometry in rows:
        simple = shapely.simplify(shape(geometry), 0.00015, preserve_topology=True)
        features.append({"type": "Feature", "properties": {"code": code, "name": name},
                         "geometry": _rounded(mapping(simple))})
    with _outline_lock:
        _outline_cache.clear()
        _outline_cache[key] = features
    return features


def _rounded(geometry):
    def walk(value):
        if isinstance(value, list | tuple):
            if value and isinstance(value[0], float):
                return [round(v, 5) for v in value]
            return [walk(v) for v in value]
        return value

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}


def grid_load(user, now=None) -> dict[str, dict]:
    """Per grid code: open and overdue case counts in the jurisdiction."""
    now = now or timezone.now()
    rows = (Case.objects.visible_to(user).filter(status__in=OPEN_STATUSES)
            .values("grid_code").annotate(
                open=Count("id"), overdue=Count("id", filter=Q(step_deadline__lte=now))))
    return {r["grid_code"]: {"open": r["open"], "overdue": r["overdue"]} for r in rows}


def case_points(user, now=None, limit: int = 3000) -> list[dict]:
    now = now or timezone.now()
    rows = (Case.objects.visible_to(user).filter(status__in=OPEN_STATUSES, lat__isnull=False)
            .order_by("-reported_at").values_list("number", "lon", "lat", "category__name",
                                                  "status", "step_deadline", "step_warn_at",
                                                  "urgency")[:limit])
    points = []
    for number, lon, lat, category, status, deadline, warn, urgency in rows:
        light = "none"
        if deadline:
            light = "red" if now >= deadline else ("yellow" if warn and now >= warn
                                                   else "green")
        points.append({"n": number, "x": round(lon, 6), "y": round(lat, 6), "c": category,
                       "s": str(Status(status).label), "l": light, "u": urgency})
    return points
