"""Two-factor login with TOTP (RFC 6238, any authenticator app) through django-otp, and ten
one-time recovery codes per account.

Who must use it: superusers, 系统管理员, 安全管理员, 审计员, leaders and whoever may reveal full
ID numbers (``MFA_REQUIRED``, default on); anyone else may turn it on for their account.
A session counts as verified only when a code was answered in it (django-otp keeps the
device in the session, ``request.user.is_verified()``); ``LoginGateMiddleware`` sends the other
sessions to the code page or to enrolment.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from binascii import unhexlify
from dataclasses import dataclass
from xml.etree import ElementTree

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from wangge.accounts.choices import POWER_ROLES, Role
from wangge.accounts.models import RecoveryCode, RecoveryCodes, User
from wangge.audit.choices import Event, Outcome
from wangge.audit.services import record

RECOVERY_CODES = 10
RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
MFA_ROLES = POWER_ROLES | {Role.LEADER}


def required_for(user) -> bool:
    """Must ``user`` log in with a second factor?"""
    if not getattr(settings, "MFA_REQUIRED", True):
        return False
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser or getattr(user, "role", "") in MFA_ROLES:
        return True
    from wangge.people.services import can_view_full_id

    return can_view_full_id(user)


def totp_device(user, confirmed=True) -> TOTPDevice | None:
    if user is None or not user.is_authenticated:
        return None
    return (TOTPDevice.objects.filter(user=user, confirmed=confirmed)
            .order_by("-pk").first())


def has_mfa(user) -> bool:
    return totp_device(user) is not None


def recovery_device(user) -> RecoveryCodes | None:
    return RecoveryCodes.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def is_verified(request) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated
                and getattr(user, "is_verified", lambda: False)())


# --- enrolment --------------------------------------------------------------------------------
def pending_device(user) -> TOTPDevice:
    """The unconfirmed device being set up (made on first use, reused until confirmed)."""
    device = totp_device(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def secret_of(device: TOTPDevice) -> str:
    """The key in base32, as authenticator apps take it when typed, in groups of four."""
    b32 = base64.b32encode(unhexlify(device.key)).decode().rstrip("=")
    return " ".join(b32[i:i + 4] for i in range(0, len(b32), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG (made here, no external service)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage,
                        box_size=8, border=2)
    root = image.get_image()
    root.set("role", "img")
    root.set("class", "mfa-qr")
    ElementTree.register_namespace("", "http://www.w3.org/2000/svg")
    return ElementTree.tostring(root, encoding="unicode")


def clean_code(code: str) -> str:
    return "".join(str(code or "").split()).replace("-", "").upper()


@transaction.atomic
def confirm_enrolment(request, user: User, code: str) -> list[str] | None:
    """Check ``code`` against the pending device; when right, it becomes the account's device
    (replacing any earlier one), the session is verified and ten new recovery codes are
    returned (shown once). None when the code is wrong."""
    device = totp_device(user, confirmed=False)
    code = clean_code(code)
    if device is None or not code.isdigit() or not device.verify_token(code):
        record(Event.MFA_FAILED, actor=user, request=request, outcome=Outcome.FAILED,
               step="enrolment")
        return None
    replaced = TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk)
    again = replaced.exists()
    replaced.delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = new_recovery_codes(user)
    otp_login(request, device)
    record(Event.MFA_ENABLED, actor=user, request=request, obj=user, method="totp",
           replaced=again)
    return codes


def recovery_digest(code: str) -> str:
    code = clean_code(code)
    if not code:
        return ""
    return hashlib.sha256(b"wangge-recovery-v1:" + code.encode()).hexdigest()


def _new_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(16))  # 80 bits
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


@transaction.atomic
def new_recovery_codes(user: User) -> list[str]:
    """Ten new one-time codes; the earlier ones stop working. Only digests are stored."""
    RecoveryCodes.objects.filter(user=user).delete()
    device = RecoveryCodes.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = [_new_code() for _ in range(RECOVERY_CODES)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(device=device, digest=recovery_digest(code)) for code in codes)
    return codes


@transaction.atomic
def disable(user: User, *, actor, request=None, reason: str = "") -> bool:
    """Remove the account's devices and recovery codes. True when there was something."""
    removed = TOTPDevice.objects.filter(user=user).delete()[0]
    removed += RecoveryCodes.objects.filter(user=user).delete()[0]
    if request is not None and getattr(request, "user", None) == user:
        request.session.pop(DEVICE_ID_SESSION_KEY, None)
    if removed:
        record(Event.MFA_DISABLED, actor=actor, request=request, obj=user, reason=reason)
    return bool(removed)


# --- login ------------------------------------------------------------------------------------
@dataclass
class Verification:
    ok: bool
    method: str = ""  # "totp" or "recovery_code"
    wait: int | None = None  # seconds, when the device is throttled after wrong codes
    recovery_left: int | None = None


def verify_login(request, user: User, code: str) -> Verification:
    """Check the second factor of a login: a TOTP code or a recovery code. When right, the
    session is verified (django-otp keeps the device in it)."""
    from django_otp import verify_token

    code = clean_code(code)
    device = totp_device(user)
    if device is None or not code:
        return Verification(False)
    if code.isdigit() and len(code) == device.digits:
        method = "totp"
        allowed, info = device.verify_is_allowed()
        if not allowed:
            return Verification(False, method, wait=_throttle_wait(device, info))
        verified = verify_token(user, device.persistent_id, code)
    else:
        method = "recovery_code"
        codes = recovery_device(user)
        verified = verify_token(user, codes.persistent_id, code) if codes else None
    if verified is None:
        return Verification(False, method)
    otp_login(request, verified)
    left = verified.remaining() if method == "recovery_code" else None
    return Verification(True, method, recovery_left=left)


def _throttle_wait(device, info) -> int:
    count = (info or {}).get("failure_count", device.throttling_failure_count) or 1
    delay = device.get_throttle_factor() * (2 ** (count - 1))
    since = device.throttling_failure_timestamp or timezone.now()
    elapsed = (timezone.now() - since).total_seconds()
    return max(1, int(delay - elapsed) + 1)
