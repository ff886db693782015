"""Geometry helpers on WGS-84 longitude/latitude: areas in square metres and km²."""

from __future__ import annotations

import math

import numpy as np
import shapely

EARTH_RADIUS_M = 6_371_008.8  # mean radius; good to ~0.3 % for areas anywhere on the globe


def _sinusoidal(geometry, lon0: float):
    """Sinusoidal projection around ``lon0``: equal-area, so planar area = area on the sphere."""

    def project(coords: np.ndarray) -> np.ndarray:
        lat = np.radians(coords[:, 1])
        x = EARTH_RADIUS_M * np.radians(coords[:, 0] - lon0) * np.cos(lat)
        y = EARTH_RADIUS_M * lat
        return np.column_stack([x, y])

    return shapely.transform(geometry, project)


def area_m2(geometry) -> float:
    if geometry is None or geometry.is_empty:
        return 0.0
    lon0 = geometry.centroid.x
    return float(_sinusoidal(geometry, lon0).area)


def area_km2(geometry) -> float:
    return area_m2(geometry) / 1_000_000.0


def degrees_to_m2_factor(lat: float) -> float:
    """Square metres in one square degree near latitude ``lat`` (for quick tolerance checks)."""
    metres_per_degree = EARTH_RADIUS_M * math.pi / 180.0
    return metres_per_degree * metres_per_degree * math.cos(math.radians(lat))
