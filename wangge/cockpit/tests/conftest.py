"""A small hand-built set of cases (through wangge.cases.services, with fixed clocks) whose
cockpit figures are worked out by hand in the comments of ``cases_set``."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from wangge.cases import services
from wangge.cases.tests.conftest import GRID_POINT, OTHER_GRID_POINT, people  # noqa: F401

TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 3, 31, 12, 0, tzinfo=TZ)  # Tuesday noon
XIMEI = "350583001000"  # 溪美街道 (GRID_POINT lies in its 1社区, grid 1)
LIUCHENG = "350583002000"  # 柳城街道 (OTHER_GRID_POINT)
COUNTY = "350583000000"


def at(*args):
    return dt.datetime(*args, tzinfo=TZ)


def _report(actor, when, point=GRID_POINT, source="patrol", category="0101"):
    return services.report(actor=actor, category=category, description="测试", source=source,
                           lon=point[0], lat=point[1], now=when)


def _handle(who, case, day, *, handled_at, department=False):
    """Accept at 09:10 and dispatch at 09:20 on ``day`` (0101 normal: 4 working hours to
    handle, so the handling deadline is 15:50 that Monday); sign; feedback at ``handled_at``."""
    services.accept(actor=who["comm"], case=case, now=day.replace(hour=9, minute=10))
    if department:
        services.dispatch(actor=who["comm"], case=case,
                          department=who["departments"]["chengguan-350583"],
                          now=day.replace(hour=9, minute=20))
        holder = who["cg"]
    else:
        services.dispatch(actor=who["comm"], case=case, user="gw2",
                          now=day.replace(hour=9, minute=20))
        holder = who["gw2"]
    services.sign(actor=holder, case=case, now=day.replace(hour=9, minute=30))
    if handled_at is not None:
        services.feedback(actor=holder, case=case, note="已处理", now=handled_at)
    return case


def _close(who, case, when, satisfaction):
    services.verify(actor=who["gw"], case=case, passed=True, now=when)
    services.close(actor=who["comm"], case=case, now=when + dt.timedelta(minutes=30))
    services.evaluate(actor=who["gw"], case=case, satisfaction=satisfaction,
                      now=when + dt.timedelta(hours=1))


@pytest.fixture
def cases_set(people):  # noqa: F811
    """Period 2026-03-01 … 2026-03-31, now = 2026-03-31 12:00.

    溪美街道 (all in grid 350583001001001):
      C1 reported 03-02 09:00, handled 10:00 (deadline 15:50), closed, 满意      → closed, on time
      C2 reported 03-02 09:05, handled 11:00, closed, 基本满意                    → closed, on time
      C3 reported 03-02 09:10, to 城管, handled 03-25 (deadline was 03-02 15:50),
         closed, 不满意                                                          → closed, late
      C4 reported 03-03 09:00, to 城管, never handled (deadline 03-03 15:50)     → open, overdue
      C5 reported 03-31 11:55, accept limit 30 min (deadline 12:25)              → open, not yet
      C6 reported 03-04 09:00, not filed (rejected)                              → in no rate
      C8 reported 02-10 09:00 (before the period), never accepted                → open, overdue
    柳城街道 (grid 350583002001001, reported by the district operator):
      C7 reported 03-05 09:00, never accepted                                    → open, overdue

    County, over the period: reported 7 (C1–C7); closed 3; handled 3; overdue unhandled 2 (C4,
    C7); due 3 + 2 = 5 → closure rate 3/5 = 60.0 %; on time 2 of 3 closed → 66.7 %; rated 3,
    satisfied + fairly 2 → 66.7 %. Now: today's reports 1 (C5); open 4 (C4, C5, C7, C8);
    overdue 3 (C4, C7, C8).
    溪美街道: reported 6; closed 3; due 3 + 1 (C4) = 4 → 75.0 %; on time 66.7 %; satisfaction
    66.7 %; today 1; open 3 (C4, C5, C8); overdue 2 (C4, C8).
    柳城街道: reported 1; closed 0; due 1 (C7) → 0.0 %; on time and satisfaction: none rated
    or closed → None; open 1; overdue 1.
    城管 (department): C3, C4 → reported 2, closed 1, due 2 → 50.0 %, on time 0/1 → 0.0 %.
    """
    gw, center = people["gw"], people["center"]
    c1 = _report(gw, at(2026, 3, 2, 9, 0))
    _handle(people, c1, at(2026, 3, 2, 0, 0), handled_at=at(2026, 3, 2, 10, 0))
    _close(people, c1, at(2026, 3, 2, 11, 0), "satisfied")
    c2 = _report(gw, at(2026, 3, 2, 9, 5))
    _handle(people, c2, at(2026, 3, 2, 0, 0), handled_at=at(2026, 3, 2, 11, 0))
    _close(people, c2, at(2026, 3, 2, 12, 0), "fairly")
    c3 = _report(gw, at(2026, 3, 2, 9, 10), source="resident")
    _handle(people, c3, at(2026, 3, 2, 0, 0), handled_at=at(2026, 3, 25, 10, 0),
            department=True)
    _close(people, c3, at(2026, 3, 25, 11, 0), "unsatisfied")
    c4 = _report(gw, at(2026, 3, 3, 9, 0))
    _handle(people, c4, at(2026, 3, 3, 0, 0), handled_at=None, department=True)
    c5 = _report(gw, at(2026, 3, 31, 11, 55))
    c6 = _report(gw, at(2026, 3, 4, 9, 0), category="5105")  # 路灯不亮, major 51
    services.reject(actor=people["center"], case=c6, note="不属于受理范围",
                    now=at(2026, 3, 4, 9, 10))
    c7 = _report(center, at(2026, 3, 5, 9, 0), point=OTHER_GRID_POINT, source="hotline")
    c8 = _report(gw, at(2026, 2, 10, 9, 0))
    return {"C1": c1, "C2": c2, "C3": c3, "C4": c4, "C5": c5, "C6": c6, "C7": c7, "C8": c8}
