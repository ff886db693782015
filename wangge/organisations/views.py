"""Organisation pages: the list with filters (kind, risk level, grid), the detail with its
inspections and devices, and the inspection form. Every query is scoped to the user's
jurisdiction; phones are masked in the list."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from wangge.core import exporting
from wangge.core.scope import get_scoped_or_404
from wangge.organisations import exporter, services
from wangge.organisations.models import InspectionResult, Organisation, OrgKind, RiskLevel

FILTER_KEYS = ["q", "kind", "risk", "area"]


@login_required
def organisation_list(request):
    params = {k: request.GET.get(k, "").strip() for k in FILTER_KEYS}
    orgs, problem = exporter.filtered(request.user, params)
    orgs = orgs.select_related("grid")
    page = Paginator(orgs.order_by("grid__code", "name", "pk"), 50).get_page(
        request.GET.get("page"))
    return render(request, "organisations/list.html", {
        "page": page, "params": params, "kinds": OrgKind.choices, "risks": RiskLevel.choices,
        "query": urlencode({k: v for k, v in params.items() if v}), "problem": problem})


@never_cache
@login_required
def organisation_export(request):
    """The list's rows (its filter, the user's jurisdiction) as CSV or XLSX."""
    return exporting.web_export(request, "organisations")


def _parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _detail(request, org, form=None, errors=None, status=200):
    return render(request, "organisations/detail.html", {
        "org": org,
        "inspections": org.inspections.select_related("inspector").all(),
        "devices": services.devices_of(org),
        "results": InspectionResult.choices,
        "form": form or {"date": timezone.localdate().isoformat()},
        "errors": errors or {},
    }, status=status)


@never_cache
@login_required
def organisation_detail(request, pk: int):
    return _detail(request, get_scoped_or_404(Organisation, request.user, pk=pk))


@login_required
@require_POST
def inspection_add(request, pk: int):
    org = get_scoped_or_404(Organisation, request.user, pk=pk)
    form = {k: request.POST.get(k, "").strip() for k in
            ["date", "result", "issues", "follow_up_date"]}
    errors = {}
    date = _parse_date(form["date"])
    follow_up = _parse_date(form["follow_up_date"])
    if date is None:
        errors["date"] = [_("Enter a date.")]
    if form["follow_up_date"] and follow_up is None:
        errors["follow_up_date"] = [_("Enter a date.")]
    if not errors:
        try:
            services.record_inspection(request.user, org, result=form["result"], date=date,
                                       issues=form["issues"], follow_up_date=follow_up)
        except ValidationError as exc:
            errors = exc.message_dict
    if errors:
        return _detail(request, org, form, errors, status=400)
    return redirect("organisations:detail", pk=org.pk)
