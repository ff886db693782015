"""Read side: what a user may see, rankings (红黑榜) with trends."""

from __future__ import annotations

from django.db.models import Q

from wangge.evaluation.models import Appeal, Evaluation, Result, Scheme
from wangge.evaluation.services import previous_period


def visible_schemes(user):
    """Schemes over the user's jurisdiction or inside it."""
    if user.is_superuser:
        return Scheme.objects.select_related("area")
    prefix = user.scope_prefix
    if not prefix:
        return Scheme.objects.none()
    ancestors = [prefix[:i] for i in range(1, len(prefix) + 1)]
    return Scheme.objects.filter(Q(area__prefix__startswith=prefix)
                                 | Q(area__prefix__in=ancestors)).select_related("area")


def visible_results(user, evaluation: Evaluation):
    """The results of targets inside the user's jurisdiction (a department handler also sees
    their own department's)."""
    qs = evaluation.results.all()
    if user.is_superuser:
        return qs
    prefix = user.scope_prefix
    mine = Q(user_id=user.pk)
    if user.department_id:
        mine |= Q(department_id=user.department_id)
    if prefix:
        mine |= Q(area__prefix__startswith=prefix)
    return qs.filter(mine)


def visible_appeals(user):
    qs = Appeal.objects.select_related("result__evaluation__scheme", "filed_by", "decided_by")
    if user.is_superuser:
        return qs
    return qs.filter(Q(result__area__prefix__startswith=user.scope_prefix or "\0")
                     | Q(filed_by=user))


def ranking(evaluation: Evaluation, results, group: str | None = None) -> list[dict]:
    """Scored results best first, each with its rank (ties share a rank) and the change
    against the same scheme's previous period: ``rank_change`` (positive = moved up) and
    ``score_change``; None when the target was not ranked then."""
    qs = results.filter(score__isnull=False)
    if group:
        qs = qs.filter(group=group)
    rows = list(qs.order_by("-score", "label").values("id", "target_key", "label", "group",
                                                      "score", "grade"))
    _rank(rows)
    start, _end = previous_period(evaluation.period_kind, evaluation.start)
    before = Evaluation.objects.filter(scheme_id=evaluation.scheme_id,
                                       period_kind=evaluation.period_kind, start=start).first()
    previous = {}
    if before is not None:
        old = Result.objects.filter(evaluation=before, score__isnull=False,
                                    target_key__in=[r["target_key"] for r in rows])
        old_all = before.results.filter(score__isnull=False)
        if group:
            old_all = old_all.filter(group=group)
        ranked = list(old_all.order_by("-score", "label").values("target_key", "score"))
        _rank(ranked)
        wanted = set(old.values_list("target_key", flat=True))
        previous = {r["target_key"]: r for r in ranked if r["target_key"] in wanted}
    for r in rows:
        p = previous.get(r["target_key"])
        r["previous_rank"] = p["rank"] if p else None
        r["rank_change"] = (p["rank"] - r["rank"]) if p else None
        r["score_change"] = round(r["score"] - p["score"], 2) if p else None
    return rows


def _rank(rows: list[dict]) -> None:
    last, rank = None, 0
    for i, r in enumerate(rows, start=1):
        if r["score"] != last:
            rank, last = i, r["score"]
        r["rank"] = rank


def red_black(rows: list[dict], size: int = 10) -> tuple[list[dict], list[dict]]:
    """红榜: the best ``size``; 黑榜: the worst ``size`` (worst first). With fewer than twice
    ``size`` ranked, the better half is red and the rest black: never both."""
    if len(rows) >= 2 * size:
        return rows[:size], list(reversed(rows[-size:]))
    half = (len(rows) + 1) // 2
    return rows[:half], list(reversed(rows[half:]))
