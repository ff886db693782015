"""The durable outbox and the worker loop that drains it.

Claiming is a conditional UPDATE (``… WHERE id = ? AND state = 'pending'``), so several workers
can run at once and each message is taken by exactly one of them; a message whose worker died is
taken again when its lock expires. Handlers must be idempotent (they may run twice after a crash
between the handler and the DONE mark).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import traceback
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from wangge.jobs.models import OutboxMessage
from wangge.jobs.registry import handler_for

log = logging.getLogger(__name__)
LOCK_SECONDS = 120
MAX_ATTEMPTS = 8


def enqueue(kind: str, payload: dict, *, delay_seconds: float = 0) -> OutboxMessage:
    return OutboxMessage.objects.create(
        kind=kind, payload=payload,
        available_at=timezone.now() + timedelta(seconds=delay_seconds),
    )


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(batch: int = 50, *, name: str | None = None) -> list[OutboxMessage]:
    now = timezone.now()
    name = name or worker_name()
    ready = (Q(state=OutboxMessage.State.PENDING, available_at__lte=now)
             | Q(state=OutboxMessage.State.RUNNING, locked_until__lt=now))
    candidates = list(OutboxMessage.objects.filter(ready).order_by("id")
                      .values_list("id", "state")[:batch])
    claimed = []
    for message_id, state in candidates:
        won = OutboxMessage.objects.filter(pk=message_id, state=state).filter(ready).update(
            state=OutboxMessage.State.RUNNING, locked_by=name,
            locked_until=now + timedelta(seconds=LOCK_SECONDS),
        )
        if won:
            claimed.append(message_id)
    return list(OutboxMessage.objects.filter(pk__in=claimed).order_by("id"))


def run_message(message: OutboxMessage) -> bool:
    handler = handler_for(message.kind)
    try:
        if handler is None:
            raise LookupError(f"no handler for job kind {message.kind!r}")
        handler(message)
    except Exception as exc:  # a failing handler must not stop the worker
        attempts = message.attempts + 1
        final = attempts >= MAX_ATTEMPTS
        backoff = min(3600, 2 ** attempts * 5)
        OutboxMessage.objects.filter(pk=message.pk).update(
            state=OutboxMessage.State.FAILED if final else OutboxMessage.State.PENDING,
            attempts=attempts, locked_until=None, locked_by="",
            available_at=timezone.now() + timedelta(seconds=backoff),
            last_error="".join(traceback.format_exception_only(exc)).strip()[:2000],
        )
        log.warning("job %s #%s failed (attempt %s): %s", message.kind, message.pk, attempts, exc)
        return False
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=OutboxMessage.State.DONE, attempts=message.attempts + 1, done_at=timezone.now(),
        locked_until=None)
    return True


def drain(max_messages: int = 10_000) -> int:
    """Run pending messages until none is ready (or max_messages). Returns how many ran."""
    ran = 0
    while ran < max_messages:
        batch = claim()
        if not batch:
            break
        for message in batch:
            run_message(message)
            ran += 1
    return ran


def run_worker(*, once: bool = False, sweep_every: float = 30.0, idle_sleep: float = 1.0,
               stop_after: float | None = None) -> None:
    """The worker loop: drain the outbox, and run the periodic sweeps every ``sweep_every``."""
    from wangge.jobs.registry import periodic_tasks

    started = time.monotonic()
    last_sweep = 0.0
    while True:
        if time.monotonic() - last_sweep >= sweep_every or once:
            for task in periodic_tasks():
                try:
                    task()
                except Exception:
                    log.exception("periodic task %s failed", task)
            last_sweep = time.monotonic()
        ran = drain()
        if once:
            return
        if stop_after is not None and time.monotonic() - started > stop_after:
            return
        if not ran:
            time.sleep(idle_sleep)
