"""Account state changes: API tokens (issue, check, revoke) and the audit of account changes."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from wangge.accounts.models import ApiToken, User
from wangge.audit.choices import Event
from wangge.audit.services import record

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_days() -> int:
    """How long a new token lives by default (``API_TOKEN_DAYS``, 90)."""
    return int(getattr(settings, "API_TOKEN_DAYS", 90))


@transaction.atomic
def issue_token(*, actor, user: User, name: str, days: int | None = None,
                scope: str = ApiToken.Scope.WRITE, request=None) -> tuple[ApiToken, str]:
    """Create a token; the returned key is shown once and never stored. It expires after
    ``days`` (default ``API_TOKEN_DAYS``). Programmatic callers get a write token unless they
    ask for less; ``wangge create-token`` asks for a read token unless told otherwise."""
    days = token_days() if days is None else int(days)
    if days < 1:
        raise ValueError("a token must live at least one day")
    if scope not in ApiToken.Scope.values:
        raise ValueError(f"scope must be one of {', '.join(ApiToken.Scope.values)}")
    key = "wg_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, digest=token_digest(key), scope=scope,
                                    expires_at=timezone.now() + timedelta(days=days))
    record(Event.TOKEN_ISSUED, actor=actor, request=request, obj=token, name=name,
           user=user.username, scope=scope, expires_at=token.expires_at, days=days)
    return token, key


@transaction.atomic
def revoke_token(*, actor, token: ApiToken, request=None, reason: str = "") -> bool:
    """Revoke ``token`` (idempotent); True when it was live until now."""
    changed = ApiToken.objects.filter(pk=token.pk, revoked=False).update(revoked=True)
    token.revoked = True
    if changed:
        detail = {"name": token.name, "user": token.user.username}
        if reason:
            detail["reason"] = reason
        record(Event.TOKEN_REVOKED, actor=actor, request=request, obj=token, **detail)
    return bool(changed)


def live_tokens(now=None):
    """Tokens that still open the API: not revoked, not expired, of an active account that is
    not locked. A token from before expiries existed (``expires_at`` empty) lives
    ``API_TOKEN_DAYS`` from its creation."""
    now = now or timezone.now()
    return ApiToken.objects.filter(
        Q(expires_at__gt=now) | Q(expires_at__isnull=True,
                                  created_at__gt=now - timedelta(days=token_days())),
        revoked=False, user__is_active=True,
    ).exclude(user__locked_until__gt=now)


def token_for_key(key: str) -> ApiToken | None:
    """The live token with this key (its user loaded), or None."""
    now = timezone.now()
    token = (live_tokens(now).select_related("user", "user__jurisdiction")
             .filter(digest=token_digest(key)).first())
    if token is None:
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def user_for_token(key: str) -> User | None:
    token = token_for_key(key)
    return token.user if token is not None else None


def token_allows(token: ApiToken, method: str) -> bool:
    """Whether ``token``'s scope allows an HTTP ``method``: read tokens only safe ones."""
    return token.scope == ApiToken.Scope.WRITE or method.upper() in SAFE_METHODS


# --- the audit of account changes --------------------------------------------------------------
def account_snapshot(user: User | None) -> dict:
    """What the audit compares before and after an account change (from the database)."""
    if user is None or user.pk is None:
        return {}
    fresh = (User.objects.select_related("jurisdiction").filter(pk=user.pk).first())
    if fresh is None:
        return {}
    return {
        "role": fresh.role,
        "jurisdiction": fresh.jurisdiction.code if fresh.jurisdiction_id else None,
        "is_superuser": fresh.is_superuser,
        "is_staff": fresh.is_staff,
        "is_active": fresh.is_active,
        "locked": bool(fresh.locked_until and fresh.locked_until > timezone.now()),
        "groups": sorted(fresh.groups.values_list("name", flat=True)),
        "user_permissions": sorted(
            f"{app}.{codename}" for app, codename in fresh.user_permissions.values_list(
                "content_type__app_label", "codename")),
    }


# what grants or withdraws access: permission_changed (is_active and the lock too: an account
# disabled, enabled or unlocked by an administrator)
PERMISSION_KEYS = ("is_superuser", "is_staff", "is_active", "locked", "groups",
                   "user_permissions")


def record_account_change(*, actor, user: User, before: dict, request=None) -> list:
    """Audit what changed on ``user`` since ``before`` (an ``account_snapshot``): an
    ``account_created`` for a new account, else ``role_changed``, ``jurisdiction_changed`` and
    ``permission_changed`` each with before and after."""
    after = account_snapshot(user)
    rows = []
    if not before:
        rows.append(record(Event.ACCOUNT_CREATED, actor=actor, request=request, obj=user,
                           after=after))
        return rows
    if before["role"] != after["role"]:
        rows.append(record(Event.ROLE_CHANGED, actor=actor, request=request, obj=user,
                           before=before["role"], after=after["role"]))
    if before["jurisdiction"] != after["jurisdiction"]:
        rows.append(record(Event.JURISDICTION_CHANGED, actor=actor, request=request, obj=user,
                           before=before["jurisdiction"], after=after["jurisdiction"]))
    changed = [k for k in PERMISSION_KEYS if before[k] != after[k]]
    if changed:
        rows.append(record(Event.PERMISSION_CHANGED, actor=actor, request=request, obj=user,
                           fields=changed, before={k: before[k] for k in changed},
                           after={k: after[k] for k in changed}))
    return rows

