"""Two-factor login: who must have it, enrolment with a QR code and the secret, the code at
login, recovery codes once each, wrong codes refused, audited and counted towards the lock."""

import base64
import re
import time

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from wangge.accounts import mfa
from wangge.accounts.models import RecoveryCode, User
from wangge.accounts.testing import code_for, give_totp, raw_force_login
from wangge.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
COUNTY = "350583000000"


@pytest.fixture
def leader(territory, make_user):
    return make_user("boss", "leader", territory[COUNTY], display_name="区领导")


def log_in(client, username, password="Secret-pass-123", next_path=""):
    url = reverse("login") + (f"?next={next_path}" if next_path else "")
    return client.post(url, {"username": username, "password": password,
                             "next": next_path})


def secret_on(page_html: str) -> bytes:
    """The key as the enrolment page shows it to be typed into an app."""
    found = re.search(r'<code class="secret" translate="no">([A-Z2-7 ]+)</code>', page_html)
    b32 = found.group(1).replace(" ", "")
    return base64.b32decode(b32 + "=" * (-len(b32) % 8))


def app_code(key: bytes) -> str:
    """What an authenticator app holding ``key`` shows now."""
    token = TOTP(key)
    token.time = time.time()
    return f"{token.token():06d}"


def lands(client, path) -> str:
    """Where a browser asking for ``path`` ends up (following redirects)."""
    response = client.get(path, follow=True)
    assert response.status_code == 200, response.status_code
    return response.request["PATH_INFO"]


def events(name):
    return list(AuditEvent.objects.filter(event=name).order_by("pk"))


@pytest.mark.parametrize("role", ["leader", "admin", "security_admin", "auditor"])
def test_required_for_these_roles(role, territory, make_user):
    assert mfa.required_for(make_user(f"u-{role}", role, territory[COUNTY]))


def test_required_for_superusers_and_whoever_may_reveal_ids(territory, make_user):
    from django.contrib.auth.models import Permission

    root = make_user("root", "operator", None, is_superuser=True)
    revealer = make_user("revealer", "dispatcher", territory[COUNTY])
    plain = make_user("plain", "dispatcher", territory[COUNTY])
    revealer.user_permissions.add(Permission.objects.get(codename="view_full_id"))
    revealer = User.objects.get(pk=revealer.pk)  # permissions are cached on the instance
    assert mfa.required_for(root) and mfa.required_for(revealer)
    assert not mfa.required_for(plain)


def test_a_leader_without_mfa_enrols_before_reaching_the_cockpit(client, leader):
    response = log_in(client, "boss", next_path="/cockpit/")
    assert response.status_code == 302 and response.url == "/cockpit/"
    # password right, but every page sends to enrolment, the API says why
    cockpit = client.get("/cockpit/")
    assert cockpit.status_code == 302
    assert cockpit.url.startswith(reverse("account:mfa-setup"))
    assert client.get("/cases/").url.startswith(reverse("account:mfa-setup"))
    api = client.get("/api/v1/cases")
    assert api.status_code == 403 and api.json()["code"] == "login_enrol"
    # the enrolment page: a QR code (inline SVG, nothing fetched) and the secret
    page = client.get(cockpit.url)
    assert page.status_code == 200
    assert "<svg" in page.text and "otpauth" not in page.text
    key = secret_on(page.text)
    # a wrong code does not enrol
    wrong = client.post(cockpit.url, {"code": "000000" if app_code(key) != "000000"
                                      else "111111"})
    assert wrong.status_code == 400 and not mfa.has_mfa(leader)
    time.sleep(1.1)  # django-otp's back-off after one wrong code
    done = client.post(cockpit.url, {"code": app_code(key)})
    assert done.status_code == 200
    codes = re.findall(r"<code>([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})</code>",
                       done.text)
    assert len(set(codes)) == 10
    # only digests are stored
    stored = set(RecoveryCode.objects.values_list("digest", flat=True))
    assert not stored & set(codes) and len(stored) == 10
    assert 'href="/cockpit/"' in done.text  # "continue" goes where the leader was going
    assert lands(client, "/cockpit/").startswith("/cockpit/")
    [enabled] = events("mfa_enabled")
    assert enabled.actor_username == "boss"
    assert events("mfa_failed")[0].detail["step"] == "enrolment"


def test_the_code_is_asked_at_every_login_and_a_wrong_one_is_refused_and_audited(client,
                                                                                 leader):
    device = give_totp(leader)
    response = log_in(client, "boss", next_path="/cockpit/")
    assert response.url == reverse("account:verify") + "?next=%2Fcockpit%2F"
    assert client.get("/cockpit/").url.startswith(reverse("account:verify"))
    good = code_for(device)
    bad = f"{(int(good) + 1) % 1_000_000:06d}"
    refused = client.post(response.url, {"code": bad})
    assert refused.status_code == 400
    assert client.get("/cockpit/").url.startswith(reverse("account:verify"))
    [failed] = events("mfa_failed")
    assert failed.actor_username == "boss" and failed.outcome == "failed"
    assert failed.detail["method"] == "totp"
    assert not events("login")  # not logged in yet
    time.sleep(1.1)  # django-otp's back-off after one wrong code
    accepted = client.post(response.url, {"code": code_for(device)})
    assert accepted.status_code == 302 and accepted.url == "/cockpit/"
    assert lands(client, "/cockpit/").startswith("/cockpit/")
    [login] = events("login")
    assert login.detail["method"] == "password+totp"
    assert User.objects.get(pk=leader.pk).failed_logins == 0


def test_a_recovery_code_works_once(client, leader):
    give_totp(leader)
    codes = mfa.new_recovery_codes(leader)
    log_in(client, "boss")
    verify = reverse("account:verify")
    ok = client.post(verify, {"code": codes[3].lower()})
    assert ok.status_code == 302
    login = events("login")[-1]
    assert login.detail == {"method": "password+recovery_code", "recovery_codes_left": 9}
    client.post(reverse("logout"))
    log_in(client, "boss")
    again = client.post(verify, {"code": codes[3]})
    assert again.status_code == 400
    assert client.get("/cockpit/").url.startswith(verify)
    assert events("mfa_failed")[-1].detail["method"] == "recovery_code"
    assert client.post(verify, {"code": codes[4]}).status_code == 302


def test_force_login_alone_is_not_a_verified_session(client, leader):
    give_totp(leader)
    raw_force_login(client, leader)
    assert client.get("/cockpit/").url.startswith(reverse("account:verify"))
    assert client.get("/api/v1/cases").status_code == 403


def test_five_wrong_codes_lock_the_account_and_end_the_session(client, leader, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the account lock is under test, not the back-off
    device = give_totp(leader)
    log_in(client, "boss")
    good = code_for(device)
    for n in range(5):
        response = client.post(reverse("account:verify"),
                               {"code": f"{(int(good) + 1 + n) % 1_000_000:06d}"})
    assert response.status_code == 302 and response.url == reverse("login")
    assert "_auth_user_id" not in client.session
    assert User.objects.get(pk=leader.pk).locked_until is not None
    assert len(events("mfa_failed")) == 5 and len(events("lockout")) == 1


def test_others_may_turn_it_on_and_off(client, users):
    ximei = users["ximei"]
    log_in(client, "ximei")
    assert client.get("/cases/").status_code == 200  # not required: no detour
    account = client.get(reverse("account:home"))
    assert reverse("account:mfa-setup") in account.text
    page = client.get(reverse("account:mfa-setup"))
    done = client.post(reverse("account:mfa-setup"), {"code": app_code(secret_on(page.text))})
    assert done.status_code == 200 and mfa.has_mfa(ximei)
    # from now on the code is asked at login
    client.post(reverse("logout"))
    log_in(client, "ximei")
    assert client.get("/cases/").url.startswith(reverse("account:verify"))
    client.post(reverse("account:verify"), {"code": code_for(mfa.totp_device(ximei))})
    assert client.get("/cases/").status_code == 200
    wrong = client.post(reverse("account:mfa-disable"), {"password": "not-it-at-all"})
    assert wrong.status_code == 400 and mfa.has_mfa(ximei)
    off = client.post(reverse("account:mfa-disable"), {"password": "Secret-pass-123"})
    assert off.status_code == 302 and not mfa.has_mfa(ximei)
    assert [e.event for e in AuditEvent.objects.filter(
        event__in=["mfa_enabled", "mfa_disabled"]).order_by("pk")] == [
        "mfa_enabled", "mfa_disabled"]


def test_a_leader_cannot_turn_it_off(client, leader):
    give_totp(leader)
    client.force_login(leader)
    response = client.post(reverse("account:mfa-disable"), {"password": "Secret-pass-123"})
    assert response.status_code == 302 and mfa.has_mfa(leader)


def test_new_recovery_codes_replace_the_old_ones(client, leader):
    client.force_login(leader)
    old = mfa.new_recovery_codes(leader)
    # a session left open is not enough: the password is asked again
    before = set(RecoveryCode.objects.values_list("digest", flat=True))
    refused = client.post(reverse("account:recovery-codes"))
    assert refused.status_code == 302
    assert set(RecoveryCode.objects.values_list("digest", flat=True)) == before
    page = client.post(reverse("account:recovery-codes"), {"password": "Secret-pass-123"})
    new = re.findall(r"<code>([A-Z2-9-]{19})</code>", page.text)
    assert len(new) == 10 and not set(new) & set(old)
    assert RecoveryCode.objects.count() == 10


def test_the_requirement_is_a_setting(client, leader, settings):
    settings.MFA_REQUIRED = False
    log_in(client, "boss")
    assert lands(client, "/cockpit/").startswith("/cockpit/")


def test_reset_mfa_command(leader):
    from django.core.management import call_command

    give_totp(leader)
    call_command("reset_mfa", "boss")
    assert not TOTPDevice.objects.filter(user=leader).exists()
    [event] = events("mfa_disabled")
    assert event.actor_id is None and event.object_id == str(leader.pk)


def test_an_unfinished_login_sends_htmx_requests_to_the_code_page(client, leader):
    give_totp(leader)
    log_in(client, "boss")
    response = client.get("/cases/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("account:verify")


def test_an_account_locked_meanwhile_ends_the_unfinished_login(client, leader):
    import datetime as dt

    from django.utils import timezone

    device = give_totp(leader)
    log_in(client, "boss")
    User.objects.filter(pk=leader.pk).update(
        locked_until=timezone.now() + dt.timedelta(minutes=10))
    response = client.post(reverse("account:verify"), {"code": code_for(device)})
    assert response.status_code == 302 and response.url == reverse("login")
    assert "_auth_user_id" not in client.session


def test_a_new_phone_needs_the_password_too(client, users):
    """An open session (a borrowed computer, a stolen cookie) can't swap in another device."""
    ximei = users["ximei"]
    first = give_totp(ximei)
    client.force_login(ximei)
    page = client.get(reverse("account:mfa-setup"))
    assert 'name="password"' in page.text
    code = app_code(secret_on(page.text))
    refused = client.post(reverse("account:mfa-setup"), {"code": code})
    assert refused.status_code == 400 and mfa.totp_device(ximei).pk == first.pk
    wrong = client.post(reverse("account:mfa-setup"), {"code": code, "password": "not-it-12345"})
    assert wrong.status_code == 400 and mfa.totp_device(ximei).pk == first.pk
    done = client.post(reverse("account:mfa-setup"),
                       {"code": app_code(secret_on(page.text)), "password": "Secret-pass-123"})
    assert done.status_code == 200 and mfa.totp_device(ximei).pk != first.pk
