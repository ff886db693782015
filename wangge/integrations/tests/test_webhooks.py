"""Webhooks to a receiver on loopback that fails, then recovers."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection
from django.utils import timezone

from wangge.cases import services
from wangge.cases.models import CaseEvent
from wangge.cases.tests.conftest import GRID_POINT
from wangge.integrations.models import (
    Delivery,
    DeliveryAttempt,
    Subscription,
    WebhookEvent,
)
from wangge.integrations.webhooks import EVENT_OF_ACTION, backoff, scan_events, verify_signature
from wangge.jobs.models import OutboxMessage
from wangge.jobs.services import drain

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
LON, LAT = GRID_POINT
SECRET = "a-shared-secret"


class Receiver:
    """An HTTP server on 127.0.0.1 answering 500 to the first ``fail_first`` requests."""

    def __init__(self, fail_first: int = 0, always_fail: bool = False):
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    failing = always_fail or len(receiver.requests) < fail_first
                    receiver.requests.append({"headers": dict(self.headers), "body": body,
                                              "status": 500 if failing else 200})
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def delivered(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests if r["status"] == 200]


@pytest.fixture
def receiver():
    made = []

    def make(**kwargs):
        made.append(Receiver(**kwargs))
        return made[-1]

    yield make
    for r in made:
        r.close()


def run_worker(rounds: int = 30) -> None:
    """The worker loop, with time jumping forward: every delay is over at once."""
    for _ in range(rounds):
        scan_events()
        drain()
        now = timezone.now()
        Delivery.objects.filter(status="pending").update(next_attempt_at=now)
        waiting = OutboxMessage.objects.filter(state="pending").update(available_at=now)
        if not waiting and not Delivery.objects.filter(status="pending").exists():
            return


def play_cases(people):
    one = services.report(actor=people["gw"], category="0101", description="垃圾堆",
                          source="patrol", lon=LON, lat=LAT)
    two = services.report(actor=people["gw"], category="0101", description="又一堆垃圾",
                          source="patrol", lon=LON + 0.001, lat=LAT)
    services.accept(actor=people["comm"], case=one.number)
    services.accept(actor=people["comm"], case=two.number)
    services.dispatch(actor=people["comm"], case=one.number, user="gw2")
    services.sign(actor=people["gw2"], case=one.number)
    services.return_case(actor=people["gw2"], case=one.number, note="不归我管")
    services.dispatch(actor=people["comm"], case=one.number, user="gw2")
    services.dispatch(actor=people["comm"], case=two.number, user="gw")
    return one, two


def test_every_event_once_in_order_signed(people, receiver):
    hook = receiver(fail_first=3)
    sub = Subscription.objects.create(name="城管系统", url=hook.url, secret=SECRET,
                                      events=list(WebhookEvent.values))
    one, two = play_cases(people)
    run_worker()
    expected = list(CaseEvent.objects.filter(action__in=list(EVENT_OF_ACTION))
                    .order_by("id").values_list("id", "case__number", "action"))
    assert len(expected) == Delivery.objects.count() == 9
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}
    # the first three requests failed, and were tried again
    assert [r["status"] for r in hook.requests[:3]] == [500, 500, 500]
    assert DeliveryAttempt.objects.count() == len(expected) + 3
    assert DeliveryAttempt.objects.filter(status_code=500).count() == 3
    # every event delivered exactly once
    delivered = hook.delivered()
    assert sorted(p["id"] for p in delivered) == [e[0] for e in expected]
    # in order per case
    for number in (one.number, two.number):
        ids = [p["id"] for p in delivered if p["case"]["number"] == number]
        assert ids == sorted(ids) == [e[0] for e in expected if e[1] == number]
    # every signature verifies, the headers match the body
    for request in hook.requests:
        headers, body = request["headers"], request["body"]
        assert verify_signature(SECRET, body, headers["X-Wangge-Signature"])
        assert not verify_signature("another secret", body, headers["X-Wangge-Signature"])
        payload = json.loads(body)
        assert headers["X-Wangge-Event"] == payload["event"]
        assert headers["X-Wangge-Delivery"] == payload["delivery"]
        assert abs(int(headers["X-Wangge-Timestamp"]) - timezone.now().timestamp()) < 120
    first = delivered[0] if delivered[0]["id"] == expected[0][0] else next(
        p for p in delivered if p["id"] == expected[0][0])
    assert first["event"] == "case.created"
    assert first["case"]["category"]["code"] == "0101"
    assert first["case"]["grid"]["code"] == one.grid.code
    assert first["occurred_at"].endswith("+08:00")
    events = [p["event"] for p in delivered if p["case"]["number"] == one.number]
    assert events == ["case.created", "case.accepted", "case.dispatched", "case.signed",
                      "case.returned", "case.dispatched"]
    assert sub.deliveries.filter(attempts=2).count() >= 1
    # nothing is made twice by scanning again; later events go out too
    assert scan_events() == 0
    services.sign(actor=people["gw2"], case=one.number)
    run_worker()
    assert hook.delivered()[-1]["event"] == "case.signed"
    assert len(hook.delivered()) == len(expected) + 1
    sub.refresh_from_db()
    assert sub.consecutive_failures == 0 and sub.paused_at is None


def test_only_subscribed_events_and_only_new_ones(people, receiver):
    hook = receiver()
    services.report(actor=people["gw"], category="0101", description="旧的", source="patrol",
                    lon=LON, lat=LAT)
    Subscription.objects.create(name="只要受理", url=hook.url, secret=SECRET,
                                events=[WebhookEvent.ACCEPTED])
    play_cases(people)
    run_worker()
    assert [p["event"] for p in hook.delivered()] == ["case.accepted", "case.accepted"]


def test_two_workers_scanning_at_once_make_each_delivery_once(people, receiver):
    hook = receiver()
    Subscription.objects.create(name="A", url=hook.url, secret=SECRET,
                                events=list(WebhookEvent.values))
    play_cases(people)
    counts, errors = [], []

    def scan():
        try:
            counts.append(scan_events(batch=3))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    events = CaseEvent.objects.filter(action__in=list(EVENT_OF_ACTION)).count()
    assert sum(counts) == Delivery.objects.count() == events
    # one job per case to start with: the rest are woken in turn
    assert OutboxMessage.objects.filter(kind="webhook").count() == 2
    run_worker()
    assert len(hook.delivered()) == events


def test_a_subscription_that_keeps_failing_is_paused_and_resumed(people, receiver, client):
    from wangge.accounts.models import User
    from wangge.integrations.admin import SubscriptionAdmin  # noqa: F401

    hook = receiver(always_fail=True)
    sub = Subscription.objects.create(name="坏掉的系统", url=hook.url, secret=SECRET,
                                      events=list(WebhookEvent.values), pause_after=4)
    play_cases(people)
    run_worker(rounds=10)
    sub.refresh_from_db()
    assert sub.paused_at is not None and sub.consecutive_failures == 4
    assert len(hook.requests) == 4  # paused: nothing more is tried
    tried = Delivery.objects.filter(attempts__gt=0)
    assert {d.case_id for d in tried} <= {d.case_id for d in Delivery.objects.all()}
    assert not Delivery.objects.filter(status="delivered").exists()
    assert backoff(1) == 60 and backoff(2) == 120 and backoff(3) == 240 and backoff(30) == 3600
    # the admin lists it under “paused”, and resumes it
    admin = User.objects.create_superuser("root", "root@example.com", "Secret-pass-123")
    client.force_login(admin)
    page = client.get("/admin/integrations/subscription/?paused=yes")
    assert page.status_code == 200 and "坏掉的系统" in page.content.decode()
    page = client.get("/admin/integrations/subscription/?paused=no")
    assert "坏掉的系统" not in page.content.decode()
    hook.close()
    fixed = receiver()
    Subscription.objects.filter(pk=sub.pk).update(url=fixed.url)
    response = client.post("/admin/integrations/subscription/", {
        "action": "resume", "_selected_action": [sub.pk]})
    assert response.status_code == 302
    sub.refresh_from_db()
    assert sub.paused_at is None and sub.consecutive_failures == 0
    run_worker()
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}
    assert len(fixed.delivered()) == Delivery.objects.count()
    for page in ("delivery", "subscription", "alarm", "device", "platform",
                 "alarmtypemapping", "alarmslot"):
        assert client.get(f"/admin/integrations/{page}/").status_code == 200
    delivery = Delivery.objects.first()
    assert client.get(f"/admin/integrations/delivery/{delivery.pk}/change/").status_code == 200
