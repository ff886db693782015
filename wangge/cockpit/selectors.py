"""The leaders' cockpit figures: pure read functions, each taking (user, area, period, now).

Every query starts from ``Case.objects.visible_to(user)`` (the jurisdiction) and narrows it to
the area with an index range on ``grid_code`` (every case inside an area has a grid code that
starts with the area's prefix). Counting happens in the database (``values().annotate(Count())``
or ``aggregate()``): Python only ever sees a few hundred grouped rows, never the cases, so the
figures stay fast with millions of cases.

The period (``date_from`` … ``date_to``, local dates, both included) selects a cohort: the
cases *reported* in it (``report_date``, indexed). Its indicators, as in DOMAIN.md
("Evaluation"):

- 结案率 (closure rate) = 结案数 / 应结案数, where, over the cases reported in the period,
    结案数   = cases closed (status ``closed``, including cases handled on the spot), and
    应结案数 = handled cases (closed, or with a handling result: ``handled_at`` set)
              + overdue unhandled cases (still open, no handling result, ``step_deadline`` < now).
  Cases not filed (rejected, voided, merged) and open cases still inside their time limit are in
  neither. Parked cases have no running deadline, so they are not overdue.
- 按期结案率 (on-time closure rate) = closed cases handled by their handling deadline / closed
  cases. "Handled by the deadline" means ``handled_at`` (or, when no handling time was recorded,
  ``closed_at``) <= ``handle_deadline`` (the deadline of the last dispatch, moved by approved
  extensions). A closed case that never had a handling deadline (handled on the spot by the grid
  worker) counts as on time.
- 满意率 (satisfaction rate) = (satisfied + fairly satisfied) / rated cases of the period.

Snapshot indicators do not depend on the period:

- today's reports: cases with ``report_date`` = today (local date of ``now``);
- open cases: status not final (not closed, rejected, voided, merged), parked ones included;
- overdue open cases: open cases whose current step's deadline has passed (``step_deadline`` <
  now).

A rate whose denominator is 0 is ``None`` ("—" on the screen), never 0 % or 100 %.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Q
from django.db.models.functions import Substr
from django.utils import timezone

from wangge.cases.choices import OPEN_STATUSES, Satisfaction, Source, Status
from wangge.cases.models import Case, Category
from wangge.core.scope import scoped
from wangge.territory.choices import Level
from wangge.territory.models import Area

TREND_DAYS = 30
TREND_MONTHS = 12
DEPARTMENT_LIMIT = 15


@dataclass(frozen=True)
class Period:
    """Local dates, both ends included."""

    date_from: dt.date
    date_to: dt.date

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    @classmethod
    def last_days(cls, days: int, now: dt.datetime | None = None) -> Period:
        today = timezone.localdate(now or timezone.now())
        return cls(today - dt.timedelta(days=days - 1), today)


# --- building blocks ----------------------------------------------------------------------------


def _is_sole_root(area: Area) -> bool:
    return area.parent_id is None and not Area.objects.filter(
        parent__isnull=True).exclude(pk=area.pk).exists()


def area_q(area: Area) -> Q:
    """Cases inside ``area``: a range on the indexed grid code (``':'`` sorts right after
    ``'9'``). The territory's only root holds every case: no condition (a range over every row
    only misleads the planner)."""
    if _is_sole_root(area):
        return Q()
    return Q(grid_code__gte=area.prefix, grid_code__lt=area.prefix + ":")


def area_cases(user, area: Area):
    """The cases of ``area`` that ``user`` may see (always from the jurisdiction scope)."""
    return Case.objects.visible_to(user).filter(area_q(area))


def cohort_counts(now: dt.datetime) -> dict:
    """The conditional counts behind the rates (see the module docstring), for aggregate() or
    annotate()."""
    closed = Q(status=Status.CLOSED)
    handled = closed | Q(handled_at__isnull=False)
    overdue_unhandled = Q(status__in=OPEN_STATUSES, handled_at__isnull=True,
                          step_deadline__lt=now)
    on_time = closed & (Q(handle_deadline__isnull=True)
                        | Q(handled_at__lte=F("handle_deadline"))
                        | Q(handled_at__isnull=True, closed_at__lte=F("handle_deadline")))
    return {
        "reported": Count("pk"),
        "closed": Count("pk", filter=closed),
        "handled": Count("pk", filter=handled),
        "overdue_unhandled": Count("pk", filter=overdue_unhandled),
        "on_time": Count("pk", filter=on_time),
        "rated": Count("pk", filter=~Q(satisfaction="")),
        "satisfied": Count("pk", filter=Q(satisfaction__in=[Satisfaction.SATISFIED,
                                                             Satisfaction.FAIRLY])),
    }


COUNT_KEYS = ("reported", "closed", "handled", "overdue_unhandled", "on_time", "rated",
              "satisfied")


def _rate(numerator: int, denominator: int) -> float | None:
    if not denominator:
        return None
    return round(100.0 * numerator / denominator, 1)


def rates(counts: dict) -> dict:
    """Closure, on-time and satisfaction rates (percent, one decimal, or None) from counts."""
    due = counts["handled"] + counts["overdue_unhandled"]
    return {
        "due": due,
        "closure_rate": _rate(counts["closed"], due),
        "on_time_rate": _rate(counts["on_time"], counts["closed"]),
        "satisfaction_rate": _rate(counts["satisfied"], counts["rated"]),
    }


def _in_period(queryset, period: Period):
    return queryset.filter(report_date__gte=period.date_from, report_date__lte=period.date_to)


def _children(user, area: Area) -> list[Area]:
    return list(scoped(Area, user).filter(parent=area).order_by("code")
                .only("id", "code", "prefix", "name", "level", "centroid_lon", "centroid_lat",
                      "parent_id"))


def _key_length(area: Area, children: list[Area]) -> int:
    """How many leading grid-code characters name the child an case lies in."""
    lengths = {len(c.prefix) for c in children}
    if len(lengths) == 1:
        return lengths.pop()
    return max(lengths) if lengths else len(area.prefix)


# --- the figures --------------------------------------------------------------------------------


def kpis(user, area: Area, period: Period, now: dt.datetime) -> dict:
    """The tiles: today's reports, open and overdue cases now, the period's counts and rates."""
    return area_breakdown(user, area, period, now)["totals"]


def open_snapshot(user, area: Area, now: dt.datetime, key_length: int | None = None) -> dict:
    """Open and overdue cases now, per grid-code prefix of ``key_length`` (the child areas).
    One query per open status: an equality on the status lets the database use an index even
    where one status (closed) holds nearly every row."""
    cases = area_cases(user, area)
    key_length = key_length or len(area.prefix)
    by_key: dict[str, dict] = {}
    for status in OPEN_STATUSES:
        rows = (cases.filter(status=status)
                .annotate(key=Substr("grid_code", 1, key_length)).values("key")
                .annotate(n=Count("pk"), late=Count("pk", filter=Q(step_deadline__lt=now)))
                .order_by())
        for row in rows:
            slot = by_key.setdefault(row["key"], {"open": 0, "overdue": 0})
            slot["open"] += row["n"]
            slot["overdue"] += row["late"]
    return by_key


def area_breakdown(user, area: Area, period: Period, now: dt.datetime) -> dict:
    """Per child area (townships under a county, villages under a township, grids under a
    village): today's reports, open and overdue now, the period's volumes and rates, for the
    heat map and the ranking; and the area's totals (the sums over every group, so a case
    whose grid lies under no listed child still counts). A unit grid has no children: its
    ``children`` is empty and ``own`` holds its figures."""
    children = _children(user, area)
    key_length = _key_length(area, children)
    snapshot = open_snapshot(user, area, now, key_length)
    cases = area_cases(user, area)
    cohort = {row["key"]: row for row in (
        _in_period(cases, period).annotate(key=Substr("grid_code", 1, key_length))
        .values("key").annotate(**cohort_counts(now)).order_by())}
    today_counts = dict(
        cases.filter(report_date=timezone.localdate(now))
        .annotate(key=Substr("grid_code", 1, key_length)).values("key")
        .annotate(n=Count("pk")).order_by().values_list("key", "n"))

    def figures(key: str | None) -> dict:
        if key is None:  # everything
            counts = {k: sum(row[k] for row in cohort.values()) for k in COUNT_KEYS}
            return {"today_reports": sum(today_counts.values()),
                    "open": sum(s["open"] for s in snapshot.values()),
                    "overdue": sum(s["overdue"] for s in snapshot.values()),
                    **counts, **rates(counts)}
        counts = {k: cohort[key][k] if key in cohort else 0 for k in COUNT_KEYS}
        return {"today_reports": today_counts.get(key, 0),
                **snapshot.get(key, {"open": 0, "overdue": 0}), **counts, **rates(counts)}

    rows = [{"code": child.code, "name": child.name, "level": child.level,
             "lon": child.centroid_lon, "lat": child.centroid_lat,
             **figures(child.prefix[:key_length])} for child in children]
    return {"children": rows, "totals": figures(None)}


def departments(user, area: Area, period: Period, now: dt.datetime,
                limit: int = DEPARTMENT_LIMIT) -> list[dict]:
    """Units that held the area's cases of the period (the last unit each case was dispatched
    to), with volumes and rates; the busiest first."""
    from wangge.dispatch.models import Department

    rows = list(
        _in_period(area_cases(user, area), period).filter(holder_department__isnull=False)
        .values("holder_department_id").annotate(**cohort_counts(now)).order_by("-reported")
        [:limit])
    names = dict(Department.objects.filter(pk__in=[r["holder_department_id"] for r in rows])
                 .values_list("pk", "name"))
    codes = dict(Department.objects.filter(pk__in=names).values_list("pk", "code"))
    return [{"code": codes.get(r["holder_department_id"], ""),
             "name": names.get(r["holder_department_id"], "?"),
             **{k: r[k] for k in COUNT_KEYS}, **rates(r)} for r in rows]


def category_mix(user, area: Area, period: Period) -> list[dict]:
    """Reports of the period per 大类 (major category), the largest first."""
    per_minor = dict(_in_period(area_cases(user, area), period).values("category_id")
                     .annotate(n=Count("pk")).order_by().values_list("category_id", "n"))
    if not per_minor:
        return []
    cats = {c.pk: c for c in Category.objects.filter(
        Q(pk__in=per_minor) | Q(children__pk__in=per_minor)).distinct()}
    majors: dict[int, dict] = {}
    for pk, n in per_minor.items():
        cat = cats.get(pk)
        major = cats.get(cat.parent_id, cat) if cat is not None else None
        if major is None:
            continue
        slot = majors.setdefault(major.pk, {"code": major.code, "name": major.name, "count": 0})
        slot["count"] += n
    return sorted(majors.values(), key=lambda m: (-m["count"], m["code"]))


def source_mix(user, area: Area, period: Period) -> list[dict]:
    """Reports of the period per source (patrol, resident, hotline …), the largest first."""
    rows = (_in_period(area_cases(user, area), period).values("source")
            .annotate(n=Count("pk")).order_by())
    labels = dict(Source.choices)
    result = [{"code": r["source"], "name": str(labels.get(r["source"], r["source"])),
               "count": r["n"]} for r in rows]
    return sorted(result, key=lambda r: (-r["count"], r["code"]))


def daily_trend(user, area: Area, end: dt.date,
                days: int = TREND_DAYS) -> dict:
    """Reports per day over the ``days`` days up to ``end``, and how many of each day's reports
    are closed now."""
    start = end - dt.timedelta(days=days - 1)
    rows = {r["report_date"]: r for r in (
        area_cases(user, area).filter(report_date__gte=start, report_date__lte=end)
        .values("report_date")
        .annotate(n=Count("pk"), closed=Count("pk", filter=Q(status=Status.CLOSED)))
        .order_by())}
    dates = [start + dt.timedelta(days=i) for i in range(days)]
    return {
        "dates": [d.isoformat() for d in dates],
        "reported": [rows[d]["n"] if d in rows else 0 for d in dates],
        "closed": [rows[d]["closed"] if d in rows else 0 for d in dates],
    }


def _month_start(day: dt.date, back: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def monthly_trend(user, area: Area, end: dt.date, months: int = TREND_MONTHS) -> dict:
    """Reports per month over the ``months`` months up to ``end``'s month (the current month
    so far). Counted per day in the database (a covering index on report_date), summed into
    months here (at most 366 rows)."""
    start = _month_start(end, months - 1)
    per_day = (area_cases(user, area).filter(report_date__gte=start, report_date__lte=end)
               .values("report_date").annotate(n=Count("pk")).order_by()
               .values_list("report_date", "n"))
    labels = [_month_start(end, back) for back in range(months - 1, -1, -1)]
    totals = dict.fromkeys(labels, 0)
    for day, n in per_day:
        totals[day.replace(day=1)] += n
    return {"months": [m.strftime("%Y-%m") for m in labels],
            "reported": [totals[m] for m in labels]}


def area_path(user, area: Area) -> list[dict]:
    """The visible ancestors and the area itself, from the top: the breadcrumbs."""
    chain = [a for a in area.ancestors() if user.is_superuser or user.can_see_area(a)]
    return [{"code": a.code, "name": a.name, "level": a.level} for a in [*chain, area]]


def geometry(user, area: Area) -> dict:
    """GeoJSON of the area's outline and its visible children (the map's shapes, loaded once;
    the figures come with the data and are matched by code)."""
    features = []
    for child in scoped(Area, user).filter(parent=area).order_by("code").only(
            "code", "name", "level", "geometry"):
        if child.geometry:
            features.append({"type": "Feature", "geometry": child.geometry, "properties": {
                "code": child.code, "name": child.name, "level": child.level,
                "role": "child"}})
    if area.geometry:
        features.insert(0, {"type": "Feature", "geometry": area.geometry, "properties": {
            "code": area.code, "name": area.name, "level": area.level,
            "role": "self" if features else "leaf"}})
    return {"type": "FeatureCollection", "features": features}


def cockpit(user, area: Area, period: Period, now: dt.datetime) -> dict:
    """Everything the screen shows, as one JSON-ready dict."""
    breakdown = area_breakdown(user, area, period, now)
    children = breakdown["children"]
    return {
        "area": {"code": area.code, "name": area.name, "level": area.level,
                 "level_label": str(Level(area.level).label)},
        "path": area_path(user, area),
        "period": {"from": period.date_from.isoformat(), "to": period.date_to.isoformat(),
                   "days": period.days},
        "now": timezone.localtime(now).isoformat(timespec="seconds"),
        "kpis": breakdown["totals"],
        "children": children,
        "child_level": children[0]["level"] if children else None,
        "child_level_label": str(Level(children[0]["level"]).label) if children else "",
        "departments": departments(user, area, period, now),
        "categories": category_mix(user, area, period),
        "sources": source_mix(user, area, period),
        "trend_daily": daily_trend(user, area, period.date_to),
        "trend_monthly": monthly_trend(user, area, period.date_to),
    }
