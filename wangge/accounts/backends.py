"""Login with a lock: after LOGIN_MAX_FAILURES wrong passwords (or wrong two-factor codes) in a
row the account is locked for LOGIN_LOCK_MINUTES (等保三级: lock after repeated failures). The
lock is kept on the user row, so it holds across processes; a correct password during the lock
does not open it. The login page says the same thing for an unknown user, a wrong password and
a locked account; why a login failed is kept for the audit trail only
(``request.login_failure``)."""

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


def _why(request, reason: str) -> None:
    if request is not None:
        request.login_failure = reason


def count_failure(user: User, request=None, now=None) -> bool:
    """One more failure in a row for ``user``; locks the account (and writes the lockout to
    the audit trail) at the limit. True when this failure locked it."""
    now = now or timezone.now()
    User.objects.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
    user.refresh_from_db(fields=["failed_logins"])
    if user.failed_logins < max_failures():
        return False
    until = now + timedelta(minutes=lock_minutes())
    User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=until)
    user.locked_until = until
    from wangge.audit.choices import Event, Outcome
    from wangge.audit.services import record

    record(Event.LOCKOUT, actor=None, request=request, obj=user, outcome=Outcome.DENIED,
           username=user.username, failures=max_failures(), until=until,
           minutes=lock_minutes())
    return True


def clear_failures(user: User) -> None:
    if user.failed_logins or user.locked_until:
        User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
        user.failed_logins, user.locked_until = 0, None


class LockoutBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            User().set_password(password)  # same work as for a real user: no timing oracle
            _why(request, "unknown_user")
            return None
        now = timezone.now()
        if is_locked(user, now):
            User().set_password(password)  # same work again: a lock shows in no timing
            _why(request, "locked")
            return None
        if not user.check_password(password):
            _why(request, "wrong_password")
            if count_failure(user, request, now):
                _why(request, "wrong_password_locked")
            return None
        if not self.user_can_authenticate(user):
            _why(request, "inactive")
            return None
        # success: the count restarts only once the second factor (if any) is answered too,
        # so that wrong codes after a right password still add up to a lock
        if not _has_second_factor(user):
            clear_failures(user)
        return user


def _has_second_factor(user: User) -> bool:
    from wangge.accounts.mfa import has_mfa

    return has_mfa(user)
