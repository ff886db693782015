"""The admin saves components and organisations through their services: checked and kept in
the history like any other change."""

from __future__ import annotations

from django.urls import reverse

from wangge.things import services
from wangge.things.models import ComponentChange


def test_an_admin_edit_of_a_component_is_in_its_history(client, territory, make_user):
    admin = make_user("root", "admin", territory["350583000000"], is_superuser=True,
                      is_staff=True)
    component = services.save_component(None, code="3505835101000001", name="井盖",
                                        lon=118.05, lat=24.85)
    client.force_login(admin)
    url = reverse("admin:things_component_change", args=[component.pk])
    response = client.post(url, {"code": component.code, "name": "污水井盖", "status": "damaged",
                                 "owner_unit": "", "maintainer_unit": "", "address": "",
                                 "lon": "118.05", "lat": "24.85", "note": ""})
    assert response.status_code == 302, response.content[:2000]
    change = ComponentChange.objects.filter(component=component, action="updated").get()
    assert (change.actor, change.source) == (admin, "web admin")
    assert (change.before["status"], change.after["status"]) == ("normal", "damaged")
    assert change.after["name"] == "污水井盖"


def test_the_admin_cannot_write_inspections_around_the_service(client, territory, make_user):
    admin = make_user("root", "admin", territory["350583000000"], is_superuser=True,
                      is_staff=True)
    client.force_login(admin)
    assert client.get(reverse("admin:organisations_inspection_add")).status_code == 403
