from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from wangge.accounts.choices import CONTROLLER_ROLES, Role


class User(AbstractUser):
    """A staff account. Its jurisdiction is an area; it sees only that area's subtree."""

    display_name = models.CharField(_("name"), max_length=50, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices,
                            default=Role.GRID_WORKER)
    jurisdiction = models.ForeignKey(
        "territory.Area", verbose_name=_("jurisdiction"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="users",
        help_text=_("The user sees and acts only inside this area's subtree."),
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    failed_logins = models.PositiveSmallIntegerField(_("failed logins in a row"), default=0,
                                                     editable=False)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    organisation = models.CharField(_("unit"), max_length=100, blank=True)
    department = models.ForeignKey(
        "dispatch.Department", verbose_name=_("department"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="members",
        help_text=_("For department handlers: the unit whose dispatched cases they handle."),
    )
    # Password age (等保: expiry). A new account starts its clock when it is made; every
    # set_password() restarts it.
    password_changed_at = models.DateTimeField(_("password changed"), default=timezone.now,
                                               editable=False)
    # Set only when someone else chose the password (an administrator adding the account or
    # resetting its password in the admin, `wangge changepassword`): the next login must
    # change it. Accounts made in code (set_password + save: demo, fixtures) are not forced.
    must_change_password = models.BooleanField(
        _("must change password"), default=False,
        help_text=_("The user must choose a new password at the next login."))

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    def set_password(self, raw_password):
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()

    @property
    def scope_prefix(self) -> str | None:
        """The code prefix of the jurisdiction (cached on the instance)."""
        if not hasattr(self, "_scope_prefix"):
            self._scope_prefix = self.jurisdiction.prefix if self.jurisdiction_id else None
        return self._scope_prefix

    def can_see_area(self, area) -> bool:
        if self.is_superuser:
            return True
        if self.role in CONTROLLER_ROLES:  # 三权分立: no territory data
            return False
        prefix = self.scope_prefix
        return bool(prefix) and area.prefix.startswith(prefix)


class ApiToken(models.Model):
    """A bearer token for the REST API. Only a SHA-256 digest of the key is stored.

    A token expires (``expires_at``), has a scope (read: safe methods only; write: all), and
    works only while its account is active and not locked."""

    class Scope(models.TextChoices):
        READ = "read", _("Read only")
        WRITE = "write", _("Read and write")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(_("revoked"), default=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    scope = models.CharField(_("scope"), max_length=5, choices=Scope.choices,
                             default=Scope.WRITE)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user} / {self.name}"


class PasswordHistory(models.Model):
    """The hashes of an account's recent passwords (等保: no reuse of the last few). Written by
    ``wangge.accounts.validators.PasswordHistoryValidator.password_changed``."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("former password")
        verbose_name_plural = _("former passwords")

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.created_at:%Y-%m-%d}"


class RecoveryCodes(Device):
    """The one-time recovery codes of an account with two-factor login, as a django-otp device:
    a code verifies like a TOTP code, once. Only SHA-256 digests of the codes are stored (each
    code carries 80 random bits)."""

    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta(Device.Meta):
        verbose_name = _("recovery codes")
        verbose_name_plural = _("recovery codes")

    def verify_token(self, token) -> bool:
        from wangge.accounts.mfa import recovery_digest

        digest = recovery_digest(str(token))
        if not digest:
            return False
        used = self.codes.filter(digest=digest, used_at__isnull=True).update(
            used_at=timezone.now())
        return used == 1

    def remaining(self) -> int:
        return self.codes.filter(used_at__isnull=True).count()


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodes, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64, editable=False)
    used_at = models.DateTimeField(null=True, blank=True, editable=False)

    def __str__(self) -> str:
        return f"{self.device_id}: {'used' if self.used_at else 'unused'}"
