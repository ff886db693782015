"""The statistics (统计分析), read from DailyStat only: never from the cases.

Every figure is about a cohort, as on the cockpit: the cases *reported* in the period (local
dates, both ends included), counted per day, unit grid, 小类, source, urgency and holding unit
by ``analytics.services.refresh_days``. The rates (DOMAIN.md, "Evaluation"; the cockpit's):

- 结案率 closure rate = closed / due, due = handled + overdue unhandled (open, no handling
  result, current step past its deadline when the day was last refreshed);
- 按期结案率 on-time closure rate = closed cases handled by their handling deadline / closed;
- 满意率 satisfaction rate = (satisfied + fairly satisfied) / rated.

A rate whose denominator is 0 is None ("—"), never 0 % or 100 %.

Comparisons: 环比 (month-on-month) compares with the period just before, of the same length —
whole calendar months with as many months before (October → September), other periods with as
many days before; 同比 (year-on-year) compares with the same dates one year earlier (29 February
→ 28 February). Counts compare as a relative change (percent), rates as a difference in
percentage points.

Every function takes a ``Scope``: the DailyStat rows and areas the viewer may see
(``Scope.for_user``), or everything (``Scope.everything``, for the command line).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, replace

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.utils.translation import gettext as _

from wangge.analytics.models import COUNTERS, DailyStat
from wangge.cases.choices import Source, Urgency
from wangge.cases.models import Category
from wangge.core.scope import scoped
from wangge.territory.choices import Level
from wangge.territory.models import Area

DAILY_LIMIT_DAYS = 62  # longer periods are shown per month
SUMS = {name: Sum(name) for name in COUNTERS}


@dataclass(frozen=True)
class Scope:
    stats: QuerySet
    areas: QuerySet

    @classmethod
    def for_user(cls, user) -> Scope:
        return cls(DailyStat.objects.visible_to(user), scoped(Area, user))

    @classmethod
    def everything(cls) -> Scope:
        return cls(DailyStat.objects.all(), Area.objects.all())


@dataclass(frozen=True)
class Filters:
    date_from: dt.date
    date_to: dt.date
    area: Area
    category: Category | None = None  # a 大类 (its 小类 together) or a 小类
    source: str = ""

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def shifted(self, date_from: dt.date, date_to: dt.date) -> Filters:
        return replace(self, date_from=date_from, date_to=date_to)

    def query(self) -> dict:
        """The filters as URL parameters."""
        params = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat(),
                  "area": self.area.code}
        if self.category is not None:
            params["category"] = self.category.code
        if self.source:
            params["source"] = self.source
        return params


# --- periods ----------------------------------------------------------------------------------


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: dt.date, months: int) -> dt.date:
    """The first of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def is_whole_months(date_from: dt.date, date_to: dt.date) -> bool:
    return date_from.day == 1 and date_to == month_bounds(date_to.year, date_to.month)[1]


def previous_period(date_from: dt.date, date_to: dt.date) -> tuple[dt.date, dt.date]:
    """环比: the period just before, of the same length (see the module docstring)."""
    if is_whole_months(date_from, date_to):
        months = (date_to.year * 12 + date_to.month) - (date_from.year * 12 + date_from.month) + 1
        return add_months(date_from, -months), date_from - dt.timedelta(days=1)
    end = date_from - dt.timedelta(days=1)
    return end - dt.timedelta(days=(date_to - date_from).days), end


def year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def year_ago_period(date_from: dt.date, date_to: dt.date) -> tuple[dt.date, dt.date]:
    """同比: the same dates one year earlier (a whole month stays a whole month)."""
    if is_whole_months(date_from, date_to):
        return (year_before(date_from),
                month_bounds(date_to.year - 1, date_to.month)[1])
    return year_before(date_from), year_before(date_to)


# --- counting ---------------------------------------------------------------------------------


def area_q(area: Area) -> Q:
    """Rows inside ``area``: a range on the indexed grid code (as the cockpit's)."""
    if area.parent_id is None and not Area.objects.filter(parent__isnull=True).exclude(
            pk=area.pk).exists():
        return Q()
    return Q(grid_code__gte=area.prefix, grid_code__lt=area.prefix + ":")


def category_q(category: Category | None) -> Q:
    if category is None:
        return Q()
    if category.parent_id is None:
        return Q(category__parent_id=category.pk)
    return Q(category_id=category.pk)


def filtered(scope: Scope, f: Filters) -> QuerySet:
    rows = scope.stats.filter(area_q(f.area), category_q(f.category),
                              report_date__gte=f.date_from, report_date__lte=f.date_to)
    if f.source:
        rows = rows.filter(source=f.source)
    return rows


def rate(numerator: int, denominator: int) -> float | None:
    if not denominator:
        return None
    return round(100.0 * numerator / denominator, 1)


def with_rates(counts: dict) -> dict:
    """The counts, the due count and the three rates (percent, one decimal, or None)."""
    counts = {name: counts.get(name) or 0 for name in COUNTERS} | {
        k: v for k, v in counts.items() if k not in COUNTERS}
    due = counts["handled"] + counts["overdue_unhandled"]
    return counts | {
        "due": due,
        "closure_rate": rate(counts["closed"], due),
        "on_time_rate": rate(counts["on_time"], counts["closed"]),
        "satisfaction_rate": rate(counts["satisfied"], counts["rated"]),
    }


def totals(rows: QuerySet) -> dict:
    return with_rates(rows.order_by().aggregate(**SUMS))


def change(current, before, points: bool = False):
    """Relative change of a count in percent (None when before is 0 or unknown), or for rates
    (``points``) the difference in percentage points."""
    if current is None or before is None:
        return None
    if points:
        return round(current - before, 1)
    if not before:
        return None
    return round(100.0 * (current - before) / before, 1)


COMPARED = [("reported", False), ("accepted", False), ("closed", False), ("open", False),
            ("overdue_open", False), ("closure_rate", True), ("on_time_rate", True),
            ("satisfaction_rate", True)]


def compare(scope: Scope, f: Filters) -> dict:
    """The period's totals with 环比 and 同比 (see the module docstring)."""
    current = totals(filtered(scope, f))
    prev_from, prev_to = previous_period(f.date_from, f.date_to)
    year_from, year_to = year_ago_period(f.date_from, f.date_to)
    previous = totals(filtered(scope, f.shifted(prev_from, prev_to)))
    year_ago = totals(filtered(scope, f.shifted(year_from, year_to)))
    rows = [{"key": key, "current": current[key], "previous": previous[key],
             "year_ago": year_ago[key], "mom": change(current[key], previous[key], points),
             "yoy": change(current[key], year_ago[key], points), "points": points}
            for key, points in COMPARED]
    return {"current": current, "previous": previous, "year_ago": year_ago, "rows": rows,
            "previous_period": (prev_from, prev_to), "year_ago_period": (year_from, year_to)}


def _grouped(rows: QuerySet, *fields) -> list[dict]:
    return list(rows.values(*fields).annotate(**SUMS).order_by())


def _finish(items: list[dict], total: int) -> list[dict]:
    for item in items:
        item.update(with_rates(item))
        item["share"] = rate(item["reported"], total)
    return items


def by_area(scope: Scope, f: Filters, total: int | None = None) -> dict:
    """Per child area of the chosen one (a unit grid has none), to drill down."""
    children = list(scope.areas.filter(parent=f.area).order_by("code")
                    .only("id", "code", "prefix", "name", "level"))
    if not children:
        return {"level": None, "rows": []}
    lengths = {len(c.prefix) for c in children}
    key_length = lengths.pop() if len(lengths) == 1 else max(lengths | {len(f.area.prefix)})
    grouped = {row["key"]: row for row in _grouped(
        filtered(scope, f).annotate(key=Substr("grid_code", 1, key_length)), "key")}
    items = []
    for child in children:
        counts = grouped.get(child.prefix[:key_length], {})
        items.append({"code": child.code, "name": child.name, "level": child.level,
                      **{k: counts.get(k) or 0 for k in COUNTERS}})
    total = sum(i["reported"] for i in items) if total is None else total
    return {"level": children[0].level, "level_label": str(Level(children[0].level).label),
            "rows": _finish(items, total)}


def by_category(scope: Scope, f: Filters, total: int | None = None) -> list[dict]:
    """Per 大类, the largest first, each with its 小类 (``minors``)."""
    grouped = _grouped(filtered(scope, f), "category_id")
    cats = {c.pk: c for c in Category.objects.filter(
        Q(pk__in=[r["category_id"] for r in grouped])
        | Q(children__pk__in=[r["category_id"] for r in grouped])).distinct()}
    majors: dict[int, dict] = {}
    for row in grouped:
        minor = cats.get(row["category_id"])
        if minor is None:
            continue
        major = cats.get(minor.parent_id, minor)
        slot = majors.setdefault(major.pk, {"code": major.code, "name": major.name,
                                            "minors": [], **dict.fromkeys(COUNTERS, 0)})
        counts = {k: row[k] or 0 for k in COUNTERS}
        for k in COUNTERS:
            slot[k] += counts[k]
        slot["minors"].append({"code": minor.code, "name": minor.name, **counts})
    total = sum(m["reported"] for m in majors.values()) if total is None else total
    result = sorted(majors.values(), key=lambda m: (-m["reported"], m["code"]))
    for major in result:
        major["minors"] = _finish(sorted(major["minors"],
                                         key=lambda m: (-m["reported"], m["code"])), total)
    return _finish(result, total)


def _by_choice(scope: Scope, f: Filters, field: str, choices, total: int | None) -> list[dict]:
    labels = dict(choices)
    items = [{"code": row[field], "name": str(labels.get(row[field], row[field])),
              **{k: row[k] or 0 for k in COUNTERS}}
             for row in _grouped(filtered(scope, f), field)]
    total = sum(i["reported"] for i in items) if total is None else total
    order = list(labels)
    items.sort(key=lambda i: (order.index(i["code"]) if i["code"] in order else len(order)))
    return _finish(items, total)


def by_source(scope: Scope, f: Filters, total: int | None = None) -> list[dict]:
    items = _by_choice(scope, f, "source", Source.choices, total)
    return sorted(items, key=lambda i: -i["reported"])


def by_urgency(scope: Scope, f: Filters, total: int | None = None) -> list[dict]:
    return _by_choice(scope, f, "urgency", Urgency.choices, total)


def by_department(scope: Scope, f: Filters, total: int | None = None,
                  limit: int | None = None) -> list[dict]:
    """Per holding unit (the last unit each case was dispatched to), the busiest first; the
    cases never dispatched to a unit form one row without a code."""
    from wangge.dispatch.models import Department

    grouped = _grouped(filtered(scope, f), "department_id")
    names = dict(Department.objects.filter(pk__in=[r["department_id"] for r in grouped])
                 .values_list("pk", "name"))
    items = [{"code": row["department_id"] or "",
              "name": names.get(row["department_id"], "?") if row["department_id"]
              else _("Not dispatched to a unit"),
              **{k: row[k] or 0 for k in COUNTERS}} for row in grouped]
    total = sum(i["reported"] for i in items) if total is None else total
    items.sort(key=lambda i: (i["code"] == "", -i["reported"], i["name"]))
    return _finish(items[:limit] if limit else items, total)


def by_time(scope: Scope, f: Filters) -> dict:
    """Per day (periods up to DAILY_LIMIT_DAYS days) or per month, with the same day or month
    one year earlier (同比)."""
    daily = f.days <= DAILY_LIMIT_DAYS
    year_from, year_to = year_ago_period(f.date_from, f.date_to)

    def per_day(flt: Filters) -> dict[dt.date, dict]:
        return {row["report_date"]: row for row in _grouped(filtered(scope, flt),
                                                             "report_date")}

    now_rows, year_rows = per_day(f), per_day(f.shifted(year_from, year_to))

    def bucket(day: dt.date) -> dt.date:
        return day if daily else day.replace(day=1)

    def fold(rows: dict[dt.date, dict], shift_year: bool) -> dict[dt.date, dict]:
        out: dict[dt.date, dict] = {}
        for day, row in rows.items():
            key = bucket(day)
            if shift_year:
                try:
                    key = key.replace(year=key.year + 1)
                except ValueError:
                    key = key.replace(year=key.year + 1, day=28)
            slot = out.setdefault(key, dict.fromkeys(COUNTERS, 0))
            for k in COUNTERS:
                slot[k] += row[k] or 0
        return out

    current, last_year = fold(now_rows, False), fold(year_rows, True)
    keys, day = [], f.date_from
    while day <= f.date_to:
        if bucket(day) not in keys:
            keys.append(bucket(day))
        day += dt.timedelta(days=1)
    rows = []
    for key in keys:
        counts = with_rates(current.get(key, {}))
        before = last_year.get(key, {}).get("reported", 0)
        rows.append({"date": key, "label": key.isoformat() if daily else f"{key:%Y-%m}",
                     **counts, "year_ago": before, "yoy": change(counts["reported"], before)})
    peak = max((r["reported"] for r in rows), default=0)
    for row in rows:
        row["bar"] = round(100.0 * row["reported"] / peak, 1) if peak else 0
    return {"unit": "day" if daily else "month", "rows": rows}


def statistics(scope: Scope, f: Filters) -> dict:
    """Everything the page, the XLSX export and the monthly report show."""
    comparison = compare(scope, f)
    total = comparison["current"]["reported"]
    return {
        "filters": f,
        "comparison": comparison,
        "totals": comparison["current"],
        "areas": by_area(scope, f, total),
        "categories": by_category(scope, f, total),
        "sources": by_source(scope, f, total),
        "urgencies": by_urgency(scope, f, total),
        "departments": by_department(scope, f, total),
        "time": by_time(scope, f),
    }


def monthly_trend(scope: Scope, f: Filters, months: int = 12) -> list[dict]:
    """Reports and closure rate per month over the ``months`` months up to f.date_to's month,
    for the report's trend chart."""
    start = add_months(f.date_to, -(months - 1))
    end = month_bounds(f.date_to.year, f.date_to.month)[1]
    rows = _grouped(filtered(scope, f.shifted(start, end)), "report_date")
    per_month: dict[dt.date, dict] = {}
    for row in rows:
        slot = per_month.setdefault(row["report_date"].replace(day=1),
                                    dict.fromkeys(COUNTERS, 0))
        for k in COUNTERS:
            slot[k] += row[k] or 0
    return [{"month": add_months(start, i), **with_rates(per_month.get(add_months(start, i), {}))}
            for i in range(months)]


def area_path(scope: Scope, area: Area) -> list[Area]:
    """The visible ancestors and the area: the breadcrumbs."""
    visible = set(scope.areas.filter(pk__in=[a.pk for a in area.ancestors()])
                  .values_list("pk", flat=True))
    return [*(a for a in area.ancestors() if a.pk in visible), area]
