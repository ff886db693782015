"""Account state changes."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from wangge.accounts.models import ApiToken, User


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def issue_token(*, actor, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; the returned key is shown once and never stored."""
    key = "wg_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, digest=token_digest(key))
    return token, key


def user_for_token(key: str) -> User | None:
    token = (ApiToken.objects.select_related("user", "user__jurisdiction")
             .filter(digest=token_digest(key), revoked=False).first())
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
