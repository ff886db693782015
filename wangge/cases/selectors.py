"""Read-only queries over cases: the one filter used by the web list and the API."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.cases.choices import OPEN_STATUSES, Status
from wangge.cases.models import Case

ORDERINGS = {"reported": ("-reported_at", "-id"), "deadline": ("step_deadline", "id")}


class FilterError(ValueError):
    pass


def _date(value, name):
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise FilterError(_("%(name)s must be a date YYYY-MM-DD") % {"name": name}) from None


def filter_cases(queryset, *, user=None, status=None, category=None, grid=None, area=None,
                 overdue=None, holder=None, date_from=None, date_to=None, q=None, source=None,
                 urgency=None, light=None, ordering="reported", now=None):
    """Apply the list filters. ``status`` may be a comma list or 'open'; ``holder`` is 'me',
    a department code or a username; ``area`` any area code (its whole subtree)."""
    now = now or timezone.now()
    if status:
        statuses = [s.strip() for s in str(status).split(",") if s.strip()]
        if statuses == ["open"]:
            queryset = queryset.filter(status__in=OPEN_STATUSES)
        else:
            unknown = [s for s in statuses if s not in Status.values]
            if unknown:
                raise FilterError(_("unknown status %(s)s") % {"s": ", ".join(unknown)})
            queryset = queryset.filter(status__in=statuses)
    if category:
        field = "category__code" if len(str(category)) == 4 else "category__parent__code"
        queryset = queryset.filter(**{field: category})
    if grid:
        queryset = queryset.filter(grid__code=grid)
    if area:
        from wangge.territory.codes import prefix_of

        queryset = queryset.filter(grid__prefix__startswith=prefix_of(str(area)))
    if overdue is not None and overdue != "":
        flag = overdue if isinstance(overdue, bool) else str(overdue).lower() in ("1", "true",
                                                                                   "yes")
        queryset = queryset.filter(step_deadline__lt=now) if flag else queryset.filter(
            Q(step_deadline__isnull=True) | Q(step_deadline__gte=now))
    if light == "yellow":
        queryset = queryset.filter(step_warn_at__lte=now, step_deadline__gt=now)
    elif light == "red":
        queryset = queryset.filter(step_deadline__lte=now)
    if holder:
        if holder == "me" and user is not None:
            own = Q(holder_user=user)
            if getattr(user, "department_id", None):
                own |= Q(holder_department_id=user.department_id, holder_user__isnull=True)
            queryset = queryset.filter(own)
        else:
            queryset = queryset.filter(Q(holder_department__code=holder)
                                       | Q(holder_user__username=holder))
    start, end = _date(date_from, "date_from"), _date(date_to, "date_to")
    if start:
        queryset = queryset.filter(report_date__gte=start)
    if end:
        queryset = queryset.filter(report_date__lte=end)
    if source:
        queryset = queryset.filter(source=source)
    if urgency:
        queryset = queryset.filter(urgency=urgency)
    if q:
        q = str(q).strip()
        queryset = queryset.filter(Q(number__startswith=q) | Q(description__contains=q)
                                   | Q(address__contains=q))
    return queryset.order_by(*ORDERINGS.get(ordering, ORDERINGS["reported"]))


def visible_cases(user):
    return Case.objects.visible_to(user).select_related(
        "category", "grid", "holder_department", "holder_user", "tier_area")
