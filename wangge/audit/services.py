"""Writing, reading, verifying and archiving the security audit trail.

``record(event, ...)`` is the one way a row is written. Call it from the service that does
the audited thing (a reveal, an export, a role change), inside its transaction when there is
one, so that the row exists exactly when the thing happened; refusals (wrong password, a rate
limit, a denied lookup) are recorded with ``outcome="denied"`` or ``"failed"``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from wangge.audit.choices import Event, Outcome
from wangge.audit.models import Archive, AuditEvent, ChainHead

GENESIS = "0" * 64
MIN_RETENTION_DAYS = 180
HASHED_FIELDS = ("at", "event", "outcome", "actor_id", "actor_username", "client_ip",
                 "object_type", "object_id", "object_repr", "detail")


def _key() -> bytes:
    from wangge.core.crypto import derived_key

    return derived_key(b"wangge-audit-chain-v1")


def retention_days() -> int:
    days = int(getattr(settings, "AUDIT_RETENTION_DAYS", MIN_RETENTION_DAYS))
    if days < MIN_RETENTION_DAYS:
        raise ImproperlyConfigured(
            f"AUDIT_RETENTION_DAYS={days}: 等保三级 requires keeping audit records for at least "
            f"{MIN_RETENTION_DAYS} days")
    return days


def _canonical(values: dict) -> bytes:
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      cls=DjangoJSONEncoder).encode()


def _values(row: AuditEvent) -> dict:
    values = {name: getattr(row, name) for name in HASHED_FIELDS}
    values["at"] = row.at.astimezone(UTC).isoformat()
    return values


def row_hash(row: AuditEvent, prev_hash: str) -> str:
    return hmac.new(_key(), prev_hash.encode() + b"|" + _canonical(_values(row)),
                    hashlib.sha256).hexdigest()


def client_ip(request) -> str:
    if request is None:
        return ""
    from wangge.core.ratelimit import client_address

    return client_address(request)


def _actor_of(actor, request):
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            actor = user
    return actor


def record(event: str, *, actor=None, request=None, obj=None, outcome: str = Outcome.OK,
           username: str = "", object_type: str = "", object_id: str = "",
           object_repr: str = "", **detail) -> AuditEvent:
    """Append one security event. ``actor`` is the user (default: the request's user);
    ``username`` names an account that is not a user object (a failed login for an unknown
    name); ``obj`` a model instance the event is about; ``detail`` anything else worth
    keeping (reason, before/after, filter, rows) as JSON. Never put a clear ID number, phone
    or password in ``detail``."""
    if event not in Event.values:
        raise ValueError(f"unknown audit event {event!r}")
    actor = _actor_of(actor, request)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
    row = AuditEvent(
        at=timezone.now(), event=event, outcome=outcome,
        actor_id=getattr(actor, "pk", None),
        actor_username=(getattr(actor, "username", "") or username or "")[:150],
        client_ip=client_ip(request)[:45], object_type=object_type[:60],
        object_id=str(object_id)[:64], object_repr=str(object_repr)[:200],
        detail=json.loads(json.dumps(detail, cls=DjangoJSONEncoder)),
    )
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
        row.prev_hash = head.last_hash
        row.row_hash = row_hash(row, head.last_hash)
        row.save()
        ChainHead.objects.filter(pk=1).update(last_hash=row.row_hash, last_id=row.pk,
                                              seal=_seal("head", row.pk, row.row_hash))
    return row


def _seal(*parts) -> str:
    return hmac.new(_key(), "|".join(str(p) for p in parts).encode(),
                    hashlib.sha256).hexdigest()


def _archive_seal(archive: Archive) -> str:
    return _seal("archive", archive.first_id, archive.last_id, archive.rows,
                 archive.first_prev_hash, archive.last_hash, archive.signature)


class Broken(Exception):
    def __init__(self, row_id: int, why: str):
        super().__init__(f"audit row #{row_id}: {why}")
        self.row_id = row_id
        self.why = why


def verify(batch: int = 5000) -> int:
    """Walk the chain oldest first — the archives' sealed records, then the rows — and raise
    ``Broken`` at the first link that does not fit. Returns the number of rows checked."""
    expected, last_id = GENESIS, 0
    for archive in Archive.objects.order_by("first_id"):
        if not hmac.compare_digest(archive.seal, _archive_seal(archive)):
            raise Broken(archive.first_id, f"the record of archive {archive.path} was changed "
                                           "or forged")
        if archive.first_prev_hash != expected or archive.first_id <= last_id:
            raise Broken(archive.first_id, "rows before this archive are missing")
        expected, last_id = archive.last_hash, archive.last_id
    checked = 0
    while True:
        rows = list(AuditEvent.objects.filter(pk__gt=last_id).order_by("pk")[:batch])
        if not rows:
            break
        for row in rows:
            if row.prev_hash != expected:
                raise Broken(row.pk, "its predecessor is missing or was changed")
            if not hmac.compare_digest(row.row_hash, row_hash(row, row.prev_hash)):
                raise Broken(row.pk, "its content was changed")
            expected = row.row_hash
            last_id = row.pk
            checked += 1
    head = ChainHead.objects.filter(pk=1).first()
    if head is not None and head.last_id:
        if not hmac.compare_digest(head.seal, _seal("head", head.last_id, head.last_hash)):
            raise Broken(head.last_id, "the chain's head was changed")
        if head.last_hash != expected:
            raise Broken(head.last_id, "rows at the end of the chain were removed")
    return checked


def as_json(row: AuditEvent) -> dict:
    return {"id": row.pk, "at": timezone.localtime(row.at).isoformat(), "event": row.event,
            "outcome": row.outcome, "user": row.actor_username, "user_id": row.actor_id,
            "client_ip": row.client_ip, "object_type": row.object_type,
            "object_id": row.object_id, "object": row.object_repr, "detail": row.detail}


def archive(directory: Path, *, now=None) -> Archive | None:
    """Move rows older than the retention to a JSON-lines file signed with the chain key;
    the chain goes on from the file's last hash. None when nothing is old enough."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=retention_days())
    verify()
    newest_old = (AuditEvent.objects.filter(at__lt=cutoff).order_by("-pk")
                  .values_list("pk", flat=True).first())
    if newest_old is None:
        return None
    # exactly the rows up to the newest old one: what the file holds is what leaves the table
    rows = list(AuditEvent.objects.filter(pk__lte=newest_old).order_by("pk"))
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"audit-{rows[0].pk}-{rows[-1].pk}.jsonl"
    body = "".join(json.dumps({**as_json(r), "prev_hash": r.prev_hash,
                               "row_hash": r.row_hash}, ensure_ascii=False) + "\n"
                   for r in rows).encode()
    signature = hmac.new(_key(), body, hashlib.sha256).hexdigest()
    path.write_bytes(body)
    path.with_suffix(".sig").write_text(signature + "\n", encoding="utf-8")
    with transaction.atomic():
        made = Archive(path=str(path), first_id=rows[0].pk, last_id=rows[-1].pk,
                       rows=len(rows), first_prev_hash=rows[0].prev_hash,
                       last_hash=rows[-1].row_hash, signature=signature)
        made.seal = _archive_seal(made)
        made.save()
        AuditEvent.objects.filter(pk__lte=rows[-1].pk)._archive_delete()
    record(Event.ARCHIVED, object_type="audit.archive", object_id=str(made.pk),
           object_repr=path.name, rows=len(rows), first_id=rows[0].pk, last_id=rows[-1].pk)
    return made


def verify_archive_file(path: Path) -> bool:
    body = path.read_bytes()
    signature = path.with_suffix(".sig").read_text(encoding="utf-8").strip()
    return hmac.compare_digest(signature, hmac.new(_key(), body, hashlib.sha256).hexdigest())
