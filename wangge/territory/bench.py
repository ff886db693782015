"""``wangge bench locate``: build N synthetic grids, locate M random points."""

from __future__ import annotations

import time

import numpy as np
import shapely
from shapely.geometry import MultiPoint, box

from wangge.territory import coords
from wangge.territory.locate import OUTSIDE, GridIndex


def synthetic_grids(count: int, seed: int = 1):
    """``count`` Voronoi cells tiling a county-sized box around 南安."""
    rng = np.random.default_rng(seed)
    extent = box(118.10, 24.70, 118.70, 25.25)
    seeds = np.column_stack([rng.uniform(118.10, 118.70, count), rng.uniform(24.70, 25.25, count)])
    cells = [c.intersection(extent) for c in
             shapely.get_parts(shapely.voronoi_polygons(MultiPoint(seeds), extend_to=extent))]
    codes = [f"350583001001{i:03d}" if i < 1000 else f"3505830{i // 1000:02d}001{i % 1000:03d}"
             for i in range(len(cells))]
    return GridIndex(list(range(len(cells))), codes, codes, cells), extent


def run(grids: int, points: int, seed: int = 1) -> dict:
    started = time.perf_counter()
    index, extent = synthetic_grids(grids, seed)
    build_seconds = time.perf_counter() - started
    rng = np.random.default_rng(seed + 1)
    minx, miny, maxx, maxy = extent.bounds
    pad = 0.02  # a few points fall outside the territory
    lons = rng.uniform(minx - pad, maxx + pad, points)
    lats = rng.uniform(miny - pad, maxy + pad, points)

    started = time.perf_counter()
    result = index.locate_indices(lons, lats)
    seconds = time.perf_counter() - started

    started = time.perf_counter()
    glons, glats = coords.wgs84_to_gcj02(lons, lats)
    coords.gcj02_to_wgs84(glons, glats)
    convert_seconds = time.perf_counter() - started

    singles = min(points, 20_000)
    started = time.perf_counter()
    for i in range(singles):
        index.locate_index(lons[i], lats[i])
    single_us = (time.perf_counter() - started) / singles * 1e6

    started = time.perf_counter()
    for i in range(singles):
        lon, lat = coords.to_wgs84(glons[i], glats[i], coords.GCJ02)
        index.locate_index(lon, lat)
    single_gcj_us = (time.perf_counter() - started) / singles * 1e6

    # check a sample against a brute-force answer so the figure is for correct work
    sample = rng.choice(points, size=min(points, 2000), replace=False)
    for i in sample:
        point = shapely.Point(lons[i], lats[i])
        hits = [k for k, g in enumerate(index.geometries) if g.intersects(point)]
        expected = min(hits) if hits else OUTSIDE
        if expected != result[i]:
            raise AssertionError(f"point {i} located to {result[i]}, expected {expected}")

    return {
        "grids": len(index),
        "points": points,
        "seconds": round(seconds, 4),
        "points_per_second": round(points / seconds),
        "outside": int((result == OUTSIDE).sum()),
        "single_point_us": round(single_us, 2),
        "single_point_gcj02_us": round(single_gcj_us, 2),
        "convert_gcj02_points_per_second": round(2 * points / convert_seconds),
        "build_seconds": round(build_seconds, 3),
    }
