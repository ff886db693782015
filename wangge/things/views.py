"""City component pages: the list with filters and the detail with its devices. Every query is
scoped to the user's jurisdiction; a component outside it is a 404."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _

from wangge.cases.choices import Kind
from wangge.cases.models import Category
from wangge.core.scope import get_scoped_or_404, scoped
from wangge.territory.models import Area
from wangge.things import services
from wangge.things.models import Component, ComponentStatus

FILTER_KEYS = ["q", "status", "major", "area"]


@login_required
def component_list(request):
    params = {k: request.GET.get(k, "").strip() for k in FILTER_KEYS}
    components = scoped(Component, request.user).select_related("grid", "category")
    if params["q"]:
        components = components.filter(name__icontains=params["q"]) | \
            components.filter(code__startswith=params["q"])
    if params["status"] in ComponentStatus.values:
        components = components.filter(status=params["status"])
    if params["major"]:
        components = components.filter(category__parent__code=params["major"])
    problem = ""
    if params["area"]:
        area = scoped(Area, request.user).filter(code=params["area"]).first()
        if area is None:
            problem = _("No area in your jurisdiction has this code.")
            components = components.none()
        else:
            components = components.filter(grid__prefix__startswith=area.prefix)
    page = Paginator(components.order_by("code"), 50).get_page(request.GET.get("page"))
    majors = Category.objects.filter(kind=Kind.COMPONENT, parent__isnull=True).order_by("code")
    return render(request, "things/list.html", {
        "page": page, "params": params, "statuses": ComponentStatus.choices, "majors": majors,
        "query": urlencode({k: v for k, v in params.items() if v}), "problem": problem})


@login_required
def component_detail(request, code: str):
    component = get_scoped_or_404(Component, request.user, code=code)
    return render(request, "things/detail.html", {
        "component": component, "devices": services.devices_of(component)})
