"""The early-warning rules on synthetic numbers (no database): deterministic."""

import datetime as dt
import math
from zoneinfo import ZoneInfo

import h3
import pytest

from wangge.analytics import rules

TZ = ZoneInfo("Asia/Shanghai")


def test_poisson_upper_tail_matches_the_formula():
    assert rules.poisson_upper_tail(0, 2.0) == 1.0
    # P(X >= 3 | 0.5) = 1 - e^-0.5 (1 + 0.5 + 0.125)
    assert rules.poisson_upper_tail(3, 0.5) == pytest.approx(1 - math.exp(-0.5) * 1.625)
    assert rules.poisson_upper_tail(1, 1.0) == pytest.approx(1 - math.exp(-1))


def test_a_steady_series_is_not_a_spike():
    baseline = [4, 6, 5, 5, 4, 6, 5, 5]  # mean 5, sd 0.756
    result = rules.spike_test(6, baseline)
    assert result.mean == 5 and not result.is_spike
    # the sd rule alone would fire at 8 (5 + 3·0.756 = 7.27) but 8 of Poisson(5) is chance
    result = rules.spike_test(8, baseline)
    assert result.count >= result.threshold
    assert result.p_value == pytest.approx(rules.poisson_upper_tail(8, 5.0))
    assert result.p_value > 0.01 and not result.is_spike


def test_a_jump_far_above_the_baseline_is_a_spike():
    result = rules.spike_test(14, [4, 6, 5, 5, 4, 6, 5, 5])
    assert result.threshold == pytest.approx(5 + 3 * 0.7559, abs=1e-3)
    assert result.p_value < 0.01 and result.is_spike
    evidence = result.evidence()
    assert evidence["count"] == 14 and evidence["baseline"] == [4, 6, 5, 5, 4, 6, 5, 5]
    assert "Poisson" in evidence["rule"]


def test_a_type_never_seen_warns_from_three_cases_on():
    assert not rules.spike_test(2, [0] * 8).is_spike  # below the minimum of 3
    result = rules.spike_test(3, [0] * 8)  # λ floor 1/8: P(X >= 3) ≈ 0.0003
    assert result.expected == 0.125 and result.p_value < 0.001 and result.is_spike


def test_a_noisy_baseline_raises_the_bar():
    baseline = [0, 9, 1, 8, 0, 10, 2, 9]  # mean 4.875, sd ≈ 4.49 → threshold ≈ 18.3
    assert not rules.spike_test(18, baseline).is_spike  # p is tiny, but below the bar
    assert rules.spike_test(19, baseline).is_spike


def test_weekly_series_cuts_the_days_into_the_window_and_eight_weeks():
    end = dt.date(2026, 3, 31)
    daily = {end: 2, end - dt.timedelta(days=6): 1,  # window: 03-25 … 03-31
             end - dt.timedelta(days=7): 5,  # last baseline week
             rules.series_start(end): 7,  # first day of the oldest week
             rules.series_start(end) - dt.timedelta(days=1): 100}  # outside
    count, baseline = rules.weekly_series(daily, end)
    assert count == 3
    assert baseline == [7, 0, 0, 0, 0, 0, 0, 5]
    assert rules.series_start(end) == end - dt.timedelta(days=62)


def test_weekly_series_with_and_without_a_spike():
    end = dt.date(2026, 3, 31)
    start = rules.series_start(end)
    steady = {start + dt.timedelta(days=i): 1 for i in range(63)}  # 7 a week throughout
    count, baseline = rules.weekly_series(steady, end)
    assert (count, baseline) == (7, [7] * 8)
    assert not rules.spike_test(count, baseline).is_spike
    spiking = dict(steady)
    for i in range(7):
        spiking[end - dt.timedelta(days=i)] = 4  # 28 in the last week
    count, baseline = rules.weekly_series(spiking, end)
    assert count == 28 and rules.spike_test(count, baseline).is_spike


def spot(key, lon, lat, when, category=1):
    return rules.Spot(key, category, lon, lat, when)


def test_repeated_places_within_50_metres_and_30_days_after_closure():
    closed_at = dt.datetime(2026, 3, 1, 10, 0, tzinfo=TZ)
    closed = [spot("A", 118.05, 24.85, closed_at)]
    north_30m = 24.85 + 30 / 111_320
    north_80m = 24.85 + 80 / 111_320
    reports = [
        spot("R1", 118.05, north_30m, closed_at + dt.timedelta(days=10)),  # yes
        spot("R2", 118.05, north_80m, closed_at + dt.timedelta(days=10)),  # too far
        spot("R3", 118.05, north_30m, closed_at + dt.timedelta(days=31)),  # too late
        spot("R4", 118.05, north_30m, closed_at - dt.timedelta(days=1)),  # before closure
        spot("R5", 118.05, north_30m, closed_at + dt.timedelta(days=2), category=2),  # type
    ]
    found = rules.repeated_places(closed, reports)
    assert [(r.closed.key, r.report.key) for r in found] == [("A", "R1")]
    assert found[0].distance_m == pytest.approx(30.0, abs=0.5)
    assert found[0].days_after == 10.0


def test_a_report_pairs_with_the_latest_closure_before_it():
    t0 = dt.datetime(2026, 3, 1, tzinfo=TZ)
    closed = [spot("OLD", 118.05, 24.85, t0), spot("NEW", 118.0501, 24.85, t0 + dt.timedelta(5))]
    found = rules.repeated_places(closed, [spot("R", 118.05, 24.85, t0 + dt.timedelta(days=6))])
    assert [r.closed.key for r in found] == ["NEW"]


def test_metres_is_the_great_circle_distance():
    # one degree of latitude ≈ 111.2 km
    assert rules.metres(118.0, 24.0, 118.0, 25.0) == pytest.approx(111_195, rel=1e-3)


def test_h3_cells_count_points_and_draw_closed_rings():
    lat, lon = 24.85, 118.05
    cell = rules.cell_of(lat, lon)
    assert h3.get_resolution(cell) == rules.H3_RESOLUTION == 9
    near = (lat + 0.0001, lon + 0.0001)  # ~15 m: the same res-9 cell (edge ~ 200 m)
    far = (lat + 0.01, lon)  # ~1.1 km: another cell
    counts = rules.cell_counts([(lat, lon), near, far])
    assert counts[cell] == 2 and sum(counts.values()) == 3 and len(counts) == 2
    ring = rules.cell_boundary(cell)
    assert len(ring) == 7 and ring[0] == ring[-1]
    assert h3.is_valid_cell(rules.cell_of(lat, lon, 8))


def test_hot_cells_are_the_busiest_well_above_the_average():
    counts = {f"c{i}": 1 for i in range(20)} | {"hot": 30, "warm": 6, "busy": 12}
    # mean = (20 + 30 + 6 + 12) / 23 ≈ 2.96 → bar = max(5, 8.87)
    hot = rules.hot_cells(counts)
    assert [h["cell"] for h in hot] == ["hot", "busy"]
    assert hot[0]["rank"] == 1 and hot[0]["threshold"] == pytest.approx(8.87, abs=0.01)
    assert rules.hot_cells({"a": 4, "b": 4}) == []  # below the minimum of 5
    assert rules.hot_cells({}) == []
