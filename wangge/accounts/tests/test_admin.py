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
    client.force_login(staff)
    page = client.get(change_user(staff))
    fields = page.context["adminform"].form.fields
    assert not {"is_superuser", "groups", "user_permissions"} & set(fields)
    assert 'name="is_superuser"' not in page.text
    data = form_data(page, is_superuser=True, groups=[], user_permissions=[])
    response = client.post(change_user(staff), data)
    assert response.status_code == 302, form_errors(response)
    staff.refresh_from_db()
    assert staff.is_staff and not staff.is_superuser


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
    # nor widen their own
    data = form_data(client.get(change_user(staff)), jurisdiction=str(territory["350583000000"].pk))
    assert "jurisdiction" in form_errors(client.post(change_user(staff), data))


def test_staff_cannot_open_accounts_outside_or_superusers(client, staff, users, territory,
                                                         make_user):
    boss = make_user("boss", "admin", territory["350583001000"], is_superuser=True)
    client.force_login(staff)
    listed = client.get(reverse("admin:accounts_user_changelist")).context["cl"].result_list
    assert {u.username for u in listed} == {"ximei", "ximei-admin"}
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
    mine, _ = issue_token(actor=None, user=staff, name="mine")
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
    assert mine.revoked and mine.user == staff


def test_tokens_are_not_added_in_the_admin(client, staff, make_user):
    root = make_user("root", "admin", None, is_staff=True, is_superuser=True)
    for user in (staff, root):
        client.force_login(user)
        assert client.get(reverse("admin:accounts_apitoken_add")).status_code == 403
    assert not ApiToken.objects.exists()
