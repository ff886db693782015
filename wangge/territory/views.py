"""Territory pages: the map of the jurisdiction and drill-down from county to grid."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from wangge.core.scope import get_scoped_or_404, scoped
from wangge.territory.choices import LEVEL_SLUGS, Level, Post
from wangge.territory.models import Area, GridStaff


def _root_for(user) -> Area:
    if user.jurisdiction_id:
        return user.jurisdiction
    if user.is_superuser:
        root = Area.objects.filter(parent__isnull=True).order_by("code").first()
        if root:
            return root
    raise Http404("No jurisdiction is assigned to this account.")


@login_required
def territory_home(request):
    try:
        root = _root_for(request.user)
    except Http404:
        return render(request, "territory/empty.html", status=200)
    return redirect("territory:area", code=root.code)


def _visible_ancestors(area: Area, user) -> list[Area]:
    return [a for a in area.ancestors() if user.can_see_area(a)]


@login_required
def area_detail(request, code: str):
    area = get_scoped_or_404(Area, request.user, code=code)
    children = list(
        scoped(Area, request.user).filter(parent=area)
        .annotate(n_children=Count("children", distinct=True),
                  n_staff=Count("staff", distinct=True))
        .order_by("code")
    )
    staff = []
    if area.is_unit_grid_level:
        order = {post: n for n, post in enumerate(Post.values)}
        staff = sorted(scoped(GridStaff, request.user).filter(grid=area).select_related("user"),
                       key=lambda s: (order[s.post], s.user.username))
    counts = dict(
        scoped(Area, request.user).filter(prefix__startswith=area.prefix)
        .values("level").annotate(n=Count("id")).values_list("level", "n")
    )
    summary = [(Level(lvl).label, counts[lvl]) for lvl in sorted(counts) if lvl > area.level]
    return render(request, "territory/area.html", {
        "area": area,
        "ancestors": _visible_ancestors(area, request.user),
        "children": children,
        "staff": staff,
        "summary": summary,
        "geojson_url": reverse("territory:geojson", args=[area.code]),
    })


def area_feature_collection(area: Area, user) -> dict:
    """The area's outline and its visible children, for the map."""
    children = list(scoped(Area, user).filter(parent=area)
                    .annotate(n_staff=Count("staff")).order_by("code"))
    role = "child"
    if not children and area.parent_id:
        # a unit grid: show its neighbours in the same community for context
        children = list(scoped(Area, user).filter(parent_id=area.parent_id).exclude(pk=area.pk)
                        .annotate(n_staff=Count("staff")).order_by("code"))
        role = "sibling"
    features = []
    for child in children:
        if not child.geometry:
            continue
        features.append({
            "type": "Feature",
            "geometry": child.geometry,
            "properties": {
                "code": child.code, "name": child.name,
                "level": LEVEL_SLUGS[Level(child.level)],
                "area_km2": child.area_km2, "staff": child.n_staff,
                "url": reverse("territory:area", args=[child.code]),
                "role": role,
            },
        })
    if area.geometry:
        features.insert(0, {
            "type": "Feature", "geometry": area.geometry,
            "properties": {"code": area.code, "name": area.name,
                           "level": LEVEL_SLUGS[Level(area.level)], "role": "self",
                           "area_km2": area.area_km2},
        })
    return {"type": "FeatureCollection", "features": features}


@login_required
def area_geojson(request, code: str):
    area = get_scoped_or_404(Area, request.user, code=code)
    return JsonResponse(area_feature_collection(area, request.user))
