"""Places as tables: ``wangge export addresses|buildings|houses`` and the export links of the
buildings and houses lists.

The columns are the importer's (wangge/places/importer.py), so a re-import of an export
changes nothing:

- addresses: area_code, road, door_number, building_no, unit_no, room_no, lon, lat (the parts,
  not the free ``text`` the importer also accepts);
- buildings: id (so that a re-import updates the same building), name, grid_code, lon, lat,
  kind, floors, address (the standard address's text, matched back to it);
- houses: building_id, building_name, grid_code, unit_no, room_no, usage, floor_area_m2,
  owner_id_number (clear for the system and users with people.view_full_id, else masked: the
  file then cannot be re-imported, and the export is logged like one of people).

``filtered_buildings`` and ``filtered_houses`` are the list pages' filters, shared by the pages
and their exports.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Q
from django.utils.translation import gettext_lazy as _l

from wangge.core import crypto
from wangge.core.exporting import CHUNK, Context, ExportKind, in_area, visible
from wangge.core.identifiers import mask
from wangge.people.models import ID_ASSOCIATED
from wangge.places.importer import KINDS
from wangge.places.models import Address, Building, BuildingKind, House, Usage

# --- addresses ----------------------------------------------------------------------------------
ADDRESS_COLUMNS = [c for c in KINDS["addresses"][1] if c != "text"]


def filtered_addresses(user, params: dict) -> tuple:
    addresses = visible(Address, user)
    if params.get("area"):
        return in_area(addresses, user, params["area"], "area__prefix")
    return addresses, ""


def address_rows(queryset, ctx: Context) -> Iterator[list]:
    addresses = queryset.order_by("area__code", "pk").values_list(
        "area__code", "road", "door_number", "building_no", "unit_no", "room_no", "lon", "lat")
    for row in addresses.iterator(chunk_size=CHUNK):
        yield list(row)


ADDRESSES = ExportKind(name="addresses", columns=ADDRESS_COLUMNS, filtered=filtered_addresses,
                       rows=address_rows, numeric=frozenset({"lon", "lat"}))


# --- buildings ----------------------------------------------------------------------------------
BUILDING_FILTERS = ("q", "grid", "kind")


def filtered_buildings(user, params: dict) -> tuple:
    """The buildings list's filters: q (name or address contains), kind, grid (an area code:
    its subtree)."""
    buildings = visible(Building, user)
    if params.get("q"):
        buildings = buildings.filter(Q(name__icontains=params["q"])
                                     | Q(address__full_text__icontains=params["q"]))
    if params.get("kind") in BuildingKind.values:
        buildings = buildings.filter(kind=params["kind"])
    if params.get("grid"):
        return in_area(buildings, user, params["grid"], "grid__prefix")
    return buildings, ""


def building_rows(queryset, ctx: Context) -> Iterator[list]:
    buildings = queryset.order_by("grid__code", "name", "pk").values_list(
        "pk", "name", "grid__code", "lon", "lat", "kind", "floors", "address__full_text")
    for *values, address in buildings.iterator(chunk_size=CHUNK):
        yield [*values, address or ""]


BUILDINGS = ExportKind(name="buildings", columns=KINDS["buildings"][1],
                       filtered=filtered_buildings, rows=building_rows,
                       filter_keys=BUILDING_FILTERS, area_key="grid", list_url="places:buildings",
                       numeric=frozenset({"id", "lon", "lat", "floors"}))


# --- houses -------------------------------------------------------------------------------------
HOUSE_FILTERS = ("q", "grid", "usage")


def filtered_houses(user, params: dict) -> tuple:
    """The houses list's filters: q (building name contains), usage, grid (an area code: its
    subtree)."""
    houses = visible(House, user)
    if params.get("q"):
        houses = houses.filter(building__name__icontains=params["q"])
    if params.get("usage") in Usage.values:
        houses = houses.filter(usage=params["usage"])
    if params.get("grid"):
        return in_area(houses, user, params["grid"], "building__grid__prefix")
    return houses, ""


def house_rows(queryset, ctx: Context) -> Iterator[list]:
    id_number_of = crypto.decrypter(associated=ID_ASSOCIATED)
    houses = queryset.order_by(
        "building__grid__code", "building__name", "building_id", "unit_no", "room_no",
        "pk").values_list("building_id", "building__name", "building__grid__code", "unit_no",
                          "room_no", "usage", "floor_area_m2", "owner__id_number_enc")
    for *values, owner_enc in houses.iterator(chunk_size=CHUNK):
        owner = id_number_of(owner_enc) if owner_enc else ""
        if owner and not ctx.clear:
            owner = mask(owner)
        yield [*values, owner]


HOUSES = ExportKind(
    name="houses", columns=KINDS["houses"][1], filtered=filtered_houses, rows=house_rows,
    filter_keys=HOUSE_FILTERS, area_key="grid", personal=True, list_url="places:houses",
    label=_l("Houses"),
    numeric=frozenset({"building_id", "floor_area_m2"}),
    masked_note=_l("The owners' ID numbers in this file are masked: it cannot be "
                   "re-imported."))
