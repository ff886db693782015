"""Password rules of 等保三级 on the self-service change page, no reuse of the last five,
expiry and the forced change after an administrator chose the password."""

import datetime as dt
from itertools import pairwise

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from wangge.accounts.models import PasswordHistory, User
from wangge.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
OLD = "Secret-pass-123"
CHANGE = reverse("account:password")


def log_in(client, username="ximei", password=OLD):
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code == 302, "login refused"
    return response


def change(client, new, old=OLD, language="en"):
    """The change page's answer, in English unless told (the rules' texts are asserted)."""
    return client.post(CHANGE, {"old_password": old, "new_password1": new,
                                "new_password2": new}, HTTP_ACCEPT_LANGUAGE=language)


def errors(response) -> list[str]:
    form = response.context["form"]
    return [str(e) for field in form.errors.values() for e in field]


@pytest.mark.parametrize(("password", "says"), [
    ("Sh0rt-pw", "at least 10 characters"),
    ("onlylowercaseletters", "use at least 3 of"),
    ("lowercase1234567", "use at least 3 of"),
    ("UPPER-AND-SYMBOLS!", "use at least 3 of"),
    ("Ximei-2026-pass", "must not contain the username"),
    ("Ssap-iemix-2026", "must not contain the username"),  # reversed
    (OLD, "one of your last 5 passwords"),
])
def test_each_rule_is_refused_with_its_message(client, users, password, says):
    log_in(client)
    response = change(client, password)
    assert response.status_code == 400
    assert any(says in message for message in errors(response)), errors(response)
    assert User.objects.get(username="ximei").check_password(OLD)


def test_the_rules_speak_chinese_by_default(client, users):
    log_in(client)
    response = change(client, "onlylowercaseletters", language="zh-hans")
    assert any("四类字符" in message for message in errors(response)), errors(response)


def test_a_good_password_is_taken_and_audited(client, users):
    log_in(client)
    response = change(client, "Harbour-lights-42")
    assert response.status_code == 302
    user = User.objects.get(username="ximei")
    assert user.check_password("Harbour-lights-42")
    assert (timezone.now() - user.password_changed_at).total_seconds() < 60
    [event] = AuditEvent.objects.filter(event="password_changed")
    assert event.actor_username == "ximei" and event.detail["reason"] == "self_service"
    assert "Harbour" not in str(event.detail)
    # still logged in after the change
    assert client.get(reverse("account:home")).status_code == 200


def test_none_of_the_last_five_passwords_again(client, users):
    log_in(client)
    passwords = [OLD, "Harbour-lights-41", "Harbour-lights-42", "Harbour-lights-43",
                 "Harbour-lights-44"]
    for before, after in pairwise(passwords):
        assert change(client, after, old=before).status_code == 302
    # the current and the four before it are refused …
    for old in passwords:
        response = change(client, old, old=passwords[-1])
        assert response.status_code == 400, old
        assert any("last 5 passwords" in m for m in errors(response))
    # … a sixth change pushes the first one out of the history
    assert change(client, "Harbour-lights-45", old=passwords[-1]).status_code == 302
    assert change(client, OLD, old="Harbour-lights-45").status_code == 302
    assert PasswordHistory.objects.filter(user__username="ximei").count() == 5


def test_the_rules_hold_for_every_way_of_setting_a_password(users):
    user = users["ximei"]
    with pytest.raises(ValidationError):
        validate_password("abcdefghijk", user)
    validate_password("Quiet-river-77", user)


def test_an_expired_password_forces_a_change(client, users, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 90
    User.objects.filter(username="ximei").update(
        password_changed_at=timezone.now() - dt.timedelta(days=91))
    log_in(client)
    response = client.get("/cases/")
    assert response.status_code == 302 and response.url.startswith(CHANGE)
    assert client.get("/api/v1/cases").status_code == 403
    page = client.get(response.url)
    assert page.context["reason"] == "expired"
    done = client.post(response.url, {"old_password": OLD, "new_password1": "Quiet-river-77",
                                      "new_password2": "Quiet-river-77"})
    assert done.status_code == 302 and done.url == "/cases/"
    assert client.get("/cases/").status_code == 200
    event = AuditEvent.objects.get(event="password_changed")
    assert event.detail["reason"] == "expired"


def test_accounts_made_in_code_are_neither_forced_nor_expired(users):
    user = User.objects.get(username="ximei")
    assert not user.must_change_password
    assert (timezone.now() - user.password_changed_at).total_seconds() < 600
    fresh = User(username="bulk-made", role="grid_worker")
    assert not fresh.must_change_password and fresh.password_changed_at is not None
    User.objects.bulk_create([fresh])  # as load-demo makes its accounts
    assert User.objects.get(username="bulk-made").password_changed_at is not None


@pytest.fixture
def root(make_user):
    return make_user("root", "admin", None, is_staff=True, is_superuser=True)


def test_a_password_reset_by_an_administrator_must_be_changed(client, users, root):
    client.force_login(root)
    ximei = users["ximei"]
    url = reverse("admin:auth_user_password_change", args=[ximei.pk])
    response = client.post(url, {"password1": "Temporary-pass-2026",
                                 "password2": "Temporary-pass-2026",
                                 "usable_password": "true"})
    assert response.status_code == 302, response.context and response.context[
        "adminform"].form.errors
    ximei.refresh_from_db()
    assert ximei.must_change_password and ximei.check_password("Temporary-pass-2026")
    [event] = AuditEvent.objects.filter(event="password_reset_by_admin")
    assert event.actor_username == "root" and event.object_id == str(ximei.pk)
    # the owner logs in with it and must choose their own before anything else
    client.post(reverse("logout"))
    log_in(client, password="Temporary-pass-2026")
    response = client.get("/cases/")
    assert response.url.startswith(CHANGE)
    assert client.get(response.url).context["reason"] == "set_by_admin"
    done = change(client, "Own-choice-2026", old="Temporary-pass-2026")
    assert done.status_code == 302
    assert not User.objects.get(pk=ximei.pk).must_change_password
    assert client.get("/cases/").status_code == 200


def test_an_account_an_administrator_adds_must_change_its_first_password(client, users,
                                                                          root, territory):
    client.force_login(root)
    response = client.post(reverse("admin:accounts_user_add"), {
        "username": "newbie", "password1": "First-pass-2026", "password2": "First-pass-2026",
        "usable_password": "true", "role": "grid_worker", "display_name": "新人",
        "jurisdiction": str(territory["350583001001"].pk)})
    assert response.status_code == 302
    assert User.objects.get(username="newbie").must_change_password


def test_changepassword_command_forces_a_change(users, monkeypatch):
    from django.core.management import call_command

    answers = iter(["Console-set-2026", "Console-set-2026"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    call_command("changepassword", "ximei")
    user = User.objects.get(username="ximei")
    assert user.must_change_password and user.check_password("Console-set-2026")
    assert AuditEvent.objects.get(event="password_reset_by_admin").detail["via"] == "command"


def test_guessing_the_old_password_of_an_open_session_is_throttled(client, users, settings):
    settings.WANGGE = {**settings.WANGGE, "PORTAL_RATE_LIMITS": {"login": (2, 600)}}
    log_in(client)
    for guess in ("Guess-one-2026", "Guess-two-2026"):
        assert change(client, "Harbour-lights-42", old=guess).status_code == 400
    assert change(client, "Harbour-lights-42").status_code == 429
    assert User.objects.get(username="ximei").check_password(OLD)
