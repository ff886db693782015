"""Territory endpoints: areas (scoped to the caller's jurisdiction), grid staff, locate."""

from __future__ import annotations

from ninja import Field, Query, Router, Schema

from wangge.core.scope import get_scoped_or_404, scoped
from wangge.territory import coords
from wangge.territory import locate as locating
from wangge.territory.choices import LEVEL_BY_SLUG, LEVEL_SLUGS, Level
from wangge.territory.models import Area, GridStaff

router = Router(tags=["territory"])


class AreaOut(Schema):
    code: str
    name: str
    level: str
    parent_code: str | None
    area_km2: float | None
    centroid: list[float] | None
    valid_from: str | None
    valid_to: str | None
    children: int

    @staticmethod
    def of(area: Area, children: int) -> dict:
        return {
            "code": area.code, "name": area.name, "level": LEVEL_SLUGS[Level(area.level)],
            "parent_code": area.parent.code if area.parent_id else None,
            "area_km2": area.area_km2,
            "centroid": [area.centroid_lon, area.centroid_lat]
            if area.centroid_lon is not None else None,
            "valid_from": area.valid_from.isoformat() if area.valid_from else None,
            "valid_to": area.valid_to.isoformat() if area.valid_to else None,
            "children": children,
        }


class AreaPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[AreaOut]


class AreaFilter(Schema):
    parent: str | None = Field(None, description="Only the children of this area code")
    level: str | None = Field(None, description="county, township, village, grid or subgrid")
    q: str | None = Field(None, description="Name or code contains")
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=500)


class StaffOut(Schema):
    grid_code: str
    username: str
    name: str
    post: str
    post_label: str
    since: str


class LocateOut(Schema):
    inside: bool
    grid_code: str | None
    grid_name: str | None
    lon: float
    lat: float
    message: str


def _children_counts(areas: list[Area]) -> dict[int, int]:
    from django.db.models import Count

    ids = [a.pk for a in areas]
    rows = (Area.objects.filter(parent_id__in=ids).values("parent_id")
            .annotate(n=Count("id")).values_list("parent_id", "n"))
    return dict(rows)


@router.get("/areas", response=AreaPage, summary="List areas in the jurisdiction")
def list_areas(request, filters: Query[AreaFilter]):
    queryset = scoped(Area, request.user).select_related("parent")
    if filters.parent:
        parent = get_scoped_or_404(Area, request.user, code=filters.parent)
        queryset = queryset.filter(parent=parent)
    if filters.level:
        if filters.level not in LEVEL_BY_SLUG:
            raise ValueError(f"unknown level {filters.level!r}; expected one of "
                             f"{', '.join(LEVEL_BY_SLUG)}")
        queryset = queryset.filter(level=LEVEL_BY_SLUG[filters.level])
    if filters.q:
        from django.db.models import Q

        queryset = queryset.filter(Q(name__contains=filters.q) | Q(code__startswith=filters.q))
    count = queryset.count()
    start = (filters.page - 1) * filters.page_size
    page = list(queryset.order_by("code")[start:start + filters.page_size])
    counts = _children_counts(page)
    return {"count": count, "page": filters.page, "page_size": filters.page_size,
            "results": [AreaOut.of(a, counts.get(a.pk, 0)) for a in page]}


@router.get("/areas/{code}", response=AreaOut, summary="One area")
def get_area(request, code: str):
    area = get_scoped_or_404(Area, request.user, code=code)
    return AreaOut.of(area, area.children.count())


@router.get("/areas/{code}/geojson", summary="An area and its children as GeoJSON")
def area_geojson(request, code: str):
    from wangge.territory.views import area_feature_collection

    area = get_scoped_or_404(Area, request.user, code=code)
    return area_feature_collection(area, request.user)


@router.get("/areas/{code}/staff", response=list[StaffOut], summary="Staff of a grid")
def area_staff(request, code: str):
    area = get_scoped_or_404(Area, request.user, code=code)
    rows = scoped(GridStaff, request.user).filter(
        grid__prefix__startswith=area.prefix).select_related("grid", "user")[:1000]
    return [{"grid_code": s.grid.code, "username": s.user.username, "name": str(s.user),
             "post": s.post, "post_label": s.get_post_display(), "since": s.since.isoformat()}
            for s in rows]


@router.get("/locate", response=LocateOut, summary="Which unit grid holds a point")
def locate(request, lon: float, lat: float, crs: str = coords.WGS84):
    """``crs`` is wgs84 (GPS), gcj02 (Amap/Tencent) or bd09 (Baidu)."""
    result = locating.locate(lon, lat, crs)
    if result.inside and not scoped(Area, request.user).filter(code=result.grid_code).exists():
        result = locating.Location(result.lon, result.lat, None, None, None)
    return {"inside": result.inside, "grid_code": result.grid_code,
            "grid_name": result.grid_name, "lon": result.lon, "lat": result.lat,
            "message": result.message}


