"""Synthetic households for the demo: who lives where, plausible and idempotent."""

from __future__ import annotations

from wangge.places import services
from wangge.places.models import Residence, Usage
from wangge.places.synthetic import link_residents
from wangge.places.tests.conftest import XIMEI_1_GRID, _id


def test_households_come_from_the_grid_then_its_community_and_only_once(territory):
    from wangge.people.services import register_person

    t = territory
    people = [register_person(None, name=f"居民{i}", id_number=_id(f"350583198001{i:02d}123"),
                              area=t[XIMEI_1_GRID if i < 6 else "350583001001002"])
              for i in range(1, 10)]
    elsewhere = register_person(None, name="柳城居民", id_number=_id("35058319900101123"),
                                area=t["350583002001001"])
    building = services.create_building(None, name="幸福苑1栋", lon=118.05, lat=24.85)
    owned = services.create_house(None, building=building, room_no="101", owner=people[3])
    services.create_house(None, building=building, room_no="102", usage=Usage.VACANT)
    rented = services.create_house(None, building=building, room_no="103", usage=Usage.RENTED)
    for room in ("201", "202", "203", "204"):
        services.create_house(None, building=building, room_no=room)

    made = link_residents(seed=1)

    residences = list(Residence.objects.select_related("person__area", "house"))
    assert made["residences"] == len(residences) > 0
    assert len({r.person_id for r in residences}) == len(residences)  # one home each
    assert elsewhere.pk not in {r.person_id for r in residences}  # another community
    for r in residences:  # registered in the house's grid or another grid of its community
        assert r.person.area.prefix.startswith("350583001001")
        assert r.house.usage != Usage.VACANT
        assert r.is_tenant == (r.house_id == rented.pk)
    head = Residence.objects.get(house=owned, relation="户主")
    assert head.person_id == people[3].pk  # the owner lives in the house they own
    assert link_residents(seed=1) == {"residences": 0, "houses": 0}
    assert Residence.objects.count() == len(residences)
