"""The rules on cases made through wangge.cases.services with fixed clocks: warnings stored
once per situation, with their evidence, resolved when the situation is over."""

import datetime as dt

import pytest

from wangge.analytics import services
from wangge.analytics.models import EarlyWarning
from wangge.cases import services as case_services
from wangge.cases.tests.conftest import GRID, GRID_POINT
from wangge.cockpit.tests.conftest import _close, _handle

from .conftest import NOW, at

pytestmark = pytest.mark.django_db


def report(people, when, point=GRID_POINT, category="0201", who="gw", source="patrol"):
    return case_services.report(actor=people[who], category=category, description="测试",
                                source=source, lon=point[0], lat=point[1], now=when)


def refresh_and_detect(now):
    services.refresh_all(now=now)
    return services.detect(now=now)


def test_a_rise_in_a_grid_raises_one_warning_until_it_is_over(people):
    for day in (25, 27, 29, 30):  # 4 小广告 in the last 7 days, none in the 8 weeks before
        report(people, at(2026, 3, day, 10, 0), point=(GRID_POINT[0] + day * 1e-4,
                                                       GRID_POINT[1]))
    result = refresh_and_detect(NOW)
    assert result["spike"]["created"] == 1
    warning = EarlyWarning.objects.get(kind="spike")
    assert warning.area.code == GRID and warning.category.code == "0201"
    e = warning.evidence
    assert (e["count"], e["baseline"], e["level"]) == (4, [0] * 8, "grid")
    assert e["threshold"] == 3 and e["p_value"] < 0.01 and e["window"] == ["2026-03-25",
                                                                          "2026-03-31"]
    # the community is not flagged as well: its grid already is
    assert not EarlyWarning.objects.filter(kind="spike", area__level=3).exists()
    # again: the same open warning, refreshed, no duplicate
    result = refresh_and_detect(NOW + dt.timedelta(hours=1))
    assert result["spike"] == {"created": 0, "updated": 1, "resolved": 0}
    assert EarlyWarning.objects.filter(kind="spike").count() == 1
    # a month later the 4 are baseline, the last week is quiet: resolved
    later = NOW + dt.timedelta(days=30)
    result = refresh_and_detect(later)
    assert result["spike"]["resolved"] == 1
    warning.refresh_from_db()
    assert warning.resolved_at == later


def test_no_warning_for_a_steady_type(people):
    for week in range(9):  # one a week for 9 weeks: the last week is like the others
        report(people, NOW - dt.timedelta(days=7 * week + 1))
    refresh_and_detect(NOW)
    assert not EarlyWarning.objects.filter(kind="spike").exists()


def test_a_report_at_the_place_of_a_recently_closed_case(people):
    first = report(people, at(2026, 3, 2, 9, 0), category="0101")
    _handle(people, first, at(2026, 3, 2, 0, 0), handled_at=at(2026, 3, 2, 10, 0))
    _close(people, first, at(2026, 3, 2, 11, 0), "satisfied")
    again = report(people, at(2026, 3, 20, 9, 0), category="0101",
                   point=(GRID_POINT[0], GRID_POINT[1] + 20 / 111_320))  # 20 m north
    report(people, at(2026, 3, 21, 9, 0), category="0201")  # another type: not a repeat
    report(people, at(2026, 3, 22, 9, 0), category="0101",
           point=(GRID_POINT[0] + 0.01, GRID_POINT[1]))  # 1 km away: not a repeat
    refresh_and_detect(NOW)
    warning = EarlyWarning.objects.get(kind="repeat")
    assert warning.key == f"repeat:{first.number}" and warning.count == 1
    assert warning.area.code == GRID and warning.category.code == "0101"
    (entry,) = warning.evidence["reports"]
    assert entry["number"] == again.number
    assert entry["distance_m"] == pytest.approx(20.0, abs=0.5)
    assert entry["days_after"] == pytest.approx(17.9, abs=0.1)
    # 30 days after the repeat report, the situation is over
    refresh_and_detect(at(2026, 4, 25, 12, 0))
    warning.refresh_from_db()
    assert warning.resolved_at is not None


def test_a_hot_spot_on_the_hexagon_layer(people):
    for i in range(6):  # six at one place …
        report(people, NOW - dt.timedelta(hours=i + 1), category="0101",
               point=(GRID_POINT[0] + i * 1e-5, GRID_POINT[1]))
    for i in range(10):  # … ten scattered over the street, one per cell
        report(people, NOW - dt.timedelta(hours=i + 1), category="0201",
               point=(118.01 + i * 0.015, 24.81 + (i % 3) * 0.03))
    refresh_and_detect(NOW)
    (warning,) = EarlyWarning.objects.filter(kind="hotspot")
    e = warning.evidence
    assert (warning.count, e["rank"], e["cells"]) == (6, 1, 11)
    assert e["threshold"] == 5.0 and e["top_categories"][0]["code"] == "0101"
    from wangge.analytics.rules import cell_of

    assert warning.cell == cell_of(GRID_POINT[1], GRID_POINT[0])


def test_warnings_are_scoped_and_offered_as_json(client, people):
    for day in (25, 27, 29, 30):
        report(people, at(2026, 3, day, 10, 0), point=(GRID_POINT[0] + day * 1e-4,
                                                       GRID_POINT[1]))
    refresh_and_detect(NOW)
    client.force_login(people["street"])  # 溪美街道
    data = client.get("/analytics/warnings.json").json()
    assert data["counts"]["spike"] == 1
    (item,) = [w for w in data["warnings"] if w["kind"] == "spike"]
    assert item["area"]["code"] == GRID and item["evidence"]["count"] == 4
    assert item["category"]["code"] == "0201" and item["window"]["from"] == "2026-03-25"
    page = client.get("/analytics/warnings/").text
    assert "小广告" in page and ("Poisson" in page or "泊松" in page)
    board = client.get("/analytics/warnings/board/").text
    assert "小广告" in board
    client.force_login(people["comm2"])  # 柳城: none of it
    data = client.get("/analytics/warnings.json").json()
    assert data["counts"]["total"] == 0 and data["warnings"] == []
    assert "小广告" not in client.get("/analytics/warnings/").text
