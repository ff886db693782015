"""Least privilege in the admin, each tried as an attacker would through the admin's pages:
only system administrators manage accounts, nobody grants a role above their own or outside
their jurisdiction, 三权分立 (system admin / security admin / auditor), every account change
and every admin deletion in the audit trail, and the case records that cannot be deleted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from wangge.accounts.models import ApiToken, User
from wangge.accounts.services import issue_token
from wangge.accounts.tests.admin_client import form_data, form_errors, make_staff
from wangge.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

USERS = reverse("admin:accounts_user_changelist")
ADD_USER = reverse("admin:accounts_user_add")
STREET = "350583001000"  # 溪美街道
COMMUNITY = "350583001001"
COUNTY = "350583000000"


def change_user(user):
    return reverse("admin:accounts_user_change", args=[user.pk])


def new_account(**fields):
    return {"username": "newbie", "password1": "Long-enough-pass-9", "usable_password": "true",
            "password2": "Long-enough-pass-9", "role": "grid_worker", **fields}


def every_permission(user):
    """``user`` as staff with every model permission there is (the worst case)."""
    user.is_staff = True
    user.save()
    user.user_permissions.add(*Permission.objects.all())
    return User.objects.get(pk=user.pk)


@pytest.fixture
def street_admin(territory, make_user):
    return make_staff(make_user("street-admin", "admin", territory[STREET]))


@pytest.fixture
def root(make_user):
    return make_user("root", "admin", None, is_staff=True, is_superuser=True)


@pytest.fixture
def worker(territory, make_user):
    return make_user("worker", "grid_worker", territory[COMMUNITY])


# --- who manages accounts ------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["dispatcher", "leader", "operator", "auditor"])
def test_staff_who_are_not_system_administrators_cannot_open_the_accounts(
        client, territory, make_user, worker, role):
    staff = every_permission(make_user("staff", role, territory[STREET]))
    client.force_login(staff)
    assert client.get(USERS).status_code == 403
    assert client.get(change_user(worker)).status_code == 403
    assert client.get(ADD_USER).status_code == 403
    assert client.post(ADD_USER, new_account(jurisdiction=territory[COMMUNITY].pk)
                       ).status_code == 403
    assert client.get(reverse("admin:accounts_apitoken_changelist")).status_code == 403
    assert not User.objects.filter(username="newbie").exists()
    index = client.get(reverse("admin:index"))
    assert reverse("admin:accounts_user_changelist") not in index.text


# --- nobody grants above their own role or outside their jurisdiction --------------------------
def test_a_street_admin_cannot_make_a_county_leader_a_superuser_or_a_controller(
        client, territory, street_admin):
    client.force_login(street_admin)
    blank = client.get(ADD_USER)
    roles = dict(blank.context["adminform"].form.fields["role"].choices)
    assert "security_admin" not in roles and "auditor" not in roles and "leader" in roles

    county_leader = form_data(blank, **new_account(role="leader",
                                                   jurisdiction=str(territory[COUNTY].pk)))
    assert "jurisdiction" in form_errors(client.post(ADD_USER, county_leader))
    other_street = form_data(blank, **new_account(
        jurisdiction=str(territory["350583002000"].pk)))
    assert "jurisdiction" in form_errors(client.post(ADD_USER, other_street))
    for controller in ("security_admin", "auditor"):
        data = form_data(blank, **new_account(role=controller,
                                              jurisdiction=str(territory[STREET].pk)))
        assert "role" in form_errors(client.post(ADD_USER, data))
    assert not User.objects.filter(username="newbie").exists()

    # inside his street and below his rank: made, and not a superuser whatever is posted
    ok = form_data(blank, **new_account(role="leader", jurisdiction=str(territory[STREET].pk),
                                        is_superuser="on"))
    assert client.post(ADD_USER, ok).status_code == 302
    made = User.objects.get(username="newbie")
    assert made.role == "leader" and made.jurisdiction.code == STREET and not made.is_superuser
    page = client.get(change_user(made))
    data = form_data(page, is_superuser="on", groups=[str(Group.objects.create(name="g").pk)],
                     jurisdiction=str(territory[COUNTY].pk))
    assert "jurisdiction" in form_errors(client.post(change_user(made), data))
    client.post(change_user(made), form_data(page, is_superuser="on"))
    made.refresh_from_db()
    assert not made.is_superuser and not made.groups.exists()


def test_a_street_admin_cannot_touch_the_controllers_or_superusers_of_his_street(
        client, territory, make_user, street_admin):
    security = make_user("sec", "security_admin", territory[STREET], is_staff=True)
    auditor = make_user("aud", "auditor", territory[STREET], is_staff=True)
    boss = make_user("boss", "admin", territory[STREET], is_superuser=True, is_staff=True)
    client.force_login(street_admin)
    listed = {u.username for u in client.get(USERS).context["cl"].result_list}
    assert listed == set()  # not even his own account: that is /account/
    for other in (security, auditor, boss):
        response = client.get(change_user(other))
        assert response.status_code == 302 and response.url == reverse("admin:index")
        response = client.post(reverse("admin:auth_user_password_change",
                                       args=[other.pk]),
                               {"password1": "Takeover-pass-99", "password2": "Takeover-pass-99"})
        assert response.status_code == 404
        other.refresh_from_db()
        assert other.check_password("Secret-pass-123")


def test_a_superuser_is_a_system_administrator_not_a_controller(client, territory, root,
                                                                 make_user):
    client.force_login(root)
    security = make_user("sec", "security_admin", territory[STREET], is_staff=True)
    page = client.get(change_user(security))
    errors = form_errors(client.post(change_user(security), form_data(page, is_superuser="on")))
    assert "三权分立" in str(errors) or "separation of duties" in str(errors)
    security.refresh_from_db()
    assert not security.is_superuser
    # a superuser may make the controllers (the system administrator may not)
    data = form_data(client.get(ADD_USER), **new_account(
        role="auditor", jurisdiction=str(territory[COUNTY].pk)))
    assert client.post(ADD_USER, data).status_code == 302
    assert User.objects.get(username="newbie").role == "auditor"


# --- 三权分立: the security administrator and the auditor ----------------------------------------
def test_the_security_admin_unlocks_resets_and_revokes_but_changes_no_role(
        client, territory, make_user, worker):
    security = make_user("sec", "security_admin", territory[STREET], is_staff=True)
    worker.locked_until = timezone.now() + timedelta(minutes=10)
    worker.failed_logins = 5
    worker.save()
    token, _ = issue_token(actor=None, user=worker, name="phone")
    client.force_login(security)

    page = client.get(change_user(worker))
    fields = page.context["adminform"].form.fields
    assert {"role", "jurisdiction", "is_superuser", "is_staff"}.isdisjoint(fields)
    client.post(change_user(worker), form_data(page, role="admin",
                                               jurisdiction=str(territory[COUNTY].pk)))
    worker.refresh_from_db()
    assert worker.role == "grid_worker" and worker.jurisdiction.code == COMMUNITY

    response = client.post(USERS, {"action": "unlock", "_selected_action": [worker.pk]})
    assert response.status_code == 302
    worker.refresh_from_db()
    assert worker.locked_until is None and worker.failed_logins == 0
    unlocked = AuditEvent.objects.get(event="permission_changed", object_id=str(worker.pk))
    assert unlocked.actor_username == "sec"
    assert unlocked.detail["before"] == {"locked": True}
    assert unlocked.detail["after"] == {"locked": False}

    response = client.post(reverse("admin:accounts_apitoken_changelist"),
                           {"action": "revoke", "_selected_action": [token.pk]})
    assert response.status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked
    revoked = AuditEvent.objects.get(event="token_revoked")
    assert revoked.actor_username == "sec" and revoked.object_id == str(token.pk)

    assert client.get(ADD_USER).status_code == 403
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 403


def test_the_auditor_reads_the_audit_log_and_nothing_else(client, territory, make_user,
                                                          worker):
    auditor = every_permission(make_user("aud", "auditor", territory[COUNTY]))
    client.force_login(auditor)
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 200
    for url in (USERS, reverse("admin:territory_area_changelist"),
                reverse("admin:cases_category_changelist"),
                reverse("admin:auth_group_changelist")):
        assert client.get(url).status_code == 403, url


def test_groups_are_managed_by_superusers_only(client, street_admin):
    every_permission(street_admin)
    client.force_login(street_admin)
    assert client.get(reverse("admin:auth_group_add")).status_code == 403


# --- the audit of account changes ---------------------------------------------------------------
def test_role_jurisdiction_and_permission_changes_are_audited_with_before_and_after(
        client, territory, street_admin, root, worker):
    client.force_login(street_admin)
    page = client.get(change_user(worker))
    data = form_data(page, role="dispatcher", jurisdiction=str(territory[STREET].pk))
    assert client.post(change_user(worker), data).status_code == 302
    role = AuditEvent.objects.get(event="role_changed")
    assert (role.actor_username, role.object_id) == ("street-admin", str(worker.pk))
    assert (role.detail["before"], role.detail["after"]) == ("grid_worker", "dispatcher")
    moved = AuditEvent.objects.get(event="jurisdiction_changed")
    assert (moved.detail["before"], moved.detail["after"]) == (COMMUNITY, STREET)
    assert not AuditEvent.objects.filter(event="permission_changed").exists()

    client.force_login(root)
    group = Group.objects.create(name="审核组")
    perm = Permission.objects.get(codename="view_full_id")
    page = client.get(change_user(worker))
    data = form_data(page, is_staff=True, groups=[str(group.pk)],
                     user_permissions=[str(perm.pk)])
    assert client.post(change_user(worker), data).status_code == 302
    granted = AuditEvent.objects.get(event="permission_changed")
    assert granted.actor_username == "root"
    assert granted.detail["fields"] == ["is_staff", "groups", "user_permissions"]
    assert granted.detail["before"] == {"is_staff": False, "groups": [],
                                        "user_permissions": []}
    assert granted.detail["after"] == {"is_staff": True, "groups": ["审核组"],
                                       "user_permissions": ["people.view_full_id"]}

    client.force_login(street_admin)
    data = form_data(client.get(ADD_USER), **new_account(jurisdiction=str(territory[STREET].pk)))
    assert client.post(ADD_USER, data).status_code == 302
    created = AuditEvent.objects.get(event="account_created")
    assert created.object_repr == "newbie" and created.actor_username == "street-admin"
    assert created.detail["after"]["role"] == "grid_worker"
    assert created.detail["after"]["jurisdiction"] == STREET


def test_deletions_through_the_admin_are_audited(client, territory, root, make_user):
    victims = [make_user(f"v{i}", "grid_worker", territory[COMMUNITY]) for i in range(3)]
    client.force_login(root)
    response = client.post(reverse("admin:accounts_user_delete", args=[victims[0].pk]),
                           {"post": "yes"})
    assert response.status_code == 302
    response = client.post(USERS, {"action": "delete_selected", "post": "yes",
                                   "_selected_action": [v.pk for v in victims[1:]]})
    assert response.status_code == 302
    assert not User.objects.filter(username__in=["v0", "v1", "v2"]).exists()
    deleted = AuditEvent.objects.filter(event="admin_delete").order_by("pk")
    assert [(e.object_type, e.object_repr, e.actor_username) for e in deleted] == [
        ("accounts.user", "v0", "root"), ("accounts.user", "v1", "root"),
        ("accounts.user", "v2", "root")]


# --- case records cannot be deleted, not even by a superuser ---------------------------------
def test_supervision_alarm_and_case_records_cannot_be_deleted_in_the_admin(client, people,
                                                                          root):
    from wangge.cases import services
    from wangge.cases.models import Case, CaseEvent, Supervision
    from wangge.cases.tests.conftest import GRID_POINT
    from wangge.integrations.models import Alarm, Device

    case = services.report(actor=people["gw"], category="0101", description="垃圾",
                           source="patrol", lon=GRID_POINT[0], lat=GRID_POINT[1])
    services.accept(actor=people["comm"], case=case)
    supervision = services.supervise(actor=people["center"], case=case, level="yellow",
                                     note="尽快")
    device = Device.objects.create(device_id="smoke-1", kind="smoke")
    alarm = Alarm.objects.create(device=device, alarm_type="smoke", occurred_at=timezone.now(),
                                 outcome="ignored")
    events = CaseEvent.objects.filter(case=case).count()
    client.force_login(root)
    for name, obj in (("cases_supervision", supervision), ("integrations_alarm", alarm),
                      ("cases_case", case)):
        url = reverse(f"admin:{name}_delete", args=[obj.pk])
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"post": "yes"}).status_code == 403, url
        changelist = reverse(f"admin:{name}_changelist")
        action_form = client.get(changelist).context.get("action_form")
        actions = dict(action_form.fields["action"].choices) if action_form else {}
        assert "delete_selected" not in actions
        response = client.post(changelist, {"action": "delete_selected", "post": "yes",
                                            "_selected_action": [obj.pk]})
        assert response.status_code in (200, 302)
    assert Supervision.objects.filter(pk=supervision.pk).exists()
    assert Alarm.objects.filter(pk=alarm.pk).exists()
    assert Case.objects.filter(pk=case.pk).exists()
    assert CaseEvent.objects.filter(case=case).count() == events
    assert not AuditEvent.objects.filter(event="admin_delete").exists()
