"""Password rules of 等保三级 (GB/T 22239-2019, 8.1.4.1 身份鉴别: 口令具有复杂度要求并定期更换).

Django's validator protocol: ``validate(password, user)`` raises ``ValidationError`` with a
message naming the rule, ``get_help_text()`` describes it on the change page, and
``password_changed(password, user)`` runs after every saved password change (it is how the
history is kept: ``AbstractBaseUser.save`` calls it).
"""

from __future__ import annotations

import string

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CLASSES = (
    ("upper", lambda c: c.isupper()),
    ("lower", lambda c: c.islower()),
    ("digit", lambda c: c.isdigit()),
    # everything else that is printable: punctuation, spaces, symbols, non-Latin letters
    ("symbol", lambda c: not (c.isupper() or c.islower() or c.isdigit())),
)


def character_classes(password: str) -> set[str]:
    found = set()
    for name, test in CLASSES:
        if any(test(c) for c in password):
            found.add(name)
    return found


class CharacterClassesValidator:
    """At least ``min_classes`` of: upper-case letters, lower-case letters, digits, symbols."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        found = character_classes(password)
        if len(found) < self.min_classes:
            raise ValidationError(
                _("This password uses only %(found)d of the four kinds of characters; use at "
                  "least %(needed)d of: upper-case letters, lower-case letters, digits and "
                  "symbols (such as %(examples)s).")
                % {"found": len(found), "needed": self.min_classes,
                   "examples": " ".join(string.punctuation[:6])},
                code="password_too_simple")

    def get_help_text(self):
        return _("At least %(needed)d of the four kinds of characters: upper-case letters, "
                 "lower-case letters, digits, symbols.") % {"needed": self.min_classes}


class NotUsernameValidator:
    """The password must not contain the username (in any case), nor the username reversed.
    Usernames shorter than ``min_length`` are not looked for (they would forbid too much)."""

    def __init__(self, min_length: int = 3):
        self.min_length = min_length

    def validate(self, password, user=None):
        username = (getattr(user, "username", "") or "").casefold()
        if len(username) < self.min_length:
            return
        folded = password.casefold()
        if username in folded or username[::-1] in folded:
            raise ValidationError(_("The password must not contain the username."),
                                  code="password_contains_username")

    def get_help_text(self):
        return _("Not containing your username.")


class PasswordHistoryValidator:
    """None of the account's last ``keep`` passwords (the current one included)."""

    def __init__(self, keep: int = 5):
        self.keep = keep

    def _recent(self, user) -> list[str]:
        if user is None or getattr(user, "pk", None) is None:
            return []
        from wangge.accounts.models import PasswordHistory, User

        hashes = list(PasswordHistory.objects.filter(user_id=user.pk)
                      .values_list("password", flat=True)[:self.keep])
        current = User.objects.filter(pk=user.pk).values_list("password", flat=True)
        return [*current, *hashes]

    def validate(self, password, user=None):
        for encoded in self._recent(user):
            if encoded and check_password(password, encoded):
                raise ValidationError(
                    _("This password was one of your last %(keep)d passwords: choose a new "
                      "one.") % {"keep": self.keep},
                    code="password_reused")

    def password_changed(self, password, user=None):
        if user is None or getattr(user, "pk", None) is None or not user.has_usable_password():
            return
        from wangge.accounts.models import PasswordHistory

        PasswordHistory.objects.create(user_id=user.pk, password=user.password)
        stale = list(PasswordHistory.objects.filter(user_id=user.pk)
                     .values_list("pk", flat=True)[self.keep:])
        if stale:
            PasswordHistory.objects.filter(pk__in=stale).delete()

    def get_help_text(self):
        return _("None of your last %(keep)d passwords.") % {"keep": self.keep}
