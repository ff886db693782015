"""The security audit trail (等保三级 安全审计): one append-only table of security events.

Each row carries ``prev_hash``, the ``row_hash`` of the row before it, and its own ``row_hash``,
an HMAC over its fields and ``prev_hash`` (keyed with the lookup key, so someone who can write
to the database but does not hold the key cannot forge a consistent chain). Changing, deleting
or inserting a row breaks the chain at that row, which ``wangge audit verify`` names.

Rows cannot be changed or deleted through the ORM (``save`` of an existing row, ``delete`` and
the queryset's ``update``/``delete`` raise), the admin or the API; the only removal is
``wangge audit archive``, which first writes rows older than the retention to a signed file.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.audit.choices import Event, Outcome


class AppendOnlyError(Exception):
    """Someone tried to change or delete an audit row."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit rows cannot be changed")

    def delete(self):
        raise AppendOnlyError("audit rows cannot be deleted")

    def _raw_delete(self, using):  # used by cascades and by archive (through _archive_delete)
        raise AppendOnlyError("audit rows cannot be deleted")

    def _archive_delete(self):
        """Only for ``services.archive``, after the rows are written to a signed file."""
        return super()._raw_delete(self.db)


class AuditEvent(models.Model):
    at = models.DateTimeField(_("when"), db_index=True)
    event = models.CharField(_("event"), max_length=32, choices=Event.choices, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices,
                               default=Outcome.OK)
    # who: kept as values, not a foreign key, so that no later change to the account (or its
    # deletion) touches a hashed row
    actor_id = models.BigIntegerField(_("user id"), null=True, blank=True, db_index=True)
    actor_username = models.CharField(_("user"), max_length=150, blank=True)
    client_ip = models.CharField(_("client address"), max_length=45, blank=True)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, editable=False)
    row_hash = models.CharField(max_length=64, editable=False, unique=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-id"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"#{self.pk} {self.event} {self.actor_username or '-'} {self.at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("audit rows cannot be changed")
        if not self.row_hash:
            raise AppendOnlyError("audit rows are written only by wangge.audit.services.record")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit rows cannot be deleted")


class ChainHead(models.Model):
    """One row (pk=1): the hash of the newest audit row. Writers lock it, so two processes
    never chain two rows to the same predecessor."""

    last_hash = models.CharField(max_length=64, default="0" * 64)
    last_id = models.BigIntegerField(default=0)
    # HMAC of last_id and last_hash: cutting rows off the end and resetting the head needs
    # the key
    seal = models.CharField(max_length=64, blank=True)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"head #{self.last_id}"


class Archive(models.Model):
    """A file that took audit rows out of the table: the chain continues from its last hash."""

    made_at = models.DateTimeField(auto_now_add=True)
    path = models.CharField(max_length=500)
    first_id = models.BigIntegerField()
    last_id = models.BigIntegerField()
    rows = models.PositiveIntegerField()
    first_prev_hash = models.CharField(max_length=64, default="0" * 64)
    last_hash = models.CharField(max_length=64)
    # HMAC of the file's body (also in the .sig file beside it)
    signature = models.CharField(max_length=64)
    # HMAC of this row's fields: an archive row can't be forged to hide deleted rows
    seal = models.CharField(max_length=64, blank=True)

    class Meta:
        default_permissions = ("view",)
        ordering = ["-last_id"]

    def __str__(self) -> str:
        return f"{self.path} (#{self.first_id}–#{self.last_id})"
