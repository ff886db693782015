"""The accounts admin: system administrators manage only accounts and tokens inside their
jurisdiction."""

import pytest
from django.urls import reverse

from wangge.accounts.models import ApiToken, User
from wangge.accounts.services import issue_token
from wangge.accounts.tests.admin_client import form_data, form_errors, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(users, territory, make_user):
    """A system administrator (系统管理员) of 溪美街道 (350583001000), as admin staff with model
    permissions."""
    return make_staff(make_user("ximei-admin", "admin", territory["350583001000"]))

ADD_USER = reverse("admin:accounts_user_add")


def change_user(user):
    return reverse("admin:accounts_user_change", args=[user.pk])


def test_staff_cannot_raise_themselves_to_superuser(client, staff):
    """Nor open their own account in the admin at all (one's own password is changed on
    /account/password/, with the old one)."""
    client.force_login(staff)
    assert client.get(change_user(staff)).status_code in (302, 403, 404)
    response = client.post(change_user(staff), {"username": staff.username,
                                                 "is_superuser": "on", "role": "admin"})
    assert response.status_code in (302, 403, 404)
    assert client.post(f"/admin/accounts/user/{staff.pk}/password/",
                       {"password1": "Another-pass-987", "password2": "Another-pass-987"}
                       ).status_code in (302, 403, 404)
    staff.refresh_from_db()
    assert staff.is_staff and not staff.is_superuser
    assert staff.check_password("Secret-pass-123")


@pytest.mark.parametrize("role", ["admin", "security_admin", "auditor"])
def test_a_security_admin_cannot_take_over_the_holders_of_the_three_powers(client, territory,
                                                                           make_user, role):
    """三权分立: 安全管理员 may not set the password or clear the second factor of a system
    administrator, another security administrator or an auditor (a superuser does that)."""
    guard = make_staff(make_user("anquan", "security_admin", territory["350583000000"]))
    victim = make_user("victim", role, territory["350583001000"], is_staff=True)
    client.force_login(guard)
    response = client.post(f"/admin/accounts/user/{victim.pk}/password/",
                           {"password1": "Taken-over-987", "password2": "Taken-over-987"})
    assert response.status_code in (302, 403, 404)
    victim.refresh_from_db()
    assert victim.check_password("Secret-pass-123")
    listing = client.get(reverse("admin:accounts_user_changelist"))
    assert "victim" not in listing.content.decode()


def test_a_superuser_still_sees_the_permission_fields(client, make_user):
    root = make_user("root", "admin", None, is_staff=True, is_superuser=True)
    client.force_login(root)
    fields = client.get(change_user(root)).context["adminform"].form.fields
    assert {"is_superuser", "groups", "user_permissions"} <= set(fields)


def test_staff_create_accounts_only_inside_their_jurisdiction(client, staff, territory):
    client.force_login(staff)
    blank = client.get(ADD_USER)
    base = {"username": "newbie", "password1": "Long-enough-pass-9", "usable_password": "true",
            "password2": "Long-enough-pass-9", "role": "grid_worker"}
    outside = form_data(blank, **base, jurisdiction=str(territory["350583002001"].pk))
    assert "jurisdiction" in form_errors(client.post(ADD_USER, outside))
    nowhere = form_data(blank, **base, jurisdiction="")
    assert "jurisdiction" in form_errors(client.post(ADD_USER, nowhere))
    assert not User.objects.filter(username="newbie").exists()
    inside = form_data(blank, **base, jurisdiction=str(territory["350583001001"].pk))
    assert client.post(ADD_USER, inside).status_code == 302
    assert User.objects.get(username="newbie").jurisdiction.code == "350583001001"


def test_staff_cannot_move_an_account_out_of_their_jurisdiction(client, staff, territory,
                                                               make_user):
    worker = make_user("worker", "grid_worker", territory["350583001001"])
    client.force_login(staff)
    page = client.get(change_user(worker))
    jurisdictions = page.context["adminform"].form.fields["jurisdiction"].queryset
    assert all(code.startswith("350583001") for code in jurisdictions.values_list("code",
                                                                                flat=True))
    data = form_data(page, jurisdiction=str(territory["350583000000"].pk))
    assert "jurisdiction" in form_errors(client.post(change_user(worker), data))
    worker.refresh_from_db()
    assert worker.jurisdiction.code == "350583001001"
    # nor widen their own: their own account is not theirs to open in the admin
    assert client.get(change_user(staff)).status_code == 302
    staff.refresh_from_db()
    assert staff.jurisdiction.code == "350583001000"


def test_staff_cannot_open_accounts_outside_or_superusers(client, staff, users, territory,
                                                         make_user):
    boss = make_user("boss", "admin", territory["350583001000"], is_superuser=True)
    client.force_login(staff)
    listed = client.get(reverse("admin:accounts_user_changelist")).context["cl"].result_list
    assert {u.username for u in listed} == {"ximei"}  # not his own account
    for other in (users["liucheng"], users["district"], boss):
        response = client.get(change_user(other))
        assert response.status_code == 302 and response.url == reverse("admin:index")
    jurisdictions = client.get(reverse("admin:autocomplete"), {
        "app_label": "accounts", "model_name": "user", "field_name": "jurisdiction",
        "term": ""}).json()["results"]
    assert {int(row["id"]) for row in jurisdictions} == {
        a.pk for a in territory.values() if a.code.startswith("350583001")}


# --- API tokens --------------------------------------------------------------------------------
def test_staff_see_only_the_tokens_of_their_jurisdiction(client, staff, users):
    mine, _ = issue_token(actor=None, user=users["ximei"], name="mine")
    theirs, _ = issue_token(actor=None, user=users["liucheng"], name="theirs")
    client.force_login(staff)
    listed = client.get(reverse("admin:accounts_apitoken_changelist")).context["cl"].result_list
    assert [t.name for t in listed] == ["mine"]
    response = client.get(reverse("admin:accounts_apitoken_change", args=[theirs.pk]))
    assert response.status_code == 302 and response.url == reverse("admin:index")
    page = client.get(reverse("admin:accounts_apitoken_change", args=[mine.pk]))
    assert "user" not in page.context["adminform"].form.fields  # a token is not reassigned
    response = client.post(reverse("admin:accounts_apitoken_change", args=[mine.pk]),
                           form_data(page, revoked=True))
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.revoked and mine.user == users["ximei"]


def test_tokens_are_not_added_in_the_admin(client, staff, make_user):
    root = make_user("root", "admin", None, is_staff=True, is_superuser=True)
    for user in (staff, root):
        client.force_login(user)
        assert client.get(reverse("admin:accounts_apitoken_add")).status_code == 403
    assert not ApiToken.objects.exists()
