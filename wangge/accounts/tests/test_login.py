"""Login: the account locks after repeated wrong passwords, the lock holds, then expires; one
message for unknown users, wrong passwords and locked accounts; a per-address throttle; every
login, failure, lock and logout in the audit trail."""

import datetime as dt
import re

import pytest
import requests
from django.urls import reverse
from django.utils import timezone

from wangge.accounts.models import User
from wangge.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def attempt(client, password, username="ximei"):
    return client.post(reverse("login"), {"username": username, "password": password})


def alert(html: str) -> str:
    """The error paragraph of the login page."""
    found = re.search(r'<p class="error" role="alert">(.*?)</p>', html, re.S)
    return found.group(1).strip() if found else ""


def events(name, **filters):
    return list(AuditEvent.objects.filter(event=name, **filters).order_by("pk"))


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client, users):
    for _ in range(4):
        assert attempt(client, "wrong-password").status_code == 200
    assert User.objects.get(username="ximei").failed_logins == 4
    fifth = attempt(client, "wrong-password")
    user = User.objects.get(username="ximei")
    assert user.locked_until is not None and user.locked_until > timezone.now()
    right = attempt(client, "Secret-pass-123")
    assert right.status_code == 200  # not redirected: still locked
    assert "_auth_user_id" not in client.session
    # the lock is in the audit trail, once, with the failures before it
    [lock] = events("lockout")
    assert lock.object_id == str(user.pk) and lock.detail["failures"] == 5
    failed = events("login_failed", actor_username="ximei")
    assert [e.detail["reason"] for e in failed] == (
        ["wrong_password"] * 4 + ["wrong_password_locked", "locked"])
    assert alert(fifth.text) == alert(right.text)


def test_the_lock_expires_and_a_success_resets_the_count(client, users):
    User.objects.filter(username="ximei").update(
        locked_until=timezone.now() - dt.timedelta(minutes=1), failed_logins=3)
    response = attempt(client, "Secret-pass-123")
    assert response.status_code == 302
    user = User.objects.get(username="ximei")
    assert user.failed_logins == 0 and user.locked_until is None
    [login] = events("login")
    assert login.actor_id == user.pk and login.detail["method"] == "password"
    assert login.client_ip == "127.0.0.1"


def test_unknown_users_wrong_passwords_and_locked_accounts_read_the_same(client, users):
    unknown = attempt(client, "x" * 12, username="nobody-here")
    wrong = attempt(client, "wrong-password", username="liucheng")
    User.objects.filter(username="ximei").update(
        locked_until=timezone.now() + dt.timedelta(minutes=10))
    locked_right = attempt(client, "Secret-pass-123")
    User.objects.filter(username="district").update(is_active=False)
    inactive = attempt(client, "Secret-pass-123", username="district")
    messages = {alert(r.text) for r in (unknown, wrong, locked_right, inactive)}
    assert len(messages) == 1 and messages != {""}
    assert all(r.status_code == 200 for r in (unknown, wrong, locked_right, inactive))
    # no page says "until" or shows a time: a lock is not disclosed
    for response in (unknown, wrong, locked_right, inactive):
        assert not re.search(r"\b\d\d:\d\d\b", alert(response.text))
    # the audit trail knows the difference, and the username tried
    reasons = {e.actor_username: e.detail["reason"] for e in events("login_failed")}
    assert reasons == {"nobody-here": "unknown_user", "liucheng": "wrong_password",
                       "ximei": "locked", "district": "inactive"}


def test_logout_is_audited(client, users):
    assert attempt(client, "Secret-pass-123").status_code == 302
    client.post(reverse("logout"))
    [logout] = events("logout")
    assert logout.actor_username == "ximei"
    assert "_auth_user_id" not in client.session


live = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@live
def test_twenty_one_failures_from_one_address_throttle_it_for_every_username(live_server,
                                                                              users):
    """An attacker spraying one password over many usernames from one address: after 20
    failures the address waits, even for a right password of an unlocked account."""
    base = live_server.url
    for n in range(20):
        session = requests.Session()
        session.get(f"{base}/login/")
        response = session.post(f"{base}/login/", allow_redirects=False, data={
            "username": f"user{n}", "password": "Spring-2026-x",
            "csrfmiddlewaretoken": session.cookies["csrftoken"]})
        assert response.status_code == 200, n
    session = requests.Session()
    session.get(f"{base}/login/")
    response = session.post(f"{base}/login/", allow_redirects=False, data={
        "username": "ximei", "password": "Secret-pass-123",
        "csrfmiddlewaretoken": session.cookies["csrftoken"]})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "sessionid" not in session.cookies
    assert alert(response.text)  # says to wait (in the page's language)
    # no account was locked by it: the throttle is the address's
    assert not User.objects.filter(locked_until__isnull=False).exists()
    throttled = events("login_failed", actor_username="ximei")
    assert [e.detail["reason"] for e in throttled] == ["throttled"]


def test_the_address_limit_is_a_setting(client, users, settings):
    settings.WANGGE = {**settings.WANGGE, "PORTAL_RATE_LIMITS": {"login": (2, 60)}}
    attempt(client, "wrong-1", username="a")
    attempt(client, "wrong-2", username="b")
    assert attempt(client, "Secret-pass-123").status_code == 429


def test_admin_login_goes_through_the_site_login(client, users):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response.url == "/login/?next=/admin/"
