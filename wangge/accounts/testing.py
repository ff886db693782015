"""Test helpers for the login gate (two-factor login, forced password changes).

The gate (``wangge.accounts.middleware``) counts a session as verified only when a code was
answered in it. Django's ``Client.force_login`` skips the login form, so on its own it leaves
the session unverified and a leader, an administrator or anyone who may reveal ID numbers is
sent to /account/verify/ or /account/mfa/. In this project's tests ``force_login`` therefore
also marks the session verified, the way a real code would (``wangge/conftest.py`` installs
``verifying_force_login``): the account gets a confirmed TOTP device when its role requires
one, and the session holds that device. Tests of the gate itself use ``raw_force_login``.

For a real login through the pages (Playwright, requests, the test client's ``post``):
``give_totp(user)`` gives the account a device, ``code_for(device)`` is the code the app would
show now, ``answer_mfa(page, device)`` types it on the code page.
"""

from __future__ import annotations

import time

from django.contrib.auth import SESSION_KEY
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

# a fixed 20-byte key, so a failing test can be replayed with an authenticator app
TEST_KEY = "3132333435363738393031323334353637383930"

_original_force_login = Client.force_login


def give_totp(user, key: str = TEST_KEY) -> TOTPDevice:
    """A confirmed TOTP device for ``user`` (the existing one, if any)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", key=key, confirmed=True)
    return device


def code_for(device: TOTPDevice, *, offset_steps: int = 0) -> str:
    """The code the app shows now. Forgets the last accepted step first, so that a test may
    log in twice within one 30-second step (a real device accepts each step once)."""
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    device.refresh_from_db()
    code = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    code.time = time.time() + offset_steps * device.step
    return f"{code.token():0{device.digits}d}"


def mark_verified(client: Client, user) -> TOTPDevice | None:
    """Make ``client``'s logged-in session count as having answered a code (a device is made
    when the account must have two-factor login and has none)."""
    from wangge.accounts import mfa

    device = mfa.totp_device(user)
    if device is None and not mfa.required_for(user):
        return None
    device = device or give_totp(user)
    session = client.session
    if str(session.get(SESSION_KEY)) != str(user.pk):
        raise AssertionError("mark_verified: the client is not logged in as this user")
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def raw_force_login(client: Client, user, backend=None) -> None:
    """Django's own ``force_login``: logged in, the second factor not answered."""
    _original_force_login(client, user, backend)


def verifying_force_login(client: Client, user, backend=None) -> None:
    _original_force_login(client, user, backend)
    mark_verified(client, user)


def answer_mfa(page, device: TOTPDevice) -> None:
    """On a Playwright page that the login sent to the code page, enter the current code."""
    if "/account/verify/" not in page.url:
        raise AssertionError(f"expected the code page, got {page.url}")
    page.fill("#id_code", code_for(device))
    page.click("main form button.primary")
    page.wait_for_load_state("networkidle")
