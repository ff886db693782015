"""Notifications: written to the outbox inside the caller's transaction, delivered by the worker.

Channels beyond the in-app inbox (SMS, messaging apps) plug in through ``WANGGE_CHANNELS``:
dotted paths of callables ``send(notification)`` that the worker calls after the inbox entry
exists. The inbox itself is the one built-in channel.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from wangge.jobs.services import enqueue
from wangge.notifications.models import Notification


def notify(*, users, kind: str, text: str, case=None) -> None:
    """Queue a notification for each user (deduplicated) in the current transaction."""
    user_ids = sorted({u if isinstance(u, int) else u.pk for u in users if u is not None})
    if not user_ids:
        return
    enqueue("notify", {"users": user_ids, "kind": kind, "text": text[:300],
                       "case": case.pk if case is not None else None})


def deliver(message) -> None:
    """Worker handler: create the inbox entries (idempotent), then call other channels."""
    payload = message.payload
    created = []
    with transaction.atomic():
        for user_id in payload["users"]:
            notification, was_created = Notification.objects.get_or_create(
                source_key=f"{message.pk}:{user_id}",
                defaults={"user_id": user_id, "kind": payload["kind"], "text": payload["text"],
                          "case_id": payload.get("case"), "created_at": message.created_at},
            )
            if was_created:
                created.append(notification)
    for path in getattr(settings, "WANGGE_CHANNELS", []):
        channel = import_string(path)
        for notification in created:
            channel(notification)


def mark_read(*, actor, ids=None) -> int:
    queryset = Notification.objects.filter(user=actor, read_at__isnull=True)
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    return queryset.update(read_at=timezone.now())
