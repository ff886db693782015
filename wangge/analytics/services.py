"""The writes of the analytics app: refreshing DailyStat and storing early warnings.

- ``refresh_days`` recounts whole days from the cases in the database (``INSERT … SELECT …
  GROUP BY``: no case row passes through Python), so a refreshed day always equals a direct
  count.
- ``refresh_recent`` (the worker, every ``STATS_EVERY``) recounts the last ``RECENT_DAYS`` days
  and every older day one of whose cases has a timeline entry since the previous refresh (a
  closure, an evaluation, an overdue step …). The first run ever recounts everything.
- ``detect`` (the worker, every ``DETECT_EVERY``) runs the rules of ``analytics.rules`` and
  keeps one open ``EarlyWarning`` per situation.
- ``tick`` is the worker's periodic task: several workers may run; each job is claimed with a
  conditional UPDATE, so only one of them does it per interval.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter, defaultdict

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Max, Min, Q, Sum
from django.utils import timezone

from wangge.analytics import rules
from wangge.analytics.choices import WarningKind
from wangge.analytics.models import COUNTERS, DailyStat, EarlyWarning, RefreshState
from wangge.cases.choices import OPEN_STATUSES, Action, Satisfaction, Status
from wangge.cases.models import Case, CaseEvent, Category
from wangge.territory.models import Area

log = logging.getLogger(__name__)

RECENT_DAYS = 7
STATS_EVERY = dt.timedelta(minutes=5)
DETECT_EVERY = dt.timedelta(minutes=15)
NOT_FILED = [Status.REJECTED, Status.VOIDED, Status.MERGED]
KEY_FIELDS = ("report_date", "grid_code", "category_id", "source", "urgency",
              "holder_department_id")
KEY_COLUMNS = ("report_date", "grid_code", "category_id", "source", "urgency", "department_id")


# --- statistics ---------------------------------------------------------------------------------


def counter_expressions(now: dt.datetime) -> dict:
    """One conditional count per DailyStat counter (``models.COUNTERS``), in that order. The
    definitions of closed, handled, on time, overdue unhandled, rated and satisfied are the
    cockpit's (``wangge.cockpit.selectors``), so both screens agree."""
    closed = Q(status=Status.CLOSED)
    open_ = Q(status__in=OPEN_STATUSES)
    expressions = {
        "reported": Count("pk"),
        "accepted": Count("pk", filter=Q(accepted_at__isnull=False) | Q(self_handled=True)),
        "not_filed": Count("pk", filter=Q(status__in=NOT_FILED)),
        "handled": Count("pk", filter=closed | Q(handled_at__isnull=False)),
        "closed": Count("pk", filter=closed),
        "on_time": Count("pk", filter=closed & (
            Q(handle_deadline__isnull=True) | Q(handled_at__lte=F("handle_deadline"))
            | Q(handled_at__isnull=True, closed_at__lte=F("handle_deadline")))),
        "overdue_unhandled": Count("pk", filter=open_ & Q(handled_at__isnull=True,
                                                          step_deadline__lt=now)),
        "open": Count("pk", filter=open_),
        "overdue_open": Count("pk", filter=open_ & Q(step_deadline__lt=now)),
        "rated": Count("pk", filter=~Q(satisfaction="")),
        "satisfied": Count("pk", filter=Q(satisfaction__in=[Satisfaction.SATISFIED,
                                                             Satisfaction.FAIRLY])),
        "self_handled": Count("pk", filter=Q(self_handled=True)),
        "reworked": Count("pk", filter=Q(rework_count__gt=0)),
        "returned": Count("pk", filter=Q(return_count__gt=0)),
    }
    assert tuple(expressions) == COUNTERS
    return expressions


def _insert_select(condition: Q, now: dt.datetime) -> int:
    """INSERT the DailyStat rows of the cases matching ``condition``, grouped in the database.
    Returns the number of rows written."""
    queryset = (Case.objects.filter(condition).values(*KEY_FIELDS)
                .annotate(**counter_expressions(now)).order_by())
    sql, params = queryset.query.sql_with_params()
    columns = ", ".join((*KEY_COLUMNS, *COUNTERS))
    table = DailyStat._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) {sql}", params)
        return cursor.rowcount  # names are constants; values are bound parameters


def _day_ranges(days) -> list[tuple[dt.date, dt.date]]:
    """Sorted days folded into runs of consecutive days."""
    ranges: list[list[dt.date]] = []
    for day in sorted(set(days)):
        if ranges and day - ranges[-1][1] == dt.timedelta(days=1):
            ranges[-1][1] = day
        else:
            ranges.append([day, day])
    return [(a, b) for a, b in ranges]


def refresh_days(days, now: dt.datetime | None = None) -> int:
    """Recount ``days`` (local dates) from the cases: their rows are replaced in one
    transaction per run of consecutive days. Returns the number of rows written."""
    now = now or timezone.now()
    written = 0
    for first, last in _day_ranges(days):
        with transaction.atomic():
            DailyStat.objects.filter(report_date__gte=first, report_date__lte=last).delete()
            written += _insert_select(Q(report_date__gte=first, report_date__lte=last), now)
    return written


def _state(name: str) -> RefreshState:
    state, _ = RefreshState.objects.get_or_create(name=name)
    return state


def refresh_all(now: dt.datetime | None = None, progress=None) -> dict:
    """Recount every day that has cases, a month at a time (``wangge refresh-stats --all``)."""
    now = now or timezone.now()
    started = time.perf_counter()
    span = Case.objects.order_by().aggregate(first=Min("report_date"), last=Max("report_date"))
    written = 0
    with transaction.atomic():
        DailyStat.objects.all().delete()
    if span["first"] is not None:
        month = span["first"].replace(day=1)
        while month <= span["last"]:
            following = (month + dt.timedelta(days=32)).replace(day=1)
            with transaction.atomic():
                written += _insert_select(
                    Q(report_date__gte=month, report_date__lt=following), now)
            if progress:
                progress(f"{month:%Y-%m}: {written} rows")
            month = following
    _finish("stats", now, {"mode": "all", "rows": written})
    return {"rows": written, "seconds": round(time.perf_counter() - started, 2)}


def touched_days(since: dt.datetime) -> set[dt.date]:
    """The report dates of the cases with a timeline entry at or after ``since``: one indexed
    range per action on (action, at)."""
    case_ids: set[int] = set()
    for action in Action.values:
        case_ids.update(CaseEvent.objects.filter(action=action, at__gte=since)
                        .values_list("case_id", flat=True))
    days: set[dt.date] = set()
    ids = sorted(case_ids)
    for start in range(0, len(ids), 500):
        days.update(Case.objects.filter(pk__in=ids[start:start + 500]).order_by()
                    .values_list("report_date", flat=True).distinct())
    return days


def _finish(name: str, now: dt.datetime, info: dict) -> None:
    state = _state(name)
    state.last_finished = timezone.now()
    state.info = {**info, "watermark": now.isoformat()}
    state.save(update_fields=["last_finished", "info"])


def refresh_recent(now: dt.datetime | None = None, days: int = RECENT_DAYS) -> dict:
    """The worker's incremental refresh (see the module docstring)."""
    now = now or timezone.now()
    state = _state("stats")
    watermark = state.info.get("watermark")
    if not watermark:
        return refresh_all(now)
    started = time.perf_counter()
    today = timezone.localdate(now)
    wanted = {today - dt.timedelta(days=i) for i in range(days)}
    wanted |= touched_days(dt.datetime.fromisoformat(watermark))
    written = refresh_days(wanted, now)
    _finish("stats", now, {"mode": "recent", "days": len(wanted), "rows": written})
    return {"days": len(wanted), "rows": written,
            "seconds": round(time.perf_counter() - started, 2)}


# --- early warning ------------------------------------------------------------------------------


class _Tree:
    """The territory in memory (a few thousand rows): parents, levels, codes."""

    def __init__(self):
        self.by_id: dict[int, tuple] = {}
        self.by_code: dict[str, int] = {}
        self._ancestors: dict[tuple[str, int], int | None] = {}
        for pk, code, prefix, level, parent in Area.objects.values_list(
                "pk", "code", "prefix", "level", "parent_id"):
            self.by_id[pk] = (code, prefix, level, parent)
            self.by_code[code] = pk

    def ancestor_at(self, code: str, level: int) -> int | None:
        key = (code, level)
        if key not in self._ancestors:
            self._ancestors[key] = self._ancestor_at(code, level)
        return self._ancestors[key]

    def _ancestor_at(self, code: str, level: int) -> int | None:
        pk = self.by_code.get(code)
        while pk is not None:
            _, _, lvl, parent = self.by_id[pk]
            if lvl == level:
                return pk
            if lvl < level:
                return None
            pk = parent
        return None

    def chain(self, pk: int) -> list[int]:
        out = []
        while pk is not None:
            out.append(pk)
            pk = self.by_id[pk][3]
        return list(reversed(out))

    def common(self, codes) -> int | None:
        """The deepest area containing every grid in ``codes``."""
        chains = [self.chain(self.by_code[c]) for c in set(codes) if c in self.by_code]
        if not chains:
            return None
        common = None
        for level_ids in zip(*chains, strict=False):
            if len(set(level_ids)) != 1:
                break
            common = level_ids[0]
        return common


def _filed_count():
    return Sum("reported") - Sum("not_filed")


def find_spikes(today: dt.date, tree: _Tree | None = None) -> dict[str, dict]:
    """Rule 1 of ``analytics.rules`` over every unit grid and community, from DailyStat."""
    tree = tree or _Tree()
    start = rules.series_start(today)
    grid_daily: dict[tuple[str, int], dict[dt.date, int]] = defaultdict(dict)
    for grid_code, category_id, day, n in (
            DailyStat.objects.filter(report_date__gte=start, report_date__lte=today)
            .values("grid_code", "category_id", "report_date").annotate(n=_filed_count())
            .order_by().values_list("grid_code", "category_id", "report_date", "n")):
        if n:
            grid_daily[(grid_code, category_id)][day] = n
    community_daily: dict[tuple[int, int], Counter] = defaultdict(Counter)
    for (grid_code, category_id), series in grid_daily.items():
        community = tree.ancestor_at(grid_code, 3)
        if community is not None:
            community_daily[(community, category_id)].update(series)
    window = rules.weekly_windows(today)[0]
    found: dict[str, dict] = {}
    flagged_grids: set[tuple[int, int]] = set()  # (community, category)

    def test(series) -> rules.SpikeTest | None:
        # the window's count first (most series are a handful of scattered days)
        if sum(n for day, n in series.items() if day >= window[0]) < rules.MIN_COUNT:
            return None
        count, baseline = rules.weekly_series(series, today)
        result = rules.spike_test(count, baseline)
        return result if result.is_spike else None

    for (grid_code, category_id), series in grid_daily.items():
        result = test(series)
        area_id = tree.by_code.get(grid_code)
        if result is None or area_id is None:
            continue
        community = tree.ancestor_at(grid_code, 3)
        flagged_grids.add((community, category_id))
        found[f"spike:{grid_code}:{category_id}"] = _spike_fields(
            area_id, category_id, window, result, "grid")
    for (community, category_id), series in community_daily.items():
        if (community, category_id) in flagged_grids:
            continue
        result = test(series)
        if result is not None:
            code = tree.by_id[community][0]
            found[f"spike:{code}:{category_id}"] = _spike_fields(
                community, category_id, window, result, "community")
    return found


def _spike_fields(area_id, category_id, window, result: rules.SpikeTest, level: str) -> dict:
    evidence = result.evidence() | {"level": level, "window": [d.isoformat() for d in window]}
    return {"kind": WarningKind.SPIKE, "area_id": area_id, "category_id": category_id,
            "cell": "", "window_start": window[0], "window_end": window[1],
            "count": result.count, "score": round(result.count / max(result.expected, 0.125), 2),
            "evidence": evidence}


def find_repeats(now: dt.datetime, tree: _Tree | None = None) -> dict[str, dict]:
    """Rule 2 of ``analytics.rules``: reports of the last REPEAT_DAYS days against the cases
    closed in the REPEAT_DAYS before each (cases reported up to 90 days before that)."""
    tree = tree or _Tree()
    today = timezone.localdate(now)
    report_from = today - dt.timedelta(days=rules.REPEAT_DAYS)
    closed_from = now - dt.timedelta(days=2 * rules.REPEAT_DAYS + 1)
    with_place = Q(lat__isnull=False, lon__isnull=False)
    reports = [
        rules.Spot(number, category, lon, lat, at)
        for number, category, lon, lat, at in Case.objects.filter(
            with_place, report_date__gte=report_from, report_date__lte=today)
        .exclude(status__in=NOT_FILED).order_by()
        .values_list("number", "category_id", "lon", "lat", "reported_at")]
    # closed_at is set by the closure only (closed is final); no condition on the status, so
    # that the database reads the report-date range, not every closed case
    closed_rows = list(Case.objects.filter(
        with_place, closed_at__gte=closed_from, closed_at__lte=now,
        report_date__gte=report_from - dt.timedelta(days=90 + rules.REPEAT_DAYS),
        report_date__lte=today).order_by()
        .values_list("number", "category_id", "lon", "lat", "closed_at", "grid_code"))
    closed = [rules.Spot(number, category, lon, lat, at)
              for number, category, lon, lat, at, _ in closed_rows]
    grid_of = {row[0]: row[5] for row in closed_rows}
    pairs = rules.repeated_places(closed, reports)
    if not pairs:
        return {}
    report_grids = dict(Case.objects.filter(number__in=[p.report.key for p in pairs])
                        .values_list("number", "grid_code"))
    groups: dict[str, list[rules.Repeat]] = defaultdict(list)
    for pair in pairs:
        groups[pair.closed.key].append(pair)
    found = {}
    for number, items in groups.items():
        items.sort(key=lambda p: p.report.at)
        first = items[0].closed
        area_id = tree.common([grid_of[number], *(report_grids.get(p.report.key, "")
                                                  for p in items)])
        if area_id is None:
            continue
        evidence = {
            "closed_case": number,
            "closed_at": timezone.localtime(first.at).isoformat(timespec="minutes"),
            "lon": round(first.lon, 6), "lat": round(first.lat, 6),
            "reports": [{"number": p.report.key,
                         "reported_at": timezone.localtime(p.report.at).isoformat(
                             timespec="minutes"),
                         "distance_m": p.distance_m, "days_after": p.days_after}
                        for p in items],
            "radius_m": rules.REPEAT_RADIUS_M, "days": rules.REPEAT_DAYS,
        }
        found[f"repeat:{number}"] = {
            "kind": WarningKind.REPEAT, "area_id": area_id, "category_id": first.category,
            "cell": "", "window_start": timezone.localdate(first.at),
            "window_end": timezone.localdate(items[-1].report.at), "count": len(items),
            "score": float(len(items)), "evidence": evidence}
    return found


def recent_points(queryset, now: dt.datetime, days: int = rules.HOT_DAYS):
    """(lat, lon, grid_code, category_id) of the cases reported in the last ``days`` days."""
    today = timezone.localdate(now)
    return list(queryset.filter(report_date__gt=today - dt.timedelta(days=days),
                                report_date__lte=today, lat__isnull=False, lon__isnull=False)
                .exclude(status__in=[Status.VOIDED, Status.MERGED]).order_by()
                .values_list("lat", "lon", "grid_code", "category_id"))


def find_hotspots(now: dt.datetime, tree: _Tree | None = None) -> dict[str, dict]:
    """Rule 3 of ``analytics.rules``: per street/township, the busiest H3 cells."""
    import h3

    tree = tree or _Tree()
    today = timezone.localdate(now)
    per_street: dict[int, list] = defaultdict(list)
    for lat, lon, grid_code, category_id in recent_points(Case.objects.all(), now):
        street = tree.ancestor_at(grid_code, 2)
        if street is not None:
            cell = h3.latlng_to_cell(lat, lon, rules.H3_RESOLUTION)
            per_street[street].append((cell, grid_code, category_id))
    names = dict(Category.objects.values_list("pk", "name"))
    codes = dict(Category.objects.values_list("pk", "code"))
    found = {}
    for street, rows in per_street.items():
        counts = Counter(cell for cell, _, _ in rows)
        for hot in rules.hot_cells(counts):
            cell = hot["cell"]
            inside = [(g, c) for x, g, c in rows if x == cell]
            area_id = tree.common(g for g, _ in inside) or street
            top = Counter(c for _, c in inside).most_common(3)
            lat, lon = h3.cell_to_latlng(cell)
            evidence = hot | {
                "resolution": rules.H3_RESOLUTION, "days": rules.HOT_DAYS,
                "lat": round(lat, 6), "lon": round(lon, 6),
                "top_categories": [{"code": codes.get(c, ""), "name": names.get(c, "?"),
                                    "count": n} for c, n in top],
                "rule": (f"top {rules.HOT_TOP} of the street, count >= max("
                         f"{rules.HOT_MIN_COUNT}, {rules.HOT_FACTOR:g} × mean per cell)")}
            street_code = tree.by_id[street][0]
            found[f"hotspot:{street_code}:{cell}"] = {
                "kind": WarningKind.HOTSPOT, "area_id": area_id, "category_id": None,
                "cell": cell, "window_start": today - dt.timedelta(days=rules.HOT_DAYS - 1),
                "window_end": today, "count": hot["count"],
                "score": round(hot["count"] / max(hot["mean_per_cell"], 1.0), 2),
                "evidence": evidence}
    return found


FIELDS = ("area_id", "category_id", "cell", "window_start", "window_end", "count", "score",
          "evidence")


def sync_warnings(kind: str, found: dict[str, dict], now: dt.datetime) -> dict:
    """Store ``found`` (key → fields) as the open warnings of ``kind``: new situations are
    created, open ones get the latest evidence, open ones no longer found are resolved."""
    stats = {"created": 0, "updated": 0, "resolved": 0}
    with transaction.atomic():
        current = {w.key: w for w in EarlyWarning.objects.select_for_update()
                   .filter(kind=kind, resolved_at=None)}
        changed = []
        for key, fields in found.items():
            warning = current.get(key)
            if warning is None:
                continue
            for name in FIELDS:
                setattr(warning, name, fields[name])
            warning.updated_at = now
            changed.append(warning)
        EarlyWarning.objects.bulk_update(changed, [*FIELDS, "updated_at"], batch_size=200)
        stats["updated"] = len(changed)
        gone = [w.pk for key, w in current.items() if key not in found]
        stats["resolved"] = EarlyWarning.objects.filter(pk__in=gone).update(resolved_at=now)
        new = [EarlyWarning(key=key, created_at=now, updated_at=now,
                            **{n: fields[n] for n in ("kind", *FIELDS)})
               for key, fields in found.items() if key not in current]
        try:
            with transaction.atomic():
                EarlyWarning.objects.bulk_create(new, batch_size=200)
            stats["created"] = len(new)
        except IntegrityError:  # another worker stored some of them first: one at a time
            for warning in new:
                try:
                    with transaction.atomic():
                        warning.save()
                    stats["created"] += 1
                except IntegrityError:
                    pass
    return stats


def detect(now: dt.datetime | None = None) -> dict:
    """Run the three rules and store their warnings (see ``analytics.rules``)."""
    now = now or timezone.now()
    started = time.perf_counter()
    tree = _Tree()
    result = {}
    for kind, finder in ((WarningKind.SPIKE, lambda: find_spikes(timezone.localdate(now), tree)),
                         (WarningKind.REPEAT, lambda: find_repeats(now, tree)),
                         (WarningKind.HOTSPOT, lambda: find_hotspots(now, tree))):
        result[str(kind)] = sync_warnings(kind, finder(), now)
    result["seconds"] = round(time.perf_counter() - started, 2)
    _finish("warnings", now, result)
    return result


# --- the worker ---------------------------------------------------------------------------------


def _claim(name: str, now: dt.datetime, every: dt.timedelta) -> bool:
    """True for the one worker that may run job ``name`` now (a conditional UPDATE)."""
    _state(name)
    return bool(RefreshState.objects.filter(name=name).filter(
        Q(last_started__isnull=True) | Q(last_started__lte=now - every)
        | Q(last_started__gt=now)).update(last_started=now))


def tick(now: dt.datetime | None = None) -> None:
    """The worker's periodic task: refresh the statistics every STATS_EVERY, then look for
    warnings every DETECT_EVERY."""
    now = now or timezone.now()
    if _claim("stats", now, STATS_EVERY):
        log.info("analytics: statistics refreshed %s", refresh_recent(now))
    if _claim("warnings", now, DETECT_EVERY):
        log.info("analytics: warnings %s", detect(now))
