"""The staff forms to register and edit a person: through the services, errors on the field,
ID number and phone never shown in clear, stale saves refused, scoped, role-checked."""

from __future__ import annotations

import pytest
from django.urls import reverse

from wangge.people import services
from wangge.people.models import Person, PersonChange
from wangge.people.tests.conftest import GRID_LIUCHENG, GRID_XIMEI, make_id

NUMBER, OTHER = make_id(seq="555"), make_id(seq="666")
PHONE = "13812345678"


@pytest.fixture
def person(users, territory, tags):
    return services.register_person(None, name="林小明", id_number=NUMBER, phone=PHONE,
                                    area=territory[GRID_XIMEI],
                                    tags=[tags["elderly"], tags["drugs"]])


def _form(**extra):
    data = {"name": "林小明", "kind": "registered", "id_number": "", "phone": "",
            "area": GRID_XIMEI, "address": "溪美路3号"}
    data.update(extra)
    return data


def test_register_happy_path_and_field_errors(users, client, tags):
    client.force_login(users["ximei"])
    url = reverse("people:new")
    html = client.get(url).content.decode()
    assert 'name="id_number"' in html and "社区戒毒" not in html  # no sensitive tags offered
    bad = NUMBER[:17] + ("0" if NUMBER[17] != "0" else "1")
    response = client.post(url, _form(id_number=bad, phone="12"))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"id_number", "phone"} <= set(errors)
    assert 'value="溪美路3号"' in response.content.decode()
    response = client.post(url, _form(id_number=NUMBER, area=GRID_LIUCHENG))
    assert response.status_code == 400 and "area" in response.context["form"].errors
    response = client.post(url, _form(id_number=NUMBER, phone=PHONE,
                                      tags=[str(tags["elderly"].pk)]))
    assert response.status_code == 302
    person = Person.objects.get()
    assert response["Location"] == reverse("people:detail", args=[person.pk])
    assert services.id_number_of(person) == NUMBER and services.phone_of(person) == PHONE
    assert [t.name for t in person.tags.all()] == ["独居老人"]
    change = PersonChange.objects.get(person=person)
    assert (change.action, change.source, change.actor) == ("created", "web", users["ximei"])
    # a duplicate ID number is an error on the field
    response = client.post(url, _form(name="另一个人", id_number=NUMBER))
    assert response.status_code == 400 and "id_number" in response.context["form"].errors
    assert Person.objects.count() == 1


def test_a_sensitive_tag_cannot_be_set_without_the_permission(users, client, tags):
    client.force_login(users["ximei"])
    response = client.post(reverse("people:new"),
                           _form(id_number=NUMBER, tags=[str(tags["drugs"].pk)]))
    assert response.status_code == 400 and "tags" in response.context["form"].errors
    assert not Person.objects.exists()


def test_edit_never_shows_the_id_number_or_phone_and_empty_keeps_them(users, client, person,
                                                                      tags):
    client.force_login(users["ximei"])
    url = reverse("people:edit", args=[person.pk])
    response = client.get(url)
    html = response.content.decode()
    for secret in (NUMBER, PHONE, NUMBER[6:14]):
        assert secret not in html
    assert services.masked_id(person) in html  # as a hint
    form = response.context["form"]
    response = client.post(url, _form(name="林晓明", version=form.initial["version"],
                                      tags=[str(tags["elderly"].pk)]))
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.name == "林晓明"
    assert services.id_number_of(person) == NUMBER and services.phone_of(person) == PHONE
    # the sensitive tag the user may not see is kept
    assert {t.name for t in services.tags_of(person)} == {"独居老人", "社区戒毒"}
    change = PersonChange.objects.filter(person=person).first()
    assert change.action == "updated" and change.before["name"] == "林小明"
    assert change.after["address"] == "溪美路3号"


def test_edit_changes_the_id_number_and_removes_the_phone(users, client, person):
    client.force_login(users["ximei"])
    url = reverse("people:edit", args=[person.pk])
    version = client.get(url).context["form"].initial["version"]
    response = client.post(url, _form(id_number=OTHER, clear_phone="on", version=version))
    assert response.status_code == 302
    person.refresh_from_db()
    assert services.id_number_of(person) == OTHER and services.phone_of(person) == ""


def test_a_stale_edit_is_refused_and_keeps_the_input(users, client, person):
    client.force_login(users["ximei"])
    url = reverse("people:edit", args=[person.pk])
    opened = client.get(url).context["form"].initial["version"]
    services.update_person(users["ximei"], person, address="别人填的地址")  # someone else
    response = client.post(url, _form(name="我的输入", version=opened))
    assert response.status_code == 409
    assert 'value="我的输入"' in response.content.decode()
    assert any(f["key"] == "address" for e in response.context["stale"] for f in e["fields"])
    person.refresh_from_db()
    assert (person.name, person.address) == ("林小明", "别人填的地址")
    again = response.context["form"]["version"].value()
    assert client.post(url, _form(name="我的输入", version=again)).status_code == 302
    person.refresh_from_db()
    assert person.name == "我的输入"


def test_another_jurisdiction_is_a_404_and_a_reading_role_is_forbidden(users, client, person,
                                                                      make_user, territory):
    url = reverse("people:edit", args=[person.pk])
    client.force_login(users["liucheng"])
    assert client.get(url).status_code == 404
    assert client.post(url, _form(name="x")).status_code == 404
    leader = make_user("leader", "leader", territory["350583000000"])
    client.force_login(leader)
    assert client.get(reverse("people:new")).status_code == 403
    assert client.post(url, _form(name="x")).status_code == 403
    assert url not in client.get(reverse("people:detail", args=[person.pk])).content.decode()
    person.refresh_from_db()
    assert person.name == "林小明"
    client.force_login(users["ximei"])
    assert url in client.get(reverse("people:detail", args=[person.pk])).content.decode()
    assert reverse("people:new") in client.get(reverse("people:list")).content.decode()
