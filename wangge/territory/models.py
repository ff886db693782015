from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.core.scope import ScopedManager
from wangge.territory.choices import LEVEL_SLUGS, UNIT_GRID_LEVELS, Level, Post


class Area(models.Model):
    """A node of the territory tree: county, township, village/community, grid, sub-grid."""

    scope_path = "prefix"

    code = models.CharField(_("code"), max_length=18, unique=True)
    prefix = models.CharField(
        _("code prefix"), max_length=18, db_index=True, editable=False,
        help_text=_("The leading digits that every descendant's code shares."),
    )
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    geometry = models.JSONField(
        _("boundary"), null=True, blank=True,
        help_text=_("GeoJSON Polygon or MultiPolygon in WGS-84 longitude/latitude."),
    )
    area_km2 = models.FloatField(_("area (km²)"), null=True, blank=True, editable=False)
    centroid_lon = models.FloatField(null=True, blank=True, editable=False)
    centroid_lat = models.FloatField(null=True, blank=True, editable=False)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    attributes = models.JSONField(
        _("other attributes"), default=dict, blank=True,
        help_text=_("Further properties kept from the imported GeoJSON."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["code"]
        indexes = [models.Index(fields=["parent", "code"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def level_slug(self) -> str:
        return LEVEL_SLUGS[Level(self.level)]

    @property
    def is_unit_grid_level(self) -> bool:
        return self.level in UNIT_GRID_LEVELS

    def is_valid_on(self, day=None) -> bool:
        day = day or timezone.localdate()
        if self.valid_from and day < self.valid_from:
            return False
        return not (self.valid_to and day > self.valid_to)

    def ancestors(self) -> list[Area]:
        """From the root down to the parent (one query per level; the tree is 5 deep)."""
        chain = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    def contains_area(self, other: Area) -> bool:
        return other.prefix.startswith(self.prefix)


class GridStaff(models.Model):
    """Who works in which grid, in which post: one grid has several, one person several grids."""

    scope_path = "grid__prefix"

    grid = models.ForeignKey(
        Area, verbose_name=_("grid"), on_delete=models.CASCADE, related_name="staff",
        limit_choices_to={"level__in": list(UNIT_GRID_LEVELS)},
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.CASCADE,
        related_name="grid_posts",
    )
    post = models.CharField(_("post"), max_length=20, choices=Post.choices)
    since = models.DateField(_("since"), default=timezone.localdate)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("grid staff")
        verbose_name_plural = _("grid staff")
        ordering = ["grid__code", "post", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "user", "post"], name="unique_grid_post"),
        ]

    def __str__(self) -> str:
        return f"{self.grid.code} {self.get_post_display()} {self.user}"


class TerritoryVersion(models.Model):
    """One row whose counter changes whenever the grids change; processes rebuild on change."""

    version = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("territory version")

    def __str__(self) -> str:
        return str(self.version)
