"""Webhooks: timeline entries → signed HTTP POSTs to subscribed systems, through the outbox.

1. ``scan_events`` (a periodic task of the worker) reads timeline entries past a stored
   high-water mark (``EventCursor``), claims the range with a conditional UPDATE (two workers
   never take the same range) and, in the same transaction, writes one ``Delivery`` per
   subscription and entry (unique) and queues an outbox job ``webhook`` for the first pending
   delivery of each case. Only committed entries are read, so delivery is after commit. On
   PostgreSQL, ids are not committed in order: the mark only moves past an id once every
   transaction that was running when that id became visible has ended (so a smaller id still
   uncommitted then cannot be skipped).
2. ``deliver`` (the job handler) POSTs one delivery with urllib (timeout 10 s, no redirects),
   logs the attempt, and on success queues the next pending delivery of the same case: event
   N+1 of a case is never sent before N is delivered. On failure it retries with exponential
   backoff (1 min, 2, 4 … capped at 1 h); after ``MAX_ATTEMPTS`` the delivery is failed and the
   case's next one goes. A subscription failing ``pause_after`` times in a row is paused; the
   admin's “resume” queues its backlog again.

Each delivery is sent once per subscription and event (claimed by a conditional UPDATE before
the request). A worker dying between the receiver's answer and the DELIVERED mark sends it again
later: receivers deduplicate on ``X-Wangge-Delivery``.

Headers: ``X-Wangge-Event``, ``X-Wangge-Delivery`` (a UUID), ``X-Wangge-Timestamp`` (Unix
seconds) and ``X-Wangge-Signature: sha256=<hex HMAC-SHA256 of the raw body with the secret>``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import time
import urllib.error
import urllib.request
import uuid
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from wangge.cases.choices import Action
from wangge.integrations.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    EventCursor,
    Subscription,
    WebhookEvent,
)

log = logging.getLogger(__name__)

JOB_KIND = "webhook"
CURSOR = "webhooks"
TIMEOUT_SECONDS = 10
BACKOFF_BASE_SECONDS = 60
BACKOFF_CAP_SECONDS = 3600
MAX_ATTEMPTS = 24  # about a day at the cap
USER_AGENT = "Wangge-Webhooks/1"

EVENT_OF_ACTION: dict[str, str] = {
    Action.REPORT: WebhookEvent.CREATED,
    Action.ACCEPT: WebhookEvent.ACCEPTED,
    Action.REJECT: WebhookEvent.REJECTED,
    Action.VOID: WebhookEvent.VOIDED,
    Action.MERGE: WebhookEvent.MERGED,
    Action.DISPATCH: WebhookEvent.DISPATCHED,
    Action.ESCALATE: WebhookEvent.ESCALATED,
    Action.ASSIGN_DOWN: WebhookEvent.ASSIGNED_DOWN,
    Action.SIGN: WebhookEvent.SIGNED,
    Action.FEEDBACK: WebhookEvent.HANDLED,
    Action.RETURN: WebhookEvent.RETURNED,
    Action.VERIFY_PASS: WebhookEvent.VERIFIED,
    Action.VERIFY_FAIL: WebhookEvent.REWORK,
    Action.CLOSE: WebhookEvent.CLOSED,
    Action.SELF_HANDLE: WebhookEvent.CLOSED,
    Action.EVALUATE: WebhookEvent.EVALUATED,
    Action.PARK: WebhookEvent.PARKED,
    Action.RESUME: WebhookEvent.RESUMED,
    Action.SUPERVISE: WebhookEvent.SUPERVISED,
    Action.OVERDUE: WebhookEvent.OVERDUE,
}


# --- signing ------------------------------------------------------------------------------------


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str) -> bool:
    """For receivers (and tests): does the X-Wangge-Signature header match the body?"""
    return hmac.compare_digest(sign(secret, body), header or "")


def body_of(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"),
                      sort_keys=True).encode("utf-8")


# --- scanning the timeline ---------------------------------------------------------------------


def _iso(value) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def _safe_high_water() -> int | None:
    """The largest timeline id below which no entry can still appear (None: not now)."""
    from wangge.cases.models import CaseEvent

    if connection.vendor != "postgresql":  # SQLite: one writer at a time, ids commit in order
        return CaseEvent.objects.aggregate(top=Max("id"))["top"] or 0
    table = connection.ops.quote_name(CaseEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_current_snapshot()::text, (SELECT max(id) FROM {table})")  # noqa: S608
        snapshot, top = cursor.fetchone()
        deadline = time.monotonic() + 2.0
        while True:
            cursor.execute(
                "SELECT count(*) FROM pg_snapshot_xip(%s::pg_snapshot) AS x "
                "WHERE pg_xact_status(x) = 'in progress' "
                "AND x IS DISTINCT FROM pg_current_xact_id_if_assigned()", [snapshot])
            if cursor.fetchone()[0] == 0:
                return top or 0
            if time.monotonic() > deadline:
                return None  # a long transaction is running: try again at the next sweep
            time.sleep(0.05)


def scan_events(*, batch: int = 500) -> int:
    """Turn new timeline entries into deliveries. Returns how many deliveries it made."""
    made = 0
    for _round in range(10_000):
        count, more = _scan_once(batch)
        made += count
        if not more:
            break
    return made


def _scan_once(batch: int) -> tuple[int, bool]:
    from wangge.cases.models import CaseEvent

    cursor, _created = EventCursor.objects.get_or_create(name=CURSOR)
    last = cursor.last_id
    safe = _safe_high_water()
    if safe is None or safe <= last:
        return 0, False
    subscriptions = list(Subscription.objects.filter(active=True))
    start = max(last, min((s.start_after_event for s in subscriptions), default=safe))
    rows = list(CaseEvent.objects.filter(id__gt=start, id__lte=safe,
                                         action__in=list(EVENT_OF_ACTION))
                .order_by("id").values("id", "case_id", "action", "at", "actor_label", "note",
                                       "from_status", "to_status", "to_department__code")
                [:batch])
    full = len(rows) == batch
    high = rows[-1]["id"] if full else safe
    with transaction.atomic():
        won = EventCursor.objects.filter(pk=cursor.pk, last_id=last).update(last_id=high)
        if not won:
            return 0, True  # another worker took this range; look again
        made = _make_deliveries(rows, subscriptions)
    return made, full


def _make_deliveries(rows: list[dict], subscriptions: list[Subscription]) -> int:
    from wangge.cases.models import Case
    from wangge.jobs.models import OutboxMessage

    wanted = []
    for row in rows:
        event = EVENT_OF_ACTION[row["action"]]
        for sub in subscriptions:
            if row["id"] > sub.start_after_event and event in (sub.events or []):
                wanted.append((sub, row, event))
    if not wanted:
        return 0
    cases = {c.pk: c for c in Case.objects.select_related(
        "category", "category__parent", "grid", "tier_area", "holder_department").filter(
        pk__in={row["case_id"] for _s, row, _e in wanted})}
    now = timezone.now()
    deliveries = []
    for sub, row, event in wanted:
        delivery_id = uuid.uuid4()
        deliveries.append(Delivery(
            uuid=delivery_id, subscription=sub, event_id=row["id"], event_type=event,
            case_id=row["case_id"], next_attempt_at=now, created_at=now,
            payload=_payload(delivery_id, event, row, cases[row["case_id"]])))
    Delivery.objects.bulk_create(deliveries, ignore_conflicts=True, batch_size=500)
    # wake the first delivery of each (subscription, case) that has nothing pending before it;
    # the earlier pending ones are locked, so that one finishing now either is seen finished
    # here or sees these new deliveries when it wakes its successor (never neither)
    pairs = {(d.subscription_id, d.case_id) for d in deliveries}
    first_event = min(d.event_id for d in deliveries)
    blocked = set(Delivery.objects.select_for_update().filter(
        subscription_id__in={p[0] for p in pairs}, case_id__in={p[1] for p in pairs},
        status=DeliveryStatus.PENDING, event_id__lt=first_event).values_list(
        "subscription_id", "case_id"))
    heads: dict[tuple[int, int], str] = {}
    for d in deliveries:  # in event order
        pair = (d.subscription_id, d.case_id)
        if pair not in blocked and pair not in heads:
            heads[pair] = d.uuid
    paused = {s.pk for s in subscriptions if s.paused_at is not None}
    head_ids = Delivery.objects.filter(uuid__in=[u for (sub_id, _c), u in heads.items()
                                                 if sub_id not in paused]).values_list(
        "pk", flat=True)
    OutboxMessage.objects.bulk_create(
        [OutboxMessage(kind=JOB_KIND, payload={"delivery": pk}, available_at=now,
                       created_at=now) for pk in head_ids], batch_size=500)
    return len(deliveries)


def _payload(delivery_id, event: str, row: dict, case) -> dict:
    category = case.category
    return {
        "id": row["id"],
        "delivery": str(delivery_id),
        "event": event,
        "occurred_at": _iso(row["at"]),
        "case": {
            "number": case.number,
            "status": row["to_status"] or case.status,
            "category": {"code": category.code, "name": category.name,
                         "major": category.parent.code if category.parent_id else None},
            "urgency": case.urgency,
            "source": case.source,
            "grid": {"code": case.grid.code, "name": case.grid.name},
            "tier": case.tier,
            "tier_area": case.tier_area.code,
            "holder_department": (case.holder_department.code
                                  if case.holder_department_id else None),
            "description": case.description,
            "address": case.address,
            "lon": case.lon,
            "lat": case.lat,
            "reported_at": _iso(case.reported_at),
            "deadline": _iso(case.step_deadline),
            "closed_at": _iso(case.closed_at),
        },
        "action": {
            "action": row["action"],
            "actor": row["actor_label"],
            "note": row["note"],
            "from_status": row["from_status"],
            "to_status": row["to_status"],
            "department": row["to_department__code"],
        },
    }


# --- delivering -------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer like any non-2xx: a failed attempt


def _opener():
    proxy = os.environ.get("WANGGE_WEBHOOK_PROXY", "")
    proxies = {"http": proxy, "https": proxy} if proxy else {}
    return urllib.request.build_opener(urllib.request.ProxyHandler(proxies), _NoRedirect)


def post(subscription: Subscription, delivery: Delivery) -> tuple[int | None, str, int]:
    """One HTTP attempt: (status code or None, error text, milliseconds)."""
    body = body_of(delivery.payload)
    request = urllib.request.Request(  # noqa: S310  (an admin-configured http(s) URL)
        subscription.url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "X-Wangge-Event": delivery.event_type,
            "X-Wangge-Delivery": str(delivery.uuid),
            "X-Wangge-Timestamp": str(int(time.time())),
            "X-Wangge-Signature": sign(subscription.secret, body),
        })
    started = time.monotonic()
    code, error = None, ""
    try:
        if not subscription.url.lower().startswith(("http://", "https://")):
            raise ValueError("only http and https URLs are delivered to")
        with _opener().open(request, timeout=TIMEOUT_SECONDS) as response:
            code = response.status
            response.read(4096)
    except urllib.error.HTTPError as exc:
        code = exc.code
        try:
            detail = exc.read(300).decode("utf-8", "replace")
        except Exception:
            detail = ""
        error = f"HTTP {exc.code} {exc.reason}: {detail}".strip()
    except Exception as exc:  # timeouts, refused connections, bad URLs …
        error = f"{type(exc).__name__}: {exc}"
    duration = int((time.monotonic() - started) * 1000)
    if code is not None and not 200 <= code < 300 and not error:
        error = f"HTTP {code}"
    return code, error[:2000], duration


def backoff(attempts: int) -> int:
    """Seconds before the next try after ``attempts`` failed ones: 60, 120, 240 … ≤ 3600."""
    return min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))


def deliver(message) -> None:
    """Outbox handler of ``webhook`` jobs: send one delivery (idempotent; never raises for a
    receiver's failure: retries are scheduled here, with this module's backoff)."""
    pk = message.payload["delivery"]
    now = timezone.now()
    delivery = Delivery.objects.select_related("subscription").filter(pk=pk).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return
    subscription = delivery.subscription
    if not subscription.active or subscription.paused_at is not None:
        return  # resuming queues it again
    if delivery.next_attempt_at > now + timedelta(seconds=1):
        return  # an early duplicate job: the retry job comes at its time
    if Delivery.objects.filter(subscription_id=subscription.pk, case_id=delivery.case_id,
                               status=DeliveryStatus.PENDING,
                               event_id__lt=delivery.event_id).exists():
        return  # held: the earlier one wakes it when it is done
    claimed = Delivery.objects.filter(pk=pk, status=DeliveryStatus.PENDING).filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now)).update(
        locked_until=now + timedelta(seconds=TIMEOUT_SECONDS * 6))
    if not claimed:
        return
    code, error, duration = post(subscription, delivery)
    finished = timezone.now()
    ok = code is not None and 200 <= code < 300
    attempts = delivery.attempts + 1
    with transaction.atomic():
        DeliveryAttempt.objects.create(delivery_id=pk, at=finished, status_code=code,
                                       error=error, duration_ms=duration)
        if ok:
            Delivery.objects.filter(pk=pk).update(
                status=DeliveryStatus.DELIVERED, attempts=attempts, delivered_at=finished,
                last_status_code=code, last_error="", locked_until=None)
            Subscription.objects.filter(pk=subscription.pk).update(consecutive_failures=0)
            _wake_next(subscription.pk, delivery)
            return
        final = attempts >= MAX_ATTEMPTS
        delay = backoff(attempts)
        Delivery.objects.filter(pk=pk).update(
            status=DeliveryStatus.FAILED if final else DeliveryStatus.PENDING,
            attempts=attempts, last_status_code=code, last_error=error, locked_until=None,
            next_attempt_at=finished + timedelta(seconds=delay))
        Subscription.objects.filter(pk=subscription.pk).update(
            consecutive_failures=F("consecutive_failures") + 1)
        paused = Subscription.objects.filter(
            pk=subscription.pk, paused_at__isnull=True,
            consecutive_failures__gte=F("pause_after")).update(paused_at=finished)
        if paused:
            log.warning("webhook subscription %s paused after %s failures in a row",
                        subscription.pk, subscription.pause_after)
        if final:
            _wake_next(subscription.pk, delivery)
        elif not paused:
            _enqueue(pk, delay)


def _enqueue(delivery_pk: int, delay: float = 0) -> None:
    from wangge.jobs.services import enqueue

    enqueue(JOB_KIND, {"delivery": delivery_pk}, delay_seconds=delay)


def _wake_next(subscription_id: int, delivery: Delivery) -> None:
    following = (Delivery.objects.filter(subscription_id=subscription_id,
                                         case_id=delivery.case_id,
                                         status=DeliveryStatus.PENDING,
                                         event_id__gt=delivery.event_id)
                 .order_by("event_id").values_list("pk", flat=True).first())
    if following:
        _enqueue(following)


def resume(subscription: Subscription) -> int:
    """Un-pause and queue the first pending delivery of each case. Returns how many."""
    now = timezone.now()
    with transaction.atomic():
        Subscription.objects.filter(pk=subscription.pk).update(paused_at=None,
                                                               consecutive_failures=0)
        pending = (Delivery.objects.filter(subscription=subscription,
                                           status=DeliveryStatus.PENDING)
                   .order_by("case_id", "event_id").values_list("pk", "case_id"))
        heads, seen = [], set()
        for pk, case_id in pending:
            if case_id not in seen:
                seen.add(case_id)
                heads.append(pk)
        Delivery.objects.filter(pk__in=heads).update(next_attempt_at=now, locked_until=None)
        for pk in heads:
            _enqueue(pk)
    return len(heads)


def retry(deliveries) -> int:
    """Send failed deliveries again (admin action): pending now, queued unless held."""
    now = timezone.now()
    count = 0
    with transaction.atomic():
        for delivery in deliveries:
            if delivery.status == DeliveryStatus.DELIVERED:
                continue
            Delivery.objects.filter(pk=delivery.pk).update(
                status=DeliveryStatus.PENDING, next_attempt_at=now, locked_until=None)
            _enqueue(delivery.pk)
            count += 1
    return count
