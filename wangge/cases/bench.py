"""``wangge bench cases``: a million cases over two years in the demo county; list and sweep.

Rows are written with raw ``executemany`` in chunks (the ORM would take minutes); every other
figure goes through the same code the platform runs: ``filter_cases`` on the scoped queryset
for the list, ``sweep_overdue`` for the sweep.
"""

from __future__ import annotations

import datetime as dt
import secrets
import statistics
import time

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from wangge.cases.choices import Status, Step, Tier
from wangge.cases.models import Case, Category
from wangge.territory.models import Area

CHUNK = 20_000
COLUMNS = [
    "number", "source", "reporter_name", "reporter_phone", "category_id", "urgency",
    "description", "address", "lon", "lat", "grid_id", "grid_code", "tier", "tier_area_id",
    "status", "self_handled", "resolution", "parked_from", "satisfaction", "evaluation_comment",
    "instruction", "rework_count", "return_count", "extension_count", "escalation_count",
    "report_date", "reported_at", "accepted_at", "closed_at", "step", "step_started_at",
    "step_warn_at", "step_deadline", "step_seq", "overdue_seq", "version", "tracking_token",
    "created_at", "updated_at", "client_ref",
]
OPEN_STATES = [Status.REPORTED, Status.TO_DISPATCH, Status.DISPATCHED, Status.IN_PROGRESS,
               Status.TO_VERIFY]
STEP = {Status.REPORTED: Step.ACCEPT, Status.TO_DISPATCH: Step.DISPATCH,
        Status.DISPATCHED: Step.HANDLE, Status.IN_PROGRESS: Step.HANDLE,
        Status.TO_VERIFY: Step.VERIFY}
SOURCES = ["patrol", "resident", "hotline", "iot", "video", "inspector"]


def _grids():
    grids = list(Area.objects.filter(level=4).only("id", "code", "parent_id", "centroid_lon",
                                                   "centroid_lat").order_by("code"))
    if not grids:
        raise RuntimeError("no grids: load the demo county first (wangge load-demo)")
    return grids


def load(count: int, seed: int = 1, now=None) -> dict:
    """Insert ``count`` cases spread over the two years before ``now``."""
    now = now or timezone.now()
    rng = np.random.default_rng(seed)
    grids = _grids()
    community = [g.parent_id for g in grids]
    lon = np.array([g.centroid_lon for g in grids])
    lat = np.array([g.centroid_lat for g in grids])
    categories = list(Category.objects.filter(parent__isnull=False).values_list("pk",
                                                                                flat=True))
    if connection.vendor == "sqlite":  # what Django writes, without its per-value overhead
        def adapt(value):
            return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")

        adapt_date = dt.date.isoformat
    else:
        def adapt(value):
            return value

        def adapt_date(value):
            return value
    placeholders = ", ".join(["%s"] * len(COLUMNS))
    sql = (f"INSERT INTO {Case._meta.db_table} ({', '.join(COLUMNS)}) "  # noqa: S608
           f"VALUES ({placeholders})")  # table and column names are constants
    span = 730 * 86400
    ages = np.sort(rng.uniform(0, span, count))[::-1]  # oldest first: numbers grow with time
    per_day: dict[dt.date, int] = {}
    started = time.perf_counter()
    inserted = 0
    for start in range(0, count, CHUNK):
        block = ages[start:start + CHUNK]
        n = len(block)
        grid_idx = rng.integers(0, len(grids), n)
        cat_idx = rng.integers(0, len(categories), n)
        source_idx = rng.integers(0, len(SOURCES), n)
        jitter = rng.normal(0, 0.0015, (n, 2))
        state_roll = rng.random(n)
        deadline_hours = rng.uniform(-72, 48, n)
        rows = []
        for i in range(n):
            reported = now - dt.timedelta(seconds=float(block[i]))
            day = timezone.localdate(reported)
            seq = per_day.get(day, 0) + 1
            per_day[day] = seq
            g = int(grid_idx[i])
            age_days = block[i] / 86400
            if age_days > 20 or state_roll[i] > 0.35:
                status = Status.CLOSED if state_roll[i] < 0.97 or age_days <= 20 else (
                    Status.REJECTED)
            else:
                status = OPEN_STATES[int(state_roll[i] * 100) % len(OPEN_STATES)]
            is_open = status in STEP
            step_start = reported + dt.timedelta(minutes=20) if is_open else None
            deadline = (now + dt.timedelta(hours=float(deadline_hours[i]))) if is_open \
                else None
            warn = (step_start + (deadline - step_start) * 0.7) if is_open and \
                deadline > step_start else deadline
            closed_at = reported + dt.timedelta(hours=20) if status == Status.CLOSED else None
            rows.append((
                f"B{day:%Y%m%d}{seq:06d}", SOURCES[int(source_idx[i])], "", "",
                categories[int(cat_idx[i])], "normal", "bench case", "",
                float(lon[g] + jitter[i, 0]), float(lat[g] + jitter[i, 1]), grids[g].pk,
                grids[g].code, Tier.COMMUNITY, community[g], status, False, "", "", "", "", "",
                0, 0, 0, 0, adapt_date(day), adapt(reported),
                adapt(reported + dt.timedelta(minutes=20)) if status != Status.REPORTED
                else None, adapt(closed_at) if closed_at else None,
                STEP.get(status, ""), adapt(step_start) if step_start else None,
                adapt(warn) if warn else None, adapt(deadline) if deadline else None,
                1 if is_open else 0, 0, 1, secrets.token_hex(12), adapt(reported),
                adapt(reported), ""))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, rows)
        inserted += n
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.vendor == "sqlite" else
                       f"ANALYZE {Case._meta.db_table}")
    return {"cases": inserted, "insert_seconds": round(seconds, 2),
            "insert_per_second": round(inserted / seconds)}


def measure_list(repeats: int = 30, seed: int = 2, now=None) -> dict:
    """The case list's first page (count + 20 rows) as the district operator sees it, with
    filters on type, status, grid and overdue."""
    from wangge.accounts.models import User
    from wangge.api import api  # noqa: F401  (the list goes through the same code as the API)
    from wangge.cases.api import summary
    from wangge.cases.selectors import filter_cases, visible_cases

    now = now or timezone.now()
    rng = np.random.default_rng(seed)
    viewers = [User.objects.filter(role="operator", jurisdiction__level=1).first(),
               User.objects.filter(role="dispatcher", jurisdiction__level=2).first()]
    viewers = [v for v in viewers if v is not None]
    grids = list(Area.objects.filter(level=4).values_list("code", flat=True))
    categories = list(Category.objects.filter(parent__isnull=False).values_list("code",
                                                                                 flat=True))
    combos = []
    for i in range(repeats):
        combo = {"status": "open" if i % 3 else str(rng.choice(OPEN_STATES)),
                 "category": str(rng.choice(categories)) if i % 2 == 0 else None,
                 "grid": str(rng.choice(grids)) if i % 4 != 3 else None,
                 "overdue": bool(i % 5 != 0)}
        combos.append(combo)
    # one untimed query first: the first touch of a cold database file costs a disk read
    filter_cases(visible_cases(viewers[0]), user=viewers[0], now=now, **combos[0]).count()
    timings = []
    for viewer in viewers:  # the district center and a street sub-center
        for combo in combos:
            started = time.perf_counter()
            queryset = filter_cases(visible_cases(viewer), user=viewer, now=now, **combo)
            count = queryset.count()
            page = [summary(c, now) for c in queryset[:20]]
            timings.append((time.perf_counter() - started) * 1000)
            assert len(page) <= 20 and count >= len(page)
    timings.sort()
    return {"list_ms": round(statistics.median(timings), 1),
            "list_ms_p95": round(timings[int(len(timings) * 0.95) - 1], 1),
            "list_ms_max": round(max(timings), 1)}


def measure_sweep(now=None) -> dict:
    from wangge.cases.services import sweep_overdue

    now = now or timezone.now()
    due = Case.objects.filter(step_deadline__lt=now).count()
    started = time.perf_counter()
    flagged = sweep_overdue(now=now)
    first = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    again = sweep_overdue(now=now)
    idle = (time.perf_counter() - started) * 1000
    assert flagged == due and again == 0, (flagged, due, again)
    return {"sweep_ms": round(first, 1), "swept": flagged, "sweep_idle_ms": round(idle, 1)}
