"""City component pages: the list with filters and the detail with its devices. Every query is
scoped to the user's jurisdiction; a component outside it is a 404."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from wangge.cases.choices import Kind
from wangge.cases.models import Category
from wangge.core import exporting
from wangge.core.scope import get_scoped_or_404
from wangge.things import exporter, services
from wangge.things.models import Component, ComponentStatus

FILTER_KEYS = ["q", "status", "major", "area"]


@login_required
def component_list(request):
    params = {k: request.GET.get(k, "").strip() for k in FILTER_KEYS}
    components, problem = exporter.filtered(request.user, params)
    components = components.select_related("grid", "category")
    page = Paginator(components.order_by("code"), 50).get_page(request.GET.get("page"))
    majors = Category.objects.filter(kind=Kind.COMPONENT, parent__isnull=True).order_by("code")
    return render(request, "things/list.html", {
        "page": page, "params": params, "statuses": ComponentStatus.choices, "majors": majors,
        "query": urlencode({k: v for k, v in params.items() if v}), "problem": problem})


@never_cache
@login_required
def component_export(request):
    """The list's rows (its filter, the user's jurisdiction) as CSV or XLSX."""
    return exporting.web_export(request, "components")


@login_required
def component_detail(request, code: str):
    component = get_scoped_or_404(Component, request.user, code=code)
    return render(request, "things/detail.html", {
        "component": component, "devices": services.devices_of(component)})
