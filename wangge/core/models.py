"""The shape every base-data history shares (人、地、事、物、组织): who changed what, when, through
which channel, and the record before and after.

``ChangeRecord`` is abstract: each app has its concrete model (``things.ComponentChange``,
``organisations.OrganisationChange``) with a foreign key to its record, written by its services
in the same transaction as the change. ``area`` is where the record lay after the change (before
it, for a deletion), so a history list can be scoped like everything else; a record's own page
shows all of its history, wherever it lay. Personal data (phones) is masked in ``before`` and
``after``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.core.scope import ScopedManager


class ChangeAction(models.TextChoices):
    CREATED = "created", _("Created")
    UPDATED = "updated", _("Updated")
    DELETED = "deleted", _("Deleted")


class ChangeSource(models.TextChoices):
    """The channel, the first word of ``source`` (an import adds its file name)."""

    WEB = "web", _("web page")
    PHONE = "phone", _("phone page")
    IMPORT = "import", _("import")
    API = "api", _("API")
    SYSTEM = "system", _("system")


class ChangeRecord(models.Model):
    scope_path = "area__prefix"

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True,
                              blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    action = models.CharField(_("action"), max_length=10, choices=ChangeAction.choices)
    source = models.CharField(_("change source"), max_length=200, default=ChangeSource.WEB)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    area = models.ForeignKey("territory.Area", verbose_name=_("area"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")

    objects = ScopedManager()

    class Meta:
        abstract = True
        ordering = ["-at", "-pk"]

    @property
    def channel(self) -> str:
        """The source's channel (web, import, api …), translated when known."""
        from wangge.core.history import channel_of

        return channel_of(self.source)

    @property
    def changed_fields(self) -> list[str]:
        """In alphabetical order: PostgreSQL's jsonb keeps no key order."""
        before, after = self.before or {}, self.after or {}
        return sorted(k for k in {*before, *after} if before.get(k) != after.get(k))


class KeyFingerprint(models.Model):
    """A fingerprint of a key personal data was written with (wangge/core/keys.py): HMAC-SHA256
    of a fixed label under the key, never the key. ``name`` is ``lookup`` or ``data:<key id>``.
    Written by the key check itself, never through the admin or the API."""

    name = models.CharField(_("key"), max_length=64, primary_key=True)
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    stored_at = models.DateTimeField(_("stored at"), default=timezone.now)

    class Meta:
        verbose_name = _("key fingerprint")
        verbose_name_plural = _("key fingerprints")

    def __str__(self) -> str:
        return f"{self.name} {self.fingerprint[:12]}…"
