"""Passwords (等保三级: expiry, a forced change after an administrator chose one) and the audit
of logins and logouts."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from wangge.accounts.models import User
from wangge.audit.choices import Event, Outcome
from wangge.audit.services import record


# --- passwords (等保三级: expiry, forced change after an administrator set one) -----------------
def password_max_age_days() -> int:
    return int(getattr(settings, "PASSWORD_MAX_AGE_DAYS", 90) or 0)


def password_expires_at(user: User):
    """When the password stops being accepted without a change; None when it never expires."""
    days = password_max_age_days()
    if days <= 0 or not user.has_usable_password():
        return None
    changed = user.password_changed_at or timezone.now()
    return changed + timedelta(days=days)


def password_change_reason(user: User) -> str | None:
    """Why ``user`` must choose a new password before anything else, or None."""
    if not user.is_authenticated:
        return None
    if user.must_change_password:
        return "set_by_admin"
    expires = password_expires_at(user)
    if expires is not None and expires <= timezone.now():
        return "expired"
    return None


@transaction.atomic
def change_own_password(request, user: User, new_password: str, *, reason: str = "") -> None:
    """The user chose a new password (the form has checked the old one and the rules)."""
    user.set_password(new_password)
    user.must_change_password = False
    user.save()
    record(Event.PASSWORD_CHANGED, actor=user, request=request, obj=user,
           reason=reason or "self_service")


@transaction.atomic
def password_set_by_admin(*, actor, user: User, request=None, via: str = "admin") -> None:
    """Someone else set ``user``'s password (already saved): it must be changed at the next
    login. Not for one's own password."""
    if actor is not None and actor.pk == user.pk:
        User.objects.filter(pk=user.pk).update(must_change_password=False)
        record(Event.PASSWORD_CHANGED, actor=actor, request=request, obj=user, reason=via)
        return
    User.objects.filter(pk=user.pk).update(must_change_password=True)
    user.must_change_password = True
    record(Event.PASSWORD_RESET_BY_ADMIN, actor=actor, request=request, obj=user, via=via)


# --- login and logout -------------------------------------------------------------------------
def record_login(request, user: User, method: str, **detail) -> None:
    record(Event.LOGIN, actor=user, request=request, obj=user, method=method, **detail)


def record_login_failed(request, username: str, reason: str, **detail) -> None:
    user = User.objects.filter(username=username).first() if username else None
    record(Event.LOGIN_FAILED, actor=None, request=request, outcome=Outcome.DENIED,
           username=(username or "")[:150], obj=user, reason=reason, **detail)


def record_logout(request, user: User) -> None:
    record(Event.LOGOUT, actor=user, request=request, obj=user)
