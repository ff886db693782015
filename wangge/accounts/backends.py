"""Login with a lock: after LOGIN_MAX_FAILURES wrong passwords in a row the account is locked for
LOGIN_LOCK_MINUTES (等保三级: lock after repeated failures). The lock is kept on the user row, so
it holds across processes; a correct password during the lock does not open it."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db.models import F
from django.utils import timezone

from wangge.accounts.models import User


def max_failures() -> int:
    return int(getattr(settings, "LOGIN_MAX_FAILURES", 5))


def lock_minutes() -> int:
    return int(getattr(settings, "LOGIN_LOCK_MINUTES", 15))


def is_locked(user: User, now=None) -> bool:
    now = now or timezone.now()
    return user.locked_until is not None and user.locked_until > now


class LockoutBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            User().set_password(password)  # same work as for a real user: no timing oracle
            return None
        now = timezone.now()
        if is_locked(user, now):
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            if user.failed_logins or user.locked_until:
                User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
            return user
        User.objects.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
        user.refresh_from_db(fields=["failed_logins"])
        if user.failed_logins >= max_failures():
            User.objects.filter(pk=user.pk).update(
                failed_logins=0, locked_until=now + timedelta(minutes=lock_minutes()))
        return None
