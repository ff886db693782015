"""The grid profile (网格画像) pages: one per area, from the county down to a grid, scoped to the
user's jurisdiction (an area outside it is a 404, as if it did not exist)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from wangge.core.scope import get_scoped_or_404
from wangge.profiles import selectors
from wangge.territory.choices import Level
from wangge.territory.models import Area


def _root_for(user) -> Area | None:
    if user.jurisdiction_id:
        return user.jurisdiction
    if user.is_superuser:
        return Area.objects.filter(parent__isnull=True).order_by("code").first()
    return None


@login_required
def home(request):
    root = _root_for(request.user)
    if root is None:
        raise Http404("no jurisdiction")
    return redirect("profiles:area", code=root.code)


def _url(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # the app is not mounted (yet)
        return None


def _point_urls() -> dict:
    return {"organisation": _url("organisations:detail", 12345).replace("12345", "KEY")
            if _url("organisations:detail", 12345) else None,
            "component": _url("things:detail", "KEY"),
            "building": None}


@never_cache
@login_required
def area_profile(request, code: str):
    area = get_scoped_or_404(Area, request.user, code=code)
    data = selectors.profile(request.user, area)
    child_level = Level(data["children"][0]["area"].level).label if data["children"] else ""
    return render(request, "profiles/area.html", {
        "area": area,
        "level_label": Level(area.level).label,
        "path": selectors.area_path(request.user, area),
        "data": data,
        "child_level": child_level,
        "config": {
            "mapUrl": reverse("profiles:map", args=[area.code]),
            "areaUrl": reverse("profiles:area", args=["CODE"]),
            "tileUrl": settings.WANGGE["MAP_TILE_URL"] or "",
            "tileAttribution": settings.WANGGE["MAP_TILE_ATTRIBUTION"] or "",
        },
        "labels": {
            "people": _("People"), "organisations": _("Organisations"),
            "components": _("City components"), "devices": _("Devices"),
            "buildings": _("Buildings"), "open_cases": _("Open cases"),
            "click_to_open": _("Click to open its profile"),
            "truncated": _("Only the first %s points are drawn.") % selectors.POINT_LIMIT,
            "load_failed": _("Could not load the map. Reload the page."),
        },
        "org_list_url": _url("organisations:list"),
        "things_list_url": _url("things:list"),
    })


@login_required
def area_map(request, code: str):
    area = get_scoped_or_404(Area, request.user, code=code)
    data = selectors.profile(request.user, area)
    payload = selectors.map_data(request.user, area, data["children"], _point_urls())
    response = JsonResponse(payload, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "private, no-store"
    return response
