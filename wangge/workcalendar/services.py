"""Checks and loaders for the work calendar tables."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from wangge.workcalendar.calendar import clear_cache
from wangge.workcalendar.choices import DayKind
from wangge.workcalendar.models import CalendarDay, WorkPeriod

HOLIDAYS_CSV = Path(__file__).resolve().parent / "data" / "holidays.csv"
CSV_FIELDS = ("date", "is_workday", "name", "kind")
_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f"}


# ------------------------------------------------------------------------- working periods
def period_errors(period: WorkPeriod) -> dict[str, list]:
    """Problems of one working period: end not after start, or overlap with another period."""
    errors: dict[str, list] = {}
    if period.start is None or period.end is None:
        return errors  # the field validation reports missing values
    if period.end <= period.start:
        errors.setdefault("end", []).append(_("The end must be later than the start."))
        return errors
    others = WorkPeriod.objects.filter(start__lt=period.end, end__gt=period.start)
    if period.pk:
        others = others.exclude(pk=period.pk)
    for other in others:
        errors.setdefault(NON_FIELD_ERRORS, []).append(
            _("This period overlaps the working period %(other)s.") % {"other": other})
    return errors


def validate_periods() -> list[str]:
    """Problems of the stored set of working periods as a whole (empty list when sound)."""
    problems = []
    periods = list(WorkPeriod.objects.order_by("start", "end"))
    if not periods:
        problems.append(str(_("No working period is defined; the default periods are used.")))
    previous = None
    for period in periods:
        if period.end <= period.start:
            problems.append(str(_("The working period %(period)s ends before it starts.")
                                % {"period": period}))
            continue
        if previous is not None and period.start < previous.end:
            problems.append(str(_("The working periods %(a)s and %(b)s overlap.")
                                % {"a": previous, "b": period}))
        previous = period
    return problems


def add_period(start: dt.time, end: dt.time) -> WorkPeriod:
    """Create a working period after checking it (raises ValidationError)."""
    with transaction.atomic():
        period = WorkPeriod(start=start, end=end)
        period.full_clean()
        period.save()
    return period


# ---------------------------------------------------------------------------- calendar days
def day_errors(day: CalendarDay) -> dict[str, list]:
    """A holiday must be a day off and a make-up workday a workday."""
    if day.kind == DayKind.HOLIDAY and day.is_workday:
        return {"is_workday": [_("A holiday cannot be a workday.")]}
    if day.kind == DayKind.MAKEUP_WORKDAY and not day.is_workday:
        return {"is_workday": [_("A make-up workday must be a workday.")]}
    return {}


def parse_holidays_csv(path: str | Path = HOLIDAYS_CSV) -> list[dict]:
    """Rows of a holidays file (``date,is_workday,name,kind``; lines starting with # skipped).

    Raises ValidationError naming the line of the first bad row.
    """
    rows = []
    with open(path, encoding="utf-8-sig", newline="") as handle:
        lines = (line for line in handle if line.strip() and not line.lstrip().startswith("#"))
        reader = csv.DictReader(lines)
        if tuple(name.strip() for name in reader.fieldnames or ()) != CSV_FIELDS:
            raise ValidationError(_("The holidays file must have the columns %(columns)s.")
                                  % {"columns": ",".join(CSV_FIELDS)})
        for number, raw in enumerate(reader, start=1):
            row = {key.strip(): (value or "").strip() for key, value in raw.items() if key}
            try:
                date = dt.date.fromisoformat(row["date"])
            except ValueError:
                raise ValidationError(_("Row %(row)d: invalid date %(value)r.")
                                      % {"row": number, "value": row["date"]}) from None
            flag = row["is_workday"].lower()
            if flag not in _TRUE | _FALSE:
                raise ValidationError(_("Row %(row)d: is_workday must be 0 or 1.")
                                      % {"row": number})
            day = CalendarDay(date=date, is_workday=flag in _TRUE, name=row["name"],
                              kind=row["kind"])
            if row["kind"] not in DayKind.values:
                raise ValidationError(_("Row %(row)d: unknown kind %(value)r.")
                                      % {"row": number, "value": row["kind"]})
            problems = day_errors(day)
            if problems:
                raise ValidationError(_("Row %(row)d: %(problem)s")
                                      % {"row": number, "problem": problems["is_workday"][0]})
            rows.append({"date": date, "is_workday": day.is_workday, "name": day.name,
                         "kind": day.kind})
    return rows


def load_holidays(path: str | Path = HOLIDAYS_CSV) -> dict[str, int]:
    """Insert or update the calendar days of a holidays file; returns created/updated counts."""
    rows = parse_holidays_csv(path)
    created = updated = 0
    with transaction.atomic():
        existing = CalendarDay.objects.in_bulk([row["date"] for row in rows], field_name="date")
        for row in rows:
            day = existing.get(row["date"])
            if day is None:
                CalendarDay.objects.create(**row)
                created += 1
            elif (day.is_workday, day.name, day.kind) != (row["is_workday"], row["name"],
                                                          row["kind"]):
                day.is_workday, day.name, day.kind = row["is_workday"], row["name"], row["kind"]
                day.save()
                updated += 1
    clear_cache()
    return {"created": created, "updated": updated, "unchanged": len(rows) - created - updated}
