from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.accounts.choices import Role
from wangge.cases.choices import (
    Action,
    AttachmentKind,
    Kind,
    Light,
    LimitUnit,
    Satisfaction,
    Source,
    Status,
    Step,
    SupervisionLevel,
    Tier,
    Urgency,
)
from wangge.core.encrypted import EncryptedTextField
from wangge.core.scope import ScopedManager
from wangge.dispatch.choices import DepartmentKind


def _covers_everything(user) -> bool:
    """True when the user's jurisdiction is the territory's only root (cached on the user
    object for the request, like its scope prefix)."""
    from wangge.territory.models import Area

    if not hasattr(user, "_covers_everything"):
        area = user.jurisdiction if user.jurisdiction_id else None
        user._covers_everything = area is not None and area.parent_id is None and not (
            Area.objects.filter(parent__isnull=True).exclude(pk=area.pk).exists())
    return user._covers_everything


def case_visibility_q(user, prefix: str, path: str = "") -> Q:
    """Which cases ``user`` sees (``Case.scope_q``), as a filter on a model that reaches its
    case through ``path`` ("" for the case itself, "case" for a 督办 …): area roles their
    subtree, department handlers the cases their unit holds or was once given."""
    field = f"{path}__" if path else ""
    if getattr(user, "role", None) == Role.DEPARTMENT and user.department_id:
        touched = CaseEvent.objects.filter(case=OuterRef(path or "pk"),
                                           to_department_id=user.department_id)
        return Q(**{f"{field}holder_department_id": user.department_id}) | Q(Exists(touched))
    if _covers_everything(user):
        return Q()  # the whole territory: a range over every row only misleads the planner
    return Q(**{f"{field}grid_code__gte": prefix, f"{field}grid_code__lt": prefix + ":"})


def case_scope(path: str = "case"):
    """``scope_q`` for a model that belongs to a case (through ``path``): visible exactly when
    its case is, whatever the user's role (a department handler does not see the 督办 or the
    extension requests of a case held by another unit of its area)."""

    def scope_q(user, prefix):
        return case_visibility_q(user, prefix, path)

    return staticmethod(scope_q)


class Category(models.Model):
    """The taxonomy: 大类 (two-digit code, no parent) and 小类 (four digits, under a 大类)."""

    code = models.CharField(_("code"), max_length=4, unique=True)
    name = models.CharField(_("name"), max_length=50)
    parent = models.ForeignKey("self", verbose_name=_("major category"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.EVENT)
    filing_condition = models.TextField(_("filing condition"), blank=True)  # 立案条件
    closing_condition = models.TextField(_("closing condition"), blank=True)  # 结案条件
    default_tier = models.CharField(_("default tier"), max_length=10, choices=Tier.choices,
                                    default=Tier.COMMUNITY)
    department_kind = models.CharField(_("responsible department"), max_length=30, blank=True,
                                       choices=DepartmentKind.choices)
    default_urgency = models.CharField(_("default urgency"), max_length=10,
                                       choices=Urgency.choices, default=Urgency.NORMAL)
    duplicate_radius_m = models.PositiveIntegerField(_("duplicate radius (m)"), default=50)
    duplicate_days = models.PositiveIntegerField(_("duplicate window (days)"), default=7)
    is_active = models.BooleanField(_("active"), default=True)
    # the allow-list of the public Open311 feed (wangge/open311/README.md)
    public = models.BooleanField(
        _("public"), default=False,
        help_text=_("Cases of this type reported by residents or the hotline may appear in the "
                    "public Open311 feed (rounded position, no names, no notes). A 小类 is "
                    "public only when its 大类 is public too. Off for social-governance types "
                    "(disputes, suspicious persons, special groups, help for the elderly): "
                    "they name people and homes. On by default for city-management events "
                    "and components (sanitation, roads, street order, public facilities)."))

    class Meta:
        verbose_name = _("case category")
        verbose_name_plural = _("case categories")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_major(self) -> bool:
        return self.parent_id is None

    def clean(self):
        if self.parent_id is None and (len(self.code) != 2 or not self.code.isdigit()):
            raise ValidationError({"code": _("A major category has a two-digit code.")})
        if self.parent_id is not None:
            if len(self.code) != 4 or not self.code.isdigit():
                raise ValidationError({"code": _("A minor category has a four-digit code.")})
            if not self.code.startswith(self.parent.code):
                raise ValidationError({"code": _("A minor category's code starts with its major "
                                                 "category's code.")})


class TimeLimit(models.Model):
    """How long a step may take, per category (or for all, when category is empty) and urgency."""

    category = models.ForeignKey(Category, verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="time_limits")
    step = models.CharField(_("step"), max_length=10, choices=Step.choices)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices)
    amount = models.DecimalField(_("amount"), max_digits=8, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=2, choices=LimitUnit.choices)

    class Meta:
        verbose_name = _("time limit")
        verbose_name_plural = _("time limits")
        constraints = [
            models.UniqueConstraint(fields=["category", "step", "urgency"],
                                    name="one_limit_per_category_step_urgency"),
            models.UniqueConstraint(fields=["step", "urgency"], condition=Q(category=None),
                                    name="one_default_limit_per_step_urgency"),
        ]

    def __str__(self) -> str:
        return f"{self.category or '*'} {self.step} {self.urgency}: {self.amount}{self.unit}"


REPORTER_PHONE_ASSOCIATED = "case-reporter-phone"


def _new_token() -> str:
    return secrets.token_urlsafe(18)


class Case(models.Model):
    """A case (事件/案件) from report to evaluation. Changed only through cases.services."""

    scope_path = "grid__prefix"

    number = models.CharField(_("number"), max_length=20, unique=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reporter"), null=True,
                                 blank=True, on_delete=models.SET_NULL, related_name="reported")
    reporter_name = models.CharField(_("reporter name"), max_length=50, blank=True)
    # stored encrypted (wangge/core/encrypted.py); the portal's lookup decrypts it to compare
    reporter_phone = EncryptedTextField(_("reporter phone"), blank=True,
                                        associated=REPORTER_PHONE_ASSOCIATED,
                                        validators=[MaxLengthValidator(30)])
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT,
                                 related_name="cases")
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices,
                               default=Urgency.NORMAL)
    description = models.TextField(_("description"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)  # WGS-84
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    grid = models.ForeignKey("territory.Area", verbose_name=_("grid"), on_delete=models.PROTECT,
                             related_name="cases")
    # the grid's code, copied: jurisdiction scoping is an index range on it, with no join
    grid_code = models.CharField(max_length=18, editable=False, default="")
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices)
    tier_area = models.ForeignKey("territory.Area", verbose_name=_("handled at"),
                                  on_delete=models.PROTECT, related_name="tier_cases")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.REPORTED)
    holder_department = models.ForeignKey("dispatch.Department", verbose_name=_("held by unit"),
                                          null=True, blank=True, on_delete=models.PROTECT,
                                          related_name="held_cases")
    holder_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("held by"),
                                    null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="held_cases")
    duplicate_of = models.ForeignKey("self", verbose_name=_("duplicate of"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="merged")
    suspected_duplicate_of = models.ForeignKey(
        "self", verbose_name=_("suspected duplicate of"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+")
    followers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True,
                                       related_name="followed_cases")
    # the reporting device's own id for this report: a report sent again after a lost
    # connection (an offline queue) finds the case it already made instead of making another
    client_ref = models.CharField(max_length=64, blank=True, editable=False)
    self_handled = models.BooleanField(_("handled on the spot"), default=False)
    resolution = models.TextField(_("resolution"), blank=True)
    parked_until = models.DateField(_("committed date"), null=True, blank=True)
    parked_from = models.CharField(max_length=12, blank=True, editable=False)
    satisfaction = models.CharField(_("satisfaction"), max_length=12, blank=True,
                                    choices=Satisfaction.choices)
    evaluation_comment = models.TextField(_("evaluation comment"), blank=True)
    instruction = models.TextField(_("leader's instruction"), blank=True)
    rework_count = models.PositiveSmallIntegerField(default=0)
    return_count = models.PositiveSmallIntegerField(default=0)
    extension_count = models.PositiveSmallIntegerField(default=0)
    escalation_count = models.PositiveSmallIntegerField(default=0)
    # the time each step happened
    report_date = models.DateField(_("report date"), db_index=True)  # local date, for statistics
    reported_at = models.DateTimeField(_("reported at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    evaluated_at = models.DateTimeField(_("evaluated at"), null=True, blank=True)
    # each step's deadline, as first set (extensions move handle_deadline)
    accept_deadline = models.DateTimeField(null=True, blank=True)
    dispatch_deadline = models.DateTimeField(null=True, blank=True)
    handle_deadline = models.DateTimeField(null=True, blank=True)
    verify_deadline = models.DateTimeField(null=True, blank=True)
    close_deadline = models.DateTimeField(null=True, blank=True)
    # the open step: traffic lights and the overdue sweep read these stored values
    step = models.CharField(_("current step"), max_length=10, choices=Step.choices, blank=True)
    step_started_at = models.DateTimeField(null=True, blank=True)
    step_warn_at = models.DateTimeField(null=True, blank=True)
    step_deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    step_seq = models.PositiveIntegerField(default=0)  # +1 every time a step (re)starts
    overdue_seq = models.PositiveIntegerField(default=0)  # step_seq already supervised
    version = models.PositiveIntegerField(default=1)  # optimistic lock for stale forms
    tracking_token = models.CharField(max_length=32, default=_new_token, unique=True,
                                      editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-reported_at", "-id"]
        constraints = [models.UniqueConstraint(
            fields=["client_ref"], condition=~Q(client_ref=""), name="unique_client_ref")]
        indexes = [
            models.Index(fields=["status", "-reported_at"]),
            models.Index(fields=["grid", "status"]),
            models.Index(fields=["category", "status"]),
            models.Index(fields=["step_deadline"]),
            models.Index(fields=["holder_department", "status"]),
            models.Index(fields=["tier_area", "status"]),
            models.Index(fields=["lat", "lon"]),
            # scoped lists: the jurisdiction range, then status and deadline inside the index
            models.Index(fields=["grid_code", "status", "step_deadline"],
                         name="case_scope_status_deadline"),
            # dashboards: a period of report dates inside a jurisdiction
            models.Index(fields=["report_date", "grid_code"], name="case_date_scope"),
        ]

    def __str__(self) -> str:
        return self.number

    @staticmethod
    def scope_q(user, prefix):
        """Area roles see their subtree (an index range on the grid code: every descendant's
        code starts with the prefix, and ':' sorts right after '9'); department handlers see
        the cases their unit was given."""
        return case_visibility_q(user, prefix)

    @property
    def is_open(self) -> bool:
        return self.status not in (Status.CLOSED, Status.REJECTED, Status.VOIDED, Status.MERGED)

    def light(self, now=None) -> str:
        """Traffic light of the open step, from the stored deadline and warning time."""
        if not self.step_deadline or self.status == Status.PARKED:
            return Light.NONE
        now = now or timezone.now()
        if now >= self.step_deadline:
            return Light.RED
        if self.step_warn_at and now >= self.step_warn_at:
            return Light.YELLOW
        return Light.GREEN


class CaseEvent(models.Model):
    """One line of a case's timeline. Append-only: never updated, never deleted."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="case_events")
    actor_label = models.CharField(max_length=100, blank=True)  # a resident, a device, the system
    at = models.DateTimeField(_("at"), default=timezone.now)
    from_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    from_tier = models.CharField(max_length=10, choices=Tier.choices, blank=True)
    to_tier = models.CharField(max_length=10, choices=Tier.choices, blank=True)
    to_department = models.ForeignKey("dispatch.Department", null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline")
        ordering = ["id"]
        indexes = [models.Index(fields=["case", "id"]),
                   models.Index(fields=["action", "at"])]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("timeline entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("timeline entries are append-only")


def attachment_path(instance, filename):
    day = timezone.localdate()
    return f"cases/{day:%Y/%m}/{instance.case.number}/{secrets.token_hex(6)}-{filename[-60:]}"


class Attachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(CaseEvent, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="attachments")
    kind = models.CharField(_("kind"), max_length=10, choices=AttachmentKind.choices,
                            default=AttachmentKind.BEFORE)
    file = models.FileField(_("file"), upload_to=attachment_path)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.file.name


class Supervision(models.Model):
    """督办: by a person, or by the sweep when a step is overdue (once per step). Seen by
    whoever sees its case."""

    scope_path = "case__grid__prefix"
    scope_q = case_scope("case")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="supervisions")
    level = models.CharField(_("level"), max_length=10, choices=SupervisionLevel.choices,
                             default=SupervisionLevel.NORMAL)
    automatic = models.BooleanField(_("automatic"), default=False)
    step = models.CharField(_("step"), max_length=10, choices=Step.choices, blank=True)
    step_seq = models.PositiveIntegerField(default=0)
    reason = models.TextField(_("reason"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    target_department = models.ForeignKey("dispatch.Department", null=True, blank=True,
                                          on_delete=models.PROTECT, related_name="+")
    target_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    reply = models.TextField(_("reply"), blank=True)
    replied_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    replied_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("supervision")
        verbose_name_plural = _("supervisions")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(
            fields=["case", "step_seq"], condition=Q(automatic=True),
            name="one_overdue_supervision_per_step")]

    def __str__(self) -> str:
        return f"{self.case} {self.level}"


class ExtensionRequest(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")
        WITHDRAWN = "withdrawn", _("Withdrawn")  # the step it was for ended first

    scope_path = "case__grid__prefix"
    scope_q = case_scope("case")  # seen by whoever sees its case

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extensions")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    amount = models.DecimalField(_("extra time"), max_digits=8, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=2, choices=LimitUnit.choices)
    reason = models.TextField(_("reason"))
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    new_deadline = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.case} +{self.amount}{self.unit}"


class CaseCounter(models.Model):
    """The last case number issued per local day (numbers: YYYYMMDD + 5-digit sequence)."""

    day = models.DateField(unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day} {self.last}"
