"""The demo county: 南安市 (350583) with its real division names and codes, synthetic polygons.

Polygons are made up but plausible and nested correctly: an irregular county outline of about
2,000 km² around the real county seat, split into townships, villages and unit grids by
Lloyd-relaxed Voronoi partitions, each clipped to its parent. Villages get unit grids in
proportion to a plausible population (communities in towns have more), about 3,400 in all,
the order of 南安's 3,372 second-level grids. Grid serials run west→east, north→south.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Polygon, mapping

DATA = Path(__file__).parent / "data" / "nanan_divisions.csv"
CENTER = (118.386, 24.960)  # 溪美街道, the county seat
COUNTY_AREA_KM2 = 2036.0


def read_divisions() -> list[dict]:
    with DATA.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _outline(rng: np.random.Generator) -> Polygon:
    radius_km = math.sqrt(COUNTY_AREA_KM2 / math.pi)
    angles = np.linspace(0, 2 * math.pi, 96, endpoint=False)
    wobble = np.ones_like(angles)
    for k in (2, 3, 5, 7):
        wobble += rng.uniform(0.03, 0.09) * np.sin(k * angles + rng.uniform(0, 2 * math.pi))
    km_per_deg_lat = 110.574
    km_per_deg_lon = 111.320 * math.cos(math.radians(CENTER[1]))
    xs = CENTER[0] + radius_km * wobble * np.cos(angles) / km_per_deg_lon
    ys = CENTER[1] + radius_km * wobble * np.sin(angles) / km_per_deg_lat
    polygon = Polygon(zip(xs, ys, strict=True))
    # scale to the target area
    from wangge.territory.geo import area_km2

    factor = math.sqrt(COUNTY_AREA_KM2 / area_km2(polygon))
    return shapely.affinity.scale(polygon, factor, factor, origin=CENTER)


def _random_points(polygon, count: int, rng: np.random.Generator) -> np.ndarray:
    minx, miny, maxx, maxy = polygon.bounds
    shapely.prepare(polygon)
    found: list[np.ndarray] = []
    total = 0
    while total < count:
        xs = rng.uniform(minx, maxx, count * 3 + 10)
        ys = rng.uniform(miny, maxy, count * 3 + 10)
        inside = shapely.contains_xy(polygon, xs, ys)
        batch = np.column_stack([xs[inside], ys[inside]])
        found.append(batch)
        total += len(batch)
    return np.vstack(found)[:count]


def _polygonal(geometry):
    parts = [g for g in shapely.get_parts(geometry) if g.geom_type == "Polygon" and g.area > 0]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def partition(parent, count: int, rng: np.random.Generator, iterations: int = 3) -> list:
    """Split ``parent`` into ``count`` cells (Voronoi with Lloyd relaxation, clipped)."""
    if count == 1:
        return [parent]
    seeds = _random_points(parent, count, rng)
    cells: list = []
    for step in range(iterations + 1):
        regions = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=parent)
        regions = list(shapely.get_parts(regions))
        # match each region to its seed (voronoi_polygons does not keep the input order)
        tree = shapely.STRtree(regions)
        seed_points = shapely.points(seeds)
        seed_idx, region_idx = tree.query(seed_points, predicate="within")
        by_seed = dict(zip(seed_idx.tolist(), region_idx.tolist(), strict=True))
        cells = []
        for i in range(len(seeds)):
            clipped = _polygonal(regions[by_seed[i]].intersection(parent))
            cells.append(clipped)
        if step == iterations:
            break
        seeds = np.array([
            [c.representative_point().x, c.representative_point().y] if c is not None
            and not c.centroid.within(c) else [c.centroid.x, c.centroid.y]
            if c is not None else seeds[i]
            for i, c in enumerate(cells)
        ])
    return [c for c in cells if c is not None]


def reading_order(cells: list) -> list:
    """Sort cells west→east within bands north→south (how grids are numbered)."""
    if not cells:
        return cells
    lats = np.array([c.representative_point().y for c in cells])
    band = max((lats.max() - lats.min()) / max(1, round(math.sqrt(len(cells)))), 1e-9)
    top = lats.max()

    def key(cell):
        point = cell.representative_point()
        return (math.floor((top - point.y) / band), point.x)

    return sorted(cells, key=key)


def grid_count(name: str, rng: np.random.Generator) -> int:
    if name.endswith("社区"):
        return int(rng.integers(12, 17))
    return int(rng.integers(5, 10))


def _geometry_json(geometry) -> dict:
    return json.loads(json.dumps(mapping(geometry)))


def build_feature_collection(seed: int = 350583) -> dict:
    """The demo territory as a GeoJSON FeatureCollection, ready for ``import_territory``."""
    rng = np.random.default_rng(seed)
    rows = read_divisions()
    county = next(r for r in rows if r["level"] == "county")
    townships = [r for r in rows if r["level"] == "township"]
    villages: dict[str, list[dict]] = {}
    for row in rows:
        if row["level"] == "village":
            villages.setdefault(row["parent_code"], []).append(row)

    features: list[dict] = []

    def add(row_code, name, level, parent_code, geometry, **extra):
        properties = {"code": row_code, "name": name, "level": level,
                      "parent_code": parent_code, "valid_from": None, "valid_to": None}
        properties.update(extra)
        features.append({"type": "Feature", "properties": properties,
                         "geometry": _geometry_json(geometry)})

    outline = _outline(rng)
    add(county["code"], county["name"], "county", None, outline)
    township_cells = reading_order(partition(outline, len(townships), rng))
    # the three urban streets take the cells nearest the county seat
    centre = shapely.Point(CENTER)
    urban = [t for t in townships if t["name"].endswith("街道")]
    others = [t for t in townships if not t["name"].endswith("街道")]
    by_distance = sorted(township_cells, key=lambda c: c.centroid.distance(centre))
    assigned = list(zip(urban, by_distance[: len(urban)], strict=True))
    assigned += list(zip(others, reading_order(by_distance[len(urban):]), strict=True))
    for township, cell in sorted(assigned, key=lambda pair: pair[0]["code"]):
        add(township["code"], township["name"], "township", county["code"], cell)
        members = villages.get(township["code"], [])
        village_cells = reading_order(partition(cell, len(members), rng, iterations=2))
        for village, vcell in zip(members, village_cells, strict=True):
            add(village["code"], village["name"], "village", township["code"], vcell)
            count = grid_count(village["name"], rng)
            grid_cells = reading_order(partition(vcell, count, rng, iterations=2))
            for serial, gcell in enumerate(grid_cells, start=1):
                add(f"{village['code']}{serial:03d}", f"{village['name']}第{serial}网格", "grid",
                    village["code"], gcell)
    return {"type": "FeatureCollection", "features": features}
