"""Working-time arithmetic for case deadlines (办理时限).

``WorkCalendar`` is pure: it knows the daily working periods and the dates that depart from the
weekly rule (Monday–Friday work, Saturday–Sunday rest), and does no database access. All
instants going in must be timezone-aware; they are read, and returned, in Asia/Shanghai.

Internally every duration is an integer number of microseconds, so that fractional hours add
up exactly and seconds of the starting instant are kept.

Units (see ``wangge.workcalendar.choices.TimeUnit``):

* ``nh`` – natural hours (自然时): plain clock time.
* ``wh`` – working hours (工作时): only time inside a working period of a workday counts. A start
  outside working time begins counting at the next period start. A deadline that falls exactly
  on the end of a period stays there (17:30, not the next morning's 08:30).
* ``wd`` – working days (工作日): N × the working time of one full workday, i.e. the same
  position in the working day N workdays later.

The database-backed calendar is reached through ``WorkCalendar.from_db()`` and the module
functions ``add_duration`` and ``working_minutes_between``; it is cached per process and the
cache is dropped by the post_save/post_delete signals of the two models (see ``signals.py``).
"""

from __future__ import annotations

import datetime as dt
import logging
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from zoneinfo import ZoneInfo

logger = logging.getLogger(__name__)

TZ = ZoneInfo("Asia/Shanghai")

US_PER_SECOND = 1_000_000
US_PER_MINUTE = 60 * US_PER_SECOND
US_PER_HOUR = 60 * US_PER_MINUTE
ONE_DAY = dt.timedelta(days=1)

UNIT_NATURAL_HOURS = "nh"
UNIT_WORKING_HOURS = "wh"
UNIT_WORKING_DAYS = "wd"
UNITS = (UNIT_WORKING_HOURS, UNIT_WORKING_DAYS, UNIT_NATURAL_HOURS)

#: Used when the database holds no working period at all.
DEFAULT_PERIODS = ((dt.time(8, 30), dt.time(12, 0)), (dt.time(14, 30), dt.time(17, 30)))


def _time_to_us(value: dt.time) -> int:
    if not isinstance(value, dt.time):
        raise TypeError(f"a working period bound must be a datetime.time, not {value!r}")
    seconds = (value.hour * 60 + value.minute) * 60 + value.second
    return seconds * US_PER_SECOND + value.microsecond


def _us_to_time(value: int) -> dt.time:
    seconds, micro = divmod(value, US_PER_SECOND)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return dt.time(hour, minute, second, micro)


def weekly_rule(day: dt.date) -> bool:
    """The default before any override: Monday–Friday are workdays."""
    return day.weekday() < 5


def normalise_periods(periods: Iterable[tuple[dt.time, dt.time]]) -> list[tuple[int, int]]:
    """Sorted (start, end) spans in microseconds since midnight; ValueError if any is invalid.

    Periods must have end > start and must not overlap; touching (12:00–12:00) is allowed.
    """
    spans = sorted((_time_to_us(start), _time_to_us(end)) for start, end in periods)
    previous_end = -1
    for start, end in spans:
        if end <= start:
            raise ValueError(
                f"working period {_us_to_time(start)}–{_us_to_time(end)} must end after it starts")
        if start < previous_end:
            raise ValueError(
                f"working period starting {_us_to_time(start)} overlaps the one before")
        previous_end = end
    return spans


def merge_periods(periods: Iterable[tuple[dt.time, dt.time]]) -> list[tuple[dt.time, dt.time]]:
    """Lenient clean-up for data that bypassed validation: drop empty spans, merge overlaps."""
    merged: list[list[dt.time]] = []
    for start, end in sorted(periods):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def _local(instant: dt.datetime) -> dt.datetime:
    if not isinstance(instant, dt.datetime):
        raise TypeError(f"expected a datetime, got {instant!r}")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("naive datetime: deadlines are computed on aware datetimes only")
    return instant.astimezone(TZ)


def _time_of_day_us(local: dt.datetime) -> int:
    return (((local.hour * 60 + local.minute) * 60 + local.second) * US_PER_SECOND
            + local.microsecond)


class WorkCalendar:
    """Daily working periods plus per-date workday overrides.

    ``periods``: iterable of ``(datetime.time, datetime.time)`` pairs.
    ``overrides``: mapping ``date -> bool`` (True: a workday, False: a day off); dates not in
    it follow the weekly rule.
    """

    __slots__ = ("_cum_ends", "_day_us", "_ov_dates", "_ov_prefix", "_overrides", "_spans")

    def __init__(self, periods: Iterable[tuple[dt.time, dt.time]],
                 overrides: Mapping[dt.date, bool] | None = None):
        self._spans = tuple(normalise_periods(periods))
        cum_ends = []
        total = 0
        for start, end in self._spans:
            total += end - start
            cum_ends.append(total)
        self._cum_ends = tuple(cum_ends)
        self._day_us = total
        self._overrides = {_as_date(day): bool(flag) for day, flag in (overrides or {}).items()}
        self._ov_dates = sorted(self._overrides)
        # prefix sums of how much each override changes the weekly-rule workday count
        prefix = [0]
        for day in self._ov_dates:
            prefix.append(prefix[-1] + int(self._overrides[day]) - int(weekly_rule(day)))
        self._ov_prefix = prefix

    # ----------------------------------------------------------------------- description
    @property
    def periods(self) -> tuple[tuple[dt.time, dt.time], ...]:
        return tuple((_us_to_time(start), _us_to_time(end)) for start, end in self._spans)

    @property
    def day_minutes(self) -> float:
        """Working minutes of one full workday (390 for 08:30–12:00 + 14:30–17:30)."""
        return self._day_us / US_PER_MINUTE

    def __repr__(self) -> str:
        spans = ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in self.periods)
        return f"<WorkCalendar [{spans}] {len(self._overrides)} overrides>"

    # ------------------------------------------------------------------------------ days
    def is_workday(self, day: dt.date | dt.datetime) -> bool:
        """Whether the date (or the Shanghai date of an aware datetime) is a workday."""
        day = _as_date(day)
        flag = self._overrides.get(day)
        return weekly_rule(day) if flag is None else flag

    def count_workdays(self, first: dt.date, last: dt.date) -> int:
        """Number of workdays in ``[first, last]`` (both included); 0 if last < first."""
        first, last = _as_date(first), _as_date(last)
        if last < first:
            return 0
        days = (last - first).days + 1
        weeks, extra = divmod(days, 7)
        start_weekday = first.weekday()
        count = weeks * 5 + sum(1 for i in range(extra) if (start_weekday + i) % 7 < 5)
        lo = bisect_left(self._ov_dates, first)
        hi = bisect_right(self._ov_dates, last)
        return count + self._ov_prefix[hi] - self._ov_prefix[lo]

    def next_workday(self, day: dt.date) -> dt.date:
        """The first workday strictly after ``day``."""
        return self._nth_workday_after(_as_date(day), 1)

    def _nth_workday_after(self, day: dt.date, n: int) -> dt.date:
        """The n-th workday strictly after ``day`` (n >= 1), skipping plain weeks in one step."""
        ov_dates = self._ov_dates
        while n > 0:
            weeks = (n - 1) // 5
            if weeks:
                i = bisect_right(ov_dates, day)
                if i < len(ov_dates):
                    # the weeks jumped over, (day, day + 7·weeks], must not hold an override
                    weeks = min(weeks, ((ov_dates[i] - day).days - 1) // 7)
                if weeks > 0:
                    # any 7 consecutive override-free days hold exactly 5 workdays
                    day += dt.timedelta(days=7 * weeks)
                    n -= 5 * weeks
                    continue
            day += ONE_DAY
            if self.is_workday(day):
                n -= 1
        return day

    # -------------------------------------------------------------------- within a day
    def _elapsed(self, tod: int) -> int:
        """Working microseconds of a workday already gone by at time-of-day ``tod``."""
        done = 0
        for start, end in self._spans:
            if tod <= start:
                break
            if tod < end:
                return done + tod - start
            done += end - start
        return done

    def _position(self, offset: int) -> int:
        """Time of day at which ``offset`` (> 0) working microseconds of a workday are used up.

        An offset that ends a period maps to that period's end, never the next one's start.
        """
        previous = 0
        for (start, _end), cum_end in zip(self._spans, self._cum_ends, strict=True):
            if offset <= cum_end:
                return start + offset - previous
            previous = cum_end
        return self._spans[-1][1]

    @staticmethod
    def _instant(day: dt.date, tod: int) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=TZ) + dt.timedelta(microseconds=tod)

    # ----------------------------------------------------------------------- arithmetic
    def add(self, start: dt.datetime, amount: float, unit: str) -> dt.datetime:
        """The instant ``amount`` ``unit`` after ``start`` (aware; returned in Asia/Shanghai)."""
        local = _local(start)
        amount = float(amount)
        if amount != amount or amount in (float("inf"), float("-inf")):
            raise ValueError(f"invalid amount {amount!r}")
        if amount < 0:
            raise ValueError("a time limit cannot be negative")
        unit = str(unit)
        if unit == UNIT_NATURAL_HOURS:
            return (local + dt.timedelta(microseconds=round(amount * US_PER_HOUR))).astimezone(TZ)
        if unit == UNIT_WORKING_HOURS:
            return self.add_working(local, round(amount * US_PER_HOUR))
        if unit == UNIT_WORKING_DAYS:
            return self.add_working(local, round(amount * self._day_us))
        raise ValueError(f"unknown time unit {unit!r}; expected one of {', '.join(UNITS)}")

    def add_working(self, start: dt.datetime, microseconds: int) -> dt.datetime:
        """``start`` plus a number of working microseconds."""
        local = _local(start)
        remaining = int(microseconds)
        if remaining < 0:
            raise ValueError("a time limit cannot be negative")
        if remaining == 0:
            return local
        if not self._day_us:
            raise ValueError("the work calendar has no working periods")
        day = local.date()
        if self.is_workday(day):
            done = self._elapsed(_time_of_day_us(local))
            left_today = self._day_us - done
            if remaining <= left_today:
                return self._instant(day, self._position(done + remaining))
            remaining -= left_today
        # What is left is spread over following workdays: whole days, then a part of one
        # (a whole multiple ends at the close of the last day rather than the next morning).
        whole_days, rest = divmod(remaining, self._day_us)
        if rest == 0:
            whole_days, rest = whole_days - 1, self._day_us
        day = self._nth_workday_after(day, whole_days + 1)
        return self._instant(day, self._position(rest))

    def working_microseconds_between(self, a: dt.datetime, b: dt.datetime) -> int:
        """Working time from ``a`` to ``b`` in microseconds; negative if ``b`` is before ``a``."""
        a, b = _local(a), _local(b)
        if b < a:
            return -self.working_microseconds_between(b, a)
        day_a, day_b = a.date(), b.date()
        if day_a == day_b:
            if not self.is_workday(day_a):
                return 0
            return self._elapsed(_time_of_day_us(b)) - self._elapsed(_time_of_day_us(a))
        total = 0
        if self.is_workday(day_a):
            total += self._day_us - self._elapsed(_time_of_day_us(a))
        total += self.count_workdays(day_a + ONE_DAY, day_b - ONE_DAY) * self._day_us
        if self.is_workday(day_b):
            total += self._elapsed(_time_of_day_us(b))
        return total

    def working_minutes_between(self, a: dt.datetime, b: dt.datetime) -> float:
        """Working minutes from ``a`` to ``b``; negative if ``b`` is before ``a``."""
        return self.working_microseconds_between(a, b) / US_PER_MINUTE

    def elapsed_share(self, start: dt.datetime, now: dt.datetime, amount: float,
                      unit: str) -> float:
        """Share of a limit used up between ``start`` and ``now`` (may be < 0 or > 1).

        Working units compare working time; ``nh`` compares clock time. A zero limit counts as
        used up as soon as ``now`` reaches ``start``.
        """
        unit = str(unit)
        if unit == UNIT_NATURAL_HOURS:
            elapsed = (_local(now) - _local(start)) / dt.timedelta(microseconds=1)
            limit = float(amount) * US_PER_HOUR
        elif unit in (UNIT_WORKING_HOURS, UNIT_WORKING_DAYS):
            elapsed = self.working_microseconds_between(start, now)
            limit = float(amount) * (US_PER_HOUR if unit == UNIT_WORKING_HOURS else self._day_us)
        else:
            raise ValueError(f"unknown time unit {unit!r}; expected one of {', '.join(UNITS)}")
        if limit <= 0:
            return 1.0 if elapsed >= 0 else 0.0
        return elapsed / limit

    # ------------------------------------------------------------------------ database
    @classmethod
    def from_db(cls, using: str = "default") -> WorkCalendar:
        """The calendar stored in the database, cached per process (see ``invalidate``)."""
        global _cached, _uncommitted_change
        calendar = _cached
        if calendar is not None:
            return calendar
        from django.db import connections

        from wangge.workcalendar.models import CalendarDay, WorkPeriod

        periods = list(WorkPeriod.objects.using(using).values_list("start", "end"))
        merged = merge_periods(periods)
        if len(merged) != len(periods):
            logger.warning("work calendar: invalid or overlapping working periods were merged")
        if not merged:
            logger.warning("work calendar: no working periods stored, using the defaults")
            merged = list(DEFAULT_PERIODS)
        overrides = dict(CalendarDay.objects.using(using).values_list("date", "is_workday"))
        calendar = cls(merged, overrides)
        if _uncommitted_change:
            if connections[using].in_atomic_block:
                # A calendar row changed in a transaction that has not committed (or was
                # rolled back without us hearing of it): do not let this state outlive it.
                return calendar
            _uncommitted_change = False
        _cached = calendar
        return calendar


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        return _local(value).date()
    if isinstance(value, dt.date):
        return value
    raise TypeError(f"expected a date, got {value!r}")


# ---------------------------------------------------------------------------- DB calendar
_cached: WorkCalendar | None = None
_uncommitted_change = False


def clear_cache() -> None:
    """Forget the cached database calendar; the next ``from_db()`` reads the tables again."""
    global _cached, _uncommitted_change
    _cached = None
    _uncommitted_change = False


def invalidate(using: str = "default") -> None:
    """Called when a WorkPeriod or CalendarDay row is saved or deleted.

    Inside a transaction the cache is dropped now and again on commit; until then calendars
    read on that connection are not cached, so a rollback cannot leave a stale one behind.
    """
    global _cached, _uncommitted_change
    _cached = None
    from django.db import connections, transaction

    if connections[using].in_atomic_block:
        _uncommitted_change = True
        transaction.on_commit(clear_cache, using=using)


def add_duration(start: dt.datetime, amount: float, unit: str) -> dt.datetime:
    """``start`` + ``amount`` ``unit`` on the database work calendar (aware, Asia/Shanghai)."""
    return WorkCalendar.from_db().add(start, amount, unit)


def working_minutes_between(a: dt.datetime, b: dt.datetime) -> float:
    """Working minutes from ``a`` to ``b`` on the database work calendar (negative if b < a)."""
    return WorkCalendar.from_db().working_minutes_between(a, b)


def elapsed_share(start: dt.datetime, now: dt.datetime, amount: float, unit: str) -> float:
    """Share of a limit used up at ``now`` on the database work calendar (traffic lights)."""
    return WorkCalendar.from_db().elapsed_share(start, now, amount, unit)
