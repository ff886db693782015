"""The early-warning rules (研判预警), as pure functions of numbers: no database, deterministic.

``analytics.services.detect`` feeds them from the statistics and the cases and stores what they
find as ``EarlyWarning`` rows, each with the numbers below as its evidence.

1. Rise above baseline (数量异常上升), per unit grid and per community, per 小类:
   the count of the last 7 days (the window: today and the 6 days before) is compared with the
   8 weeks before it (the baseline: 8 counts of 7 consecutive days each, the window excluded).
   With the baseline's mean m and sample standard deviation s, it is a warning when both

       count >= max(3, m + 3·s)                              (a large, unusual number)
       P(X >= count) < 0.01 for X ~ Poisson(max(m, 1/8))     (not chance for a count that low)

   The Poisson test keeps rare types from alarming on noise when s is small (a baseline of
   1, 1, 1, … has s = 0); the floor 1/8 (one case in the 8 baseline weeks) keeps a type never
   seen before from being certain. A community is only flagged for a 小类 when none of its
   grids already is (the grid warning says it more precisely).

2. Repeated at one place (同一地点反复上报): a case reported within 30 days after the closure
   of an earlier case of the same 小类 within 50 metres of it (great-circle distance, WGS-84),
   that was not itself merged, voided or refused. One warning per closed case, listing every
   such report; it is over when the last of them is more than 30 days old.

3. Hot spots (热点区域) on H3 hexagons (resolution 9, cells of about 0.1 km²): the cases of
   the last 7 days per cell, counted per street/township; a cell is a hot spot when it is one
   of the 5 busiest cells of its street, holds at least 5 cases, and at least 3 times the
   average of the street's occupied cells.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

# --- 1. rise above baseline -------------------------------------------------------------------

WINDOW_DAYS = 7
BASELINE_WEEKS = 8
MIN_COUNT = 3
SD_FACTOR = 3.0
P_THRESHOLD = 0.01
LAMBDA_FLOOR = 1 / BASELINE_WEEKS


def poisson_upper_tail(k: int, lam: float) -> float:
    """P(X >= k) for X ~ Poisson(lam), summed exactly (k is a small count)."""
    if k <= 0:
        return 1.0
    term = math.exp(-lam)  # P(X = 0)
    below = term
    for i in range(1, k):
        term *= lam / i
        below += term
    return max(0.0, 1.0 - below)


@dataclass(frozen=True)
class SpikeTest:
    count: int
    baseline: list[int]  # the weekly counts, the oldest first
    mean: float
    sd: float
    threshold: float  # max(MIN_COUNT, mean + SD_FACTOR · sd)
    expected: float  # the Poisson mean: max(mean, LAMBDA_FLOOR)
    p_value: float
    is_spike: bool

    def evidence(self) -> dict:
        data = asdict(self)
        for key in ("mean", "sd", "threshold", "expected"):
            data[key] = round(data[key], 3)
        data["p_value"] = float(f"{self.p_value:.3g}")
        data["rule"] = (f"count >= max({MIN_COUNT}, mean + {SD_FACTOR:g}·sd) and "
                        f"P(Poisson(max(mean, 1/{BASELINE_WEEKS})) >= count) < {P_THRESHOLD}")
        return data


def spike_test(count: int, baseline: list[int]) -> SpikeTest:
    """The rule of the module docstring on one window count and its weekly baseline."""
    mean = statistics.fmean(baseline) if baseline else 0.0
    sd = statistics.stdev(baseline) if len(baseline) > 1 else 0.0
    threshold = max(float(MIN_COUNT), mean + SD_FACTOR * sd)
    expected = max(mean, LAMBDA_FLOOR)
    p_value = poisson_upper_tail(count, expected)
    return SpikeTest(count=count, baseline=list(baseline), mean=mean, sd=sd,
                     threshold=threshold, expected=expected, p_value=p_value,
                     is_spike=count >= threshold and p_value < P_THRESHOLD)


def weekly_windows(end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The window (first) and the baseline weeks before it (the most recent first): pairs of
    local dates, both ends included."""
    windows = []
    for k in range(BASELINE_WEEKS + 1):
        last = end - dt.timedelta(days=WINDOW_DAYS * k)
        windows.append((last - dt.timedelta(days=WINDOW_DAYS - 1), last))
    return windows


def weekly_series(daily: Mapping[dt.date, int], end: dt.date) -> tuple[int, list[int]]:
    """From counts per day: the window's count and the baseline's weekly counts (oldest
    first)."""
    sums = []
    for first, last in weekly_windows(end):
        day, total = first, 0
        while day <= last:
            total += daily.get(day, 0)
            day += dt.timedelta(days=1)
        sums.append(total)
    return sums[0], list(reversed(sums[1:]))


def series_start(end: dt.date) -> dt.date:
    """The first day the rule looks at (the oldest baseline week's first day)."""
    return weekly_windows(end)[-1][0]


# --- 2. repeated at one place -----------------------------------------------------------------

REPEAT_RADIUS_M = 50.0
REPEAT_DAYS = 30
EARTH_RADIUS_M = 6_371_008.8


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance (haversine) between two WGS-84 points, in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Spot:
    """A case at a place: ``at`` is its closure time (closed cases) or report time (reports)."""

    key: str  # the case number
    category: int
    lon: float
    lat: float
    at: dt.datetime


@dataclass(frozen=True)
class Repeat:
    closed: Spot
    report: Spot
    distance_m: float
    days_after: float


def repeated_places(closed: Iterable[Spot], reports: Iterable[Spot],
                    radius_m: float = REPEAT_RADIUS_M, days: int = REPEAT_DAYS) -> list[Repeat]:
    """Each report made within ``days`` after the closure of a case of the same category within
    ``radius_m``, paired with that closure (the latest one before it when several match; the
    nearest on a tie). A spatial hash of cells one radius wide: only the 3 × 3 cells around a
    report are searched."""
    closed = list(closed)
    reports = list(reports)
    if not closed or not reports:
        return []
    top_lat = min(89.0, max(abs(s.lat) for s in closed + reports))
    dlat = radius_m / 111_320.0
    dlon = radius_m / (111_320.0 * math.cos(math.radians(top_lat)))
    buckets: dict[tuple[int, int, int], list[Spot]] = defaultdict(list)
    for spot in closed:
        buckets[(spot.category, math.floor(spot.lat / dlat),
                 math.floor(spot.lon / dlon))].append(spot)
    window = dt.timedelta(days=days)
    found = []
    for report in reports:
        y, x = math.floor(report.lat / dlat), math.floor(report.lon / dlon)
        best = None
        for i in (-1, 0, 1):
            for j in (-1, 0, 1):
                for spot in buckets.get((report.category, y + i, x + j), ()):
                    if spot.key == report.key or not (spot.at < report.at <= spot.at + window):
                        continue
                    distance = metres(spot.lon, spot.lat, report.lon, report.lat)
                    if distance > radius_m:
                        continue
                    rank = (spot.at, -distance)
                    if best is None or rank > best[0]:
                        best = (rank, spot, distance)
        if best is not None:
            _, spot, distance = best
            found.append(Repeat(closed=spot, report=report, distance_m=round(distance, 1),
                                days_after=round((report.at - spot.at).total_seconds() / 86400,
                                                 1)))
    return found


# --- 3. hot spots -----------------------------------------------------------------------------

H3_RESOLUTION = 9
HOT_DAYS = 7
HOT_TOP = 5
HOT_MIN_COUNT = 5
HOT_FACTOR = 3.0


def cell_of(lat: float, lon: float, resolution: int = H3_RESOLUTION) -> str:
    import h3

    return h3.latlng_to_cell(lat, lon, resolution)


def cell_counts(points: Iterable[tuple[float, float]],
                resolution: int = H3_RESOLUTION) -> Counter:
    """Points (lat, lon) per H3 cell."""
    import h3

    return Counter(h3.latlng_to_cell(lat, lon, resolution) for lat, lon in points)


def cell_boundary(cell: str) -> list[list[float]]:
    """The cell's outline as a closed GeoJSON ring of [lon, lat]."""
    import h3

    ring = [[round(lon, 6), round(lat, 6)] for lat, lon in h3.cell_to_boundary(cell)]
    return [*ring, ring[0]]


def hot_cells(counts: Mapping[str, int], top: int = HOT_TOP, min_count: int = HOT_MIN_COUNT,
              factor: float = HOT_FACTOR) -> list[dict]:
    """The hot spots among ``counts`` (one street's cells), the busiest first, each with the
    numbers that made it one."""
    if not counts:
        return []
    mean = statistics.fmean(counts.values())
    bar = max(float(min_count), factor * mean)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [{"cell": cell, "count": n, "rank": rank, "cells": len(counts),
             "mean_per_cell": round(mean, 2), "threshold": round(bar, 2)}
            for rank, (cell, n) in enumerate(ranked[:top], start=1) if n >= bar]
