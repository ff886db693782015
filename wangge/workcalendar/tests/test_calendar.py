"""WorkCalendar arithmetic, without the database.

The calendar used here is the shipped one: 08:30–12:00 (210 min) + 14:30–17:30 (180 min), so a
workday holds 390 working minutes, plus the 2026 State Council schedule from data/holidays.csv.

2026 dates used below (2026-01-01 is a Thursday):
  2026-03-10 Tue … 2026-03-13 Fri, 2026-03-16 Mon — an ordinary fortnight, no overrides.
  Spring Festival: 02-14 Sat make-up workday, 02-15 Sun … 02-23 Mon off, 02-28 Sat make-up.
  Mid-Autumn 09-25 Fri … 09-27 Sun off; 09-20 Sun make-up workday.
  National Day 10-01 Thu … 10-07 Wed off; 10-10 Sat make-up workday.
"""

import datetime as dt
import random
import time
from zoneinfo import ZoneInfo

import pytest

from wangge.workcalendar.calendar import DEFAULT_PERIODS, WorkCalendar
from wangge.workcalendar.choices import TimeUnit
from wangge.workcalendar.services import parse_holidays_csv

SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh=0, mm=0, ss=0):
    return dt.datetime(y, m, d, hh, mm, ss, tzinfo=SH)


@pytest.fixture(scope="module")
def cal():
    overrides = {row["date"]: row["is_workday"] for row in parse_holidays_csv()}
    return WorkCalendar(DEFAULT_PERIODS, overrides)


# --------------------------------------------------------------------------------- workdays
def test_weekly_rule_and_overrides(cal):
    assert cal.is_workday(dt.date(2026, 3, 10))  # Tuesday
    assert not cal.is_workday(dt.date(2026, 3, 14))  # Saturday
    assert not cal.is_workday(dt.date(2026, 3, 15))  # Sunday
    assert not cal.is_workday(dt.date(2026, 10, 1))  # 国庆节, Thursday
    assert not cal.is_workday(dt.date(2026, 2, 16))  # 春节, Monday
    assert cal.is_workday(dt.date(2026, 2, 28))  # 春节调休上班, Saturday
    assert cal.is_workday(dt.date(2026, 9, 20))  # 国庆节调休上班, Sunday
    assert cal.is_workday(dt.date(2026, 1, 4))  # 元旦调休上班, Sunday
    # an aware datetime is judged by its Shanghai date: 2026-03-13 16:30Z = Sat 00:30 in Shanghai
    assert not cal.is_workday(dt.datetime(2026, 3, 13, 16, 30, tzinfo=dt.UTC))


def test_count_workdays_matches_day_by_day(cal):
    # October 2026: 22 weekdays; 10-01, 02, 05, 06, 07 are weekday holidays (-5); 10-10 is a
    # make-up Saturday (+1) → 18.
    assert cal.count_workdays(dt.date(2026, 10, 1), dt.date(2026, 10, 31)) == 18
    day, brute = dt.date(2025, 12, 1), 0
    while day <= dt.date(2027, 1, 31):
        brute += cal.is_workday(day)
        day += dt.timedelta(days=1)
    assert cal.count_workdays(dt.date(2025, 12, 1), dt.date(2027, 1, 31)) == brute
    assert cal.count_workdays(dt.date(2026, 3, 11), dt.date(2026, 3, 10)) == 0


# ------------------------------------------------------------------------------ working hours
def test_reported_at_night(cal):
    # Tue 23:10 is after work: counting starts Wed 08:30. 4 h = 240 min: 08:30–12:00 uses 210,
    # the other 30 run from 14:30 → Wed 15:00 (not 12:00: the lunch break does not count).
    assert cal.add(at(2026, 3, 10, 23, 10), 4, "wh") == at(2026, 3, 11, 15, 0)


def test_reported_friday_afternoon_runs_into_monday(cal):
    # Fri 16:00–17:30 gives 90 min; Sat and Sun are off; the remaining 150 min run from
    # Mon 08:30 → Mon 11:00.
    assert cal.add(at(2026, 3, 13, 16, 0), 4, TimeUnit.WORKING_HOURS) == at(2026, 3, 16, 11, 0)


def test_reported_during_lunch(cal):
    # 12:40 is in the lunch break: counting starts at 14:30 → 2 h later is 16:30.
    assert cal.add(at(2026, 3, 10, 12, 40), 2, "wh") == at(2026, 3, 10, 16, 30)
    # 4 h: 14:30–17:30 uses 180 min, the other 60 run from Wed 08:30 → Wed 09:30.
    assert cal.add(at(2026, 3, 10, 12, 40), 4, "wh") == at(2026, 3, 11, 9, 30)


def test_reported_at_weekend(cal):
    # Sat 10:00 → counting starts Mon 08:30 → +1 h = Mon 09:30.
    assert cal.add(at(2026, 3, 14, 10, 0), 1, "wh") == at(2026, 3, 16, 9, 30)


def test_across_national_day_2026(cal):
    # Wed 09-30 16:00: 90 min that day; 10-01 … 10-07 off; Thu 10-08 a full 390 min.
    # 8 h = 480 min = 90 + 390 → exactly the end of Thu 10-08: 17:30 (stays there).
    assert cal.add(at(2026, 9, 30, 16, 0), 8, "wh") == at(2026, 10, 8, 17, 30)
    # one more minute spills to the next workday, Fri 10-09 08:31
    assert cal.add(at(2026, 9, 30, 16, 0), 8 + 1 / 60, "wh") == at(2026, 10, 9, 8, 31)
    # Fri 10-09 16:30: 60 min that day; Sat 10-10 is a make-up workday: +3 h = 180 min →
    # 120 min from 08:30 → Sat 10-10 10:30.
    assert cal.add(at(2026, 10, 9, 16, 30), 3, "wh") == at(2026, 10, 10, 10, 30)


def test_makeup_sunday_before_mid_autumn(cal):
    # Fri 09-18 17:00: 30 min; Sat 09-19 off; Sun 09-20 is a make-up workday → 08:30 + 30 = 09:00.
    assert cal.add(at(2026, 9, 18, 17, 0), 1, "wh") == at(2026, 9, 20, 9, 0)
    # Reported on Sat 09-19 (off): counting starts Sun 09-20 08:30 → +1 h = 09:30.
    assert cal.add(at(2026, 9, 19, 9, 0), 1, "wh") == at(2026, 9, 20, 9, 30)
    # Thu 09-24 17:00: 30 min; Mid-Autumn 09-25 … 09-27 off; Mon 09-28 08:30 + 90 → 10:00.
    assert cal.add(at(2026, 9, 24, 17, 0), 2, "wh") == at(2026, 9, 28, 10, 0)


def test_across_spring_festival_2026(cal):
    # Reported during the holiday (Wed 02-18): counting starts Tue 02-24 08:30.
    # 4 h = 240: 210 in the morning, 30 from 14:30 → Tue 02-24 15:00.
    assert cal.add(at(2026, 2, 18, 10, 0), 4, "wh") == at(2026, 2, 24, 15, 0)
    # Fri 02-13 17:00: 30 min; Sat 02-14 is a make-up workday: 390 min; 02-15 … 02-23 off.
    # 8 h = 480 = 30 + 390 + 60 → Tue 02-24 09:30.
    assert cal.add(at(2026, 2, 13, 17, 0), 8, "wh") == at(2026, 2, 24, 9, 30)


def test_makeup_saturday_counts_as_a_workday(cal):
    # Sat 02-28 (春节调休上班) 09:00 + 2 h → 11:00 the same Saturday.
    assert cal.add(at(2026, 2, 28, 9, 0), 2, "wh") == at(2026, 2, 28, 11, 0)
    # while an ordinary Saturday (03-07) pushes it to Mon 03-09 08:30 + 2 h = 10:30
    assert cal.add(at(2026, 3, 7, 9, 0), 2, "wh") == at(2026, 3, 9, 10, 30)


def test_fractional_hours_and_seconds(cal):
    # 11:45 + 0.75 h = 45 min: 15 until 12:00, 30 from 14:30 → 15:00.
    assert cal.add(at(2026, 3, 10, 11, 45), 0.75, "wh") == at(2026, 3, 10, 15, 0)
    # 16:45 + 1.5 h = 90 min: 45 until 17:30, 45 from Wed 08:30 → Wed 09:15.
    assert cal.add(at(2026, 3, 10, 16, 45), 1.5, "wh") == at(2026, 3, 11, 9, 15)
    # seconds of the start are kept: 09:15:30 + 0.25 h → 09:30:30
    assert cal.add(at(2026, 3, 10, 9, 15, 30), 0.25, "wh") == at(2026, 3, 10, 9, 30, 30)
    # 0.1 h is 6 min exactly, no floating-point crumbs
    assert cal.add(at(2026, 3, 10, 9, 0), 0.1, "wh") == at(2026, 3, 10, 9, 6)


def test_deadline_exactly_at_period_end_stays(cal):
    # 11:45 + 0.25 h → exactly 12:00 (not 14:30)
    assert cal.add(at(2026, 3, 10, 11, 45), 0.25, "wh") == at(2026, 3, 10, 12, 0)
    # 14:30 + 3 h → exactly 17:30 Tue (not Wed 08:30)
    assert cal.add(at(2026, 3, 10, 14, 30), 3, "wh") == at(2026, 3, 10, 17, 30)
    # 08:30 + 3.5 h → 12:00 the same day
    assert cal.add(at(2026, 3, 10, 8, 30), 3.5, "wh") == at(2026, 3, 10, 12, 0)
    # Fri 16:00 + 1.5 h → Fri 17:30 (not Monday)
    assert cal.add(at(2026, 3, 13, 16, 0), 1.5, "wh") == at(2026, 3, 13, 17, 30)
    # starting exactly at 17:30: nothing left that day → Wed 08:30 + 1 h = 09:30
    assert cal.add(at(2026, 3, 10, 17, 30), 1, "wh") == at(2026, 3, 11, 9, 30)
    # starting exactly at 12:00: next counting minute is 14:30 → 15:30
    assert cal.add(at(2026, 3, 10, 12, 0), 1, "wh") == at(2026, 3, 10, 15, 30)


def test_zero_amount_returns_the_start(cal):
    assert cal.add(at(2026, 3, 10, 23, 10), 0, "wh") == at(2026, 3, 10, 23, 10)


# ------------------------------------------------------------------------------- working days
def test_working_days_keep_the_position_in_the_day(cal):
    # Tue 10:00 + 1 wd (390 min): 300 left on Tue (10:00–12:00 = 120, 14:30–17:30 = 180),
    # 90 on Wed from 08:30 → Wed 10:00.
    assert cal.add(at(2026, 3, 10, 10, 0), 1, "wd") == at(2026, 3, 11, 10, 0)
    # + 5 wd over a weekend → next Tue 03-17 10:00
    assert cal.add(at(2026, 3, 10, 10, 0), 5, TimeUnit.WORKING_DAYS) == at(2026, 3, 17, 10, 0)
    # Tue 16:00 + 1 wd → Wed 16:00
    assert cal.add(at(2026, 3, 10, 16, 0), 1, "wd") == at(2026, 3, 11, 16, 0)
    # 0.5 wd = 195 min: Tue 08:30 + 195 → 11:45
    assert cal.add(at(2026, 3, 10, 8, 30), 0.5, "wd") == at(2026, 3, 10, 11, 45)


def test_working_days_from_outside_working_time(cal):
    # Tue 23:10: counting starts Wed 08:30; one full workday ends Wed 17:30.
    assert cal.add(at(2026, 3, 10, 23, 10), 1, "wd") == at(2026, 3, 11, 17, 30)
    # Tue 07:00 (before work): the whole of Tue counts → Tue 17:30.
    assert cal.add(at(2026, 3, 10, 7, 0), 1, "wd") == at(2026, 3, 10, 17, 30)
    # lunch Tue 12:30: 210 min already gone, 180 left; 210 more on Wed → Wed 12:00.
    assert cal.add(at(2026, 3, 10, 12, 30), 1, "wd") == at(2026, 3, 11, 12, 0)


def test_working_days_across_holidays(cal):
    # Wed 09-30 16:00 + 1 wd: 90 min on 09-30, then 10-01 … 10-07 off, 300 on Thu 10-08:
    # 210 in the morning, 90 from 14:30 → Thu 10-08 16:00.
    assert cal.add(at(2026, 9, 30, 16, 0), 1, "wd") == at(2026, 10, 8, 16, 0)
    # Fri 10-09 10:00 + 1 wd → Sat 10-10 (make-up workday) 10:00; + 2 wd → Mon 10-12 10:00.
    assert cal.add(at(2026, 10, 9, 10, 0), 1, "wd") == at(2026, 10, 10, 10, 0)
    assert cal.add(at(2026, 10, 9, 10, 0), 2, "wd") == at(2026, 10, 12, 10, 0)
    # Fri 02-13 15:00 + 1 wd → Sat 02-14 (make-up) 15:00; + 2 wd skips 02-15 … 02-23 → Tue 02-24.
    assert cal.add(at(2026, 2, 13, 15, 0), 1, "wd") == at(2026, 2, 14, 15, 0)
    assert cal.add(at(2026, 2, 13, 15, 0), 2, "wd") == at(2026, 2, 24, 15, 0)


def test_long_limits_match_counting_workdays(cal):
    # 60 wd from Mon 2026-08-03 09:00: the deadline is 09:00 on the 60th workday after it.
    start = at(2026, 8, 3, 9, 0)
    deadline = cal.add(start, 60, "wd")
    assert deadline.time() == dt.time(9, 0)
    assert cal.count_workdays(dt.date(2026, 8, 4), deadline.date()) == 60
    assert cal.working_minutes_between(start, deadline) == 60 * 390


# ----------------------------------------------------------------------------- natural hours
def test_natural_hours_across_midnight(cal):
    # plain clock: Tue 22:00 + 5 h → Wed 03:00, even though neither is working time
    assert cal.add(at(2026, 3, 10, 22, 0), 5, "nh") == at(2026, 3, 11, 3, 0)
    # a UTC input is read and returned in Shanghai: 14:00Z = 22:00 Shanghai
    result = cal.add(dt.datetime(2026, 3, 10, 14, 0, tzinfo=dt.UTC), 5, TimeUnit.NATURAL_HOURS)
    assert result == at(2026, 3, 11, 3, 0)
    assert result.tzinfo == SH and result.hour == 3
    # fractional: 23:50 + 0.5 h → 00:20 next day; a holiday changes nothing
    assert cal.add(at(2026, 9, 30, 23, 50), 0.5, "nh") == at(2026, 10, 1, 0, 20)


def test_results_are_in_shanghai(cal):
    result = cal.add(dt.datetime(2026, 3, 10, 1, 0, tzinfo=dt.UTC), 1, "wh")  # 09:00 Shanghai
    assert result.tzinfo == SH
    assert (result.hour, result.minute) == (10, 0)


# ------------------------------------------------------------------ working_minutes_between
def test_working_minutes_between_both_directions(cal):
    # Tue 10:00 → Wed 10:00: 300 on Tue + 90 on Wed = 390
    assert cal.working_minutes_between(at(2026, 3, 10, 10), at(2026, 3, 11, 10)) == 390
    assert cal.working_minutes_between(at(2026, 3, 11, 10), at(2026, 3, 10, 10)) == -390
    # Fri 16:00 → Mon 11:00: 90 + 150 = 240
    assert cal.working_minutes_between(at(2026, 3, 13, 16), at(2026, 3, 16, 11)) == 240
    # Tue 23:10 → Wed 15:00: 210 + 30 = 240 (the night counts nothing)
    assert cal.working_minutes_between(at(2026, 3, 10, 23, 10), at(2026, 3, 11, 15)) == 240
    # lunch 12:10 → 14:40: only 14:30–14:40 = 10
    assert cal.working_minutes_between(at(2026, 3, 10, 12, 10), at(2026, 3, 10, 14, 40)) == 10
    # across National Day: Wed 09-30 16:00 → Thu 10-08 17:30 = 90 + 390 = 480
    assert cal.working_minutes_between(at(2026, 9, 30, 16), at(2026, 10, 8, 17, 30)) == 480
    # inside a holiday: nothing
    assert cal.working_minutes_between(at(2026, 10, 2, 9), at(2026, 10, 3, 16)) == 0
    # seconds count: 09:00:00 → 09:00:30 = 0.5 min
    assert cal.working_minutes_between(at(2026, 3, 10, 9), at(2026, 3, 10, 9, 0, 30)) == 0.5


def test_add_and_between_agree(cal):
    # Property check with fixed random starts over 2026: the working time between a start and
    # its deadline is always exactly the limit.
    rng = random.Random(20260101)
    base = at(2026, 1, 1)
    for _ in range(2000):
        start = base + dt.timedelta(minutes=rng.randrange(365 * 24 * 60), seconds=rng.randrange(60))
        hours = rng.choice([0.25, 0.5, 1, 2, 4, 6.5, 8, 24, 72, 100])
        deadline = cal.add(start, hours, "wh")
        assert deadline >= start
        assert cal.working_minutes_between(start, deadline) == pytest.approx(hours * 60)


def test_elapsed_share(cal):
    # a 4 wh limit reported Tue 23:10: at Wed 10:30 120 of 240 min are gone → 0.5
    start = at(2026, 3, 10, 23, 10)
    assert cal.elapsed_share(start, at(2026, 3, 11, 10, 30), 4, "wh") == 0.5
    # natural hours compare clock time: 6 of 24 h → 0.25
    assert cal.elapsed_share(start, at(2026, 3, 11, 5, 10), 24, "nh") == 0.25
    # 1 wd = 390 min; Tue 10:00 → Tue 17:30 is 300 min → 300/390
    assert cal.elapsed_share(at(2026, 3, 10, 10), at(2026, 3, 10, 17, 30), 1, "wd") == 300 / 390


# -------------------------------------------------------------------------------- validation
def test_invalid_input_is_refused(cal):
    with pytest.raises(ValueError, match="naive"):
        cal.add(dt.datetime(2026, 3, 10, 9, 0), 1, "wh")
    with pytest.raises(ValueError, match="unit"):
        cal.add(at(2026, 3, 10, 9), 1, "weeks")
    with pytest.raises(ValueError, match="negative"):
        cal.add(at(2026, 3, 10, 9), -1, "wh")
    with pytest.raises(ValueError, match="overlaps"):
        WorkCalendar([(dt.time(8, 30), dt.time(12, 0)), (dt.time(11, 0), dt.time(13, 0))])
    with pytest.raises(ValueError, match="end after"):
        WorkCalendar([(dt.time(12, 0), dt.time(8, 30))])
    with pytest.raises(ValueError, match="no working periods"):
        WorkCalendar([]).add(at(2026, 3, 10, 9), 1, "wh")


def test_touching_periods_and_other_shapes():
    # 09:00–12:00 and 12:00–13:00 touch, which is allowed; one day = 240 min.
    cal = WorkCalendar([(dt.time(12, 0), dt.time(13, 0)), (dt.time(9, 0), dt.time(12, 0))], {})
    assert cal.day_minutes == 240
    assert cal.periods == ((dt.time(9, 0), dt.time(12, 0)), (dt.time(12, 0), dt.time(13, 0)))
    # 11:00 + 1.5 h → 12:30 (straight through the touching boundary)
    assert cal.add(at(2026, 3, 10, 11), 1.5, "wh") == at(2026, 3, 10, 12, 30)


def test_fast_enough(cal):
    # 60 working days across the whole 2026 schedule, many times: well under 1 ms each.
    starts = [at(2026, 1, 1) + dt.timedelta(hours=7 * i, minutes=13 * i) for i in range(500)]
    begin = time.perf_counter()
    for start in starts:
        cal.add(start, 60, "wd")
        cal.add(start, 37.5, "wh")
    per_call = (time.perf_counter() - begin) / (2 * len(starts))
    assert per_call < 0.001, f"{per_call * 1e6:.1f} µs per deadline"
