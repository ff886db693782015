"""Evaluation services: compute a period, add plus/minus items, publish, appeal. Every change
goes through here with an actor and is written to ``LogEntry``."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.choices import Role
from wangge.evaluation import indicators as ind
from wangge.evaluation.models import (
    Adjustment,
    Appeal,
    Evaluation,
    LogEntry,
    PeriodKind,
    Result,
    Scheme,
    TargetKind,
)

SUPERVISOR_ROLES = {Role.ADMIN, Role.LEADER, Role.OPERATOR}


class EvaluationError(Exception):
    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code


# --- periods ------------------------------------------------------------------------------------


def period_bounds(kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The month, quarter or year containing ``day``: (first day, last day)."""
    if kind == PeriodKind.YEAR:
        return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    months = 3 if kind == PeriodKind.QUARTER else 1
    first_month = (day.month - 1) // months * months + 1
    start = dt.date(day.year, first_month, 1)
    end_month = first_month + months
    end = (dt.date(day.year + (end_month > 12), (end_month - 1) % 12 + 1, 1)
           - dt.timedelta(days=1))
    return start, end


def previous_period(kind: str, start: dt.date) -> tuple[dt.date, dt.date]:
    return period_bounds(kind, start - dt.timedelta(days=1))


# --- targets ------------------------------------------------------------------------------------


def targets(scheme: Scheme) -> list[dict]:
    """Who a scheme evaluates inside its area: {key, label, group, area_id, user_id,
    department_id}."""
    from wangge.accounts.models import User
    from wangge.dispatch.models import Department
    from wangge.territory.models import Area

    prefix = scheme.area.prefix
    kind = scheme.target_kind
    if kind in (TargetKind.WORKER, TargetKind.DISPATCHER):
        roles = ind.WORKER_ROLES if kind == TargetKind.WORKER else ind.DISPATCHER_ROLES
        users = User.objects.filter(role__in=roles, is_active=True,
                                    jurisdiction__prefix__startswith=prefix).values(
            "id", "username", "display_name", "role", "jurisdiction_id")
        return [{"key": u["id"], "label": u["display_name"] or u["username"],
                 "group": u["role"], "area_id": u["jurisdiction_id"], "user_id": u["id"],
                 "department_id": None} for u in users]
    if kind == TargetKind.DEPARTMENT:
        return [{"key": d["id"], "label": d["name"], "group": str(d["area__level"]),
                 "area_id": d["area_id"],
                 "user_id": None, "department_id": d["id"]}
                for d in Department.objects.filter(is_active=True,
                                                   area__prefix__startswith=prefix)
                .values("id", "name", "area__level", "area_id")]
    return [{"key": a["id"], "label": a["name"], "group": str(a["level"]), "area_id": a["id"],
             "user_id": None, "department_id": None}
            for a in Area.objects.filter(prefix__startswith=prefix, level__in=ind.AREA_LEVELS)
            .values("id", "name", "level")]


# --- scoring ------------------------------------------------------------------------------------


def snapshot(scheme: Scheme) -> dict:
    return {"name": scheme.name, "target_kind": scheme.target_kind,
            "weights": scheme.weights, "min_volume": scheme.min_volume or {},
            "default_min_volume": scheme.default_min_volume, "targets": scheme.targets or {},
            "grades": dict(scheme.grade_thresholds())}


def grade_for(score: float | None, grades: dict) -> str:
    if score is None:
        return ""
    for letter, threshold in sorted(grades.items(), key=lambda kv: -kv[1]):
        if score >= threshold:
            return letter
    return "E"


def score_values(values: dict[str, ind.Value], snap: dict) -> tuple[dict, float | None]:
    """Each weighted indicator's score and points; the indicator score (0–100, weights of
    indicators under their minimum volume shared out over the scored ones)."""
    rows, points, weights = {}, 0.0, 0.0
    for code, weight in snap["weights"].items():
        indicator = ind.BY_CODE[code]
        value = values.get(code) or ind.Value(0, 0 if indicator.unit == ind.RATE else None,
                                              None if indicator.unit == ind.RATE else 0)
        minimum = snap["min_volume"].get(code, snap["default_min_volume"])
        enough = value.den is None or value.den >= minimum
        score = indicator.score(value, snap["targets"].get(code)) if enough else None
        scored = score is not None and float(weight) > 0
        earned = float(weight) * score / 100 if scored else None
        if scored:
            points += earned
            weights += float(weight)
        rows[code] = {"num": value.num, "den": value.den, "value": value.value,
                      "score": None if score is None else round(score, 2),
                      "points": None if earned is None else round(earned, 2),
                      "weight": float(weight), "scored": scored,
                      "below_volume": not enough}
    base = points * 100 / weights if weights else None
    return rows, base


def _finish(result: Result, snap: dict) -> None:
    result.adjustment = round(sum(a.points for a in result.adjustments.all()), 2) \
        if result.pk else result.adjustment
    if result.base_score is None:
        result.score = None
    else:
        result.score = round(min(max(result.base_score + result.adjustment, 0.0), 100.0), 2)
    result.grade = grade_for(result.score, snap["grades"])


def compute_values(kind: str, start, end, scope, codes, *, only=None, exclude=()) -> dict:
    """code → {target key → Value} for the indicators ``codes``."""
    ctx = ind.Ctx(start, end, scope, only=only, exclude=frozenset(exclude))
    return {code: ind.BY_CODE[code].compute(ctx) for code in codes}


def _log(action, actor, evaluation=None, result=None, **data):
    LogEntry.objects.create(action=action, actor=actor, evaluation=evaluation, result=result,
                            data=data)


@transaction.atomic
def compute(*, actor, scheme: Scheme, period_kind: str, day: dt.date) -> Evaluation:
    """Compute (or recompute, while a draft) the scheme's evaluation of the period containing
    ``day``. A published evaluation is never recomputed: that raises."""
    start, end = period_bounds(period_kind, day)
    evaluation, _created = Evaluation.objects.select_for_update().get_or_create(
        scheme=scheme, period_kind=period_kind, start=start, defaults={"end": end})
    if evaluation.is_published:
        raise EvaluationError(_("This evaluation is published; its results are frozen."),
                              "published")
    snap = snapshot(scheme)
    codes = list(snap["weights"])
    values = compute_values(scheme.target_kind, start, end, scheme.area, codes)
    adjustments = {}
    for a in Adjustment.objects.filter(result__evaluation=evaluation).select_related("result"):
        adjustments.setdefault(a.result.target_key, []).append(
            (a.points, a.reason, a.created_by_id, a.created_at))
    evaluation.results.all().delete()
    rows = []
    for target in targets(scheme):
        key = target["key"]
        detail, base = score_values({c: values[c].get(key) for c in codes}, snap)
        result = Result(evaluation=evaluation, target_key=key, label=target["label"][:120],
                        group=target["group"], area_id=target["area_id"],
                        user_id=target["user_id"], department_id=target["department_id"],
                        indicators=detail, base_score=None if base is None else round(base, 2),
                        adjustment=round(sum(item[0] for item in adjustments.get(key, ())), 2))
        _finish(result, snap)
        rows.append(result)
    Result.objects.bulk_create(rows, batch_size=2000)
    if adjustments:  # plus/minus items survive a draft's recomputation
        by_key = {r.target_key: r.pk for r in evaluation.results.filter(
            target_key__in=list(adjustments)).only("id", "target_key")}
        Adjustment.objects.bulk_create([
            Adjustment(result_id=by_key[key], points=p, reason=reason, created_by_id=by,
                       created_at=at)
            for key, items in adjustments.items() if key in by_key
            for p, reason, by, at in items])
    evaluation.end = end
    evaluation.scheme_snapshot = snap
    evaluation.computed_at = timezone.now()
    evaluation.computed_by = actor
    evaluation.save()
    _log("compute", actor, evaluation, targets=len(rows))
    return evaluation


def _require_supervisor(actor, area) -> None:
    if actor is None or not actor.is_authenticated:
        raise EvaluationError(_("Sign in first."), "forbidden")
    if not (actor.is_superuser or (actor.role in SUPERVISOR_ROLES and actor.can_see_area(area))):
        raise EvaluationError(_("Only a leader, operator or administrator over %(area)s can do "
                                "this.") % {"area": area.name}, "forbidden")


def can_supervise(actor, evaluation: Evaluation) -> bool:
    try:
        _require_supervisor(actor, evaluation.scheme.area)
    except EvaluationError:
        return False
    return True


@transaction.atomic
def add_adjustment(*, actor, result: Result, points: float, reason: str) -> Adjustment:
    """加分/扣分 on a draft result, with the reason."""
    result = Result.objects.select_for_update().select_related("evaluation__scheme").get(
        pk=result.pk)
    _require_supervisor(actor, result.evaluation.scheme.area)
    if result.evaluation.is_published:
        raise EvaluationError(_("This evaluation is published; its results are frozen."),
                              "published")
    reason = (reason or "").strip()
    if not reason:
        raise EvaluationError(_("Give the reason for the plus/minus item."), "reason_required")
    points = float(points)
    if not -100 <= points <= 100 or points == 0:
        raise EvaluationError(_("Points are between −100 and 100, not zero."), "invalid_points")
    item = Adjustment.objects.create(result=result, points=points, reason=reason[:200],
                                     created_by=actor)
    _finish(result, result.evaluation.scheme_snapshot)
    result.save(update_fields=["adjustment", "score", "grade"])
    _log("adjust", actor, result.evaluation, result, points=points, reason=reason)
    return item


@transaction.atomic
def publish(*, actor, evaluation: Evaluation) -> Evaluation:
    """Freeze the results: from now on only an accepted appeal changes a result."""
    evaluation = Evaluation.objects.select_for_update().select_related("scheme__area").get(
        pk=evaluation.pk)
    _require_supervisor(actor, evaluation.scheme.area)
    if evaluation.is_published:
        raise EvaluationError(_("Already published."), "published")
    if evaluation.computed_at is None:
        raise EvaluationError(_("Compute the evaluation first."), "not_computed")
    evaluation.state = Evaluation.State.PUBLISHED
    evaluation.published_at = timezone.now()
    evaluation.published_by = actor
    evaluation.save(update_fields=["state", "published_at", "published_by"])
    _log("publish", actor, evaluation, results=evaluation.results.count())
    return evaluation


# --- appeals ------------------------------------------------------------------------------------


def can_appeal(user, result: Result) -> bool:
    """The target's own user: the worker or dispatcher, a handler of the department, a
    dispatcher whose jurisdiction is the area."""
    if user is None or not user.is_authenticated:
        return False
    if result.user_id:
        return result.user_id == user.pk
    if result.department_id:
        return user.department_id == result.department_id
    return user.jurisdiction_id == result.area_id and user.role in (Role.DISPATCHER,
                                                                     Role.OPERATOR)


@transaction.atomic
def file_appeal(*, actor, result: Result, reason: str, case_numbers=()) -> Appeal:
    """申诉 on a published result, naming the cases that should not count."""
    from wangge.cases.models import Case

    result = Result.objects.select_related("evaluation").get(pk=result.pk)
    if not can_appeal(actor, result):
        raise EvaluationError(_("Only the evaluated person or unit can appeal this result."),
                              "forbidden")
    if not result.evaluation.is_published:
        raise EvaluationError(_("Appeal once the results are published."), "not_published")
    reason = (reason or "").strip()
    if not reason:
        raise EvaluationError(_("Give the reason for the appeal."), "reason_required")
    numbers = sorted({n.strip() for n in case_numbers if n and n.strip()})
    known = set(Case.objects.filter(number__in=numbers).values_list("number", flat=True))
    if set(numbers) - known:
        raise EvaluationError(_("Unknown case numbers: %(numbers)s") % {
            "numbers": ", ".join(sorted(set(numbers) - known))}, "invalid_cases")
    if result.appeals.filter(state=Appeal.State.PENDING).exists():
        raise EvaluationError(_("An appeal on this result is already waiting for a decision."),
                              "pending")
    appeal = Appeal.objects.create(result=result, filed_by=actor, reason=reason,
                                   case_numbers=numbers, score_before=result.score)
    _log("appeal", actor, result.evaluation, result, appeal=appeal.pk, cases=numbers)
    return appeal


def recompute_result(result: Result, *, exclude) -> Result:
    """This one target's indicators again, without the cases ``exclude``; adjustments kept."""
    evaluation = result.evaluation
    snap = evaluation.scheme_snapshot
    codes = list(snap["weights"])
    values = compute_values(snap["target_kind"], evaluation.start, evaluation.end,
                            evaluation.scheme.area, codes, only=result.target_key,
                            exclude=exclude)
    detail, base = score_values({c: values[c].get(result.target_key) for c in codes}, snap)
    result.indicators = detail
    result.base_score = None if base is None else round(base, 2)
    result.excluded_cases = sorted(exclude)
    result.recomputed_at = timezone.now()
    _finish(result, snap)
    result.save()
    return result


@transaction.atomic
def decide_appeal(*, actor, appeal: Appeal, accept: bool, note: str = "") -> Appeal:
    """A supervisor accepts (the named cases leave that target's indicators; that result alone
    is recomputed) or rejects the appeal."""
    from wangge.cases.models import Case

    appeal = Appeal.objects.select_for_update().select_related(
        "result__evaluation__scheme__area").get(pk=appeal.pk)
    result = appeal.result
    _require_supervisor(actor, result.evaluation.scheme.area)
    if appeal.state != Appeal.State.PENDING:
        raise EvaluationError(_("This appeal was already decided."), "decided")
    if actor.pk == appeal.filed_by_id:
        raise EvaluationError(_("Someone else decides on your own appeal."), "forbidden")
    note = (note or "").strip()
    if not accept and not note:
        raise EvaluationError(_("Give the reason for rejecting the appeal."), "reason_required")
    appeal.state = Appeal.State.ACCEPTED if accept else Appeal.State.REJECTED
    appeal.decided_by = actor
    appeal.decided_at = timezone.now()
    appeal.decision_note = note
    appeal.score_before = result.score
    if accept:
        ids = set(Case.objects.filter(number__in=appeal.case_numbers).values_list("pk",
                                                                                   flat=True))
        recompute_result(result, exclude=set(result.excluded_cases) | ids)
    appeal.score_after = result.score
    appeal.save()
    _log("appeal_accept" if accept else "appeal_reject", actor, result.evaluation, result,
         appeal=appeal.pk, before=appeal.score_before, after=appeal.score_after, note=note)
    return appeal


# --- schemes ------------------------------------------------------------------------------------


def default_scheme(*, kind: str, area, name: str = "") -> Scheme:
    """A scheme with the default weights (``indicators.DEFAULT_WEIGHTS``)."""
    scheme = Scheme(name=name or f"{area.name} {TargetKind(kind).label}", target_kind=kind,
                    area=area, weights=dict(ind.DEFAULT_WEIGHTS[kind]))
    scheme.full_clean()
    scheme.save()
    return scheme
