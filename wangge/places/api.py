"""Places endpoints (地): standard addresses and address matching, buildings, houses and who
lives there, scoped to the caller's jurisdiction. Residents' ID numbers are masked."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from ninja import Field, Query, Router, Schema

from wangge.core.api import (
    ChangeOut,
    Page,
    PageQuery,
    changes_out,
    check_fresh,
    choice,
    page_of,
    require_editor,
    within,
)
from wangge.core.scope import get_scoped_or_404, scoped
from wangge.people import services as people
from wangge.places import services
from wangge.places.models import (
    Address,
    Building,
    BuildingKind,
    House,
    PlaceChange,
    Residence,
    Usage,
)

router = Router(tags=["places"])


class AddressOut(Schema):
    id: int
    full_text: str
    area_code: str
    road: str
    door_number: str
    building_no: str
    unit_no: str
    room_no: str
    lon: float | None
    lat: float | None


class AddressFilter(PageQuery):
    q: str | None = Field(None, description="Standard address contains")
    area: str | None = Field(None, description="Area code (its subtree)")


class MatchIn(Schema):
    text: str = Field(description="A free-text Chinese address")


class MatchOut(Schema):
    text: str
    score: float
    accepted: bool
    parsed: dict
    candidate: AddressOut | None


class BuildingOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    grid_code: str
    grid_name: str
    address: str | None
    floors: int | None
    lon: float | None
    lat: float | None
    houses: int
    updated_at: dt.datetime


class BuildingFilter(PageQuery):
    q: str | None = Field(None, description="Name or address contains")
    area: str | None = Field(None, description="Area code (its subtree)")
    kind: str | None = None


class ResidentOut(Schema):
    person_id: int
    name: str
    id_number: str = Field(description="Masked")
    relation: str
    is_tenant: bool
    since: dt.date
    until: dt.date | None


class HouseOut(Schema):
    id: int
    building_id: int
    building: str
    grid_code: str
    unit_no: str
    room_no: str
    usage: str
    usage_label: str
    floor_area_m2: float | None
    owner_id: int | None
    residents: int
    updated_at: dt.datetime


class HouseDetail(HouseOut):
    owner: str | None = Field(description="Name and masked ID number")
    current: list[ResidentOut]
    past: list[ResidentOut]


class HouseFilter(PageQuery):
    building: int | None = None
    area: str | None = Field(None, description="Area code (its subtree)")
    usage: str | None = Field(None, description="owner, rented, vacant or business")


class HousePatch(Schema):
    usage: str | None = None
    floor_area_m2: float | None = None
    updated_at: dt.datetime | None = Field(
        None, description="The updated_at you read; a stale one is refused with 409")


def _address(a: Address) -> dict:
    return {"id": a.pk, "full_text": a.full_text, "area_code": a.area.code, "road": a.road,
            "door_number": a.door_number, "building_no": a.building_no, "unit_no": a.unit_no,
            "room_no": a.room_no, "lon": a.lon, "lat": a.lat}


def _building(b: Building) -> dict:
    return {"id": b.pk, "name": b.name, "kind": b.kind, "kind_label": str(b.get_kind_display()),
            "grid_code": b.grid.code, "grid_name": b.grid.name,
            "address": b.address.full_text if b.address_id else None, "floors": b.floors,
            "lon": b.lon, "lat": b.lat, "houses": getattr(b, "house_count", 0),
            "updated_at": b.updated_at}


def _house(h: House) -> dict:
    return {"id": h.pk, "building_id": h.building_id, "building": h.building.name,
            "grid_code": h.building.grid.code, "unit_no": h.unit_no, "room_no": h.room_no,
            "usage": h.usage, "usage_label": str(h.get_usage_display()),
            "floor_area_m2": h.floor_area_m2, "owner_id": h.owner_id,
            "residents": getattr(h, "resident_count", 0), "updated_at": h.updated_at}


def _resident(r: Residence) -> dict:
    return {"person_id": r.person_id, "name": r.person.name,
            "id_number": people.masked_id(r.person), "relation": r.relation,
            "is_tenant": r.is_tenant, "since": r.since, "until": r.until}


def _houses(user):
    return scoped(House, user).select_related("building__grid").annotate(
        resident_count=Count("residences", filter=Q(residences__until__isnull=True)))


def _one_house(user, house_id: int) -> House:
    house = _houses(user).select_related("owner").filter(pk=house_id).first()
    if house is None:
        from django.http import Http404

        raise Http404("No house matches the given query.")
    return house


def _house_detail(house: House) -> dict:
    residences = list(house.residences.select_related("person").order_by("-since", "pk"))
    return {**_house(house),
            "owner": (f"{house.owner.name} {people.masked_id(house.owner)}"
                      if house.owner_id else None),
            "current": [_resident(r) for r in residences if r.until is None],
            "past": [_resident(r) for r in residences if r.until is not None]}


@router.get("/addresses", response=Page[AddressOut], summary="Standard addresses")
def list_addresses(request, filters: Query[AddressFilter]):
    addresses = scoped(Address, request.user).select_related("area").order_by("full_text", "pk")
    if filters.q:
        addresses = addresses.filter(full_text__icontains=filters.q.strip())
    addresses = within(addresses, request.user, filters.area, "area__prefix")
    return page_of(addresses, filters, _address)


# before /addresses/{address_id}, which would take "match" for an id
@router.post("/addresses/match", response=MatchOut,
             summary="Match a free-text address to a standard address, with a score")
def match_address(request, data: MatchIn):
    """Only addresses in the caller's jurisdiction are candidates. Nothing is recorded: the
    review queue is for addresses that come with an import or a form."""
    if not data.text.strip():
        raise ValueError("text: give an address")
    _found, result = services.match_address(request.user, data.text, source="api", record=False)
    candidate = result.candidate
    return {"text": data.text, "score": result.score, "accepted": result.accepted,
            "parsed": result.parsed.as_dict(),
            "candidate": _address(candidate) if candidate is not None else None}


@router.get("/addresses/{address_id}", response=AddressOut, summary="One standard address")
def get_address(request, address_id: int):
    return _address(get_scoped_or_404(Address, request.user, pk=address_id))


@router.get("/buildings", response=Page[BuildingOut], summary="Buildings")
def list_buildings(request, filters: Query[BuildingFilter]):
    buildings = scoped(Building, request.user).select_related("grid", "address").annotate(
        house_count=Count("houses", distinct=True)).order_by("grid__code", "name", "pk")
    if filters.q:
        q = filters.q.strip()
        buildings = buildings.filter(Q(name__icontains=q) | Q(address__full_text__icontains=q))
    if choice(filters.kind, BuildingKind, "kind"):
        buildings = buildings.filter(kind=filters.kind)
    buildings = within(buildings, request.user, filters.area, "grid__prefix")
    return page_of(buildings, filters, _building)


@router.get("/buildings/{building_id}", response=BuildingOut, summary="One building")
def get_building(request, building_id: int):
    building = get_scoped_or_404(Building, request.user, pk=building_id)
    building.house_count = building.houses.count()
    return _building(building)


@router.get("/buildings/{building_id}/houses", response=list[HouseDetail],
            summary="A building's houses with their current and past residents")
def building_houses(request, building_id: int):
    building = get_scoped_or_404(Building, request.user, pk=building_id)
    houses = _houses(request.user).filter(building=building).select_related("owner").order_by(
        "unit_no", "room_no", "pk")
    return [_house_detail(h) for h in houses]


@router.get("/buildings/{building_id}/history", response=list[ChangeOut],
            summary="Every change to a building, its houses and residents")
def building_history(request, building_id: int):
    building = get_scoped_or_404(Building, request.user, pk=building_id)
    return changes_out(PlaceChange.objects.filter(building=building))


@router.get("/houses/{house_id}/history", response=list[ChangeOut],
            summary="Every change to a house and its residents")
def house_history(request, house_id: int):
    house = get_scoped_or_404(House, request.user, pk=house_id)
    return changes_out(PlaceChange.objects.filter(house=house))


@router.get("/houses", response=Page[HouseOut], summary="Houses")
def list_houses(request, filters: Query[HouseFilter]):
    houses = _houses(request.user).order_by("building__grid__code", "building__name",
                                            "unit_no", "room_no", "pk")
    if filters.building is not None:
        houses = houses.filter(building_id=filters.building)
    if choice(filters.usage, Usage, "usage"):
        houses = houses.filter(usage=filters.usage)
    houses = within(houses, request.user, filters.area, "building__grid__prefix")
    return page_of(houses, filters, _house)


@router.get("/houses/{house_id}", response=HouseDetail, summary="One house and its residents")
def get_house(request, house_id: int):
    return _house_detail(_one_house(request.user, house_id))


@router.patch("/houses/{house_id}", response=HouseDetail,
              summary="Change a house's usage (自住/出租/空置/经营) or floor area")
def update_house(request, house_id: int, data: HousePatch):
    require_editor(request.user)
    house = get_scoped_or_404(House, request.user, pk=house_id)
    check_fresh(house, data.updated_at)
    changes = {k: v for k, v in data.dict(exclude_unset=True, exclude={"updated_at"}).items()}
    services.update_house(request.user, house, source="api", **changes)
    return _house_detail(_one_house(request.user, house_id))
