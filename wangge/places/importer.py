"""Places from CSV or XLSX: ``wangge import-places KIND FILE``, KIND one of addresses,
buildings, houses.

Columns (the header is row 1; unknown columns are ignored):

- addresses: area_code (a grid or community), road, door_number, building_no, unit_no, room_no,
  lon, lat — or, instead of the parts, ``text``: a free-text address parsed into them.
  An address is identified by its standard text: a re-import changes nothing (or the point).
- buildings: name, grid_code, lon, lat (the grid is located from the point when given), kind,
  floors, address (free text, matched to a standard address; a low score goes to the review
  queue and the building is imported without it), id (to update a building by its number).
  A building is identified by id, else by name within its grid.
- houses: building_id, or building_name and grid_code; unit_no, room_no, usage (owner, rented,
  vacant, business or 自住/出租/空置/经营), floor_area_m2, owner_id_number (a person already
  registered, found by ID number). A house is identified by building, unit and room.

All or nothing by default: every row is tried and reported, then nothing is kept if any row
was bad; with ``skip_bad_rows`` the good rows are kept. Problems are reported by row and column
as in wangge/people/importer.py (whose RowProblem and error report are reused).
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from wangge.core import tabular
from wangge.core.tabular import RowProblem, TableImportError, error_report
from wangge.people.services import find_by_id_number
from wangge.places import address as addressing
from wangge.places import services
from wangge.places.models import Address, Building, House, Usage
from wangge.territory.models import Area

__all__ = ["KINDS", "PlacesImportError", "RowProblem", "error_report", "import_places",
           "read_rows"]

KINDS = {
    "addresses": (["area_code"], ["area_code", "road", "door_number", "building_no", "unit_no",
                                  "room_no", "lon", "lat", "text"]),
    "buildings": (["name"], ["id", "name", "grid_code", "lon", "lat", "kind", "floors",
                             "address"]),
    "houses": (["room_no"], ["building_id", "building_name", "grid_code", "unit_no", "room_no",
                             "usage", "floor_area_m2", "owner_id_number"]),
}
USAGE_ALIASES = {"自住": Usage.OWNER, "出租": Usage.RENTED, "空置": Usage.VACANT,
                 "经营": Usage.BUSINESS}
PROGRESS_EVERY = 500


class PlacesImportError(TableImportError):
    """Nothing was imported; ``problems`` says why, row by row."""


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_rows(kind: str, data: bytes, filename: str) -> list[dict | None]:
    """Rows as dicts of the kind's columns from CSV (UTF-8, BOM or not) or XLSX bytes."""
    if kind not in KINDS:
        raise PlacesImportError([RowProblem(0, "", f"unknown kind {kind!r}")], filename)
    required, columns = KINDS[kind]
    return tabular.read_rows(data, filename, columns, required, error=PlacesImportError,
                             cell=_cell)


class _RowError(Exception):
    def __init__(self, column: str, message: str):
        self.column, self.message = column, message


def _area(code: str, column: str, levels) -> Area:
    area = Area.objects.filter(code=code).first() if code else None
    if area is None:
        raise _RowError(column, f"no area has the code {code!r}" if code else "required")
    if area.level not in levels:
        raise _RowError(column, f"{area.code} is not a grid" + (
            " or community" if len(levels) > 2 else ""))
    return area


# --- one row of each kind: returns "created", "updated", "unchanged" or "review" ---------------
def _address_row(row, actor, source) -> str:
    area = _area(row["area_code"], "area_code", services.ADDRESS_LEVELS)
    parts = {k: row[k] for k in ("road", "door_number", "building_no", "unit_no", "room_no")}
    if row["text"] and not (row["road"] or row["door_number"]):
        parsed = addressing.parse(row["text"])
        if not parsed.road or not parsed.door_number:
            raise _RowError("text", "no road and door number found in this address")
        parts = {k: getattr(parsed, k) for k in parts}
    parts = services._address_parts(parts)
    full_text = services.full_text_of(area, **parts)
    existing = Address.objects.filter(full_text=full_text).first()
    if existing is None:
        services.create_address(actor, area=area, lon=row["lon"] or None,
                                lat=row["lat"] or None, source=source, **parts)
        return "created"
    if row["lon"] or row["lat"]:
        changed = services.update_address(actor, existing, lon=row["lon"], lat=row["lat"],
                                          source=source)
        return "updated" if changed else "unchanged"
    if actor is not None and not Address.objects.visible_to(actor).filter(
            pk=existing.pk).exists():
        raise _RowError("area_code", "outside your jurisdiction")
    return "unchanged"


def _building_row(row, actor, source) -> str:
    values = {"name": row["name"], "kind": row["kind"] or "residential",
              "floors": row["floors"] or None, "lon": row["lon"] or None,
              "lat": row["lat"] or None}
    if values["lon"] is not None or values["lat"] is not None:
        grid = services.locate_grid(values["lon"], values["lat"])
    else:
        grid = _area(row["grid_code"], "grid_code", services.UNIT_GRID_LEVELS)
    values["grid"] = grid
    building = None
    if row["id"]:
        building = Building.objects.filter(pk=row["id"]).first() if row["id"].isdigit() \
            else None
        if building is None:
            raise _RowError("id", f"no building has the id {row['id']!r}")
    else:
        building = Building.objects.filter(name=row["name"].strip(), grid=grid).first()
    review = False
    if row["address"]:
        found, _result = services.match_address(actor, row["address"], source=source,
                                                 record=False)
        if found is not None:
            values["address"] = found
        else:
            review = True
    if building is None:
        building = services.create_building(actor, source=source, **values)
        outcome = "created"
    else:
        if building.address_id and "address" not in values:
            values["address"] = building.address
        changed = services.update_building(actor, building, source=source, **values)
        outcome = "updated" if changed else "unchanged"
    if review and not building.address_id and not building.address_matches.filter(
            raw_text=row["address"][:200]).exists():
        services.match_address(actor, row["address"], source=source, building=building)
        outcome = "review"
    return outcome


def _house_row(row, actor, source) -> str:
    if row["building_id"]:
        building = Building.objects.filter(pk=row["building_id"]).first() \
            if row["building_id"].isdigit() else None
        if building is None:
            raise _RowError("building_id", f"no building has the id {row['building_id']!r}")
    else:
        if not row["building_name"]:
            raise _RowError("building_name", "give building_id, or building_name and grid_code")
        grid = _area(row["grid_code"], "grid_code", services.UNIT_GRID_LEVELS)
        building = Building.objects.filter(name=row["building_name"], grid=grid).first()
        if building is None:
            raise _RowError("building_name",
                            f"no building {row['building_name']!r} in grid {grid.code}")
    if actor is not None and not Building.objects.visible_to(actor).filter(
            pk=building.pk).exists():
        raise _RowError("building_id" if row["building_id"] else "grid_code",
                        "outside your jurisdiction")
    usage = USAGE_ALIASES.get(row["usage"], row["usage"] or Usage.OWNER)
    owner = None
    if row["owner_id_number"]:
        owner = find_by_id_number(row["owner_id_number"])
        if owner is None:
            raise _RowError("owner_id_number", "no registered person has this ID number")
    values = {"usage": usage, "floor_area_m2": row["floor_area_m2"] or None, "owner": owner}
    unit_no = addressing.normalize(row["unit_no"])
    room_no = addressing.normalize(row["room_no"])
    house = House.objects.filter(building=building, unit_no=unit_no, room_no=room_no).first()
    if house is None:
        services.create_house(actor, building=building, unit_no=unit_no, room_no=room_no,
                              source=source, **values)
        return "created"
    changed = services.update_house(actor, house, source=source, **values)
    return "updated" if changed else "unchanged"


HANDLERS = {"addresses": _address_row, "buildings": _building_row, "houses": _house_row}
FIELD_COLUMNS = {"area": "area_code", "grid": "grid_code", "owner": "owner_id_number"}


def import_places(kind: str, rows: list[dict | None], *, actor=None, skip_bad_rows=False,
                  source: str = "", progress: Callable[[int, int], None] | None = None) -> dict:
    """Imports the rows of a kind; returns the counts and the problems. All or nothing unless
    ``skip_bad_rows`` (otherwise raises PlacesImportError, having kept nothing)."""
    handler = HANDLERS[kind]
    counts = {"created": 0, "updated": 0, "unchanged": 0, "review": 0}
    problems: list[RowProblem] = []
    total = sum(1 for r in rows if r is not None)
    done = 0
    source = source or "import"
    with transaction.atomic():
        for number, row in enumerate(rows, start=2):
            if row is None:
                continue
            done += 1
            try:
                with transaction.atomic():
                    counts[handler(row, actor, f"import {source}"[:200])] += 1
            except _RowError as exc:
                problems.append(RowProblem(number, exc.column, exc.message))
            except PermissionDenied:
                problems.append(RowProblem(number, "", "outside your jurisdiction"))
            except ValidationError as exc:
                details = exc.message_dict if hasattr(exc, "error_dict") else {
                    "": exc.messages}
                for field, messages in details.items():
                    problems.append(RowProblem(number, FIELD_COLUMNS.get(field, field),
                                               "; ".join(messages)))
            if progress and (done % PROGRESS_EVERY == 0 or done == total):
                progress(done, total)
        if problems and not skip_bad_rows:
            raise PlacesImportError(problems, source)
    problems.sort(key=lambda p: (p.row, p.column))
    return {**counts, "skipped": len({p.row for p in problems}), "problems": problems}
