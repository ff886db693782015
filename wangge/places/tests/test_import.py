"""wangge import-places: all or nothing, skip-bad-rows with the error file, idempotent."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from wangge.places.models import Address, AddressMatch, Building, House, PlaceChange

from .conftest import LIUCHENG_2_GRID, XIMEI_1, XIMEI_1_GRID


def write(tmp_path, name, rows):
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_places", *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_addresses_structured_and_free_text(tmp_path, territory):
    path = write(tmp_path, "a.csv", [
        ["area_code", "road", "door_number", "building_no", "unit_no", "room_no", "text"],
        [XIMEI_1, "幸福路", "12", "3", "2", "301", ""],
        [XIMEI_1, "", "", "", "", "", "幸福路 12号 3幢 2单元 302室"],
    ])
    out, _ = run("addresses", path)
    assert "2 new" in out and "2 / 2 rows" in out
    assert set(Address.objects.values_list("room_no", flat=True)) == {"301", "302"}
    out, _ = run("addresses", path)  # idempotent
    assert "0 new" in out and "2 unchanged" in out and Address.objects.count() == 2


def test_all_or_nothing_then_skip_bad_rows(tmp_path, territory):
    path = write(tmp_path, "b.csv", [
        ["name", "grid_code", "lon", "lat", "floors"],
        ["一号楼", XIMEI_1_GRID, "", "", "5"],
        ["二号楼", "999999", "", "", ""],
        ["三号楼", "", "118.35", "24.95", "x"],
        ["四号楼", "", "118.35", "24.95", "3"],
    ])
    errors = tmp_path / "errors.csv"
    with pytest.raises(CommandError, match="nothing was imported"):
        run("buildings", path, "--errors-out", errors)
    assert Building.objects.count() == 0 and PlaceChange.objects.count() == 0
    report = list(csv.reader(errors.open(encoding="utf-8")))
    assert report[0] == ["row", "column", "reason"]
    assert [r[:2] for r in report[1:]] == [["3", "grid_code"], ["4", "floors"]]

    out, _ = run("buildings", path, "--skip-bad-rows", "--errors-out", errors)
    assert "2 new" in out and "2 bad rows skipped" in out
    assert set(Building.objects.values_list("name", flat=True)) == {"一号楼", "四号楼"}
    assert Building.objects.get(name="四号楼").grid.code == LIUCHENG_2_GRID
    assert len(list(csv.reader(errors.open(encoding="utf-8")))) == 3

    out, _ = run("buildings", path, "--skip-bad-rows")  # re-import: nothing new
    assert "0 new" in out and Building.objects.count() == 2


def test_buildings_match_free_text_addresses(tmp_path, std_addresses):
    path = write(tmp_path, "b.csv", [
        ["name", "grid_code", "address"],
        ["幸福苑3栋", XIMEI_1_GRID, "溪美街道幸福路12号3号楼2单元301室"],
        ["幸福苑5栋", XIMEI_1_GRID, "幸福陆12号3栋2单元301室"],
    ])
    out, _ = run("buildings", path)
    assert "1 addresses to review" in out
    assert Building.objects.get(name="幸福苑3栋").address == std_addresses["a1"]
    assert Building.objects.get(name="幸福苑5栋").address is None
    match = AddressMatch.objects.get()
    assert match.building.name == "幸福苑5栋" and match.state == "pending"
    run("buildings", path)
    assert AddressMatch.objects.count() == 1  # not queued twice


def test_houses_with_owner_by_id_number(tmp_path, buildings, persons):
    from wangge.people.services import id_number_of

    number = id_number_of(persons["zhang"])
    path = write(tmp_path, "h.csv", [
        ["building_name", "grid_code", "building_id", "unit_no", "room_no", "usage",
         "floor_area_m2", "owner_id_number"],
        ["幸福苑3栋", XIMEI_1_GRID, "", "1", "101", "出租", "88.5", number],
        ["", "", str(buildings["ximei"].pk), "1", "102", "自住", "", ""],
        ["不存在", XIMEI_1_GRID, "", "1", "103", "", "", ""],
        ["幸福苑3栋", XIMEI_1_GRID, "", "1", "104", "", "", "110101199003077777"],
    ])
    errors = tmp_path / "e.csv"
    out, _ = run("houses", path, "--skip-bad-rows", "--errors-out", errors)
    assert "2 new" in out
    house = House.objects.get(room_no="101")
    assert house.owner == persons["zhang"] and house.usage == "rented"
    report = list(csv.reader(errors.open(encoding="utf-8")))
    assert [r[:2] for r in report[1:]] == [["4", "building_name"], ["5", "owner_id_number"]]
    out, _ = run("houses", path, "--skip-bad-rows")
    assert "0 new" in out and "0 updated" in out and House.objects.count() == 2


def test_xlsx(tmp_path, territory):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["name", "grid_code", "floors"])
    sheet.append(["表格楼", int(XIMEI_1_GRID), 12])
    path = tmp_path / "b.xlsx"
    book.save(path)
    run("buildings", path)
    assert Building.objects.get().floors == 12
