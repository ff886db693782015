"""Default working periods (08:30–12:00, 14:30–17:30) and the official holiday schedule.

The schedule is read from ``wangge/workcalendar/data/holidays.csv`` (date,is_workday,name,kind;
lines starting with # are comments). Later years are added as rows there and loaded on existing
installations with ``wangge load-holidays``. The parsing is kept here, not imported from the
app, so this migration keeps working whatever becomes of the app's code.
"""

import csv
import datetime as dt
from pathlib import Path

from django.db import migrations

HOLIDAYS_CSV = Path(__file__).resolve().parent.parent / "data" / "holidays.csv"
DEFAULT_PERIODS = [(dt.time(8, 30), dt.time(12, 0)), (dt.time(14, 30), dt.time(17, 30))]


def read_rows():
    with open(HOLIDAYS_CSV, encoding="utf-8-sig", newline="") as handle:
        lines = [line for line in handle if line.strip() and not line.lstrip().startswith("#")]
    for row in csv.DictReader(lines):
        yield {
            "date": dt.date.fromisoformat(row["date"].strip()),
            "is_workday": row["is_workday"].strip().lower() in {"1", "true", "yes", "y", "t"},
            "name": row["name"].strip(),
            "kind": row["kind"].strip(),
        }


def load(apps, schema_editor):
    WorkPeriod = apps.get_model("workcalendar", "WorkPeriod")
    CalendarDay = apps.get_model("workcalendar", "CalendarDay")
    db = schema_editor.connection.alias
    if not WorkPeriod.objects.using(db).exists():
        WorkPeriod.objects.using(db).bulk_create(
            [WorkPeriod(start=start, end=end) for start, end in DEFAULT_PERIODS])
    for row in read_rows():
        CalendarDay.objects.using(db).update_or_create(
            date=row.pop("date"), defaults=row)


def unload(apps, schema_editor):
    WorkPeriod = apps.get_model("workcalendar", "WorkPeriod")
    CalendarDay = apps.get_model("workcalendar", "CalendarDay")
    db = schema_editor.connection.alias
    CalendarDay.objects.using(db).filter(date__in=[row["date"] for row in read_rows()]).delete()
    for start, end in DEFAULT_PERIODS:
        WorkPeriod.objects.using(db).filter(start=start, end=end).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("workcalendar", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(load, unload),
    ]
