"""Places services: the actor, the history in the same transaction, residences and rentals."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from wangge.places import services
from wangge.places.models import PlaceChange, Residence, Usage

from .conftest import LIUCHENG_2_GRID, XIMEI_1, XIMEI_1_GRID


def test_a_building_is_located_from_its_point(buildings, territory):
    assert buildings["ximei"].grid.code == XIMEI_1_GRID
    assert buildings["liucheng"].grid.code == LIUCHENG_2_GRID


def test_a_building_without_point_takes_the_chosen_grid(territory, users):
    b = services.create_building(users["ximei"], name="旧楼", grid=territory[XIMEI_1_GRID])
    assert b.grid.code == XIMEI_1_GRID
    with pytest.raises(ValidationError):  # not a grid
        services.create_building(users["ximei"], name="x", grid=territory[XIMEI_1])
    with pytest.raises(ValidationError):  # outside the jurisdiction
        services.create_building(users["ximei"], name="x", lon=118.35, lat=24.95)
    with pytest.raises(ValidationError):  # outside every grid
        services.create_building(None, name="x", lon=117.0, lat=24.95)


def test_changes_keep_who_when_before_and_after(buildings, users):
    b = buildings["ximei"]
    assert services.update_building(users["ximei"], b, floors=7, name="幸福苑三栋")
    assert not services.update_building(users["ximei"], b, floors=7)
    change = PlaceChange.objects.filter(building=b, action="updated").get()
    assert change.actor == users["ximei"] and change.object_kind == "building"
    assert change.before["floors"] == 6 and change.after["floors"] == 7
    assert change.after["name"] == "幸福苑三栋"
    with pytest.raises(PermissionDenied):
        services.update_building(users["liucheng"], b, floors=8)


def test_history_is_in_the_same_transaction(buildings, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("history failed")

    monkeypatch.setattr(PlaceChange.objects, "create", boom)
    with pytest.raises(RuntimeError):
        services.update_building(None, buildings["ximei"], floors=9)
    buildings["ximei"].refresh_from_db()
    assert buildings["ximei"].floors == 6


def test_moving_ends_the_previous_residence(buildings, persons, users):
    actor = users["ximei"]
    h1 = services.create_house(actor, building=buildings["ximei"], unit_no="1", room_no="101")
    h2 = services.create_house(actor, building=buildings["ximei"], unit_no="1", room_no="102")
    zhang = persons["zhang"]
    first = services.register_residence(actor, person=zhang, house=h1,
                                        since=dt.date(2020, 1, 1))
    assert services.register_residence(actor, person=zhang, house=h1) == first  # no-op
    second = services.register_residence(actor, person=zhang, house=h2)
    first.refresh_from_db()
    assert first.until == timezone.localdate() and second.until is None
    assert services.current_residence(zhang) == second
    assert Residence.objects.filter(person=zhang).count() == 2
    kinds = list(PlaceChange.objects.filter(object_kind="residence").order_by("pk")
                 .values_list("action", flat=True))
    assert kinds == ["created", "ended", "created"]
    # the history keeps the ID number masked
    snapshot = PlaceChange.objects.filter(object_kind="residence").first().after
    assert "*" in snapshot["person"] and "张三" in snapshot["person"]


def test_a_person_of_another_street_cannot_be_registered_here(buildings, persons, users):
    h = services.create_house(users["ximei"], building=buildings["ximei"], room_no="201")
    with pytest.raises(ValidationError):
        services.register_residence(users["ximei"], person=persons["wang"], house=h)


def test_rentals_keep_their_tenants_history(buildings, persons, users):
    actor = users["ximei"]
    h = services.create_house(actor, building=buildings["ximei"], unit_no="2", room_no="301",
                              owner=persons["zhang"])
    tenant = services.register_tenant(actor, person=persons["li"], house=h)
    h.refresh_from_db()
    assert h.usage == Usage.RENTED and tenant.is_tenant
    services.set_usage(actor, h, Usage.VACANT)
    tenant.refresh_from_db()
    assert tenant.until == timezone.localdate()
    assert Residence.objects.filter(house=h).count() == 1  # the row stays as history
    usages = [(c.before or {}).get("usage") for c in
              PlaceChange.objects.filter(house=h, object_kind="house").order_by("pk")]
    assert usages == [None, Usage.OWNER, Usage.RENTED]
    # a new tenant later
    services.register_tenant(actor, person=persons["li"], house=h)
    h.refresh_from_db()
    assert h.usage == Usage.RENTED
    assert Residence.objects.filter(house=h).count() == 2


def test_register_by_id_number(buildings, persons, users):
    from wangge.people.services import id_number_of

    h = services.create_house(users["ximei"], building=buildings["ximei"], room_no="401")
    r = services.register_resident_by_id_number(
        users["ximei"], house=h, id_number=id_number_of(persons["zhang"]))
    assert r.person == persons["zhang"]
    with pytest.raises(ValidationError):
        services.register_resident_by_id_number(users["ximei"], house=h,
                                                id_number="110101199003077777")


def test_adding_a_resident_by_id_number_is_no_oracle_for_other_jurisdictions(
        buildings, persons, users, settings):
    """溪美 tries the ID number of a 柳城 resident and a number of no one: the same answer;
    each try is an audited lookup and counts against the per-user limit."""
    from django.core.cache import cache

    from wangge.audit.models import AuditEvent
    from wangge.core.ratelimit import RateLimited
    from wangge.people.services import id_number_of

    cache.clear()
    settings.WANGGE = {**settings.WANGGE, "PORTAL_RATE_LIMITS": {"people_lookup": (3, 60)}}
    h = services.create_house(users["ximei"], building=buildings["ximei"], room_no="402")
    answers = []
    for number in (id_number_of(persons["wang"]), "110101199003077774"):
        with pytest.raises(ValidationError) as refused:
            services.register_resident_by_id_number(users["ximei"], house=h, id_number=number)
        answers.append(refused.value.message_dict)
    assert answers[0] == answers[1]
    lookups = AuditEvent.objects.filter(event="lookup", actor_username="ximei")
    assert lookups.count() == 2
    assert all(row.detail["matches"] == 0 for row in lookups)
    services.register_resident_by_id_number(users["ximei"], house=h,
                                            id_number=id_number_of(persons["zhang"]))
    with pytest.raises(RateLimited):
        services.register_resident_by_id_number(users["ximei"], house=h,
                                                id_number=id_number_of(persons["li"]))
    cache.clear()
