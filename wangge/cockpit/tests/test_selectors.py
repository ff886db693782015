"""Each figure on the hand-built set of conftest.cases_set (worked out there)."""

import datetime as dt

import pytest

from wangge.cockpit import selectors
from wangge.cockpit.tests.conftest import COUNTY, LIUCHENG, NOW, XIMEI

pytestmark = pytest.mark.django_db

MARCH = selectors.Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def test_county_kpis(cases_set, people, territory):
    k = selectors.kpis(people["leader"], territory[COUNTY], MARCH, NOW)
    assert k["today_reports"] == 1  # C5
    assert k["open"] == 4  # C4, C5, C7, C8 (C8 from February: a snapshot ignores the period)
    assert k["overdue"] == 3  # C4, C7, C8; C5's 30 minutes run until 12:25
    assert k["reported"] == 7  # C1–C7
    assert (k["closed"], k["handled"], k["overdue_unhandled"], k["due"]) == (3, 3, 2, 5)
    assert k["closure_rate"] == 60.0  # 3 / 5
    assert k["on_time"] == 2 and k["on_time_rate"] == 66.7  # C3 was handled late
    assert (k["satisfied"], k["rated"], k["satisfaction_rate"]) == (2, 3, 66.7)


def test_township_kpis_and_an_area_with_nothing_closed(cases_set, people, territory):
    k = selectors.kpis(people["leader"], territory[XIMEI], MARCH, NOW)
    assert (k["today_reports"], k["open"], k["overdue"], k["reported"]) == (1, 3, 2, 6)
    assert (k["closed"], k["due"], k["closure_rate"]) == (3, 4, 75.0)
    assert (k["on_time_rate"], k["satisfaction_rate"]) == (66.7, 66.7)
    k = selectors.kpis(people["leader"], territory[LIUCHENG], MARCH, NOW)
    assert (k["open"], k["overdue"], k["reported"], k["closed"], k["due"]) == (1, 1, 1, 0, 1)
    assert k["closure_rate"] == 0.0
    assert k["on_time_rate"] is None and k["satisfaction_rate"] is None  # nothing to rate


def test_the_clock_moves_the_snapshot(cases_set, people, territory):
    later = NOW + dt.timedelta(minutes=30)  # C5's acceptance is now overdue too
    k = selectors.kpis(people["leader"], territory[COUNTY], MARCH, later)
    assert (k["open"], k["overdue"]) == (4, 4)
    assert k["overdue_unhandled"] == 3 and k["closure_rate"] == 50.0  # 3 / (3 + 3)
    earlier = selectors.Period(dt.date(2026, 3, 3), dt.date(2026, 3, 31))  # C1–C3 drop out
    k = selectors.kpis(people["leader"], territory[COUNTY], earlier, NOW)
    assert (k["reported"], k["closed"], k["due"], k["closure_rate"]) == (4, 0, 2, 0.0)


def test_children_for_the_heat_map_and_the_ranking(cases_set, people, territory):
    rows = selectors.area_breakdown(people["leader"], territory[COUNTY], MARCH, NOW)["children"]
    by_code = {r["code"]: r for r in rows}
    assert list(by_code) == [XIMEI, LIUCHENG]
    assert (by_code[XIMEI]["open"], by_code[XIMEI]["overdue"]) == (3, 2)
    assert (by_code[XIMEI]["reported"], by_code[XIMEI]["closure_rate"]) == (6, 75.0)
    assert (by_code[LIUCHENG]["open"], by_code[LIUCHENG]["closure_rate"]) == (1, 0.0)
    assert by_code[XIMEI]["lon"] is not None  # a centroid for labels
    # one level down: the villages of 溪美街道; everything is in its 1社区
    rows = selectors.area_breakdown(people["leader"], territory[XIMEI], MARCH, NOW)["children"]
    assert [(r["code"], r["open"]) for r in rows] == [("350583001001", 3), ("350583001002", 0)]
    # a unit grid has no children; its totals are its own
    grid = selectors.area_breakdown(people["leader"], territory["350583001001001"], MARCH, NOW)
    assert grid["children"] == [] and grid["totals"]["open"] == 3


def test_departments_mixes_and_trends(cases_set, people, territory):
    leader, county = people["leader"], territory[COUNTY]
    [cg] = selectors.departments(leader, county, MARCH, NOW)
    assert cg["code"] == "chengguan-350583"
    assert (cg["reported"], cg["closed"], cg["due"]) == (2, 1, 2)  # C3 closed late, C4 overdue
    assert (cg["closure_rate"], cg["on_time_rate"]) == (50.0, 0.0)
    assert [(c["code"], c["count"]) for c in selectors.category_mix(leader, county, MARCH)] == [
        ("01", 6), ("51", 1)]  # C6 is a street lamp (5105)
    sources = {s["code"]: s["count"] for s in selectors.source_mix(leader, county, MARCH)}
    assert sources == {"patrol": 5, "resident": 1, "hotline": 1}
    daily = selectors.daily_trend(leader, county, dt.date(2026, 3, 31))
    assert len(daily["dates"]) == 30 and daily["dates"][-1] == "2026-03-31"
    day = dict(zip(daily["dates"], zip(daily["reported"], daily["closed"], strict=True),
                   strict=True))
    assert day["2026-03-02"] == (3, 3) and day["2026-03-31"] == (1, 0)
    assert "2026-02-10" not in day
    monthly = selectors.monthly_trend(leader, county, dt.date(2026, 3, 31))
    assert monthly["months"][-3:] == ["2026-01", "2026-02", "2026-03"]
    assert len(monthly["months"]) == 12 and monthly["months"][0] == "2025-04"
    assert monthly["reported"][-3:] == [0, 1, 7]


def test_scope_is_the_users_jurisdiction(cases_set, people, territory, make_user):
    """A leader of 柳城街道 asking for the county sees only what lies in 柳城街道."""
    liucheng_leader = make_user("lc-leader", "leader", territory[LIUCHENG])
    k = selectors.kpis(liucheng_leader, territory[COUNTY], MARCH, NOW)
    assert (k["open"], k["reported"]) == (1, 1)
