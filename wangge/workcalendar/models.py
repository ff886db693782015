from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wangge.workcalendar.choices import DayKind


class WorkPeriod(models.Model):
    """One daily working period, e.g. 08:30–12:00. Together they make up a workday."""

    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))

    class Meta:
        verbose_name = _("working period")
        verbose_name_plural = _("working periods")
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")),
                                   name="workcalendar_period_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"

    def clean(self):
        from wangge.workcalendar import services

        errors = services.period_errors(self)
        if errors:
            raise ValidationError(errors)


class CalendarDay(models.Model):
    """A date that departs from the weekly rule (Monday–Friday work, Saturday–Sunday rest)."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(
        _("workday"), help_text=_("Whether deadlines run on this day."))
    name = models.CharField(pgettext_lazy("calendar day", "name"), max_length=50, blank=True,
                            help_text=_("For example 春节 or 国庆节调休上班."))
    kind = models.CharField(_("kind"), max_length=20, choices=DayKind.choices)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind=DayKind.HOLIDAY, is_workday=False)
                           | models.Q(kind=DayKind.MAKEUP_WORKDAY, is_workday=True)),
                name="workcalendar_day_kind_matches_workday",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name or self.get_kind_display()}"

    def clean(self):
        from wangge.workcalendar import services

        errors = services.day_errors(self)
        if errors:
            raise ValidationError(errors)
