"""API tokens over real HTTP: a scope (a read token cannot write), an expiry, and no access for
a locked or inactive account; issuing and revoking are audited."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import requests
from django.core.management import call_command
from django.utils import timezone

from wangge.accounts.models import ApiToken
from wangge.accounts.services import issue_token
from wangge.audit.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def call(live_server, key, method, path, **kwargs):
    return requests.request(method, f"{live_server.url}/api/v1{path}", timeout=30,
                            headers={"Authorization": f"Bearer {key}"}, **kwargs)


def test_a_read_token_reads_but_gets_403_on_every_write(live_server, users, territory):
    _, key = issue_token(actor=None, user=users["ximei"], name="reader", scope="read")
    assert call(live_server, key, "GET", "/people").status_code == 200
    register = call(live_server, key, "POST", "/people", json={
        "name": "张三", "id_number": "350583198001011233", "area_code": "350583001001001"})
    assert register.status_code == 403, register.text
    assert register.json()["code"] == "token_read_only"
    assert "read-only" in register.json()["message"]
    # the case report accepts anonymous residents: a read token is still refused, not taken
    # for a resident
    report = call(live_server, key, "POST", "/cases", data={
        "category": "0101", "description": "垃圾", "source": "resident", "lon": "118.05",
        "lat": "24.85"})
    assert report.status_code == 403 and report.json()["code"] == "token_read_only"
    patch = call(live_server, key, "PATCH", "/people/1", json={"name": "李四"})
    assert patch.status_code == 403 and patch.json()["code"] == "token_read_only"
    from wangge.people.models import Person

    assert not Person.objects.exists()


def test_a_write_token_writes(live_server, users):
    _, key = issue_token(actor=None, user=users["ximei"], name="writer", scope="write")
    made = call(live_server, key, "POST", "/people", json={
        "name": "张三", "id_number": "350583198001011233", "area_code": "350583001001001"})
    assert made.status_code == 201, made.text


def test_expired_tokens_get_401(live_server, users):
    expired, key = issue_token(actor=None, user=users["ximei"], name="old", days=1)
    assert call(live_server, key, "GET", "/people").status_code == 200
    ApiToken.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1))
    response = call(live_server, key, "GET", "/people")
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"
    # a token from before expiries (no expires_at) lives API_TOKEN_DAYS from its creation
    legacy, key = issue_token(actor=None, user=users["ximei"], name="legacy")
    ApiToken.objects.filter(pk=legacy.pk).update(
        expires_at=None, created_at=timezone.now() - timedelta(days=91))
    assert call(live_server, key, "GET", "/people").status_code == 401
    ApiToken.objects.filter(pk=legacy.pk).update(created_at=timezone.now() - timedelta(days=89))
    assert call(live_server, key, "GET", "/people").status_code == 200


def test_tokens_of_locked_or_inactive_accounts_get_401(live_server, users):
    user = users["ximei"]
    _, key = issue_token(actor=None, user=user, name="t")
    assert call(live_server, key, "GET", "/people").status_code == 200
    user.locked_until = timezone.now() + timedelta(minutes=15)
    user.save(update_fields=["locked_until"])
    assert call(live_server, key, "GET", "/people").status_code == 401
    user.locked_until = timezone.now() - timedelta(minutes=1)  # the lock has run out
    user.save(update_fields=["locked_until"])
    assert call(live_server, key, "GET", "/people").status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert call(live_server, key, "GET", "/people").status_code == 401


def test_create_token_is_read_only_by_default_expires_and_revokes(live_server, users):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_token", "ximei", "--name", "report", stdout=out, stderr=err)
    key = out.getvalue().strip()
    token = ApiToken.objects.get(name="report")
    assert token.scope == "read"
    assert abs((token.expires_at - timezone.now()) - timedelta(days=90)) < timedelta(minutes=1)
    assert "read token 'report'" in err.getvalue()
    assert call(live_server, key, "GET", "/people").status_code == 200
    assert call(live_server, key, "POST", "/people", json={}).status_code == 403

    out = io.StringIO()
    call_command("create_token", "ximei", "--name", "sync", "--scope", "write", "--days", "7",
                 stdout=out, stderr=io.StringIO())
    sync = ApiToken.objects.get(name="sync")
    assert sync.scope == "write"
    assert abs((sync.expires_at - timezone.now()) - timedelta(days=7)) < timedelta(minutes=1)

    issued = AuditEvent.objects.filter(event="token_issued").order_by("pk")
    assert [(e.object_id, e.detail["scope"], e.detail["days"]) for e in issued] == [
        (str(token.pk), "read", 90), (str(sync.pk), "write", 7)]

    call_command("create_token", "ximei", "--revoke", "report", stdout=io.StringIO())
    assert call(live_server, key, "GET", "/people").status_code == 401
    revoked = AuditEvent.objects.get(event="token_revoked")
    assert revoked.object_id == str(token.pk) and revoked.detail["user"] == "ximei"
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no live token"):
        call_command("create_token", "ximei", "--revoke", "report", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--days"):
        call_command("create_token", "ximei", "--days", "0", stdout=io.StringIO())
