from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.TextChoices):
    """The security events of 等保三级 (GB/T 22239-2019, 8.1.4.3 安全审计). The values are the
    names ``wangge audit list --json`` prints in its ``event`` field."""

    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOGOUT = "logout", _("Logout")
    LOCKOUT = "lockout", _("Account locked")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    PASSWORD_RESET_BY_ADMIN = "password_reset_by_admin", _("Password reset by an administrator")
    MFA_ENABLED = "mfa_enabled", _("Two-factor enabled")
    MFA_DISABLED = "mfa_disabled", _("Two-factor disabled")
    MFA_FAILED = "mfa_failed", _("Wrong two-factor code")
    ROLE_CHANGED = "role_changed", _("Role changed")
    PERMISSION_CHANGED = "permission_changed", _("Permissions changed")
    JURISDICTION_CHANGED = "jurisdiction_changed", _("Jurisdiction changed")
    ACCOUNT_CREATED = "account_created", _("Account created")
    TOKEN_ISSUED = "token_issued", _("API token issued")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")
    REVEAL = "reveal", _("Full ID number or phone revealed")
    EXPORT = "export", _("Personal data exported")
    LOOKUP = "lookup", _("Exact lookup by ID number or phone")
    ADMIN_DELETE = "admin_delete", _("Deleted in the admin")
    SETTINGS_CHANGED = "settings_changed", _("Settings changed")
    ACCESS_DENIED = "access_denied", _("Access denied")
    RATE_LIMITED = "rate_limited", _("Rate limit reached")
    BACKUP = "backup", _("Backup made")
    RESTORE = "restore", _("Backup restored")
    ARCHIVED = "archived", _("Audit rows archived")


class Outcome(models.TextChoices):
    OK = "ok", _("Succeeded")
    DENIED = "denied", _("Refused")
    FAILED = "failed", _("Failed")
