"""Evaluation pages: schemes and periods, a period's results, rankings, appeals, the formulas.
Everything is scoped to the user's jurisdiction (results of targets outside it are not shown;
an evaluation of a scheme the user cannot see is a 404)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.evaluation import indicators as ind
from wangge.evaluation import selectors, services
from wangge.evaluation.models import Appeal, Evaluation, PeriodKind, Result, TargetKind
from wangge.territory.choices import Level

GROUP_LABELS = {str(level.value): level.label for level in Level}


def _group_label(group: str) -> str:
    from wangge.accounts.choices import Role
    from wangge.dispatch.choices import DepartmentKind

    if group in GROUP_LABELS:
        return GROUP_LABELS[group]
    for choices in (Role, DepartmentKind):
        if group in choices.values:
            return choices(group).label
    return group


def _evaluation(user, evaluation_id) -> Evaluation:
    evaluation = get_object_or_404(Evaluation.objects.select_related("scheme__area"),
                                   pk=evaluation_id)
    if not selectors.visible_schemes(user).filter(pk=evaluation.scheme_id).exists():
        raise Http404
    return evaluation


@login_required
def scheme_list(request):
    schemes = list(selectors.visible_schemes(request.user).filter(is_active=True))
    evaluations = {}
    for e in Evaluation.objects.filter(scheme__in=schemes).order_by("-start"):
        evaluations.setdefault(e.scheme_id, []).append(e)
    for s in schemes:
        s.period_list = evaluations.get(s.pk, [])[:12]
        s.indicator_list = [(ind.BY_CODE[c], w) for c, w in s.weights.items()]
        s.can_compute = services.can_supervise(request.user, Evaluation(scheme=s))
    last_month = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    pending = selectors.visible_appeals(request.user).filter(state=Appeal.State.PENDING).count()
    return render(request, "evaluation/schemes.html", {
        "schemes": schemes, "period_kinds": PeriodKind.choices, "default_day": last_month,
        "pending_appeals": pending})


@login_required
@require_POST
def compute_view(request, scheme_id: int):
    scheme = get_object_or_404(selectors.visible_schemes(request.user), pk=scheme_id)
    kind = request.POST.get("period_kind", PeriodKind.MONTH)
    try:
        day = dt.date.fromisoformat(request.POST.get("day", ""))
    except ValueError:
        messages.error(request, _("Choose a day inside the period."))
        return redirect("evaluation:schemes")
    if kind not in PeriodKind.values:
        raise Http404
    if not services.can_supervise(request.user, Evaluation(scheme=scheme)):
        messages.error(request, _("Only a leader, operator or administrator can compute."))
        return redirect("evaluation:schemes")
    try:
        evaluation = services.compute(actor=request.user, scheme=scheme, period_kind=kind,
                                      day=day)
    except services.EvaluationError as error:
        messages.error(request, error.message)
        return redirect("evaluation:schemes")
    messages.success(request, _("Computed."))
    return redirect("evaluation:results", evaluation.pk)


@login_required
@require_POST
def publish_view(request, evaluation_id: int):
    evaluation = _evaluation(request.user, evaluation_id)
    try:
        services.publish(actor=request.user, evaluation=evaluation)
        messages.success(request, _("Published: the results are frozen."))
    except services.EvaluationError as error:
        messages.error(request, error.message)
    return redirect("evaluation:results", evaluation.pk)


def _columns(evaluation):
    snap = evaluation.scheme_snapshot or services.snapshot(evaluation.scheme)
    return [(ind.BY_CODE[c], w) for c, w in snap["weights"].items()]


def _groups(results):
    return [(g, _group_label(g)) for g in results.order_by("group").values_list(
        "group", flat=True).distinct()]


@login_required
def results(request, evaluation_id: int):
    evaluation = _evaluation(request.user, evaluation_id)
    qs = selectors.visible_results(request.user, evaluation)
    group = request.GET.get("group", "")
    groups = _groups(qs)
    if group:
        qs = qs.filter(group=group)
    columns = _columns(evaluation)
    page = list(qs.order_by("-score", "label")[:500])
    for r in page:
        r.cells = []
        for indicator, _weight in columns:
            cell = r.indicators.get(indicator.code, {})
            r.cells.append({"text": indicator.display(cell.get("value")),
                            "num": cell.get("num"), "den": cell.get("den"),
                            "points": cell.get("points"), "scored": cell.get("scored"),
                            "below": cell.get("below_volume")})
        r.group_label = _group_label(r.group)
        r.may_appeal = evaluation.is_published and services.can_appeal(request.user, r)
    return render(request, "evaluation/results.html", {
        "evaluation": evaluation, "results": page, "total": qs.count(), "columns": columns,
        "groups": groups, "group": group,
        "can_supervise": services.can_supervise(request.user, evaluation)})


@login_required
def ranking_view(request, evaluation_id: int):
    evaluation = _evaluation(request.user, evaluation_id)
    qs = selectors.visible_results(request.user, evaluation)
    groups = _groups(qs)
    group = request.GET.get("group") or (groups[0][0] if groups else "")
    rows = selectors.ranking(evaluation, qs, group=group or None)
    red, black = selectors.red_black(rows, size=10)
    return render(request, "evaluation/ranking.html", {
        "evaluation": evaluation, "red": red, "black": black, "groups": groups,
        "group": group, "count": len(rows)})


@login_required
def help_page(request):
    kinds = [(label, ind.for_kind(value)) for value, label in TargetKind.choices]
    return render(request, "evaluation/help.html", {"kinds": kinds})


@login_required
def appeal_new(request, result_id: int):
    result = get_object_or_404(Result.objects.select_related("evaluation__scheme"),
                               pk=result_id)
    if not services.can_appeal(request.user, result):
        raise Http404
    error = ""
    if request.method == "POST":
        numbers = request.POST.get("cases", "").replace("，", ",").replace("\n", ",").split(",")
        try:
            services.file_appeal(actor=request.user, result=result,
                                 reason=request.POST.get("reason", ""), case_numbers=numbers)
        except services.EvaluationError as e:
            error = e.message
        else:
            messages.success(request, _("Appeal filed."))
            return redirect("evaluation:appeals")
    columns = _columns(result.evaluation)
    cells = [(i, result.indicators.get(i.code, {})) for i, _w in columns]
    for indicator, cell in cells:
        cell["text"] = indicator.display(cell.get("value"))
    return render(request, "evaluation/appeal.html", {
        "result": result, "evaluation": result.evaluation, "cells": cells, "error": error,
        "form": request.POST})


@login_required
def appeal_list(request):
    appeals = list(selectors.visible_appeals(request.user)[:200])
    for a in appeals:
        a.may_decide = (a.state == Appeal.State.PENDING and a.filed_by_id != request.user.pk
                        and services.can_supervise(request.user, a.result.evaluation))
    return render(request, "evaluation/appeals.html", {"appeals": appeals})


@login_required
@require_POST
def appeal_decide(request, appeal_id: int):
    appeal = get_object_or_404(selectors.visible_appeals(request.user), pk=appeal_id)
    try:
        services.decide_appeal(actor=request.user, appeal=appeal,
                               accept=request.POST.get("decision") == "accept",
                               note=request.POST.get("note", ""))
        messages.success(request, _("Decided."))
    except services.EvaluationError as error:
        messages.error(request, error.message)
    return redirect("evaluation:appeals")
