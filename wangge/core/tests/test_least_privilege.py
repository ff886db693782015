"""Least privilege for department handlers (职能部门), over real HTTP: they see no people register
and only the places near the cases their unit holds or held — not the register of their
jurisdiction. The street's own staff still see all of it."""

from __future__ import annotations

import pytest

from wangge.cases.tests.conftest import GRID_POINT, Api
from wangge.core.identifiers import id_check_character

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

GRID = "350583001001001"  # lon 118.0–118.1, lat 24.8–24.9 (the case is at 118.05, 24.85)


def _id(first17: str) -> str:
    return first17 + id_check_character(first17)


@pytest.fixture
def world(people, territory):
    from wangge.cases import services as cases
    from wangge.people.services import register_person
    from wangge.places import services as places

    t = territory
    case = cases.report(actor=people["gw"], category="0101", description="楼道堆物",
                        source="patrol", lon=GRID_POINT[0], lat=GRID_POINT[1])
    cases.accept(actor=people["comm"], case=case)
    cases.dispatch(actor=people["comm"], case=case, department="police-350583001")
    zhang = register_person(None, name="张三", id_number=_id("35058319800101123"),
                            area=t[GRID], phone="13800000001")
    li = register_person(None, name="李四", id_number=_id("35058319900202234"), area=t[GRID])
    near_address = places.create_address(None, area=t[GRID], road="幸福路", door_number="1")
    near = places.create_building(None, name="近处1栋", lon=GRID_POINT[0] + 0.0005,
                                  lat=GRID_POINT[1] + 0.0005, address=near_address)
    far = places.create_building(None, name="远处9栋", lon=118.09, lat=24.89)  # same grid
    near_house = places.create_house(None, building=near, room_no="101", owner=zhang)
    far_house = places.create_house(None, building=far, room_no="901", owner=li)
    places.register_residence(None, person=zhang, house=near_house)
    places.register_residence(None, person=li, house=far_house)
    return {"case": case, "zhang": zhang, "li": li, "near": near, "far": far,
            "near_house": near_house, "far_house": far_house, "near_address": near_address}


def names(page) -> set:
    return {row.get("name") or row.get("full_text") or row.get("room_no")
            for row in page["results"]}


def test_a_department_handler_sees_no_people_register(live_server, people, world):
    police = Api(live_server.url, people["police"])
    assert police.get("/people")["count"] == 0
    for person in (world["zhang"], world["li"]):
        police.get(f"/people/{person.pk}", expect=404)
        police.get(f"/people/{person.pk}/history", expect=404)
        police.post(f"/people/{person.pk}/reveal", {"reason": "办案"}, expect=404)
    # the street's dispatcher, same jurisdiction, sees the residents
    street = Api(live_server.url, people["street"])
    assert {r["name"] for r in street.get("/people")["results"]} == {"张三", "李四"}


def test_a_department_handler_sees_only_the_places_near_its_cases(live_server, people,
                                                                  world):
    police = Api(live_server.url, people["police"])
    assert names(police.get("/buildings")) == {"近处1栋"}
    police.get(f"/buildings/{world['near'].pk}")
    police.get(f"/buildings/{world['far'].pk}", expect=404)
    police.get(f"/buildings/{world['far'].pk}/houses", expect=404)
    houses = police.get("/houses")
    assert [h["id"] for h in houses["results"]] == [world["near_house"].pk]
    police.get(f"/houses/{world['far_house'].pk}", expect=404)
    assert names(police.get("/addresses")) == {world["near_address"].full_text}

    # a unit without cases there sees no places at all; the street sees every building
    cg = Api(live_server.url, people["cg"])
    assert cg.get("/buildings")["count"] == 0 and cg.get("/houses")["count"] == 0
    street = Api(live_server.url, people["street"])
    assert names(street.get("/buildings")) == {"近处1栋", "远处9栋"}


def test_a_case_handed_on_still_shows_its_place(live_server, people, world):
    """"Holds or held": the unit returned the case, the place near it stays visible to it."""
    from wangge.cases import services as cases

    cases.return_case(actor=people["police"], case=world["case"], note="不归我们")
    police = Api(live_server.url, people["police"])
    assert names(police.get("/buildings")) == {"近处1栋"}


def test_the_pages_follow_the_same_rule(client, people, world):
    from django.urls import reverse

    client.force_login(people["police"])
    listing = client.get(reverse("people:list"))
    assert listing.status_code == 200 and "张三" not in listing.text
    for person in (world["zhang"], world["li"]):
        assert client.get(reverse("people:detail", args=[person.pk])).status_code == 404
    assert client.get(reverse("places:building", args=[world["far"].pk])).status_code == 404
    assert client.get(reverse("places:house", args=[world["far_house"].pk])).status_code == 404
    near = client.get(reverse("places:building", args=[world["near"].pk]))
    assert near.status_code == 200 and "近处1栋" in near.text
    buildings = client.get(reverse("places:buildings"))
    assert "近处1栋" in buildings.text and "远处9栋" not in buildings.text


@pytest.mark.parametrize("role", ["security_admin", "auditor"])
def test_the_security_admin_and_the_auditor_read_no_registers_or_cases(
        live_server, people, world, territory, make_user, role):
    """三权分立: a county's 安全管理员 or 审计员 sees no resident, case or place (they look
    after accounts and the audit trail), though the street's own staff see them."""
    county = make_user(f"x-{role}", role, territory["350583000000"], is_staff=True)
    api = Api(live_server.url, county)
    assert api.get("/people")["count"] == 0
    assert api.get("/cases")["count"] == 0
    assert api.get("/buildings")["count"] == 0
    api.get(f"/people/{world['zhang'].pk}", expect=404)
    api.get(f"/areas/{GRID}", expect=404)
    street = Api(live_server.url, people["comm"])
    assert street.get("/people")["count"] >= 2
