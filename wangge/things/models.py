"""物: city components (城市部件), each with its 16-digit code, its units, status and position.

IoT devices are ``integrations.Device``; a device names its component by code in its
``component`` field, and a component's page lists those devices (no second device model).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.core.models import ChangeRecord
from wangge.core.scope import ScopedManager
from wangge.things.codes import ComponentCodeError, check_component_code


class ComponentStatus(models.TextChoices):
    NORMAL = "normal", _("Intact")  # 正常
    DAMAGED = "damaged", _("Damaged")  # 损坏
    MISSING = "missing", _("Missing")  # 丢失
    OCCUPIED = "occupied", _("Occupied or blocked")  # 占用
    ABANDONED = "abandoned", _("Abandoned")  # 废弃


class Component(models.Model):
    """A city component: a manhole cover, a street lamp, a hydrant …"""

    scope_path = "grid__prefix"

    code = models.CharField(_("component code"), max_length=16, unique=True)
    category = models.ForeignKey("cases.Category", verbose_name=_("component category"),
                                 on_delete=models.PROTECT, related_name="+", editable=False)
    name = models.CharField(_("component name"), max_length=100)
    owner_department = models.ForeignKey(
        "dispatch.Department", verbose_name=_("owner unit"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+")
    owner_unit = models.CharField(_("owner unit (text)"), max_length=100, blank=True,
                                  help_text=_("When the unit is not a department in the list."))
    maintainer_department = models.ForeignKey(
        "dispatch.Department", verbose_name=_("maintainer unit"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+")
    maintainer_unit = models.CharField(_("maintainer unit (text)"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ComponentStatus.choices,
                              default=ComponentStatus.NORMAL, db_index=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lon = models.FloatField(_("longitude"))  # WGS-84
    lat = models.FloatField(_("latitude"))
    grid = models.ForeignKey("territory.Area", verbose_name=_("grid"), on_delete=models.PROTECT,
                             related_name="components", editable=False,
                             help_text=_("Located from the position."))
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("city component")
        verbose_name_plural = _("city components")
        ordering = ["code"]
        indexes = [models.Index(fields=["grid", "status"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def owner(self) -> str:
        return str(self.owner_department or self.owner_unit or "")

    @property
    def maintainer(self) -> str:
        return str(self.maintainer_department or self.maintainer_unit or "")

    @property
    def major_code(self) -> str:
        return self.code[6:8]

    @property
    def minor_code(self) -> str:
        return self.code[6:10]

    @property
    def serial(self) -> str:
        return self.code[10:]

    def clean(self):
        errors = {}
        try:
            self.code, self.category = check_component_code(self.code)
        except ComponentCodeError as exc:
            errors["code"] = str(exc)
        if self.lon is not None and self.lat is not None:
            try:
                self.locate()
            except ValidationError as exc:
                errors["lon"] = exc.messages
        if errors:
            raise ValidationError(errors)

    def locate(self) -> None:
        """Set the grid from the position (WGS-84); a position outside every grid is an
        error."""
        from wangge.territory.locate import locate

        try:
            found = locate(self.lon, self.lat)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        if not found.inside:
            raise ValidationError(found.message)
        self.grid_id = found.grid_id


class ComponentChange(ChangeRecord):
    """One change to a component: who, when, through which channel, before and after (see
    ``wangge.things.services.snapshot``). Kept when the component is deleted."""

    component = models.ForeignKey(Component, verbose_name=_("city component"), null=True,
                                  blank=True, on_delete=models.SET_NULL, related_name="changes")
    code = models.CharField(_("component code"), max_length=16, db_index=True)

    class Meta(ChangeRecord.Meta):
        verbose_name = _("change to a component")
        verbose_name_plural = _("changes to components")

    def __str__(self) -> str:
        return f"{self.code} {self.action} {self.at:%Y-%m-%d %H:%M}"
