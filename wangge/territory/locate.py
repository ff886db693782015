"""Point → unit grid, through an in-memory Shapely STRtree.

Each process keeps one ``GridIndex`` of the unit grids valid today (grids without second-level
grids, and second-level grids). It is rebuilt when the ``TerritoryVersion`` counter in the
database moves (checked at most every ``LOCATE_VERSION_CHECK_SECONDS``, and at once after a change
made by this process) or when the day changes.

A point on a border shared by two grids belongs to the grid with the smallest code: the tree is
queried with ``intersects`` (which includes the boundary) and the lowest-coded hit wins, so the
answer never depends on the order the grids were loaded in.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
import shapely
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import shape

from wangge.territory import coords

OUTSIDE = -1


@dataclass(frozen=True)
class Location:
    """The answer of ``locate``. ``grid_code`` is None when the point is outside."""

    lon: float  # WGS-84
    lat: float
    grid_id: int | None
    grid_code: str | None
    grid_name: str | None

    @property
    def inside(self) -> bool:
        return self.grid_code is not None

    @property
    def message(self) -> str:
        if self.inside:
            return _("Located in grid %(name)s (%(code)s).") % {
                "name": self.grid_name, "code": self.grid_code}
        return _("The point (%(lon).6f, %(lat).6f) is outside the jurisdiction: no grid "
                 "covers it.") % {"lon": self.lon, "lat": self.lat}


class GridIndex:
    """Unit-grid polygons sorted by code, and an STRtree over them."""

    def __init__(self, ids, codes, names, geometries):
        order = np.argsort(np.asarray(codes, dtype=object).astype(str), kind="stable")
        self.ids = np.asarray(ids, dtype=np.int64)[order] if len(ids) else np.zeros(0, np.int64)
        self.codes = [codes[i] for i in order]
        self.names = [names[i] for i in order]
        self.geometries = np.asarray(geometries, dtype=object)[order] if len(geometries) else \
            np.zeros(0, dtype=object)
        shapely.prepare(self.geometries)
        self.tree = shapely.STRtree(self.geometries)

    def __len__(self) -> int:
        return len(self.codes)

    def locate_index(self, lon: float, lat: float) -> int:
        """Index of the grid holding a WGS-84 point, or OUTSIDE."""
        hits = self.tree.query(shapely.Point(lon, lat), predicate="intersects")
        if len(hits) == 0:
            return OUTSIDE
        return int(hits.min())

    CHUNK = 50_000  # large temporary arrays cost more than the loop; measured on 2 cores

    def locate_indices(self, lons, lats) -> np.ndarray:
        """Vectorised: for each point, the grid index or OUTSIDE."""
        lons = np.asarray(lons, dtype=float)
        lats = np.asarray(lats, dtype=float)
        if lons.shape[0] > self.CHUNK:
            return np.concatenate([
                self._locate_chunk(lons[start:start + self.CHUNK], lats[start:start + self.CHUNK])
                for start in range(0, lons.shape[0], self.CHUNK)
            ])
        return self._locate_chunk(lons, lats)

    def _locate_chunk(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        if len(self) == 0 or lons.shape[0] == 0:
            return np.full(lons.shape[0], OUTSIDE, dtype=np.int64)
        points = shapely.points(lons, lats)
        point_idx, grid_idx = self.tree.query(points, predicate="intersects")
        # The lowest grid index per point (a point on a border hits several grids).
        none = np.iinfo(np.int64).max
        result = np.full(lons.shape[0], none, dtype=np.int64)
        np.minimum.at(result, point_idx, grid_idx.astype(np.int64))
        result[result == none] = OUTSIDE
        return result

    def location(self, lon: float, lat: float, index: int) -> Location:
        if index == OUTSIDE:
            return Location(lon, lat, None, None, None)
        return Location(lon, lat, int(self.ids[index]), self.codes[index], self.names[index])


def build_index_from_db(day=None) -> GridIndex:
    from wangge.territory.models import Area
    from wangge.territory.selectors import unit_grids

    day = day or timezone.localdate()
    ids, codes, names, geoms = [], [], [], []
    rows = unit_grids(Area.objects.all(), day).values_list("id", "code", "name", "geometry")
    for area_id, code, name, geometry in rows:
        if not geometry:
            continue
        ids.append(area_id)
        codes.append(code)
        names.append(name)
        geoms.append(shape(geometry))
    return GridIndex(ids, codes, names, geoms)


class _Cache:
    def __init__(self):
        self.lock = threading.Lock()
        self.index: GridIndex | None = None
        self.version: int | None = None
        self.day = None
        self.checked_at = 0.0

    def invalidate(self):
        with self.lock:
            self.checked_at = 0.0
            self.version = None


_cache = _Cache()


def current_version() -> int:
    from wangge.territory.models import TerritoryVersion

    row = TerritoryVersion.objects.filter(pk=1).values_list("version", flat=True).first()
    return int(row or 0)


def get_index() -> GridIndex:
    """The process's grid index, rebuilt if the territory changed since it was built."""
    now = time.monotonic()
    interval = settings.WANGGE["LOCATE_VERSION_CHECK_SECONDS"]
    cache = _cache
    if cache.index is not None and now - cache.checked_at < interval and cache.version is not None:
        return cache.index
    with cache.lock:
        today = timezone.localdate()
        version = current_version()
        if cache.index is None or version != cache.version or today != cache.day:
            cache.index = build_index_from_db(today)
            cache.version = version
            cache.day = today
        cache.checked_at = time.monotonic()
        return cache.index


def invalidate() -> None:
    """Forget the index now (called after this process changed the territory)."""
    _cache.invalidate()


def locate(lon: float, lat: float, system: str = coords.WGS84) -> Location:
    """Locate one point given in WGS-84, GCJ-02 or BD-09. Raises ValueError on bad input."""
    lon, lat = validate_point(lon, lat)
    wlon, wlat = coords.to_wgs84(lon, lat, system)
    index = get_index()
    return index.location(wlon, wlat, index.locate_index(wlon, wlat))


def validate_point(lon, lat) -> tuple[float, float]:
    try:
        lon_f = float(lon)
        lat_f = float(lat)
    except (TypeError, ValueError):
        raise ValueError(_("longitude and latitude must be numbers, got %(lon)r, %(lat)r") % {
            "lon": lon, "lat": lat}) from None
    if not np.isfinite(lon_f) or not -180.0 <= lon_f <= 180.0:
        raise ValueError(_("longitude %(lon)s is out of range (-180 to 180)") % {"lon": lon})
    if not np.isfinite(lat_f) or not -90.0 <= lat_f <= 90.0:
        raise ValueError(_("latitude %(lat)s is out of range (-90 to 90)") % {"lat": lat})
    return lon_f, lat_f
