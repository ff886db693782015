"""Issue #11, leak 1: the ID-number oracle, tried over real HTTP.

A street user without ``people.view_full_id`` sees a resident masked (``3505**********1234``,
birth date and sex) and asks ``GET /api/v1/people?id_number=…`` with the ID numbers that fit
until one matches. Exact lookups stay (registering a resident needs them), but each one needs a
reason, is written to the audit trail, and a user gets 20 a minute: the 21st is a 429.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache

from wangge.cases.tests.conftest import Api
from wangge.core.identifiers import id_check_character
from wangge.people.tests.conftest import GRID_LIUCHENG, GRID_XIMEI

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

REGION_BIRTH = "35058319800101"  # what the masked number and the age/sex give away
REAL_SEQ = 365  # the hidden three digits (odd: a man)


def _id(seq: int) -> str:
    first17 = f"{REGION_BIRTH}{seq:03d}"
    return first17 + id_check_character(first17)


@pytest.fixture
def victim(territory):
    from wangge.people.services import register_person

    cache.clear()  # the rate limits live in the cache, shared with the live server thread
    yield register_person(None, name="陈某", id_number=_id(REAL_SEQ), phone="13800001234",
                          area=territory[GRID_XIMEI])
    cache.clear()


def test_guessing_an_id_number_is_throttled_and_every_guess_is_audited(live_server, users,
                                                                       victim):
    from wangge.audit.models import AuditEvent
    from wangge.people.services import can_view_full_id

    street = users["ximei"]
    assert not can_view_full_id(street)
    api = Api(live_server.url, street)
    listed = api.get("/people")["results"]
    assert [p["id_number"] for p in listed] == ["3505**********" + _id(REAL_SEQ)[-4:]]

    # 25 candidates that fit the masked number, the real one among the last five
    candidates = [_id(seq) for seq in range(REAL_SEQ - 22, REAL_SEQ + 3, 1)]
    assert len(candidates) == 25 and candidates.index(_id(REAL_SEQ)) == 22
    answers = []
    for number in candidates:
        response = api.session.get(api.base + "/people", timeout=30,
                                   params={"id_number": number, "reason": "登记核对"})
        answers.append(response)
    assert [r.status_code for r in answers[:20]] == [200] * 20
    assert all(r.json()["count"] == 0 for r in answers[:20])
    for response in answers[20:]:
        assert response.status_code == 429, response.text[:300]
        body = response.json()
        assert body["code"] == "rate_limited" and body["message"]
        assert 1 <= int(response.headers["Retry-After"]) <= 60
    # the real number, asked for after the limit, found nothing
    assert "陈某" not in answers[22].text

    rows = list(AuditEvent.objects.filter(actor_id=street.pk).order_by("pk"))
    lookups = [r for r in rows if r.event == "lookup"]
    limited = [r for r in rows if r.event == "rate_limited"]
    assert len(lookups) == 20 and len(limited) == 5  # every attempt is there
    assert all(r.outcome == "ok" and r.detail["kind"] == "id_number"
               and r.detail["reason"] == "登记核对" and r.detail["matches"] == 0
               for r in lookups)
    assert all(r.outcome == "denied" and r.detail["limit"] == "people_lookup" for r in limited)
    assert all(r.actor_username == "ximei" and r.client_ip == "127.0.0.1" for r in rows)
    text = str([r.detail for r in rows])
    assert not any(number in text for number in candidates)  # no clear number in the log


def test_an_exact_lookup_needs_a_reason_and_is_logged_with_its_outcome(live_server, users,
                                                                       victim):
    from wangge.audit.models import AuditEvent

    api = Api(live_server.url, users["ximei"])
    body = api.get("/people", expect=422, params={"id_number": _id(REAL_SEQ)})
    assert body["code"] == "invalid" and "reason" in body["message"]
    assert "陈某" not in str(body)
    body = api.get("/people", expect=422, params={"phone": "13800001234", "reason": "  "})
    assert "reason" in body["errors"]
    found = api.get("/people", params={"id_number": _id(REAL_SEQ), "reason": "为其登记住房"})
    assert [p["name"] for p in found["results"]] == ["陈某"]
    by_phone = api.get("/people", params={"phone": "138 0000 1234", "reason": "回访"})
    assert by_phone["count"] == 1
    api.get("/people", expect=400, params={"id_number": "12345", "reason": "x"})

    rows = list(AuditEvent.objects.filter(event="lookup").order_by("pk"))
    assert [(r.outcome, r.detail["kind"]) for r in rows] == [
        ("denied", "id_number"), ("denied", "phone"), ("ok", "id_number"), ("ok", "phone"),
        ("failed", "id_number")]
    assert rows[2].detail["matches"] == 1 and rows[2].object_id == str(victim.pk)
    assert rows[2].detail["reason"] == "为其登记住房"
    assert rows[3].detail["reason"] == "回访" and rows[3].detail["matches"] == 1
    # another street's lookup finds nothing, and that is logged too
    other = Api(live_server.url, users["liucheng"])
    assert other.get("/people", params={"id_number": _id(REAL_SEQ), "reason": "核对"}
                     )["count"] == 0
    last = AuditEvent.objects.filter(event="lookup").order_by("-pk").first()
    assert (last.actor_username, last.outcome, last.detail["matches"]) == ("liucheng", "ok", 0)
    # plain lists (no exact lookup) are neither limited nor logged as lookups
    for _ in range(25):
        api.get("/people", params={"q": "陈"})
    assert AuditEvent.objects.filter(event="lookup").count() == len(rows) + 1


def test_registering_a_number_of_another_jurisdiction_does_not_echo_it(live_server, users,
                                                                      victim, territory):
    api = Api(live_server.url, users["liucheng"])
    body = api.post("/people", {"name": "冒名", "id_number": _id(REAL_SEQ),
                                "area_code": GRID_LIUCHENG}, expect=422)
    message = str(body)
    assert "another jurisdiction" in message
    assert _id(REAL_SEQ)[-4:] not in message and "*" not in message and "3505" not in message
    assert "陈某" not in message


def test_changing_a_dummy_persons_id_number_is_no_unlimited_oracle(live_server, users,
                                                                     victim):
    """The same guessing through PATCH of one's own dummy record ("already registered as 陈某"
    would confirm the number): setting an ID number counts against the same limit, so the
    real number, 23rd in the list, is never tried; the refusals are in the audit trail."""
    from wangge.audit.models import AuditEvent

    street = users["ximei"]
    api = Api(live_server.url, street)
    dummy = api.post("/people", {"name": "假人", "id_number": _id(901),
                                 "area_code": GRID_XIMEI}, expect=201)
    candidates = [_id(seq) for seq in range(REAL_SEQ - 22, REAL_SEQ + 3, 1)]
    answers = [api.session.patch(f"{api.base}/people/{dummy['id']}", timeout=30,
                                 json={"id_number": number}) for number in candidates]
    assert [r.status_code for r in answers[:19]] == [200] * 19  # 1 registration + 19 changes
    assert all(r.status_code == 422 and "too many" in r.text for r in answers[19:])
    assert not any("陈某" in r.text for r in answers)
    assert AuditEvent.objects.filter(event="rate_limited", actor_username="ximei").count() == 6
