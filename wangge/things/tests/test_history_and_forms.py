"""Components: the change history (services and import) and the staff create/edit forms."""

from __future__ import annotations

import pytest
from django.urls import reverse

from wangge.core.history import StaleRecord, version_of
from wangge.things import services
from wangge.things.importer import import_components, read_component_rows
from wangge.things.models import Component, ComponentChange

XIMEI_POINT = (118.05, 24.85)  # 350583001001001
XIMEI_POINT_2 = (118.15, 24.85)  # 350583001001002
LIUCHENG_POINT = (118.25, 24.85)  # 350583002001001
CODE = "3505835101000001"


def _component(actor=None, **extra):
    data = {"code": CODE, "name": "井盖", "lon": XIMEI_POINT[0], "lat": XIMEI_POINT[1]}
    data.update(extra)
    return services.save_component(actor, **data)


def test_create_update_and_no_op_write_history(users):
    component = _component(users["ximei"])
    [created] = ComponentChange.objects.filter(component=component)
    assert (created.action, created.actor, created.source) == ("created", users["ximei"], "web")
    assert created.before is None and created.after["name"] == "井盖"
    assert created.area.code == "350583001001001" and created.code == CODE

    services.save_component(users["ximei"], component, name="雨水井盖", status="damaged",
                            lon=XIMEI_POINT_2[0], lat=XIMEI_POINT_2[1], source="api")
    update = ComponentChange.objects.filter(component=component).first()
    assert (update.action, update.source) == ("updated", "api")
    assert set(update.changed_fields) == {"name", "status", "lon", "grid"}
    assert (update.before["grid"], update.after["grid"]) == ("350583001001001",
                                                            "350583001001002")
    assert update.area.code == "350583001001002"

    stamp = Component.objects.get(pk=component.pk).updated_at
    services.save_component(users["ximei"], component, name="雨水井盖", status="damaged")
    assert ComponentChange.objects.filter(component=component).count() == 2
    assert Component.objects.get(pk=component.pk).updated_at == stamp  # not even saved


def test_a_stale_version_is_refused_by_the_service(users):
    component = _component(users["ximei"])
    opened = version_of(component)
    services.save_component(users["ximei"], component, name="别人改的")
    with pytest.raises(StaleRecord):
        services.save_component(users["ximei"], component, name="我的", expected_version=opened)
    assert Component.objects.get(pk=component.pk).name == "别人改的"


def test_history_is_scoped_by_area(users):
    _component(users["ximei"])
    assert ComponentChange.objects.visible_to(users["ximei"]).count() == 1
    assert ComponentChange.objects.visible_to(users["liucheng"]).count() == 0


CSV = """code,name,status,lon,lat,owner_unit,maintainer_unit,address,note
3505835101000001,井盖甲,正常,118.05,24.85,市政公司,,溪美路1号,
3505835105000002,路灯乙,损坏,118.25,24.85,,,,
"""


def test_import_writes_history_with_source_import_and_nothing_on_a_same_reimport(territory):
    rows = read_component_rows(CSV.encode(), "components.csv")
    import_components(rows, source="components.csv")
    changes = ComponentChange.objects.all()
    assert {(c.code, c.action) for c in changes} == {(CODE, "created"),
                                                     ("3505835105000002", "created")}
    assert all(c.source == "import components.csv" and c.actor is None for c in changes)
    again = import_components(rows, source="components.csv")
    assert (again["updated"], again["unchanged"]) == (0, 2)
    assert ComponentChange.objects.count() == 2
    changed = CSV.replace("井盖甲,正常", "井盖甲,丢失")
    import_components(read_component_rows(changed.encode(), "c.csv"), source="c.csv")
    update = ComponentChange.objects.get(action="updated")
    assert (update.code, update.before["status"], update.after["status"]) == (
        CODE, "normal", "missing")


def test_the_detail_page_shows_the_history(users, client):
    component = _component(users["ximei"])
    services.save_component(users["ximei"], component, name="雨水井盖")
    client.force_login(users["ximei"])
    html = client.get(reverse("things:detail", args=[CODE])).content.decode()
    assert 'id="history-title"' in html
    assert "雨水井盖" in html and "井盖" in html
    assert str(users["ximei"]) in html


# --- forms --------------------------------------------------------------------------------------
def _form(**extra):
    data = {"code": CODE, "name": "井盖", "status": "normal", "lon": "118.05", "lat": "24.85",
            "address": "溪美路1号", "owner_unit": "", "maintainer_unit": "", "note": "",
            "owner_department": "", "maintainer_department": ""}
    data.update(extra)
    return data


def test_create_form_happy_path_and_a_field_error(users, client):
    client.force_login(users["ximei"])
    url = reverse("things:new")
    assert client.get(url).status_code == 200
    response = client.post(url, _form(code="3505835101000000"))
    assert response.status_code == 400
    assert "code" in response.context["form"].errors
    assert not Component.objects.exists()
    assert 'value="溪美路1号"' in response.content.decode()  # what was typed is kept
    response = client.post(url, _form())
    assert response.status_code == 302
    assert response["Location"] == reverse("things:detail", args=[CODE])
    component = Component.objects.get(code=CODE)
    assert component.grid.code == "350583001001001"
    assert component.changes.get().source == "web"


def test_a_point_outside_the_jurisdiction_is_an_error_on_the_field(users, client):
    client.force_login(users["ximei"])
    response = client.post(reverse("things:new"),
                           _form(lon=str(LIUCHENG_POINT[0]), lat=str(LIUCHENG_POINT[1])))
    assert response.status_code == 400 and "lon" in response.context["form"].errors
    assert not Component.objects.exists()


def test_edit_form_saves_through_the_service(users, client):
    component = _component(users["ximei"])
    client.force_login(users["ximei"])
    url = reverse("things:edit", args=[CODE])
    form = client.get(url).context["form"]
    assert form.initial["name"] == "井盖"
    response = client.post(url, _form(name="新井盖", version=form.initial["version"]))
    assert response.status_code == 302
    component.refresh_from_db()
    assert component.name == "新井盖"
    assert component.changes.first().changed_fields == ["address", "name"]


def test_a_stale_edit_is_refused_and_keeps_the_input(users, client):
    component = _component(users["ximei"])
    client.force_login(users["ximei"])
    url = reverse("things:edit", args=[CODE])
    opened = client.get(url).context["form"].initial["version"]
    services.save_component(users["ximei"], component, status="damaged")  # someone else
    response = client.post(url, _form(name="我的名字", version=opened))
    assert response.status_code == 409
    html = response.content.decode()
    assert 'value="我的名字"' in html
    assert 'class="field-stale"' in html  # the status field says it changed meanwhile
    assert response.context["stale"] and response.context["stale"][0]["fields"][0]["key"] == \
        "status"
    component.refresh_from_db()
    assert (component.name, component.status) == ("井盖", "damaged")
    # the form now carries the current version: saving again applies the input
    again = response.context["form"]["version"].value()
    assert again == version_of(component)
    response = client.post(url, _form(name="我的名字", status="damaged", version=again))
    assert response.status_code == 302
    component.refresh_from_db()
    assert component.name == "我的名字"


def test_another_jurisdiction_is_a_404_and_a_reading_role_is_forbidden(users, client,
                                                                      make_user, territory):
    _component(users["ximei"])
    client.force_login(users["liucheng"])
    assert client.get(reverse("things:edit", args=[CODE])).status_code == 404
    assert client.post(reverse("things:edit", args=[CODE]), _form()).status_code == 404
    leader = make_user("leader", "leader", territory["350583000000"])
    client.force_login(leader)
    assert client.get(reverse("things:new")).status_code == 403
    assert client.post(reverse("things:edit", args=[CODE]), _form(name="x")).status_code == 403
    assert Component.objects.get(code=CODE).name == "井盖"
    html = client.get(reverse("things:detail", args=[CODE])).content.decode()
    assert reverse("things:edit", args=[CODE]) not in html
    client.force_login(users["ximei"])
    html = client.get(reverse("things:detail", args=[CODE])).content.decode()
    assert reverse("things:edit", args=[CODE]) in html
    assert reverse("things:new") in client.get(reverse("things:list")).content.decode()
