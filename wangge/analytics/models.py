"""Pre-aggregated statistics (DailyStat), the early warnings (EarlyWarning) and the bookkeeping
of the worker's refreshes (RefreshState)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.accounts.choices import Role
from wangge.analytics.choices import WarningKind
from wangge.core.scope import ScopedManager

# the counters of one DailyStat row, in the order they are computed and inserted
COUNTERS = (
    "reported",  # cases reported that day (every status)
    "accepted",  # filed (立案): accepted, or handled on the spot
    "not_filed",  # not filed, voided or merged into another case
    "handled",  # closed, or with a handling result
    "closed",  # status closed (结案)
    "on_time",  # closed and handled by the handling deadline (see cockpit.selectors)
    "overdue_unhandled",  # open, unhandled, current step past its deadline (at refresh time)
    "open",  # not closed / not filed / voided / merged (parked included)
    "overdue_open",  # open, current step past its deadline (at refresh time)
    "rated",  # evaluated by the reporter
    "satisfied",  # satisfied or fairly satisfied
    "self_handled",  # handled on the spot by the grid worker (自处置)
    "reworked",  # verification failed at least once (返工)
    "returned",  # returned by a unit at least once (回退)
)


class DailyStat(models.Model):
    """The cases reported on one local day in one unit grid, of one 小类, source, urgency and
    holding unit, counted once (the cohort of that day: "closed" = closed by now).

    Written only by ``analytics.services.refresh_days`` (worker: the last days and every day
    whose cases changed since the previous refresh; ``wangge refresh-stats --all``). Every
    statistic reads from here, never from the cases."""

    report_date = models.DateField(_("report date"))
    grid_code = models.CharField(_("grid"), max_length=18)  # Case.grid_code: scoping is a range
    category = models.ForeignKey("cases.Category", on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=12)
    urgency = models.CharField(max_length=10)
    department = models.ForeignKey("dispatch.Department", null=True, blank=True,
                                   on_delete=models.CASCADE, related_name="+")
    reported = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    not_filed = models.PositiveIntegerField(default=0)
    handled = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    overdue_unhandled = models.PositiveIntegerField(default=0)
    open = models.PositiveIntegerField(default=0)
    overdue_open = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    self_handled = models.PositiveIntegerField(default=0)
    reworked = models.PositiveIntegerField(default=0)
    returned = models.PositiveIntegerField(default=0)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("daily statistics row")
        verbose_name_plural = _("daily statistics")
        indexes = [
            # a period inside a jurisdiction (every statistic)
            models.Index(fields=["report_date", "grid_code"], name="dailystat_date_scope"),
            # one type's series (early warning, the category filter)
            models.Index(fields=["category", "report_date"], name="dailystat_cat_date"),
        ]

    def __str__(self) -> str:
        return f"{self.report_date} {self.grid_code} {self.category_id}: {self.reported}"

    @staticmethod
    def scope_q(user, prefix):
        """As ``Case.scope_q``: area roles see their subtree (a range on the grid code);
        department handlers see the rows of the cases their unit holds."""
        from wangge.cases.models import _covers_everything

        if getattr(user, "role", None) == Role.DEPARTMENT and user.department_id:
            return Q(department_id=user.department_id)
        if _covers_everything(user):
            return Q()
        return Q(grid_code__gte=prefix, grid_code__lt=prefix + ":")


class EarlyWarning(models.Model):
    """A warning (预警) found by a rule (see ``analytics.rules``), with the numbers behind it.

    One open warning per situation: ``key`` names the situation (rule, place, type), and a
    partial unique constraint keeps a second open warning with the same key out. Each detection
    run refreshes the evidence of the open ones and resolves those whose situation is over."""

    scope_path = "area__prefix"

    kind = models.CharField(_("kind"), max_length=10, choices=WarningKind.choices)
    key = models.CharField(max_length=120)
    area = models.ForeignKey("territory.Area", verbose_name=_("area"), on_delete=models.CASCADE,
                             related_name="+")
    category = models.ForeignKey("cases.Category", verbose_name=_("category"), null=True,
                                 blank=True, on_delete=models.CASCADE, related_name="+")
    cell = models.CharField(_("H3 cell"), max_length=20, blank=True)
    window_start = models.DateField(_("from"))
    window_end = models.DateField(_("to"))
    count = models.PositiveIntegerField(_("count"), default=0)
    score = models.FloatField(default=0.0)  # for ordering: larger is more serious
    evidence = models.JSONField(_("evidence"), default=dict)
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("last confirmed"))
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey("accounts.User", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")

    objects = ScopedManager()

    class Meta:
        verbose_name = _("early warning")
        verbose_name_plural = _("early warnings")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["key"], condition=Q(resolved_at=None),
                                               name="one_open_warning_per_situation")]
        indexes = [models.Index(fields=["resolved_at", "kind"])]

    def __str__(self) -> str:
        return self.key

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class RefreshState(models.Model):
    """When a periodic job last ran (one row per job): the worker runs each at most every so
    often, however many workers there are, and the statistics refresh knows which cases
    changed since."""

    name = models.CharField(max_length=30, unique=True)
    last_started = models.DateTimeField(null=True, blank=True)
    last_finished = models.DateTimeField(null=True, blank=True)
    info = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.name} {self.last_finished}"
