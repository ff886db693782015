"""Every change to places goes through here, with an actor (``None`` is the system: the
command-line import), checked against the actor's jurisdiction, and written to the history
(``PlaceChange``, personal data masked) in the same transaction."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.permissions import can_edit_base_data
from wangge.people import services as people
from wangge.places import address as addressing
from wangge.places.models import (
    Address,
    AddressMatch,
    Building,
    BuildingKind,
    House,
    MatchState,
    PlaceChange,
    Residence,
    Usage,
)
from wangge.territory.choices import UNIT_GRID_LEVELS, Level

ADDRESS_LEVELS = (Level.VILLAGE, *UNIT_GRID_LEVELS)


# --- snapshots (what the history keeps) ---------------------------------------------------------
def address_snapshot(a: Address) -> dict:
    return {"area": a.area.code, "road": a.road, "door_number": a.door_number,
            "building_no": a.building_no, "unit_no": a.unit_no, "room_no": a.room_no,
            "full_text": a.full_text, "lon": a.lon, "lat": a.lat}


def building_snapshot(b: Building) -> dict:
    return {"name": b.name, "grid": b.grid.code, "kind": b.kind, "floors": b.floors,
            "address": b.address.full_text if b.address_id else "", "lon": b.lon, "lat": b.lat}


def house_snapshot(h: House) -> dict:
    return {"building": h.building.name, "unit_no": h.unit_no, "room_no": h.room_no,
            "usage": h.usage, "floor_area_m2": h.floor_area_m2,
            "owner": _person_label(h.owner) if h.owner_id else ""}


def residence_snapshot(r: Residence) -> dict:
    return {"person": _person_label(r.person), "house": str(r.house), "relation": r.relation,
            "is_tenant": r.is_tenant, "since": r.since.isoformat() if r.since else None,
            "until": r.until.isoformat() if r.until else None}


def _person_label(person) -> str:
    return f"{person.name} {people.masked_id(person)}"


def _record(actor, source, kind, obj, action, before, after, *, area, building=None,
            house=None) -> PlaceChange:
    return PlaceChange.objects.create(
        actor=actor, source=source, object_kind=kind, object_id=obj.pk, action=action,
        before=before, after=after, area=area, building=building, house=house)


# --- checks ---------------------------------------------------------------------------------
def _check_area(area, actor, levels, field="area") -> None:
    if area is None:
        raise ValidationError({field: "an area is required"})
    if area.level not in levels:
        what = "grid" if field == "grid" else "grid or community"
        raise ValidationError({field: f"{area.code} is not a {what}"})
    if actor is not None and not actor.can_see_area(area):
        raise ValidationError({field: f"{area.code} is outside your jurisdiction"})


def _check_visible(actor, model, obj) -> None:
    if actor is not None and not model.objects.visible_to(actor).filter(pk=obj.pk).exists():
        raise PermissionDenied("outside your jurisdiction")


def _required(value, field, max_length):
    value = (str(value) if value is not None else "").strip()
    if not value:
        raise ValidationError({field: "required"})
    if len(value) > max_length:
        raise ValidationError({field: f"at most {max_length} characters"})
    return value


def _optional(value, field, max_length):
    value = (str(value) if value is not None else "").strip()
    if len(value) > max_length:
        raise ValidationError({field: f"at most {max_length} characters"})
    return value


def _point(lon, lat):
    if lon in (None, "") and lat in (None, ""):
        return None, None
    from wangge.territory.locate import validate_point

    try:
        return validate_point(lon, lat)
    except ValueError as exc:
        raise ValidationError({"lon": str(exc)}) from None


# --- addresses --------------------------------------------------------------------------------
def full_text_of(area, road, door_number, building_no="", unit_no="", room_no="") -> str:
    chain = [a for a in [*area.ancestors(), area] if a.level <= Level.VILLAGE]
    return "".join(a.name for a in chain) + addressing.canonical(
        road, door_number, building_no, unit_no, room_no)


def _address_parts(values: dict) -> dict:
    parts = {"road": _required(values.get("road"), "road", 60),
             "door_number": _required(values.get("door_number"), "door_number", 20)}
    for name, length in (("building_no", 20), ("unit_no", 10), ("room_no", 10)):
        parts[name] = _optional(values.get(name), name, length)
    for name in ("door_number", "building_no", "unit_no", "room_no"):
        parts[name] = addressing.normalize(parts[name]).removesuffix("号")
    parts["road"] = addressing.normalize(parts["road"])
    return parts


@transaction.atomic
def create_address(actor, *, area, road, door_number, building_no="", unit_no="", room_no="",
                   lon=None, lat=None, source="web") -> Address:
    _check_area(area, actor, ADDRESS_LEVELS)
    parts = _address_parts({"road": road, "door_number": door_number,
                            "building_no": building_no, "unit_no": unit_no,
                            "room_no": room_no})
    lon, lat = _point(lon, lat)
    full_text = full_text_of(area, **parts)
    if Address.objects.filter(full_text=full_text).exists():
        raise ValidationError({"road": f"the standard address {full_text} exists already"})
    address = Address.objects.create(area=area, full_text=full_text, lon=lon, lat=lat, **parts)
    _record(actor, source, PlaceChange.ObjectKind.ADDRESS, address, PlaceChange.Action.CREATED,
            None, address_snapshot(address), area=area)
    return address


@transaction.atomic
def update_address(actor, original: Address, *, source="web", **changes) -> bool:
    allowed = {"area", "road", "door_number", "building_no", "unit_no", "room_no", "lon", "lat"}
    if set(changes) - allowed:
        raise TypeError(f"cannot change {', '.join(sorted(set(changes) - allowed))}")
    _check_visible(actor, Address, original)
    address = Address.objects.select_for_update().get(pk=original.pk)
    before = address_snapshot(address)
    area = changes.get("area", address.area)
    _check_area(area, actor, ADDRESS_LEVELS)
    values = {k: changes.get(k, getattr(address, k)) for k in
              ("road", "door_number", "building_no", "unit_no", "room_no")}
    parts = _address_parts(values)
    lon, lat = _point(changes.get("lon", address.lon), changes.get("lat", address.lat))
    address.area = area
    for key, value in parts.items():
        setattr(address, key, value)
    address.lon, address.lat = lon, lat
    address.full_text = full_text_of(area, **parts)
    after = address_snapshot(address)
    if after == before:
        return False
    if Address.objects.filter(full_text=address.full_text).exclude(pk=address.pk).exists():
        raise ValidationError({"road": f"the standard address {address.full_text} exists "
                                       "already"})
    address.save()
    _record(actor, source, PlaceChange.ObjectKind.ADDRESS, address, PlaceChange.Action.UPDATED,
            before, after, area=area)
    original.refresh_from_db()
    return True


def match_address(actor, text: str, *, source="web", building=None, record=True):
    """Matches free text to a standard address the actor may see. Returns (address or None,
    the ``addressing.Match``); below the threshold the match waits in the review queue."""
    queryset = Address.objects.all() if actor is None else Address.objects.visible_to(actor)
    result = addressing.match(text, queryset)
    if result.accepted:
        return result.candidate, result
    if record:
        area = result.candidate.area if result.candidate is not None else None
        if area is None and building is not None:
            area = building.grid
        AddressMatch.objects.create(raw_text=text[:200], parsed=result.parsed.as_dict(),
                                    candidate=result.candidate, score=result.score, area=area,
                                    source=source[:200], building=building)
    return None, result


@transaction.atomic
def decide_match(actor, match: AddressMatch, accept: bool) -> AddressMatch:
    """Accept (the candidate becomes the building's address when it has none) or reject an
    address match of the review queue. A decision changes base data: only roles that keep it
    (wangge.core.permissions.can_edit_base_data), inside their jurisdiction; PermissionDenied
    otherwise."""
    _check_visible(actor, AddressMatch, match)
    if not can_edit_base_data(actor):
        raise PermissionDenied(_("Your role may read the address review but not decide it."))
    match = AddressMatch.objects.select_for_update().get(pk=match.pk)
    if match.state != MatchState.PENDING:
        raise ValidationError({"state": "this match has been decided already"})
    if accept and match.candidate is None:
        raise ValidationError({"candidate": "there is no candidate to accept"})
    match.state = MatchState.ACCEPTED if accept else MatchState.REJECTED
    match.decided_by = actor
    match.decided_at = timezone.now()
    match.save()
    if accept and match.building_id and not match.building.address_id:
        update_building(actor, match.building, address=match.candidate, source="address review")
    return match


# --- buildings ------------------------------------------------------------------------------
def locate_grid(lon, lat):
    """The unit grid holding a WGS-84 point, or a ValidationError."""
    from wangge.territory.locate import locate
    from wangge.territory.models import Area

    try:
        where = locate(lon, lat)
    except ValueError as exc:
        raise ValidationError({"lon": str(exc)}) from None
    if not where.inside:
        raise ValidationError({"lon": "the point is outside every grid"})
    return Area.objects.get(pk=where.grid_id)


def _building_values(values: dict, actor) -> dict:
    out = {"name": _required(values.get("name"), "name", 80)}
    kind = values.get("kind") or BuildingKind.RESIDENTIAL
    if kind not in BuildingKind.values:
        raise ValidationError({"kind": f"{kind!r} is not one of {', '.join(BuildingKind.values)}"})
    out["kind"] = kind
    floors = values.get("floors")
    if floors in ("", None):
        out["floors"] = None
    else:
        try:
            out["floors"] = int(floors)
        except (TypeError, ValueError):
            raise ValidationError({"floors": "a whole number"}) from None
        if not 0 < out["floors"] < 200:
            raise ValidationError({"floors": "between 1 and 199"})
    out["lon"], out["lat"] = _point(values.get("lon"), values.get("lat"))
    if out["lon"] is not None:
        out["grid"] = locate_grid(out["lon"], out["lat"])
    else:
        out["grid"] = values.get("grid")
    _check_area(out["grid"], actor, UNIT_GRID_LEVELS, field="grid")
    address = values.get("address")
    if address is not None and actor is not None and not \
            Address.objects.visible_to(actor).filter(pk=address.pk).exists():
        raise ValidationError({"address": "outside your jurisdiction"})
    out["address"] = address
    return out


@transaction.atomic
def create_building(actor, *, name, grid=None, lon=None, lat=None, address=None,
                    kind=BuildingKind.RESIDENTIAL, floors=None, source="web") -> Building:
    """The grid is located from the point when there is one, else the one given."""
    values = _building_values({"name": name, "grid": grid, "lon": lon, "lat": lat,
                               "address": address, "kind": kind, "floors": floors}, actor)
    building = Building.objects.create(**values)
    _record(actor, source, PlaceChange.ObjectKind.BUILDING, building,
            PlaceChange.Action.CREATED, None, building_snapshot(building), area=building.grid,
            building=building)
    return building


@transaction.atomic
def update_building(actor, original: Building, *, source="web", **changes) -> bool:
    allowed = {"name", "grid", "lon", "lat", "address", "kind", "floors"}
    if set(changes) - allowed:
        raise TypeError(f"cannot change {', '.join(sorted(set(changes) - allowed))}")
    _check_visible(actor, Building, original)
    building = Building.objects.select_for_update().get(pk=original.pk)
    before = building_snapshot(building)
    current = {k: getattr(building, k) for k in allowed}
    current.update(changes)
    if "grid" in changes and "lon" not in changes:  # a chosen grid wins over the old point
        current["lon"] = current["lat"] = None if changes["grid"] != building.grid else \
            building.lon
        if current["lon"] is not None:
            current["lat"] = building.lat
    values = _building_values(current, actor)
    for key, value in values.items():
        setattr(building, key, value)
    after = building_snapshot(building)
    if after == before:
        return False
    building.save()
    _record(actor, source, PlaceChange.ObjectKind.BUILDING, building,
            PlaceChange.Action.UPDATED, before, after, area=building.grid, building=building)
    original.refresh_from_db()
    return True


# --- houses ---------------------------------------------------------------------------------
def _house_values(values: dict) -> dict:
    out = {"unit_no": addressing.normalize(_optional(values.get("unit_no"), "unit_no", 10)),
           "room_no": addressing.normalize(_required(values.get("room_no"), "room_no", 10))}
    usage = values.get("usage") or Usage.OWNER
    if usage not in Usage.values:
        raise ValidationError({"usage": f"{usage!r} is not one of {', '.join(Usage.values)}"})
    out["usage"] = usage
    area = values.get("floor_area_m2")
    if area in ("", None):
        out["floor_area_m2"] = None
    else:
        try:
            out["floor_area_m2"] = float(area)
        except (TypeError, ValueError):
            raise ValidationError({"floor_area_m2": "a number"}) from None
        if not 0 < out["floor_area_m2"] < 100000:
            raise ValidationError({"floor_area_m2": "between 0 and 100,000 m²"})
    out["owner"] = values.get("owner")
    return out


@transaction.atomic
def create_house(actor, *, building, room_no, unit_no="", usage=Usage.OWNER,
                 floor_area_m2=None, owner=None, source="web") -> House:
    _check_visible(actor, Building, building)
    values = _house_values({"unit_no": unit_no, "room_no": room_no, "usage": usage,
                            "floor_area_m2": floor_area_m2, "owner": owner})
    if House.objects.filter(building=building, unit_no=values["unit_no"],
                            room_no=values["room_no"]).exists():
        raise ValidationError({"room_no": "this building already has this house"})
    house = House.objects.create(building=building, **values)
    _record(actor, source, PlaceChange.ObjectKind.HOUSE, house, PlaceChange.Action.CREATED,
            None, house_snapshot(house), area=building.grid, building=building, house=house)
    return house


@transaction.atomic
def update_house(actor, original: House, *, source="web", **changes) -> bool:
    """Changes a house. A house no longer rented out (or vacant) ends its tenants'
    residences today."""
    allowed = {"unit_no", "room_no", "usage", "floor_area_m2", "owner"}
    if set(changes) - allowed:
        raise TypeError(f"cannot change {', '.join(sorted(set(changes) - allowed))}")
    _check_visible(actor, House, original)
    house = House.objects.select_for_update().select_related("building__grid").get(
        pk=original.pk)
    before = house_snapshot(house)
    current = {k: getattr(house, k) for k in allowed}
    current.update(changes)
    values = _house_values(current)
    for key, value in values.items():
        setattr(house, key, value)
    after = house_snapshot(house)
    if after == before:
        return False
    if House.objects.filter(building=house.building, unit_no=house.unit_no,
                            room_no=house.room_no).exclude(pk=house.pk).exists():
        raise ValidationError({"room_no": "this building already has this house"})
    house.save()
    _record(actor, source, PlaceChange.ObjectKind.HOUSE, house, PlaceChange.Action.UPDATED,
            before, after, area=house.building.grid, building=house.building, house=house)
    if before["usage"] == Usage.RENTED and house.usage != Usage.RENTED:
        for residence in house.residences.filter(until__isnull=True, is_tenant=True):
            end_residence(actor, residence, source=source)
    if house.usage == Usage.VACANT:
        for residence in house.residences.filter(until__isnull=True):
            end_residence(actor, residence, source=source)
    original.refresh_from_db()
    return True


def set_usage(actor, house: House, usage: str, *, source="web") -> bool:
    """Marks a house owner-occupied, rented out, vacant or business."""
    return update_house(actor, house, usage=usage, source=source)


# --- residences -------------------------------------------------------------------------------
def current_residence(person) -> Residence | None:
    return person.residences.filter(until__isnull=True).select_related("house").first()


@transaction.atomic
def register_residence(actor, *, person, house, relation="", is_tenant=False, since=None,
                       source="web") -> Residence:
    """Registers that a person lives in a house from ``since`` (today by default). A person
    has one primary residence at a time: one elsewhere ends today. A tenant's house is marked
    rented out."""
    _check_visible(actor, House, house)
    if actor is not None and not people.Person.objects.visible_to(actor).filter(
            pk=person.pk).exists():
        raise ValidationError({"id_number": "this person is registered in another "
                                            "jurisdiction"})
    today = timezone.localdate()
    since = since or today
    if isinstance(since, str):
        since = dt.date.fromisoformat(since)
    if since > today:
        raise ValidationError({"since": "cannot be in the future"})
    relation = _optional(relation, "relation", 20)
    for open_one in Residence.objects.select_for_update().filter(person=person,
                                                                 until__isnull=True):
        if open_one.house_id == house.pk and open_one.is_tenant == bool(is_tenant):
            return open_one  # already registered: nothing changes
        end_residence(actor, open_one, until=max(since, open_one.since), source=source)
    residence = Residence.objects.create(person=person, house=house, relation=relation,
                                         is_tenant=bool(is_tenant), since=since,
                                         registered_by=actor)
    _record(actor, source, PlaceChange.ObjectKind.RESIDENCE, residence,
            PlaceChange.Action.CREATED, None, residence_snapshot(residence),
            area=house.building.grid, building=house.building, house=house)
    if is_tenant and house.usage != Usage.RENTED:
        update_house(actor, house, usage=Usage.RENTED, source=source)
    return residence


def register_tenant(actor, *, person, house, since=None, source="web") -> Residence:
    return register_residence(actor, person=person, house=house, is_tenant=True, since=since,
                              source=source)


@transaction.atomic
def end_residence(actor, residence: Residence, *, until=None, source="web") -> bool:
    """Ends a residence (the person moved out); the row stays as history."""
    _check_visible(actor, Residence, residence)
    residence = Residence.objects.select_for_update().select_related(
        "house__building__grid", "person").get(pk=residence.pk)
    if residence.until is not None:
        return False
    before = residence_snapshot(residence)
    residence.until = max(until or timezone.localdate(), residence.since)
    residence.save(update_fields=["until"])
    house = residence.house
    _record(actor, source, PlaceChange.ObjectKind.RESIDENCE, residence,
            PlaceChange.Action.ENDED, before, residence_snapshot(residence),
            area=house.building.grid, building=house.building, house=house)
    return True


def register_resident_by_id_number(actor, *, house, id_number, is_tenant=False, relation="",
                                   source="web") -> Residence:
    """For the phone page: the person must already be registered in people, inside the
    worker's jurisdiction. A lookup by ID number confirms or denies a guessed number, so it goes
    through ``people.exact_lookup`` (counted against the per-user limit and audited, the reason
    being this house); a person of another jurisdiction gets the same answer as no one, so the
    page tells nothing about the rest of the county."""
    if actor is not None:
        _check_visible(actor, House, house)
        try:
            found = people.exact_lookup(
                actor, people.Person.objects.visible_to(actor), id_number=id_number,
                reason=f"register a resident of house {house.pk}")
        except ValueError as exc:
            raise ValidationError({"id_number": str(exc).removeprefix("id_number: ")}) from None
    else:
        found = people.Person.objects.filter(pk=getattr(
            people.find_by_id_number(id_number), "pk", None))
    person = found.first()
    if person is None:
        raise ValidationError({"id_number": "no one with this ID number is registered in your "
                                            "jurisdiction"})
    return register_residence(actor, person=person, house=house, is_tenant=is_tenant,
                              relation=relation, source=source)
