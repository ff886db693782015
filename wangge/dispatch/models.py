from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.core.scope import ScopedManager
from wangge.dispatch.choices import DepartmentKind


class Department(models.Model):
    """A unit that handles dispatched cases (城管局, 派出所 …), serving an area."""

    scope_path = "area__prefix"

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=30, choices=DepartmentKind.choices)
    area = models.ForeignKey("territory.Area", verbose_name=_("serves"), on_delete=models.PROTECT,
                             related_name="departments")
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["area__code", "kind", "name"]

    def __str__(self) -> str:
        return self.name


class ResponsibilityRule(models.Model):
    """权责清单: cases of this category inside this area go to this department."""

    scope_path = "area__prefix"

    category = models.ForeignKey("cases.Category", verbose_name=_("category"),
                                 on_delete=models.CASCADE, related_name="rules")
    area = models.ForeignKey("territory.Area", verbose_name=_("area"), on_delete=models.CASCADE,
                             related_name="responsibility_rules")
    department = models.ForeignKey(Department, verbose_name=_("responsible department"),
                                   on_delete=models.CASCADE, related_name="rules")
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("responsibility rule")
        verbose_name_plural = _("responsibility list")
        constraints = [models.UniqueConstraint(fields=["category", "area"],
                                               name="one_rule_per_category_area")]

    def __str__(self) -> str:
        return f"{self.category} @ {self.area.name} → {self.department}"
