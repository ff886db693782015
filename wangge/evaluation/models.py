"""Performance evaluation (考核评价): schemes as data, computed periods, frozen results, appeals.

Scores are never typed in: ``services.compute`` derives them from the case timeline through the
indicators of ``indicators.py``. A published evaluation is frozen; the only later change to a
result is an accepted appeal (申诉), recorded with the scores before and after.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.core.scope import ScopedManager


class TargetKind(models.TextChoices):
    WORKER = "worker", _("Grid workers and inspectors")  # 网格员/监督员
    DISPATCHER = "dispatcher", _("Dispatchers")  # 受理派遣员
    DEPARTMENT = "department", _("Departments")  # 职能部门
    AREA = "area", _("Areas")  # 网格/社区/街道


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


DEFAULT_GRADES = {"A": 90, "B": 75, "C": 60, "D": 40}  # E below 40


class AreaProfile(models.Model):
    """Facts about an area that the territory does not hold yet (the resident population)."""

    area = models.OneToOneField("territory.Area", verbose_name=_("area"),
                                on_delete=models.CASCADE, related_name="evaluation_profile")
    population = models.PositiveIntegerField(_("resident population"), null=True, blank=True)

    class Meta:
        verbose_name = _("area profile")
        verbose_name_plural = _("area profiles")

    def __str__(self) -> str:
        return f"{self.area} {self.population or '—'}"


class Scheme(models.Model):
    """考核方案: who is evaluated (target kind, inside an area), the weight of each indicator
    (summing to 100), the minimum volume under which an indicator is not scored, the target of
    each count indicator, and the grade thresholds.

    Volume band: an indicator whose volume (its denominator: cases, events, residents) is below
    ``min_volume`` (per indicator, else ``default_min_volume``) is *not scored* for that target;
    its weight is shared out over the target's scored indicators in proportion to their weights
    (the score is Σ points × 100 / Σ weights scored). A target with no scored indicator gets no
    score and no grade. Count indicators (reports, patrol hours …) have no volume: always scored.
    """

    scope_path = "area__prefix"

    name = models.CharField(_("name"), max_length=100)
    target_kind = models.CharField(_("evaluates"), max_length=12, choices=TargetKind.choices)
    area = models.ForeignKey("territory.Area", verbose_name=_("area"), on_delete=models.PROTECT,
                             related_name="+")
    weights = models.JSONField(_("weights"), default=dict,
                               help_text=_("Indicator code → weight; the weights add up to 100."))
    min_volume = models.JSONField(_("minimum volumes"), default=dict, blank=True,
                                  help_text=_("Indicator code → minimum volume to be scored."))
    default_min_volume = models.PositiveIntegerField(_("default minimum volume"), default=5)
    targets = models.JSONField(_("targets of count indicators"), default=dict, blank=True,
                               help_text=_("Indicator code → the value that earns full points."))
    grades = models.JSONField(_("grade thresholds"), default=dict, blank=True,
                              help_text=_('e.g. {"A": 90, "B": 75, "C": 60, "D": 40}; E below.'))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("evaluation scheme")
        verbose_name_plural = _("evaluation schemes")
        ordering = ["target_kind", "name"]

    def __str__(self) -> str:
        return self.name

    def grade_thresholds(self) -> list[tuple[str, float]]:
        grades = self.grades or DEFAULT_GRADES
        return sorted(((k, float(v)) for k, v in grades.items()), key=lambda kv: -kv[1])

    def clean(self):
        from wangge.evaluation.indicators import for_kind

        known = {i.code for i in for_kind(self.target_kind)}
        weights = self.weights if isinstance(self.weights, dict) else None
        if not weights:
            raise ValidationError({"weights": _("Give at least one indicator a weight.")})
        unknown = sorted(set(weights) - known)
        if unknown:
            raise ValidationError({"weights": _("Unknown indicators for this kind: %(codes)s") % {
                "codes": ", ".join(unknown)}})
        try:
            values = [float(v) for v in weights.values()]
        except (TypeError, ValueError):
            raise ValidationError({"weights": _("Weights are numbers.")}) from None
        if any(v < 0 for v in values):
            raise ValidationError({"weights": _("Weights are not negative.")})
        if abs(sum(values) - 100) > 1e-6:
            raise ValidationError({"weights": _("The weights add up to %(sum)s, not 100.") % {
                "sum": round(sum(values), 2)}})
        for field in ("min_volume", "targets"):
            value = getattr(self, field) or {}
            if not isinstance(value, dict) or set(value) - known or any(
                    not isinstance(v, int | float) or v < 0 for v in value.values()):
                raise ValidationError({field: _("Known indicator codes → non-negative numbers.")})
        grades = self.grades or {}
        if not isinstance(grades, dict) or any(
                not isinstance(v, int | float) or not 0 <= v <= 100 for v in grades.values()):
            raise ValidationError({"grades": _("Grade → a threshold between 0 and 100.")})


class Evaluation(models.Model):
    """One scheme over one period. Draft until published; then frozen."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    scheme = models.ForeignKey(Scheme, verbose_name=_("scheme"), on_delete=models.PROTECT,
                               related_name="evaluations")
    period_kind = models.CharField(_("period"), max_length=10, choices=PeriodKind.choices)
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices,
                             default=State.DRAFT)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    computed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    # the scheme as it was when computed: later edits of the scheme never change these results
    scheme_snapshot = models.JSONField(default=dict, editable=False)

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        ordering = ["-start", "scheme"]
        constraints = [models.UniqueConstraint(fields=["scheme", "period_kind", "start"],
                                               name="one_evaluation_per_scheme_period")]

    def __str__(self) -> str:
        return f"{self.scheme} {self.label}"

    @property
    def label(self) -> str:
        if self.period_kind == PeriodKind.YEAR:
            return f"{self.start.year}"
        if self.period_kind == PeriodKind.QUARTER:
            return f"{self.start.year} Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start:%Y-%m}"

    @property
    def is_published(self) -> bool:
        return self.state == self.State.PUBLISHED


class Result(models.Model):
    """One target's score in one evaluation, with each indicator's value and points in
    ``indicators`` (code → {num, den, value, score, points, weight, scored})."""

    scope_path = "area__prefix"

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="results")
    target_key = models.BigIntegerField()  # user, department or area id
    label = models.CharField(_("target"), max_length=120)
    group = models.CharField(_("group"), max_length=20, blank=True)  # role, or area level
    area = models.ForeignKey("territory.Area", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.CASCADE, related_name="evaluation_results")
    department = models.ForeignKey("dispatch.Department", null=True, blank=True,
                                   on_delete=models.CASCADE, related_name="+")
    indicators = models.JSONField(default=dict)
    base_score = models.FloatField(_("indicator score"), null=True, blank=True)
    adjustment = models.FloatField(_("plus/minus"), default=0)
    score = models.FloatField(_("score"), null=True, blank=True)
    grade = models.CharField(_("grade"), max_length=2, blank=True)
    excluded_cases = models.JSONField(default=list, blank=True)  # case ids, by accepted appeals
    recomputed_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("evaluation result")
        verbose_name_plural = _("evaluation results")
        ordering = ["-score", "label"]
        constraints = [models.UniqueConstraint(fields=["evaluation", "target_key"],
                                               name="one_result_per_target")]
        indexes = [models.Index(fields=["evaluation", "group", "score"])]

    def __str__(self) -> str:
        return f"{self.label} {self.score}"


class Adjustment(models.Model):
    """加分/扣分: points added to (or taken from) a result, with the reason."""

    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="adjustments")
    points = models.FloatField(_("points"))
    reason = models.CharField(_("reason"), max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("plus/minus item")
        verbose_name_plural = _("plus/minus items")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.points:+g} {self.reason}"


class Appeal(models.Model):
    """申诉 on a published result. Accepting it excludes the named cases from that target's
    indicators and recomputes that one result; nothing else changes."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    scope_path = "result__area__prefix"

    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="appeals")
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+")
    filed_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(_("reason"))
    case_numbers = models.JSONField(_("cases to exclude"), default=list, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices,
                             default=State.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("decision"), blank=True)
    score_before = models.FloatField(null=True, blank=True)
    score_after = models.FloatField(null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-filed_at"]

    def __str__(self) -> str:
        return f"{self.result} {self.state}"


class LogEntry(models.Model):
    """Everything done to evaluations, by whom (append-only)."""

    evaluation = models.ForeignKey(Evaluation, null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="log")
    result = models.ForeignKey(Result, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    action = models.CharField(max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("evaluation log entry")
        verbose_name_plural = _("evaluation log")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.action} {self.at:%Y-%m-%d %H:%M}"
