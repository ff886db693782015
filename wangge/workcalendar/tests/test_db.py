"""The stored calendar: migration data, validation, loader and the cached DB calendar."""

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import translation

from wangge.workcalendar import calendar as workcalendar
from wangge.workcalendar import services
from wangge.workcalendar.calendar import WorkCalendar, add_duration, working_minutes_between
from wangge.workcalendar.choices import DayKind
from wangge.workcalendar.models import CalendarDay, WorkPeriod

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def english():
    """Messages are matched in English (the site default is Simplified Chinese)."""
    with translation.override("en"):
        yield


def at(y, m, d, hh=0, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=SH)


# ------------------------------------------------------------------------------ migration
def test_migration_loaded_default_periods():
    assert [(p.start, p.end) for p in WorkPeriod.objects.all()] == [
        (dt.time(8, 30), dt.time(12, 0)), (dt.time(14, 30), dt.time(17, 30))]


def test_migration_loaded_the_2026_schedule():
    days = {d.date: d for d in CalendarDay.objects.filter(date__year=2026)}
    holidays = {d for d, row in days.items() if not row.is_workday}
    makeup = {d for d, row in days.items() if row.is_workday}
    # 元旦 3 + 春节 9 + 清明节 3 + 劳动节 5 + 端午节 3 + 中秋节 3 + 国庆节 7 = 33 days off
    assert len(holidays) == 33
    assert makeup == {dt.date(2026, 1, 4), dt.date(2026, 2, 14), dt.date(2026, 2, 28),
                      dt.date(2026, 5, 9), dt.date(2026, 9, 20), dt.date(2026, 10, 10)}
    assert all(days[d].kind == DayKind.MAKEUP_WORKDAY for d in makeup)
    assert all(days[d].kind == DayKind.HOLIDAY for d in holidays)
    spring = {dt.date(2026, 2, 15) + dt.timedelta(days=i) for i in range(9)}  # 02-15 … 02-23
    national = {dt.date(2026, 10, 1) + dt.timedelta(days=i) for i in range(7)}  # 10-01 … 10-07
    assert spring <= holidays and national <= holidays
    assert days[dt.date(2026, 2, 17)].name == "春节"
    assert days[dt.date(2026, 10, 10)].name == "国庆节调休上班"
    # the migration and the shipped file agree
    assert {row["date"] for row in services.parse_holidays_csv()} == set(days)


# ----------------------------------------------------------------------------- validation
def test_period_validation(english):
    with pytest.raises(ValidationError) as info:
        WorkPeriod(start=dt.time(12, 0), end=dt.time(11, 0)).full_clean()
    assert "end" in info.value.message_dict
    with pytest.raises(ValidationError, match="overlaps"):
        services.add_period(dt.time(11, 0), dt.time(15, 0))  # hits both default periods
    # touching the morning period is fine, and editing a period does not clash with itself
    evening = services.add_period(dt.time(19, 0), dt.time(21, 0))
    evening.end = dt.time(21, 30)
    evening.full_clean()
    services.add_period(dt.time(12, 0), dt.time(12, 30))
    assert services.validate_periods() == []


def test_validate_periods_reports_stored_overlaps():
    WorkPeriod.objects.create(start=dt.time(11, 0), end=dt.time(13, 0))  # bypasses clean()
    assert len(services.validate_periods()) == 1
    # the DB calendar still works: overlapping rows are merged (08:30–13:00, 14:30–17:30)
    assert WorkCalendar.from_db().day_minutes == 270 + 180


def test_day_validation():
    day = CalendarDay(date=dt.date(2026, 3, 11), is_workday=True, kind=DayKind.HOLIDAY)
    with pytest.raises(ValidationError) as info:
        day.full_clean()
    assert "is_workday" in info.value.message_dict
    CalendarDay(date=dt.date(2026, 3, 11), is_workday=False, kind=DayKind.HOLIDAY,
                name="台风停工").full_clean()


# -------------------------------------------------------------------------------- loader
def test_load_holidays_is_idempotent_and_updates(tmp_path):
    out = StringIO()
    call_command("load_holidays", stdout=out)
    assert "created 0, updated 0, unchanged 39" in out.getvalue()
    extra = tmp_path / "extra.csv"
    extra.write_text("# a comment\ndate,is_workday,name,kind\n"
                     "2026-10-10,1,国庆节补班,makeup_workday\n"
                     "2026-12-31,0,跨年停工,holiday\n", encoding="utf-8")
    assert services.load_holidays(extra) == {"created": 1, "updated": 1, "unchanged": 0}
    assert CalendarDay.objects.get(date=dt.date(2026, 10, 10)).name == "国庆节补班"
    assert not WorkCalendar.from_db().is_workday(dt.date(2026, 12, 31))


def test_load_holidays_rejects_bad_rows(tmp_path, english):
    bad = tmp_path / "bad.csv"
    bad.write_text("date,is_workday,name,kind\n2026-12-31,1,x,holiday\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="Row 1"):
        services.parse_holidays_csv(bad)
    with (translation.override("zh-hans"),
          pytest.raises(ValidationError, match="节假日不能是工作日")):
        services.parse_holidays_csv(bad)


# ------------------------------------------------------------------------ cached DB calendar
def test_db_calendar_is_cached():
    first = WorkCalendar.from_db()
    assert WorkCalendar.from_db() is first
    assert not first.is_workday(dt.date(2026, 10, 1))
    assert first.is_workday(dt.date(2026, 10, 10))


def test_db_calendar_picks_up_a_new_calendar_day():
    start = at(2026, 3, 10, 16, 0)  # Tuesday
    # 2 h: 90 min on Tue (16:00–17:30), 30 on Wed from 08:30 → Wed 09:00
    assert add_duration(start, 2, "wh") == at(2026, 3, 11, 9, 0)
    assert working_minutes_between(start, at(2026, 3, 12, 9, 0)) == 90 + 390 + 30
    # Wednesday becomes a day off (e.g. a typhoon closure): the cache is dropped by the signal,
    # so the deadline moves to Thu 09:00 and Wednesday counts nothing.
    day = CalendarDay.objects.create(date=dt.date(2026, 3, 11), is_workday=False,
                                     kind=DayKind.HOLIDAY, name="台风停工")
    assert add_duration(start, 2, "wh") == at(2026, 3, 12, 9, 0)
    assert working_minutes_between(start, at(2026, 3, 12, 9, 0)) == 90 + 30
    day.delete()
    assert add_duration(start, 2, "wh") == at(2026, 3, 11, 9, 0)


def test_db_calendar_picks_up_changed_periods():
    start = at(2026, 3, 10, 16, 0)
    assert add_duration(start, 2, "wh") == at(2026, 3, 11, 9, 0)
    afternoon = WorkPeriod.objects.get(start=dt.time(14, 30))
    afternoon.end = dt.time(18, 0)
    afternoon.save()
    # now 16:00–18:00 holds the whole 2 h → Tue 18:00
    assert add_duration(start, 2, "wh") == at(2026, 3, 10, 18, 0)
    assert WorkCalendar.from_db().day_minutes == 210 + 210


def test_invalidate_drops_the_cache():
    calendar = WorkCalendar.from_db()
    workcalendar.invalidate()
    assert workcalendar._cached is None
    assert WorkCalendar.from_db() is not calendar


def test_changes_inside_a_transaction_are_not_cached_past_it():
    # The test runs inside a transaction that will be rolled back: a calendar built after a
    # change must not be kept in the process cache, or it would outlive the rollback.
    CalendarDay.objects.create(date=dt.date(2026, 3, 11), is_workday=False,
                               kind=DayKind.HOLIDAY, name="台风停工")
    calendar = WorkCalendar.from_db()
    assert not calendar.is_workday(dt.date(2026, 3, 11))
    assert workcalendar._cached is None


# ---------------------------------------------------------------------------------- admin
def test_admin_pages(admin_client):
    assert admin_client.get("/admin/workcalendar/workperiod/").status_code == 200
    page = admin_client.get("/admin/workcalendar/calendarday/?date__year=2026")
    assert page.status_code == 200
    assert "国庆节调休上班" in page.content.decode()
    # the admin form refuses an overlapping period
    response = admin_client.post("/admin/workcalendar/workperiod/add/",
                                 {"start": "11:00", "end": "15:00"})
    assert response.status_code == 200  # form redisplayed with errors
    assert WorkPeriod.objects.count() == 2
