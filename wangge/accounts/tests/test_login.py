"""Login: the account locks after repeated wrong passwords, the lock holds, then expires."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from wangge.accounts.models import User

pytestmark = pytest.mark.django_db


def attempt(client, password):
    return client.post(reverse("login"), {"username": "ximei", "password": password})


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client, users):
    for _ in range(4):
        assert attempt(client, "wrong-password").status_code == 200
    assert User.objects.get(username="ximei").failed_logins == 4
    fifth = attempt(client, "wrong-password")
    user = User.objects.get(username="ximei")
    assert user.locked_until is not None and user.locked_until > timezone.now()
    assert "locked until" in fifth.text or "锁定" in fifth.text
    right = attempt(client, "Secret-pass-123")
    assert right.status_code == 200  # not redirected: still locked
    assert "_auth_user_id" not in client.session


def test_the_lock_expires_and_a_success_resets_the_count(client, users):
    User.objects.filter(username="ximei").update(
        locked_until=timezone.now() - dt.timedelta(minutes=1), failed_logins=3)
    response = attempt(client, "Secret-pass-123")
    assert response.status_code == 302
    user = User.objects.get(username="ximei")
    assert user.failed_logins == 0 and user.locked_until is None


def test_unknown_users_get_the_plain_message(client, users):
    response = client.post(reverse("login"), {"username": "nobody-here", "password": "x" * 12})
    assert response.status_code == 200
    assert "locked" not in response.text
