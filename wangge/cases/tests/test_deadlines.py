"""Step deadlines on the work calendar, with fixed clocks (Asia/Shanghai; working hours
08:30–12:00 and 14:30–17:30; the 2026 holidays and 调休 workdays as shipped)."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from wangge.cases import services
from wangge.cases.models import Category, TimeLimit
from wangge.cases.tests.conftest import GRID_POINT

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def at(*args):
    return dt.datetime(*args, tzinfo=TZ)


def report(people, category="0101", when=None, **extra):
    return services.report(actor=people["gw"], category=category, description="测试",
                           source="patrol", lon=GRID_POINT[0], lat=GRID_POINT[1], now=when,
                           **extra)


def to_handling(people, case, when):
    services.accept(actor=people["comm"], case=case, now=when)
    return services.dispatch(actor=people["comm"], case=case, user="gw2", now=when)


def test_limits_come_from_the_category_then_the_defaults():
    rubbish = Category.objects.get(code="0101")  # 暴露垃圾: 4wh / 2wh / 1wh
    assert services.limit_for(rubbish, "handle", "normal") == (Decimal("4"), "wh")
    assert services.limit_for(rubbish, "handle", "critical") == (Decimal("1"), "wh")
    assert services.limit_for(rubbish, "accept", "normal") == (Decimal("30"), "nm")
    assert services.limit_for(rubbish, "accept", "urgent") == (Decimal("10"), "nm")
    # a category row beats the default; a missing urgency falls back to the lower one
    TimeLimit.objects.filter(category=rubbish, step="handle", urgency="critical").delete()
    assert services.limit_for(rubbish, "handle", "critical") == (Decimal("2"), "wh")


def test_reported_at_night_acceptance_counts_clock_minutes(people):
    case = report(people, when=at(2026, 3, 3, 23, 10))  # Tuesday night
    assert case.step == "accept"
    assert case.step_deadline == at(2026, 3, 3, 23, 40)  # 30 natural minutes
    assert case.accept_deadline == case.step_deadline


def test_friday_afternoon_handling_runs_into_monday(people):
    case = report(people, when=at(2026, 3, 6, 15, 50))
    case = to_handling(people, case, at(2026, 3, 6, 16, 0))  # Friday 16:00, 4 工作时
    # Friday 16:00–17:30 is 1.5 h; Monday 08:30 + 2.5 h = 11:00
    assert case.step_deadline == at(2026, 3, 9, 11, 0)
    assert case.handle_deadline == at(2026, 3, 9, 11, 0)


def test_handling_across_the_national_day_holiday_and_its_makeup_saturday(people):
    case = report(people, category="5105", when=at(2026, 10, 9, 9, 30))  # 路灯不亮: 1 工作日
    services.accept(actor=people["center"], case=case, now=at(2026, 10, 9, 9, 40))
    case = services.dispatch(actor=people["center"], case=case,
                             department="chengguan-350583", now=at(2026, 10, 9, 10, 0))
    # Friday 10-09 10:00 + one working day = Saturday 10-10 10:00, a 调休 workday
    assert case.step_deadline == at(2026, 10, 10, 10, 0)
    before_holiday = report(people, category="5105", when=at(2026, 9, 30, 15, 0))
    services.accept(actor=people["center"], case=before_holiday, now=at(2026, 9, 30, 15, 10))
    before_holiday = services.dispatch(actor=people["center"], case=before_holiday,
                                       department="chengguan-350583",
                                       now=at(2026, 9, 30, 16, 0))
    # one working day is 6.5 h. Wednesday 09-30 16:00–17:30 gives 1.5 h; 10-01..10-07 are
    # off; Thursday 10-08 gives 3.5 h in the morning and the last 1.5 h until 16:00
    assert before_holiday.step_deadline == at(2026, 10, 8, 16, 0)


def test_traffic_light_turns_yellow_at_70_percent_and_red_at_the_deadline(people):
    case = report(people, when=at(2026, 3, 9, 8, 20))
    case = to_handling(people, case, at(2026, 3, 9, 8, 30))  # Monday 08:30, 4 工作时
    assert case.step_deadline == at(2026, 3, 9, 15, 0)
    # 70 % of 240 working minutes = 168 minutes: 08:30 + 168 min = 11:18
    assert case.step_warn_at == at(2026, 3, 9, 11, 18)
    assert case.light(at(2026, 3, 9, 11, 17)) == "green"
    assert case.light(at(2026, 3, 9, 11, 18)) == "yellow"
    assert case.light(at(2026, 3, 9, 14, 59)) == "yellow"
    assert case.light(at(2026, 3, 9, 15, 0)) == "red"


def test_an_approved_extension_moves_the_deadline_on_the_calendar(people):
    case = report(people, when=at(2026, 3, 6, 15, 50))
    case = to_handling(people, case, at(2026, 3, 6, 16, 0))
    services.sign(actor=people["gw2"], case=case, now=at(2026, 3, 6, 16, 5))
    request = services.request_extension(actor=people["gw2"], case=case, amount="1", unit="wd",
                                         note="等待材料", now=at(2026, 3, 6, 16, 10))
    services.decide_extension(actor=people["comm"], request=request, approve=True,
                              now=at(2026, 3, 6, 16, 20))
    case.refresh_from_db()
    # Monday 11:00 + one working day = Tuesday 11:00
    assert case.step_deadline == at(2026, 3, 10, 11, 0)
    assert case.handle_deadline == at(2026, 3, 10, 11, 0)


def test_urging_shortens_the_open_step(people):
    case = report(people, when=at(2026, 3, 9, 8, 20))
    case = to_handling(people, case, at(2026, 3, 9, 8, 30))
    case = services.urge(actor=people["comm"], case=case, now=at(2026, 3, 9, 9, 0))
    assert case.urgency == "urgent"
    assert case.step_deadline == at(2026, 3, 9, 10, 30)  # 2 工作时 from 08:30


def test_a_critical_case_reported_at_night_is_timed_in_clock_hours(people):
    case = report(people, category="0403", when=at(2026, 3, 7, 2, 0))  # Saturday 02:00
    assert case.tier == "district"
    services.accept(actor=people["center"], case=case, now=at(2026, 3, 7, 2, 3))
    case = services.dispatch(actor=people["center"], case=case, department="emergency-350583",
                             now=at(2026, 3, 7, 2, 5))
    limit = services.limit_for(case.category, "handle", "critical")
    assert limit[1] == "nh"
    assert case.step_deadline == at(2026, 3, 7, 2, 5) + dt.timedelta(hours=float(limit[0]))
