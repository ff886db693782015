"""The territory admin: staff see and change only their jurisdiction; codes are checked first."""

import json

import pytest
from django.urls import reverse

from wangge.accounts.tests.admin_client import form_data, form_errors, make_staff
from wangge.conftest import box
from wangge.territory.models import Area, GridStaff

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(users):
    """The 溪美街道 (350583001000) dispatcher, as admin staff with model permissions."""
    return make_staff(users["ximei"])

ADD_AREA = reverse("admin:territory_area_add")
ADD_STAFF = reverse("admin:territory_gridstaff_add")


def change_area(area):
    return reverse("admin:territory_area_change", args=[area.pk])


@pytest.fixture
def superuser(make_user):
    return make_user("root", "admin", None, is_staff=True, is_superuser=True)


def test_staff_can_add_an_area_inside_their_street(client, staff, territory):
    client.force_login(staff)
    data = form_data(client.get(ADD_AREA), code="350583001003", name="新社区",
                     parent=str(territory["350583001000"].pk))
    response = client.post(ADD_AREA, data)
    assert response.status_code == 302, form_errors(response)
    assert Area.objects.get(code="350583001003").parent.code == "350583001000"


def test_staff_cannot_add_an_area_outside_their_street(client, staff, territory):
    client.force_login(staff)
    blank = client.get(ADD_AREA)
    # a village of the other street, under that street
    data = form_data(blank, code="350583002003", name="外街社区",
                     parent=str(territory["350583002000"].pk))
    errors = form_errors(client.post(ADD_AREA, data))
    assert "parent" in errors  # not one of the choices
    # without a parent, the code alone is refused
    data = form_data(blank, code="350583002003", name="外街社区", parent="")
    errors = form_errors(client.post(ADD_AREA, data))
    assert "outside your jurisdiction" in str(errors["code"]) or "管辖范围" in str(errors["code"])
    # a new street next to theirs
    data = form_data(blank, code="350583003000", name="新街道",
                     parent=str(territory["350583000000"].pk))
    assert "parent" in form_errors(client.post(ADD_AREA, data))
    assert not Area.objects.filter(code__in=["350583002003", "350583003000"]).exists()


def test_staff_cannot_move_an_area_out_of_their_street(client, staff, territory):
    client.force_login(staff)
    village = territory["350583001001"]
    page = client.get(change_area(village))
    data = form_data(page, parent=str(territory["350583002000"].pk))
    assert "parent" in form_errors(client.post(change_area(village), data))
    village.refresh_from_db()
    assert village.parent.code == "350583001000"
    # an area of the other street cannot even be opened
    response = client.get(change_area(territory["350583002001"]))
    assert response.status_code == 302 and response.url == reverse("admin:index")


def test_parent_choices_and_autocomplete_are_scoped(client, staff, territory):
    client.force_login(staff)
    form = client.get(ADD_AREA).context["adminform"].form
    codes = set(form.fields["parent"].queryset.values_list("code", flat=True))
    assert codes and all(code.startswith("350583001") for code in codes)
    response = client.get(reverse("admin:autocomplete"), {
        "app_label": "territory", "model_name": "area", "field_name": "parent", "term": "3505"})
    assert response.status_code == 200
    found = {row["text"] for row in response.json()["results"]}
    assert found and all("350583001" in text for text in found)


def test_code_is_read_only_when_changing_an_area(client, superuser, territory):
    client.force_login(superuser)
    grid = territory["350583001001001"]
    page = client.get(change_area(grid))
    assert "code" not in page.context["adminform"].form.fields
    data = form_data(page, code="350583001001009", name="改名网格")
    response = client.post(change_area(grid), data)
    assert response.status_code == 302, form_errors(response)
    grid.refresh_from_db()
    assert (grid.code, grid.name) == ("350583001001001", "改名网格")


@pytest.mark.parametrize("code", ["35058300100", "35058300100A", "350583000001001", "", "0" * 12])
def test_a_malformed_code_is_a_field_error_not_a_crash(client, superuser, territory, code):
    client.force_login(superuser)
    data = form_data(client.get(ADD_AREA), code=code, name="坏",
                     parent=str(territory["350583001001"].pk),
                     geometry=json.dumps(box(118.0, 24.8, 118.01, 24.81)))
    errors = form_errors(client.post(ADD_AREA, data))
    assert "code" in errors
    assert Area.objects.count() == 15


def test_geometry_problems_are_field_errors(client, superuser, territory):
    client.force_login(superuser)
    data = form_data(client.get(ADD_AREA), code="350583001001003", name="越界网格",
                     parent=str(territory["350583001001"].pk),
                     geometry=json.dumps(box(118.05, 24.8, 118.15, 24.9)))
    errors = form_errors(client.post(ADD_AREA, data))
    assert "overlaps grid 350583001001001" in str(errors["geometry"])


# --- grid staff --------------------------------------------------------------------------------
def test_staff_assign_only_people_and_grids_of_their_street(client, staff, users, territory,
                                                            make_user):
    client.force_login(staff)
    inside_person = make_user("xm-worker", "grid_worker", territory["350583001001"])
    blank = client.get(ADD_STAFF)
    outside = form_data(blank, grid=str(territory["350583002001001"].pk),
                        user=str(inside_person.pk), post="full_time")
    assert "grid" in form_errors(client.post(ADD_STAFF, outside))
    foreign_person = form_data(blank, grid=str(territory["350583001001001"].pk),
                               user=str(users["liucheng"].pk), post="full_time")
    assert "user" in form_errors(client.post(ADD_STAFF, foreign_person))
    assert not GridStaff.objects.exists()
    good = form_data(blank, grid=str(territory["350583001001001"].pk),
                     user=str(inside_person.pk), post="full_time")
    assert client.post(ADD_STAFF, good).status_code == 302
    assert GridStaff.objects.get().user == inside_person


def test_staff_autocompletes_are_scoped(client, staff, users, territory):
    client.force_login(staff)
    url = reverse("admin:autocomplete")
    grids = client.get(url, {"app_label": "territory", "model_name": "gridstaff",
                             "field_name": "grid", "term": "350583"}).json()["results"]
    assert sorted(int(row["id"]) for row in grids) == sorted(
        a.pk for a in territory.values() if a.level == 4 and a.code.startswith("350583001"))
    people = client.get(url, {"app_label": "territory", "model_name": "gridstaff",
                              "field_name": "user", "term": ""}).json()["results"]
    assert {row["text"] for row in people} == {"ximei"}
