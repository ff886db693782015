# ruff: noqa: S608  (the SQL is built from table names and integer ids read from the database)
"""``wangge bench evaluate``: a month's evaluation of every worker, dispatcher, department and
area of the demo county over the million cases of ``wangge.cases.bench.load``.

``cases.bench.load`` writes only what its list and sweep need; ``fill`` completes the rows
with set-based SQL (no per-row Python): step times and deadlines, reporters, departments,
satisfaction, some late steps, returns, reworks, voids and on-the-spot handling, and then the
timeline events the indicators read (accept, dispatch, return, feedback, verify) with
INSERT … SELECT, and a month of patrols for every grid worker.
"""

from __future__ import annotations

import datetime as dt
import time

from django.db import connection, transaction
from django.utils import timezone

from wangge.accounts.choices import Role
from wangge.cases.models import Case, CaseEvent


def _plus(column: str, hours: str) -> str:
    """SQL: a datetime column plus an hours expression."""
    if connection.vendor == "sqlite":
        return f"strftime('%Y-%m-%d %H:%M:%f', {column}, ({hours}) || ' hours')"
    return f"({column} + ({hours}) * interval '1 hour')"


def _case(expr: str, values: list[int]) -> str:
    branches = " ".join(f"WHEN {i} THEN {v}" for i, v in enumerate(values))
    return f"CASE ({expr}) % {len(values)} {branches} END"


def prepare_table() -> list[str]:
    """Give every NOT NULL column of the case table that ``cases.bench.COLUMNS`` leaves out
    (``client_ref`` today) its model default as a database default, so that the shared loader
    inserts. Only ever run on the fresh bench database."""
    from wangge.cases import bench as case_bench

    changed = []
    with connection.schema_editor() as editor:
        for f in Case._meta.concrete_fields:
            if f.primary_key or f.null or f.column in case_bench.COLUMNS or (
                    f.has_default() and callable(f.default)):
                continue
            default = f.get_default()
            if default is None:
                continue
            new = f.clone()
            new.set_attributes_from_name(f.name)
            new.model = Case
            new.db_default = default
            editor.alter_field(Case, f, new)
            changed.append(f.column)
    return changed


def fill(now=None) -> dict:
    from django.contrib.auth.hashers import make_password

    from wangge.accounts.models import User
    from wangge.dispatch.models import Department
    from wangge.gridapp.models import Patrol
    from wangge.territory.models import Area, GridStaff

    started = time.perf_counter()
    county = Area.objects.get(level=1)
    streets = list(Area.objects.filter(level=2).order_by("code"))
    password = make_password("Bench-pass-2026")
    User.objects.bulk_create([
        User(username=f"bench-dispatch-{s.code}", display_name=f"{s.name}受理员",
             role=Role.DISPATCHER, jurisdiction=s, password=password)
        for s in streets], ignore_conflicts=True)
    dispatcher_of = dict(User.objects.filter(username__startswith="bench-dispatch-")
                         .values_list("jurisdiction__prefix", "id"))
    departments = list(Department.objects.filter(area=county, is_active=True)
                       .order_by("id").values_list("id", flat=True))
    inspector = User.objects.filter(role=Role.INSPECTOR).values_list("id", flat=True).first()
    table = Case._meta.db_table
    events = CaseEvent._meta.db_table
    staff = GridStaff._meta.db_table
    first_staff = f"(SELECT MIN(s.user_id) FROM {staff} s WHERE s.grid_id = {table}.grid_id)"
    by_street = " ".join(f"WHEN '{prefix}' THEN {uid}" for prefix, uid in dispatcher_of.items())
    street_len = len(next(iter(dispatcher_of)))
    dispatcher = f"CASE substr(c.grid_code, 1, {street_len}) {by_street} END"
    closed_like = "status IN ('closed', 'to_verify', 'dispatched', 'in_progress')"
    statements = [
        # reporters: patrol → a worker of the grid; inspector reports → the inspector
        f"UPDATE {table} SET reporter_id = {first_staff} WHERE source = 'patrol'",
        f"UPDATE {table} SET reporter_id = {inspector or 'NULL'} WHERE source = 'inspector'",
        f"UPDATE {table} SET accepted_at = NULL WHERE status = 'rejected'",
        f"UPDATE {table} SET accept_deadline = {_plus('reported_at', '2')}",
        # on the spot: a third of the patrol reports that were closed
        f"UPDATE {table} SET self_handled = TRUE, tier = 'grid', accepted_at = NULL, "
        f"accept_deadline = NULL, handled_at = reported_at, closed_at = reported_at "
        f"WHERE source = 'patrol' AND status = 'closed' AND id % 3 = 0",
        # some late acceptances; some voided after acceptance
        f"UPDATE {table} SET accepted_at = {_plus('reported_at', '3')} "
        f"WHERE accepted_at IS NOT NULL AND id % 23 = 0",
        f"UPDATE {table} SET status = 'voided', closed_at = NULL "
        f"WHERE status = 'closed' AND NOT self_handled AND id % 97 = 0",
        # dispatch: 1 h after acceptance (7 h for some), limit 4 h
        f"UPDATE {table} SET dispatch_deadline = {_plus('accepted_at', '4')}, "
        f"dispatched_at = {_plus('accepted_at', 'CASE WHEN id % 19 = 0 THEN 7 ELSE 1 END')}, "
        f"holder_department_id = {_case('id', departments)}, "
        f"return_count = CASE WHEN id % 41 = 0 THEN 1 ELSE 0 END, "
        f"rework_count = CASE WHEN id % 37 = 0 AND status = 'closed' THEN 1 ELSE 0 END "
        f"WHERE {closed_like} AND NOT self_handled",
        # handling: 0–80 h after dispatch, limit 72 h; verification 4 h (30 h), limit 24 h
        f"UPDATE {table} SET handle_deadline = {_plus('dispatched_at', '72')}, "
        f"handled_at = {_plus('dispatched_at', '(id % 5) * 20')} "
        f"WHERE status IN ('closed', 'to_verify') AND NOT self_handled",
        f"UPDATE {table} SET handle_deadline = {_plus('dispatched_at', '72')} "
        f"WHERE status IN ('dispatched', 'in_progress')",
        f"UPDATE {table} SET verify_deadline = {_plus('handled_at', '24')}, "
        f"verified_at = {_plus('handled_at', 'CASE WHEN id % 29 = 0 THEN 30 ELSE 4 END')}, "
        f"close_deadline = {_plus('handled_at', '52')} "
        f"WHERE status = 'closed' AND NOT self_handled",
        f"UPDATE {table} SET closed_at = {_plus('verified_at', '2')} "
        f"WHERE status = 'closed' AND NOT self_handled",
        f"UPDATE {table} SET satisfaction = CASE WHEN id % 31 = 0 THEN 'unsatisfied' "
        f"WHEN id % 4 IN (0, 1) THEN 'satisfied' WHEN id % 4 = 2 THEN 'fairly' ELSE '' END "
        f"WHERE status = 'closed'",
    ]
    cols = "case_id, action, actor_id, actor_label, at, from_status, to_status, from_tier, " \
           "to_tier, to_department_id, to_user_id, note, data"
    tail = "'', " + ("'{}'" if connection.vendor == "sqlite" else "'{}'::jsonb")
    insert = f"INSERT INTO {events} ({cols}) SELECT c.id, "
    dept = "c.holder_department_id"
    other = _case("c.id + 1", departments)
    verifier = f"(SELECT MIN(s.user_id) FROM {staff} s WHERE s.grid_id = c.grid_id)"
    statements += [
        f"{insert}'accept', {dispatcher}, '', c.accepted_at, '', '', '', '', NULL, NULL, {tail} "
        f"FROM {table} c WHERE c.accepted_at IS NOT NULL",
        # a first round that came back: returned by another department, or failed verification
        f"{insert}'dispatch', {dispatcher}, '', {_plus('c.accepted_at', '0.5')}, '', '', '', "
        f"'', {other}, NULL, {tail} FROM {table} c WHERE c.return_count > 0",
        f"{insert}'return', NULL, '', {_plus('c.accepted_at', '0.75')}, '', '', '', '', NULL, "
        f"NULL, {tail} FROM {table} c WHERE c.return_count > 0",
        f"{insert}'dispatch', {dispatcher}, '', {_plus('c.accepted_at', '0.5')}, '', '', '', "
        f"'', {dept}, NULL, {tail} FROM {table} c WHERE c.rework_count > 0",
        f"{insert}'feedback', NULL, '', {_plus('c.accepted_at', '0.6')}, '', '', '', '', NULL, "
        f"NULL, {tail} FROM {table} c WHERE c.rework_count > 0",
        f"{insert}'verify_fail', {verifier}, '', {_plus('c.accepted_at', '0.7')}, '', '', '', "
        f"'', NULL, NULL, {tail} FROM {table} c WHERE c.rework_count > 0",
        f"{insert}'dispatch', {dispatcher}, '', c.dispatched_at, '', '', '', '', {dept}, NULL, "
        f"{tail} FROM {table} c WHERE c.dispatched_at IS NOT NULL",
        f"{insert}'feedback', NULL, '', c.handled_at, '', '', '', '', NULL, NULL, {tail} "
        f"FROM {table} c WHERE c.handled_at IS NOT NULL AND NOT c.self_handled",
        f"{insert}'verify_pass', {verifier}, '', c.verified_at, '', '', '', '', NULL, NULL, "
        f"{tail} FROM {table} c WHERE c.verified_at IS NOT NULL",
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
    patrols = _patrols(now or timezone.now())
    with connection.cursor() as cursor:  # every row was rewritten: as the autovacuum would
        if connection.vendor == "postgresql":
            for name in (table, events, Patrol._meta.db_table):
                cursor.execute(f"VACUUM ANALYZE {name}")
        else:
            cursor.execute("ANALYZE")
    return {"fill_seconds": round(time.perf_counter() - started, 2),
            "events": CaseEvent.objects.count(), "patrols": patrols}


def _patrols(now) -> int:
    """Every grid worker patrols every other day of the last two months."""
    from wangge.accounts.models import User
    from wangge.gridapp.models import Patrol

    workers = list(User.objects.filter(role=Role.GRID_WORKER).values_list("id", "jurisdiction_id"))
    today = timezone.localdate(now)
    rows = []
    for offset in range(2, 62, 2):
        day = today - dt.timedelta(days=offset)
        start = timezone.make_aware(dt.datetime.combine(day, dt.time(9)))
        for i, (user_id, area_id) in enumerate(workers):
            seconds = 3600 + (i * 137 + offset * 61) % 7200
            rows.append(Patrol(user_id=user_id, area_id=area_id, started_at=start,
                               ended_at=start + dt.timedelta(seconds=seconds),
                               duration_s=seconds, distance_m=seconds * 1.2))
    Patrol.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def run(now=None) -> dict:
    """Schemes for every target kind over the county; the last full month computed, timed."""
    from wangge.evaluation import services
    from wangge.evaluation.models import Result, Scheme, TargetKind
    from wangge.territory.models import Area

    now = now or timezone.now()
    county = Area.objects.get(level=1)
    schemes = [Scheme.objects.filter(target_kind=kind, area=county).first()
               or services.default_scheme(kind=kind, area=county) for kind in TargetKind]
    last_month = timezone.localdate(now).replace(day=1) - dt.timedelta(days=1)
    figures = {}
    started = time.perf_counter()
    for scheme in schemes:
        t = time.perf_counter()
        evaluation = services.compute(actor=None, scheme=scheme, period_kind="month",
                                      day=last_month)
        figures[f"{scheme.target_kind}_seconds"] = round(time.perf_counter() - t, 2)
        figures[f"{scheme.target_kind}_results"] = evaluation.results.count()
        figures[f"{scheme.target_kind}_scored"] = evaluation.results.filter(
            score__isnull=False).count()
    figures["seconds"] = round(time.perf_counter() - started, 2)
    figures["results"] = Result.objects.count()
    figures["month"] = f"{last_month:%Y-%m}"
    figures["cases_in_month"] = Case.objects.filter(
        report_date__gte=last_month.replace(day=1), report_date__lte=last_month).count()
    return figures
