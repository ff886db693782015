"""Evaluation indicators (考核指标), computed in the database from the case timeline.

Every indicator is computed for a period (local dates ``start``–``end``) and a scope (an area
subtree), for every target at once, with grouped aggregate queries; Python only adds up the
per-group rows (grid → community → street), never individual cases.

Common definitions (``Ctx``):

- the cases of a period are those *reported* in it (``report_date`` between start and end) in
  a grid of the scope; patrols are taken by their start time;
- ``as_of`` is the end of the period (local midnight after ``end``): a step counts as done when
  its time column is before ``as_of``, so recomputing later gives the same figures;
- 立案 (filed) = accepted (``accepted_at`` set) and neither voided (作废) nor merged into
  another case (a merged duplicate is its master's report);
- handled (处置) in the current round = ``handled_at`` before ``as_of`` and not before the last
  dispatch (a reworked case re-dispatched and not yet handled again is *not* handled);
- overdue unhandled (超时未处置) = not handled in the current round, its handling deadline
  (``handle_deadline``, moved by an approved extension) before ``as_of``, and not parked;
- 应结案 (due for closure) = handled + overdue unhandled;
- a case's department = the department holding it (``holder_department``, kept after handling);
  an event's department = the department of the last dispatch before that event.

Every value carries ``num`` and ``den``; ``den`` is the volume the scheme's volume band checks.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.accounts.choices import Role
from wangge.cases.choices import Action, Satisfaction, Source, Status
from wangge.cases.models import Case, CaseEvent

WORKER_ROLES = (Role.GRID_WORKER, Role.INSPECTOR)
DISPATCHER_ROLES = (Role.DISPATCHER, Role.OPERATOR, Role.ADMIN)  # who may accept and dispatch
AREA_LEVELS = (2, 3, 4)  # street/township, community/village, grid

RATE, COUNT = "rate", "count"


@dataclass
class Value:
    num: float
    den: float | None  # the volume; None for counts (always scored)
    value: float | None  # the rate (0–1), count, hours … ; None when it cannot be computed


@dataclass
class Ctx:
    """What indicators are computed over: the period, the scope, optionally a single target
    (``only``) and the cases an accepted appeal took out for it (``exclude``)."""

    start: dt.date
    end: dt.date
    scope: object  # territory.Area
    only: int | None = None
    exclude: frozenset = frozenset()
    memo: dict = field(default_factory=dict)

    @property
    def start_at(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.start, dt.time.min))

    @property
    def as_of(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.end + dt.timedelta(days=1),
                                                       dt.time.min))

    def scope_q(self, prefix: str = "") -> Q:
        p = self.scope.prefix
        return Q(**{f"{prefix}report_date__gte": self.start,
                    f"{prefix}report_date__lte": self.end,
                    f"{prefix}grid_code__gte": p, f"{prefix}grid_code__lt": p + ":"})

    def cases(self):
        qs = Case.objects.filter(self.scope_q())
        if self.exclude:
            qs = qs.exclude(pk__in=self.exclude)
        return qs

    def events(self, *actions):
        qs = CaseEvent.objects.filter(self.scope_q("case__"), action__in=actions,
                                      at__lt=self.as_of)
        if self.exclude:
            qs = qs.exclude(case_id__in=self.exclude)
        return qs

    def cached(self, key, compute):
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]


def filed_q(prefix: str = "", as_of=None) -> Q:
    q = Q(**{f"{prefix}accepted_at__isnull": False}) & ~Q(
        **{f"{prefix}status__in": [Status.VOIDED, Status.MERGED]})
    if as_of is not None:
        q &= Q(**{f"{prefix}accepted_at__lt": as_of})
    return q


def handled_q(as_of) -> Q:
    return Q(handled_at__lt=as_of) & (Q(dispatched_at__isnull=True)
                                      | Q(handled_at__gte=F("dispatched_at")))


def overdue_q(as_of) -> Q:
    return (Q(handle_deadline__lt=as_of) & ~handled_q(as_of) & ~Q(status=Status.PARKED)
            & ~Q(status__in=[Status.VOIDED, Status.MERGED, Status.REJECTED]))


def closed_q(as_of) -> Q:
    return Q(closed_at__lt=as_of)


def on_time_steps_q() -> Q:
    """Every timed step done within its limit (a step without time or deadline passes)."""
    q = Q()
    for done, due in (("accepted_at", "accept_deadline"), ("dispatched_at", "dispatch_deadline"),
                      ("handled_at", "handle_deadline"), ("verified_at", "verify_deadline"),
                      ("closed_at", "close_deadline")):
        q &= (Q(**{f"{done}__isnull": True}) | Q(**{f"{due}__isnull": True})
              | Q(**{f"{done}__lte": F(due)}))
    return q


SATISFIED = [Satisfaction.SATISFIED, Satisfaction.FAIRLY]


def _ratio(num, den) -> Value:
    return Value(num, den, (num / den) if den else None)


def _last_dispatch(field_name: str):
    """The ``field_name`` of the last dispatch event before an event (its department or
    dispatcher)."""
    return Subquery(CaseEvent.objects.filter(
        case_id=OuterRef("case_id"), action=Action.DISPATCH, id__lt=OuterRef("id"))
        .order_by("-id").values(field_name)[:1])


class Indicator:
    code = ""
    kind = ""  # TargetKind value
    name = ""
    formula = ""
    unit = RATE
    higher_is_better = True
    default_target = None  # count indicators: the value that earns full points

    def compute(self, ctx: Ctx) -> dict[int, Value]:  # pragma: no cover - interface
        raise NotImplementedError

    def score(self, value: Value, target=None) -> float | None:
        """0–100: a rate ×100 (or (1 − rate) ×100 when lower is better); a count against its
        target (full points at or above it)."""
        if value.value is None:
            return None
        if self.unit == RATE:
            rate = min(max(value.value, 0.0), 1.0)
            return 100 * (rate if self.higher_is_better else 1 - rate)
        target = float(target or self.default_target or 0)
        if target <= 0:
            return None
        return 100 * min(value.value / target, 1.0)

    def display(self, value) -> str:
        if value is None:
            return "—"
        if self.unit == RATE:
            return f"{value * 100:.1f}%"
        return f"{value:,.1f}" if value != int(value) else f"{int(value):,}"


# --- grid workers and inspectors (target: the user) ---------------------------------------------


def _only(qs, field_name, ctx):
    return qs.filter(**{field_name: ctx.only}) if ctx.only is not None else qs


class Reports(Indicator):
    """上报数 = cases the worker reported in the period (including those handled on the spot)."""

    code, kind, unit = "reports", "worker", COUNT
    name = _("Reports")
    formula = _("Reports = cases reported by the worker in the period, handled on the spot "
                "included")
    default_target = 30

    def compute(self, ctx):
        rows = _only(ctx.cases().filter(reporter__isnull=False), "reporter_id", ctx).values(
            "reporter_id").annotate(n=Count("id"))
        return {r["reporter_id"]: Value(r["n"], None, r["n"]) for r in rows}


class ValidReportRate(Indicator):
    """有效上报率 = 立案数 / 上报数, over the worker's reports that were not handled on the spot
    (those are never filed: nothing to accept). 立案 = accepted before the period's end and
    neither voided nor merged."""

    code, kind = "valid_report_rate", "worker"
    name = _("Valid-report rate")
    formula = _("Valid-report rate = filed ÷ reported (reports not handled on the spot); "
                "filed = accepted, not voided or merged")

    def compute(self, ctx):
        rows = _only(ctx.cases().filter(reporter__isnull=False, self_handled=False),
                     "reporter_id", ctx).values("reporter_id").annotate(
            den=Count("id"), num=Count("id", filter=filed_q(as_of=ctx.as_of)))
        return {r["reporter_id"]: _ratio(r["num"], r["den"]) for r in rows}


class SelfHandled(Indicator):
    """自处置数 = the worker's reports handled on the spot (微循环)."""

    code, kind, unit = "self_handled", "worker", COUNT
    name = _("Handled on the spot")
    formula = _("Handled on the spot = the worker's reports closed on the spot by the worker")
    default_target = 10

    def compute(self, ctx):
        rows = _only(ctx.cases().filter(reporter__isnull=False, self_handled=True),
                     "reporter_id", ctx).values("reporter_id").annotate(n=Count("id"))
        return {r["reporter_id"]: Value(r["n"], None, r["n"]) for r in rows}


class OnTimeVerification(Indicator):
    """按时核查率 = verified on time / verified: over the cases whose passing verification
    (核查通过, the event that set ``verified_at``) the worker did, those with
    ``verified_at <= verify_deadline``."""

    code, kind = "on_time_verification", "worker"
    name = _("On-time verification rate")
    formula = _("On-time verification = verifications passed by the worker within the "
                "verification limit ÷ verifications passed by the worker")

    def compute(self, ctx):
        rows = _only(ctx.events(Action.VERIFY_PASS).filter(at=F("case__verified_at")),
                     "actor_id", ctx).values("actor_id").annotate(
            den=Count("id"),
            num=Count("id", filter=Q(case__verified_at__lte=F("case__verify_deadline"))))
        return {r["actor_id"]: _ratio(r["num"], r["den"]) for r in rows if r["actor_id"]}


class MissedReportRate(Indicator):
    """漏报率 = missed / found in the worker's grids.

    Over the cases of the period in the grids the worker is posted to (GridStaff), filed or
    handled on the spot, device alarms (source ``iot``) left out: *missed* are those whose
    reporter is not one of that grid's own staff (residents, the hotline, inspectors, video,
    leaders, departments found it first). Each grid's figure counts for every worker posted
    there; a worker with several grids gets the sums over them. Lower is better."""

    code, kind = "missed_report_rate", "worker"
    name = _("Missed-report rate")
    formula = _("Missed-report rate = filed cases in the worker's grids first reported by "
                "someone not posted to that grid ÷ filed cases in those grids (device alarms "
                "left out); lower is better")
    higher_is_better = False

    def compute(self, ctx):
        from wangge.territory.models import GridStaff

        staff = GridStaff.objects.filter(grid_id=OuterRef("grid_id"),
                                         user_id=OuterRef("reporter_id"))
        posts = GridStaff.objects.filter(grid__prefix__startswith=ctx.scope.prefix)
        if ctx.only is not None:
            posts = posts.filter(user_id=ctx.only)
        grids_of = defaultdict(set)
        for user_id, grid_id in posts.values_list("user_id", "grid_id"):
            grids_of[user_id].add(grid_id)
        wanted = set().union(*grids_of.values()) if grids_of else set()
        if not wanted:
            return {}
        cases = ctx.cases().filter(filed_q(as_of=ctx.as_of) | Q(self_handled=True)).exclude(
            source=Source.IOT)
        if ctx.only is not None:
            cases = cases.filter(grid_id__in=wanted)
        rows = cases.annotate(own=Exists(staff)).values("grid_id").annotate(
            den=Count("id"), num=Count("id", filter=Q(own=False)))
        per_grid = {r["grid_id"]: (r["num"], r["den"]) for r in rows}
        out = {}
        for user_id, grids in grids_of.items():
            num = sum(per_grid.get(g, (0, 0))[0] for g in grids)
            den = sum(per_grid.get(g, (0, 0))[1] for g in grids)
            out[user_id] = _ratio(num, den)
        return out


def _patrols(ctx):
    from wangge.gridapp.models import Patrol

    def compute():
        qs = Patrol.objects.filter(started_at__gte=ctx.start_at, started_at__lt=ctx.as_of,
                                   ended_at__isnull=False)
        qs = _only(qs, "user_id", ctx)
        return {r["user_id"]: r for r in qs.values("user_id").annotate(
            seconds=Sum("duration_s"), metres=Sum("distance_m"), n=Count("id"))}

    return ctx.cached("patrols", compute)


class PatrolHours(Indicator):
    """巡查时长 = Σ duration of the worker's finished patrols started in the period, in hours."""

    code, kind, unit = "patrol_hours", "worker", COUNT
    name = _("Patrol time (h)")
    formula = _("Patrol time = total duration of the worker's finished patrols started in "
                "the period, in hours")
    default_target = 80

    def compute(self, ctx):
        return {u: Value(r["seconds"] / 3600, None, r["seconds"] / 3600)
                for u, r in _patrols(ctx).items()}


class PatrolDistance(Indicator):
    """巡查里程 = Σ distance of the worker's finished patrols started in the period, in km."""

    code, kind, unit = "patrol_km", "worker", COUNT
    name = _("Patrol distance (km)")
    formula = _("Patrol distance = total distance of the worker's finished patrols started in "
                "the period, in km")
    default_target = 100

    def compute(self, ctx):
        return {u: Value(r["metres"] / 1000, None, r["metres"] / 1000)
                for u, r in _patrols(ctx).items()}


# --- dispatchers (target: the actor of the accept / dispatch event) -----------------------------


def _accepts(ctx):
    def compute():
        rows = _only(ctx.events(Action.ACCEPT), "actor_id", ctx).values("actor_id").annotate(
            n=Count("case_id", distinct=True),
            on_time=Count("case_id", distinct=True,
                          filter=Q(case__accepted_at__lte=F("case__accept_deadline"))),
            kept=Count("case_id", distinct=True, filter=~Q(case__status=Status.VOIDED)))
        return {r["actor_id"]: r for r in rows if r["actor_id"]}

    return ctx.cached("accepts", compute)


class OnTimeAcceptance(Indicator):
    """按时立案率 = cases the dispatcher accepted within the acceptance limit
    (``accepted_at <= accept_deadline``) / cases the dispatcher accepted."""

    code, kind = "on_time_acceptance", "dispatcher"
    name = _("On-time acceptance rate")
    formula = _("On-time acceptance = cases accepted within the acceptance limit ÷ cases "
                "accepted by the dispatcher")

    def compute(self, ctx):
        return {k: _ratio(r["on_time"], r["n"]) for k, r in _accepts(ctx).items()}


class AccurateAcceptance(Indicator):
    """准确立案率 = (立案 − 作废) / 立案, over the cases the dispatcher accepted: a case voided
    after acceptance (a mistaken filing) counts against the dispatcher who accepted it."""

    code, kind = "accurate_acceptance", "dispatcher"
    name = _("Accurate acceptance rate")
    formula = _("Accurate acceptance = (accepted − voided afterwards) ÷ accepted, over the "
                "cases the dispatcher accepted")

    def compute(self, ctx):
        return {k: _ratio(r["kept"], r["n"]) for k, r in _accepts(ctx).items()}


class OnTimeDispatch(Indicator):
    """按时派遣率 = cases whose last dispatch was within the dispatch limit
    (``dispatched_at <= dispatch_deadline`` — both columns belong to the last dispatch round) /
    cases, attributed to the dispatcher of that last dispatch (the dispatch event at
    ``dispatched_at``)."""

    code, kind = "on_time_dispatch", "dispatcher"
    name = _("On-time dispatch rate")
    formula = _("On-time dispatch = cases dispatched within the dispatch limit (last round) ÷ "
                "cases dispatched by the dispatcher")

    def compute(self, ctx):
        rows = _only(ctx.events(Action.DISPATCH).filter(at=F("case__dispatched_at")),
                     "actor_id", ctx).values("actor_id").annotate(
            den=Count("case_id", distinct=True),
            num=Count("case_id", distinct=True,
                      filter=Q(case__dispatched_at__lte=F("case__dispatch_deadline"))))
        return {r["actor_id"]: _ratio(r["num"], r["den"]) for r in rows if r["actor_id"]}


class AccurateDispatch(Indicator):
    """准确派遣率 = (派遣 − 返工) / 派遣: 派遣 = the dispatcher's dispatch events; 返工 here =
    those dispatches the receiving unit sent back (回退: a return event whose last dispatch
    before it is the dispatcher's). A failed verification is a handling fault and counts in the
    department's rework rate instead."""

    code, kind = "accurate_dispatch", "dispatcher"
    name = _("Accurate dispatch rate")
    formula = _("Accurate dispatch = (dispatches − dispatches returned by the receiver) ÷ "
                "dispatches, over the dispatcher's dispatches")

    def compute(self, ctx):
        sent = {r["actor_id"]: r["n"] for r in _only(ctx.events(Action.DISPATCH), "actor_id",
                                                     ctx).values("actor_id")
                .annotate(n=Count("id")) if r["actor_id"]}
        back = ctx.events(Action.RETURN).annotate(by=_last_dispatch("actor_id"))
        back = {r["by"]: r["n"] for r in _only(back, "by", ctx).values("by")
                .annotate(n=Count("id"))}
        return {k: _ratio(n - back.get(k, 0), n) for k, n in sent.items()}


# --- departments (target: the department) -------------------------------------------------------


def _department_cases(ctx):
    as_of = ctx.as_of

    def compute():
        qs = _only(ctx.cases().filter(holder_department__isnull=False, self_handled=False),
                   "holder_department_id", ctx)
        rows = qs.values("holder_department_id").annotate(
            handled=Count("id", filter=handled_q(as_of)),
            on_time=Count("id", filter=handled_q(as_of) & Q(handled_at__lte=F(
                "handle_deadline"))),
            overdue=Count("id", filter=overdue_q(as_of)),
            closed=Count("id", filter=closed_q(as_of)),
            rated=Count("id", filter=~Q(satisfaction="")),
            satisfied=Count("id", filter=Q(satisfaction__in=SATISFIED)))
        return {r["holder_department_id"]: r for r in rows}

    return ctx.cached("department_cases", compute)


def _department_events(ctx, action):
    def compute():
        qs = ctx.events(action).annotate(dept=_last_dispatch("to_department_id"))
        return {r["dept"]: r["n"] for r in _only(qs, "dept", ctx).values("dept").annotate(
            n=Count("id")) if r["dept"]}

    return ctx.cached(("department_events", action), compute)


def _dispatch_counts(ctx):
    def compute():
        qs = _only(ctx.events(Action.DISPATCH).filter(to_department__isnull=False),
                   "to_department_id", ctx)
        return {r["to_department_id"]: r for r in qs.values("to_department_id").annotate(
            events=Count("id"), cases=Count("case_id", distinct=True))}

    return ctx.cached("dispatch_counts", compute)


class Dispatched(Indicator):
    """派遣数 = cases dispatched to the department (each case once, however often)."""

    code, kind, unit = "dispatched", "department", COUNT
    name = _("Cases dispatched")
    formula = _("Dispatched = cases dispatched to the department in the period (each once)")
    default_target = 50

    def compute(self, ctx):
        return {k: Value(r["cases"], None, r["cases"]) for k, r in _dispatch_counts(ctx).items()}


class ClosureRate(Indicator):
    """结案率 = 结案数 / 应结案数, 应结案 = handled + overdue unhandled (see the module
    docstring), over the cases the department holds; 结案 = closed before the period's end."""

    code, kind = "closure_rate", "department"
    name = _("Closure rate")
    formula = _("Closure rate = closed ÷ due for closure; due = handled + overdue and not "
                "handled at the period's end")

    def compute(self, ctx):
        return {k: _ratio(r["closed"], r["handled"] + r["overdue"])
                for k, r in _department_cases(ctx).items()}


class OnTimeHandling(Indicator):
    """按时处置率 = handled within the handling limit (``handled_at <= handle_deadline``, the
    deadline an approved extension moved) / 应结案 (handled + overdue unhandled)."""

    code, kind = "on_time_handling", "department"
    name = _("On-time handling rate")
    formula = _("On-time handling = handled within the limit (extensions included) ÷ "
                "(handled + overdue and not handled)")

    def compute(self, ctx):
        return {k: _ratio(r["on_time"], r["handled"] + r["overdue"])
                for k, r in _department_cases(ctx).items()}


class ReworkRate(Indicator):
    """返工率 = failed verifications / results reported (处置反馈), each attributed to the
    department of the last dispatch before it. Lower is better."""

    code, kind = "rework_rate", "department"
    name = _("Rework rate")
    formula = _("Rework rate = failed verifications ÷ results reported by the department; "
                "lower is better")
    higher_is_better = False

    def compute(self, ctx):
        fails = _department_events(ctx, Action.VERIFY_FAIL)
        done = _department_events(ctx, Action.FEEDBACK)
        return {k: _ratio(fails.get(k, 0), n) for k, n in done.items()}


class ReturnRate(Indicator):
    """回退率 = returns (回退) / dispatches to the department (dispatch events). Lower is
    better."""

    code, kind = "return_rate", "department"
    name = _("Return rate")
    formula = _("Return rate = cases sent back by the department ÷ dispatches to it; lower is "
                "better")
    higher_is_better = False

    def compute(self, ctx):
        back = _department_events(ctx, Action.RETURN)
        return {k: _ratio(back.get(k, 0), r["events"]) for k, r in _dispatch_counts(ctx).items()}


class DepartmentSatisfaction(Indicator):
    """满意率 = (满意 + 基本满意) / rated, over the department's rated cases."""

    code, kind = "satisfaction", "department"
    name = _("Satisfaction rate")
    formula = _("Satisfaction = (satisfied + fairly satisfied) ÷ rated cases")

    def compute(self, ctx):
        return {k: _ratio(r["satisfied"], r["rated"]) for k, r in _department_cases(ctx).items()}


# --- areas: grid, community, street (target: the area; cases of its subtree) ------------------


def area_tree(scope) -> tuple[dict[int, list[int]], dict[int, object]]:
    """grid id → the target areas above it (itself included), and the target areas by id."""
    from wangge.territory.models import Area

    areas = list(Area.objects.filter(prefix__startswith=scope.prefix).only(
        "id", "parent_id", "level", "code", "name", "prefix"))
    by_id = {a.pk: a for a in areas}
    up = {}
    for a in areas:
        chain, node = [], a
        while node is not None:
            if node.level in AREA_LEVELS:
                chain.append(node.pk)
            node = by_id.get(node.parent_id)
        up[a.pk] = chain
    return up, {a.pk: a for a in areas if a.level in AREA_LEVELS}


def _area_cases(ctx):
    as_of = ctx.as_of

    def compute():
        up, _targets = ctx.cached("area_tree", lambda: area_tree(ctx.scope))
        qs = ctx.cases()
        if ctx.only is not None:
            from wangge.territory.models import Area

            qs = qs.filter(grid_code__startswith=Area.objects.get(pk=ctx.only).prefix)
        due = Q(filed_q(as_of=as_of) | Q(self_handled=True))
        rows = qs.values("grid_id").annotate(
            reports=Count("id"),
            handled=Count("id", filter=due & handled_q(as_of)),
            overdue=Count("id", filter=due & overdue_q(as_of)),
            closed=Count("id", filter=due & closed_q(as_of)),
            closed_on_time=Count("id", filter=due & closed_q(as_of) & on_time_steps_q()),
            rated=Count("id", filter=~Q(satisfaction="")),
            satisfied=Count("id", filter=Q(satisfaction__in=SATISFIED)))
        totals = defaultdict(lambda: defaultdict(int))
        for r in rows:  # one row per grid: add it to the grid's community and street
            for area_id in up.get(r["grid_id"], ()):
                for key, n in r.items():
                    if key != "grid_id":
                        totals[area_id][key] += n
        if ctx.only is not None:
            return {ctx.only: totals.get(ctx.only, defaultdict(int))}
        return totals

    return ctx.cached("area_cases", compute)


class AreaClosureRate(Indicator):
    """结案率 = closed / (handled + overdue unhandled), over the filed cases (and those handled
    on the spot) reported in the area's grids."""

    code, kind = "area_closure_rate", "area"
    name = _("Closure rate")
    formula = _("Closure rate = closed ÷ (handled + overdue and not handled at the period's "
                "end), over the area's filed cases")

    def compute(self, ctx):
        return {k: _ratio(r["closed"], r["handled"] + r["overdue"])
                for k, r in _area_cases(ctx).items()}


class AreaOnTimeClosure(Indicator):
    """按期结案率 = cases closed with every timed step (acceptance, dispatch, handling,
    verification, closure) within its limit / cases closed."""

    code, kind = "area_on_time_closure", "area"
    name = _("On-time closure rate")
    formula = _("On-time closure = closed cases whose every step kept its time limit ÷ closed "
                "cases")

    def compute(self, ctx):
        return {k: _ratio(r["closed_on_time"], r["closed"]) for k, r in _area_cases(ctx).items()}


class AreaSatisfaction(Indicator):
    """群众满意率 = (满意 + 基本满意) / rated, over the area's rated cases."""

    code, kind = "area_satisfaction", "area"
    name = _("Residents' satisfaction")
    formula = _("Satisfaction = (satisfied + fairly satisfied) ÷ rated cases in the area")

    def compute(self, ctx):
        return {k: _ratio(r["satisfied"], r["rated"]) for k, r in _area_cases(ctx).items()}


class ReportsPerThousand(Indicator):
    """千人上报数 = reports in the area / resident population × 1000 (``AreaProfile``); empty
    when the population is unknown. The volume is the population."""

    code, kind, unit = "reports_per_1000", "area", COUNT
    name = _("Reports per 1,000 residents")
    formula = _("Reports per 1,000 residents = cases reported in the area ÷ resident "
                "population × 1,000 (empty when the population is unknown)")
    default_target = 10

    def compute(self, ctx):
        from wangge.evaluation.models import AreaProfile

        cases = _area_cases(ctx)
        people = dict(AreaProfile.objects.filter(
            area__prefix__startswith=ctx.scope.prefix, population__gt=0).values_list(
            "area_id", "population"))
        out = {}
        for area_id, r in cases.items():
            population = people.get(area_id)
            out[area_id] = Value(r["reports"], population,
                                 r["reports"] * 1000 / population if population else None)
        return out


INDICATORS: list[Indicator] = [
    Reports(), ValidReportRate(), SelfHandled(), OnTimeVerification(), MissedReportRate(),
    PatrolHours(), PatrolDistance(),
    OnTimeAcceptance(), AccurateAcceptance(), OnTimeDispatch(), AccurateDispatch(),
    Dispatched(), ClosureRate(), OnTimeHandling(), ReworkRate(), ReturnRate(),
    DepartmentSatisfaction(),
    AreaClosureRate(), AreaOnTimeClosure(), AreaSatisfaction(), ReportsPerThousand(),
]
BY_CODE = {i.code: i for i in INDICATORS}


def for_kind(kind: str) -> list[Indicator]:
    return [i for i in INDICATORS if i.kind == kind]


DEFAULT_WEIGHTS = {
    "worker": {"reports": 20, "valid_report_rate": 20, "self_handled": 10,
               "on_time_verification": 15, "missed_report_rate": 15, "patrol_hours": 10,
               "patrol_km": 10},
    "dispatcher": {"on_time_acceptance": 25, "accurate_acceptance": 25, "on_time_dispatch": 25,
                   "accurate_dispatch": 25},
    "department": {"dispatched": 0, "closure_rate": 30, "on_time_handling": 30,
                   "rework_rate": 15, "return_rate": 10, "satisfaction": 15},
    "area": {"area_closure_rate": 40, "area_on_time_closure": 30, "area_satisfaction": 30,
             "reports_per_1000": 0},
}
