"""The admin site's jurisdiction rule (wangge/core/admin_site.py) for any ModelAdmin, even one
written without a thought for scoping: a model with a scoped manager is filtered by it, one
that names its ``jurisdiction_path`` by that, anything else is for superusers only. (Every
registered admin is checked over HTTP by test_route_access.test_admin.)"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import RequestFactory

from wangge.accounts.choices import Role
from wangge.cases import services as cs
from wangge.cases.models import Case, CaseEvent
from wangge.cases.tests.conftest import GRID_POINT, OTHER_GRID_POINT
from wangge.core.admin_site import AdminSite

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(people):
    ximei = cs.report(actor=people["gw"], category="0101", description="溪美的暴露垃圾",
                      source="patrol", lon=GRID_POINT[0], lat=GRID_POINT[1])
    liucheng = cs.report(actor=None, category="0101", description="柳城的暴露垃圾",
                         source="resident", lon=OTHER_GRID_POINT[0], lat=OTHER_GRID_POINT[1])
    return ximei, liucheng


@pytest.fixture
def staff(territory, make_user):
    views = list(Permission.objects.filter(codename__startswith="view_",
                                           content_type__app_label="cases"))
    user = make_user("xadmin", Role.ADMIN, territory["350583001000"], is_staff=True)
    user.user_permissions.add(*views)
    return user


def request_of(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


class Careless(admin.ModelAdmin):
    """A ModelAdmin that returns every row, as if no one had thought of jurisdictions."""

    def get_queryset(self, request):
        return self.model._default_manager.all()


def test_a_scoped_model_is_filtered_whatever_its_admin_returns(cases, staff):
    site = AdminSite(name="scope-test")
    site.register(Case, Careless)
    model_admin = site._registry[Case]
    ximei, _liucheng = cases
    assert set(model_admin.get_queryset(request_of(staff))) == {ximei}


def test_a_model_without_a_rule_is_for_superusers_only(cases, staff, make_user):
    site = AdminSite(name="scope-test")
    site.register(CaseEvent, Careless)
    model_admin = site._registry[CaseEvent]
    staff.user_permissions.add(Permission.objects.get(codename="view_caseevent"))
    staff = type(staff).objects.get(pk=staff.pk)  # fresh permission cache
    request = request_of(staff)
    assert not model_admin.get_queryset(request).exists()
    assert not model_admin.has_module_permission(request)
    assert not model_admin.has_view_permission(request)
    root = make_user("root", Role.ADMIN, None, is_staff=True, is_superuser=True)
    assert model_admin.get_queryset(request_of(root)).count() == CaseEvent.objects.count() > 0
    assert model_admin.has_view_permission(request_of(root))


def test_a_jurisdiction_path_scopes_a_model_without_a_scoped_manager(cases, staff):
    class EventAdmin(Careless):
        jurisdiction_path = "case__grid__prefix"

    site = AdminSite(name="scope-test")
    site.register(CaseEvent, EventAdmin)
    model_admin = site._registry[CaseEvent]
    ximei, _liucheng = cases
    events = model_admin.get_queryset(request_of(staff))
    assert events.exists() and {e.case_id for e in events} == {ximei.pk}
    nobody = type(staff)(username="nobody", role=Role.ADMIN, is_staff=True)  # no jurisdiction
    assert not model_admin.get_queryset(request_of(nobody)).exists()


def test_foreign_key_choices_in_the_admin_are_the_jurisdictions_only(cases, staff, territory):
    """A street administrator can't put a record in another street's grid."""
    from wangge.territory.models import Area

    class DeviceLike(Careless):
        jurisdiction_path = "case__grid__prefix"

    site = AdminSite(name="scope-test")
    site.register(CaseEvent, DeviceLike)
    model_admin = site._registry[CaseEvent]
    field = model_admin.formfield_for_foreignkey(Case._meta.get_field("grid"),
                                                 request_of(staff))
    codes = set(field.queryset.values_list("code", flat=True))
    assert "350583001001001" in codes and "350583002001001" not in codes
    assert set(field.queryset) <= set(Area.objects.visible_to(staff))


def test_a_settings_change_in_the_admin_is_audited_with_before_and_after(db, make_user):
    from wangge.audit.models import AuditEvent
    from wangge.cases.models import Category

    root = make_user("root", Role.ADMIN, None, is_staff=True, is_superuser=True)
    category = Category.objects.filter(parent__isnull=False).first()
    site = AdminSite(name="settings-test")
    site.register(Category, admin.ModelAdmin)
    model_admin = site._registry[Category]
    request = request_of(root)
    form_class = model_admin.get_form(request, category, change=True)
    initial = form_class(instance=category).initial
    data = {name: value for name, value in initial.items() if value is not None}
    data["duplicate_radius_m"] = category.duplicate_radius_m + 25
    form = form_class(data, instance=category)
    assert form.is_valid(), form.errors
    model_admin.save_model(request, form.save(commit=False), form, change=True)
    row = AuditEvent.objects.get(event="settings_changed")
    assert row.object_type == "cases.category" and row.actor_username == "root"
    assert "duplicate_radius_m" in row.detail["fields"]
    assert row.detail["after"]["duplicate_radius_m"] == \
        row.detail["before"]["duplicate_radius_m"] + 25
