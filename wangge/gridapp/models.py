"""Patrols (巡查): a grid worker's walk through their grids, with the GPS track.

The track is kept on the patrol row as a JSON list of ``[lon, lat, unix_ms]`` (WGS-84), sorted
by time. A full working day at one point every 10 s is about 2,900 points (≈ 120 kB of JSON):
one row per patrol keeps the table small (22,000 workers would otherwise add some 60 million
point rows a day), a track is read in one query to draw it, and points arrive in batches, so
the row is rewritten a few times a minute at most.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.core.scope import ScopedManager


class Patrol(models.Model):
    """One patrol. Supervisors see the patrols of their subtree (by the worker's jurisdiction
    when the patrol started); the app itself only ever shows a worker their own."""

    scope_path = "area__prefix"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("grid worker"),
                             on_delete=models.CASCADE, related_name="patrols")
    area = models.ForeignKey("territory.Area", verbose_name=_("jurisdiction"), null=True,
                             blank=True, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    distance_m = models.FloatField(_("distance (m)"), default=0)
    duration_s = models.PositiveIntegerField(_("duration (s)"), default=0)
    point_count = models.PositiveIntegerField(_("points"), default=0)
    points = models.JSONField(_("track"), default=list, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["user", "-started_at"])]
        constraints = [models.UniqueConstraint(
            fields=["user"], condition=models.Q(ended_at__isnull=True),
            name="one_running_patrol_per_user")]

    def __str__(self) -> str:
        return f"{self.user} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_running(self) -> bool:
        return self.ended_at is None
