"""组织: enterprises, shops, 三小场所 and social organisations, with their safety inspections.

The unified social credit code (统一社会信用代码) is validated with its check character
(wangge.core.identifiers.normalize_uscc); it may be empty only for 三小场所 without a licence.
Devices are ``integrations.Device``; ``OrganisationDevice`` links the ones installed there.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.core.encrypted import EncryptedTextField
from wangge.core.identifiers import mask_phone
from wangge.core.models import ChangeRecord
from wangge.core.scope import ScopedManager

CONTACT_PHONE_ASSOCIATED = "organisation-contact-phone"


class OrgKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")  # 企业
    SHOP = "shop", _("Shop")  # 商铺/个体工商户
    SMALL_SHOP = "small_shop", _("Small shop")  # 小商店 (三小场所)
    SMALL_RESTAURANT = "small_restaurant", _("Small restaurant")  # 小餐饮
    SMALL_WORKSHOP = "small_workshop", _("Small workshop")  # 小作坊
    SMALL_VENUE = "small_venue", _("Small hotel or entertainment venue")  # 小旅馆/小娱乐场所
    SOCIAL = "social", _("Social organisation")  # 社会组织
    OTHER = "other", _("Other")


# 三小场所: may be recorded without a credit code (no business licence yet)
SMALL_PLACE_KINDS = {OrgKind.SMALL_SHOP, OrgKind.SMALL_RESTAURANT, OrgKind.SMALL_WORKSHOP,
                     OrgKind.SMALL_VENUE}


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")  # 低
    GENERAL = "general", _("General")  # 一般
    LARGER = "larger", _("Larger")  # 较大
    MAJOR = "major", _("Major")  # 重大


class Organisation(models.Model):
    scope_path = "grid__prefix"

    kind = models.CharField(_("kind"), max_length=20, choices=OrgKind.choices, db_index=True)
    name = models.CharField(_("organisation name"), max_length=150)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)  # WGS-84
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    grid = models.ForeignKey("territory.Area", verbose_name=_("grid"), on_delete=models.PROTECT,
                             related_name="organisations",
                             help_text=_("Located from the position when there is one."))
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    contact_name = models.CharField(_("contact"), max_length=50, blank=True)
    # stored encrypted (wangge/core/encrypted.py), shown masked except to users who may see
    # full numbers
    contact_phone = EncryptedTextField(_("contact phone"), blank=True,
                                       associated=CONTACT_PHONE_ASSOCIATED,
                                       validators=[MaxLengthValidator(30)])
    risk_level = models.CharField(_("safety risk level"), max_length=10,
                                  choices=RiskLevel.choices, default=RiskLevel.LOW,
                                  db_index=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["grid__code", "name", "pk"]
        constraints = [models.UniqueConstraint(
            fields=["credit_code"], condition=~models.Q(credit_code=""),
            name="organisations_unique_credit_code")]
        indexes = [models.Index(fields=["grid", "kind", "risk_level"])]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.contact_phone)

    @property
    def is_small_place(self) -> bool:
        return self.kind in SMALL_PLACE_KINDS

    def clean(self):
        """The credit code checked and the grid located (the admin's forms come here; the
        services call the same helpers)."""
        from wangge.organisations import services

        self.credit_code = services.clean_credit_code(self.credit_code, self.kind)
        services.locate_organisation(self)


class InspectionResult(models.TextChoices):
    PASSED = "passed", _("No problems")  # 合格
    RECTIFY = "rectify", _("Rectification required")  # 限期整改
    SUSPENDED = "suspended", _("Suspended")  # 停业整顿
    CLOSED = "closed", _("Closed down")  # 关停取缔


class Inspection(models.Model):
    """One safety inspection of an organisation (安全检查/巡查)."""

    scope_path = "organisation__grid__prefix"

    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"),
                                     on_delete=models.CASCADE, related_name="inspections")
    date = models.DateField(_("date"), default=timezone.localdate)
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("inspector"),
                                  on_delete=models.PROTECT, related_name="+")
    result = models.CharField(_("result"), max_length=10, choices=InspectionResult.choices)
    issues = models.TextField(_("issues found"), blank=True)
    follow_up_date = models.DateField(_("follow-up date"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"),
                                    null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.date} {self.result}"


class OrganisationDevice(models.Model):
    """An IoT device (integrations.Device) installed at an organisation."""

    scope_path = "organisation__grid__prefix"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="device_links")
    device = models.ForeignKey("integrations.Device", verbose_name=_("device"),
                               on_delete=models.CASCADE, related_name="+")

    objects = ScopedManager()

    class Meta:
        verbose_name = _("device at the organisation")
        verbose_name_plural = _("devices at the organisation")
        constraints = [models.UniqueConstraint(fields=["organisation", "device"],
                                               name="organisations_unique_device_link")]

    def __str__(self) -> str:
        return f"{self.organisation_id} ↔ {self.device_id}"


class OrganisationChange(ChangeRecord):
    """One change to an organisation or one inspection recorded for it: who, when, through
    which channel, before and after (contact phones masked; see
    ``wangge.organisations.services.snapshot``). Kept when the organisation is deleted."""

    class Subject(models.TextChoices):
        ORGANISATION = "organisation", _("Organisation")
        INSPECTION = "inspection", _("Inspection")

    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), null=True,
                                     blank=True, on_delete=models.SET_NULL,
                                     related_name="changes")
    subject = models.CharField(_("subject"), max_length=12, choices=Subject.choices,
                               default=Subject.ORGANISATION)
    inspection = models.ForeignKey(Inspection, verbose_name=_("inspection"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta(ChangeRecord.Meta):
        verbose_name = _("change to an organisation")
        verbose_name_plural = _("changes to organisations")

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.subject} {self.action} {self.at:%Y-%m-%d %H:%M}"
