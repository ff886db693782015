"""Machine interfaces: alarms from devices and video platforms, and webhooks to other systems.

Alarms: ``Platform`` (a sensor or video platform with its own key), ``Device`` (one sensor or
camera, optionally with its own key), ``AlarmTypeMapping`` (alarm type → 小类), ``Alarm`` (every
message received) and ``AlarmSlot`` (the one open alarm per device and type that repeats attach
to; its unique constraint is what keeps a burst from opening several cases).

Webhooks: ``Subscription`` → ``Delivery`` (one per subscription and timeline entry, unique) →
``DeliveryAttempt`` (every HTTP try); ``EventCursor`` is the high-water mark of the timeline
scan.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.cases.choices import Urgency


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    return "wga_" + secrets.token_urlsafe(32)


class Platform(models.Model):
    """A sensor or video-analytics platform posting alarms for its devices (one key)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    key_digest = models.CharField(_("API key (SHA-256)"), max_length=64, unique=True,
                                  editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    last_seen_at = models.DateTimeField(_("last alarm at"), null=True, blank=True,
                                        editable=False)

    class Meta:
        verbose_name = _("alarm platform")
        verbose_name_plural = _("alarm platforms")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def set_key(self, key: str | None = None) -> str:
        """Give the platform a new key; returns it (only its digest is kept)."""
        key = key or new_key()
        self.key_digest = key_digest(key)
        return key


class DeviceKind(models.TextChoices):
    SMOKE = "smoke", _("Smoke detector")  # 烟感
    GAS = "gas", _("Gas detector")  # 燃气
    HEAT = "heat", _("Heat detector")  # 温感
    POWER = "power", _("Electrical safety")  # 电气火灾/用电安全
    CAMERA = "camera", _("Camera / video analytics")  # 视频
    OTHER = "other", _("Other")


# a camera's live stream: RTSP from the camera or an NVR, or HTTP(S) (HLS, FLV) from a platform
STREAM_URL_VALIDATOR = URLValidator(
    schemes=["rtsp", "rtsps", "http", "https"],
    message=_("Enter a stream URL starting with rtsp://, rtsps://, http:// or https://."))


class Device(models.Model):
    device_id = models.CharField(_("device ID"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=DeviceKind.choices,
                            default=DeviceKind.OTHER)
    name = models.CharField(_("name"), max_length=100, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)  # WGS-84
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    grid = models.ForeignKey("territory.Area", verbose_name=_("grid"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+",
                             help_text=_("Located from the position when there is one."))
    building = models.CharField(_("building"), max_length=200, blank=True)
    component = models.CharField(_("component"), max_length=100, blank=True)
    stream_url = models.CharField(
        _("stream URL"), max_length=500, blank=True, validators=[STREAM_URL_VALIDATOR],
        help_text=_("A camera's live video: rtsp://, rtsps://, http:// or https:// (e.g. an "
                    "HLS .m3u8)."))
    platform = models.ForeignKey(Platform, verbose_name=_("platform"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="devices")
    key_digest = models.CharField(_("device key (SHA-256)"), max_length=64, blank=True,
                                  editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["device_id"]
        constraints = [models.UniqueConstraint(
            fields=["key_digest"], condition=~models.Q(key_digest=""),
            name="integrations_unique_device_key")]

    def __str__(self) -> str:
        return f"{self.name} ({self.device_id})" if self.name else self.device_id

    def save(self, *args, **kwargs):
        if self.lon is not None and self.lat is not None:
            self.locate()
        super().save(*args, **kwargs)

    @property
    def source(self) -> str:
        from wangge.cases.choices import Source

        return Source.VIDEO if self.kind == DeviceKind.CAMERA else Source.IOT

    def set_key(self, key: str | None = None) -> str:
        key = key or new_key()
        self.key_digest = key_digest(key)
        return key

    def clean(self):
        if (self.lon is None) != (self.lat is None):
            raise ValidationError(_("Give both longitude and latitude, or neither."))
        if self.lon is not None:
            self.locate()
            if self.grid_id is None:
                raise ValidationError(_("The position lies outside every grid."))
        elif self.grid_id is None:
            raise ValidationError(_("Give the device's position, or at least its grid."))

    def locate(self) -> None:
        """Set the grid from the position (WGS-84)."""
        from wangge.territory.locate import locate

        if self.lon is None or self.lat is None:
            return
        try:
            found = locate(self.lon, self.lat)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        self.grid_id = found.grid_id


class AlarmTypeMapping(models.Model):
    """What an alarm type becomes: a case of this 小类, this urgency."""

    alarm_type = models.CharField(_("alarm type"), max_length=64, unique=True)
    label = models.CharField(_("label"), max_length=100, blank=True)
    category = models.ForeignKey("cases.Category", verbose_name=_("category (小类)"),
                                 on_delete=models.PROTECT, related_name="+",
                                 limit_choices_to={"parent__isnull": False})
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices,
                               blank=True, help_text=_("Empty: the category's default."))
    auto_close_on_clear = models.BooleanField(
        _("void when cleared"), default=False,
        help_text=_("A “cleared” message voids the case while it is still awaiting "
                    "acceptance."))
    dedupe_minutes = models.PositiveIntegerField(
        _("repeat window (minutes)"), default=30,
        help_text=_("Repeats from the same device and type within this time of the previous "
                    "alarm attach to the open case."))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("alarm type")
        verbose_name_plural = _("alarm types")
        ordering = ["alarm_type"]

    def __str__(self) -> str:
        return self.label or self.alarm_type

    def clean(self):
        if self.category_id and self.category.parent_id is None:
            raise ValidationError({"category": _("Choose a minor category (小类).")})


class AlarmState(models.TextChoices):
    ALARM = "alarm", _("Alarm")
    CLEARED = "cleared", _("Cleared")


class Outcome(models.TextChoices):
    OPENED = "opened", _("Opened a case")
    ATTACHED = "attached", _("Attached to the open case")
    VOIDED = "voided", _("Cleared: case voided")
    CLEARED = "cleared", _("Cleared: case left open")
    IGNORED = "ignored", _("Cleared: no open case")
    UNMAPPED = "unmapped", _("Unknown alarm type")
    REFUSED = "refused", _("No case could be made")


class Alarm(models.Model):
    """Every alarm received, as received, and where it went."""

    # indexed by (device, alarm_type, -id) below; the FK's own index would only cost writes
    device = models.ForeignKey(Device, verbose_name=_("device"), on_delete=models.PROTECT,
                               related_name="alarms", db_index=False)
    alarm_type = models.CharField(_("alarm type"), max_length=64)
    level = models.CharField(_("level"), max_length=20, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=AlarmState.choices,
                             default=AlarmState.ALARM)
    occurred_at = models.DateTimeField(_("alarm time"))
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    picture_url = models.URLField(_("picture"), max_length=500, blank=True)
    raw = models.JSONField(_("payload"), default=dict)
    case = models.ForeignKey("cases.Case", verbose_name=_("case"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    error = models.TextField(_("error"), blank=True)
    channel = models.CharField(_("channel"), max_length=10, default="http")  # http | mqtt
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("alarm")
        verbose_name_plural = _("alarms")
        ordering = ["-id"]
        indexes = [models.Index(fields=["device", "alarm_type", "-id"],
                                name="integrations_alarm_device")]

    def __str__(self) -> str:
        return f"{self.device_id} {self.alarm_type} {self.state}"


class AlarmSlot(models.Model):
    """The open alarm of one device and type: at most one row per pair (unique), locked while
    an alarm decides whether it opens a case or attaches to this one."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    alarm_type = models.CharField(max_length=64)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    opened_at = models.DateTimeField(null=True, blank=True)
    last_alarm_at = models.DateTimeField(null=True, blank=True)
    repeats = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("open alarm")
        verbose_name_plural = _("open alarms")
        constraints = [models.UniqueConstraint(fields=["device", "alarm_type"],
                                               name="integrations_one_slot_per_device_type")]

    def __str__(self) -> str:
        return f"{self.device_id} {self.alarm_type}"


# --- webhooks ------------------------------------------------------------------------------------


class WebhookEvent(models.TextChoices):
    CREATED = "case.created", _("Case created")
    ACCEPTED = "case.accepted", _("Case accepted")
    REJECTED = "case.rejected", _("Case not filed")
    VOIDED = "case.voided", _("Case voided")
    MERGED = "case.merged", _("Case merged")
    DISPATCHED = "case.dispatched", _("Case dispatched")
    ESCALATED = "case.escalated", _("Case escalated")
    ASSIGNED_DOWN = "case.assigned_down", _("Case assigned down")
    SIGNED = "case.signed", _("Case signed for")
    HANDLED = "case.handled", _("Handling reported")
    RETURNED = "case.returned", _("Case returned")
    VERIFIED = "case.verified", _("Verification passed")
    REWORK = "case.rework", _("Verification failed")
    CLOSED = "case.closed", _("Case closed")
    EVALUATED = "case.evaluated", _("Case evaluated")
    PARKED = "case.parked", _("Case parked")
    RESUMED = "case.resumed", _("Case resumed")
    SUPERVISED = "case.supervised", _("Case supervised")
    OVERDUE = "case.overdue", _("Step overdue")


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


class Subscription(models.Model):
    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("secret"), max_length=128, default=_new_secret,
                              help_text=_("Signs every payload (HMAC-SHA256)."))
    events = models.JSONField(_("events"), default=list)
    active = models.BooleanField(_("active"), default=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    pause_after = models.PositiveIntegerField(_("pause after failures"), default=10)
    # timeline entries up to this id happened before the subscription existed
    start_after_event = models.BigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if self.pk is None and not self.start_after_event:
            from wangge.cases.models import CaseEvent

            last = CaseEvent.objects.order_by("-id").values_list("id", flat=True).first()
            self.start_after_event = last or 0
        super().save(*args, **kwargs)

    @property
    def paused(self) -> bool:
        return self.paused_at is not None


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subscription = models.ForeignKey(Subscription, verbose_name=_("subscription"),
                                     on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey("cases.CaseEvent", verbose_name=_("timeline entry"),
                              on_delete=models.CASCADE, related_name="+")
    event_type = models.CharField(_("event"), max_length=30, choices=WebhookEvent.choices)
    case = models.ForeignKey("cases.Case", verbose_name=_("case"), on_delete=models.CASCADE,
                             related_name="+")
    payload = models.JSONField(default=dict)
    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_status_code = models.PositiveIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["subscription", "event"],
                                               name="integrations_one_delivery_per_event")]
        indexes = [models.Index(fields=["subscription", "case", "status", "event"])]

    def __str__(self) -> str:
        return f"{self.event_type} #{self.event_id} → {self.subscription_id}"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(_("at"), default=timezone.now)
    status_code = models.PositiveIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.status_code or self.error[:30]}"


class EventCursor(models.Model):
    """The id of the last timeline entry turned into deliveries; advanced by a conditional
    update so that two workers never take the same range."""

    name = models.CharField(max_length=40, unique=True)
    last_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} {self.last_id}"
