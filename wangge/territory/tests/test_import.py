"""The GeoJSON importer: all or nothing, every problem named by feature and property."""

import copy
import json

import pytest

from wangge.conftest import box, feature, small_territory
from wangge.territory.models import Area
from wangge.territory.services import (
    TerritoryImportError,
    export_territory,
    import_territory,
)

pytestmark = pytest.mark.django_db


def problems_of(data) -> list[str]:
    with pytest.raises(TerritoryImportError) as info:
        import_territory(data)
    assert Area.objects.count() == 0 or info.value.problems
    return [str(p) for p in info.value.problems]


def test_a_good_file_imports_every_level():
    result = import_territory(small_territory())
    assert result.created == 1 + 2 + 4 + 8
    grid = Area.objects.get(code="350583001001001")
    assert grid.level == 4
    assert grid.parent.code == "350583001001"
    assert grid.prefix == "350583001001001"
    # 0.1° × 0.1° at latitude 24.85: about 11.13 km × 10.1 km
    assert 110 < grid.area_km2 < 114
    assert Area.objects.get(code="350583001000").prefix == "350583001"


def test_round_trip_is_identical():
    import_territory(small_territory())
    first = export_territory()
    for level in (5, 4, 3, 2, 1):
        Area.objects.filter(level=level).delete()
    assert Area.objects.count() == 0
    import_territory(json.dumps(first))
    second = export_territory()
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    assert len(first["features"]) == 15


def test_reimport_updates_instead_of_duplicating():
    import_territory(small_territory())
    data = small_territory()
    data["features"][0]["properties"]["name"] = "南安市（新）"
    data["features"][0]["properties"]["owner"] = "综治中心"
    result = import_territory(data)
    assert (result.created, result.updated) == (0, 15)
    county = Area.objects.get(code="350583000000")
    assert county.name == "南安市（新）"
    assert county.attributes == {"owner": "综治中心"}


def test_malformed_json_and_wrong_shapes():
    assert "not valid JSON" in problems_of(b"{not json")[0]
    assert "FeatureCollection" in problems_of({"type": "Feature"})[0]
    assert "list of features" in problems_of({"type": "FeatureCollection", "features": {}})[0]


def test_every_problem_is_reported_with_feature_index_and_property():
    data = small_territory()
    grid = data["features"][4]  # 350583001001002
    assert grid["properties"]["code"] == "350583001001002"
    bowtie = {"type": "Polygon", "coordinates": [[[118.1, 24.8], [118.2, 24.9], [118.2, 24.8],
                                                  [118.1, 24.9], [118.1, 24.8]]]}
    data["features"][4]["geometry"] = bowtie
    data["features"][5]["properties"]["code"] = "35058300100A"
    data["features"][6]["properties"]["name"] = ""
    data["features"].append(feature("350583009001001", "孤儿网格", box(118.0, 24.8, 118.01, 24.81)))
    data["features"].append(copy.deepcopy(data["features"][3]))  # duplicate 350583001001001
    messages = problems_of(data)
    text = "\n".join(messages)
    assert "feature 4, property 'geometry': invalid polygon: Self-intersection" in text
    assert "feature 5, property 'code': code '35058300100A' must contain digits only" in text
    assert "feature 6, property 'name': missing name" in text
    assert ("feature 15, property 'parent_code': unknown parent code 350583009001: not in this "
            "file nor in the database") in text
    assert "feature 16, property 'code': duplicate code 350583001001001 (also feature 3)" in text
    assert Area.objects.count() == 0  # nothing partial


def test_overlap_names_the_other_grid():
    data = small_territory()
    # grid 002 of village 001 grows west over grid 001 by 0.01° (about 1 km wide)
    data["features"][4]["geometry"] = box(118.09, 24.8, 118.2, 24.9)
    messages = problems_of(data)
    assert len(messages) == 1
    assert messages[0].startswith("feature 3, property 'geometry': 350583001001001 overlaps grid "
                                  "350583001001002 (feature 4) by ")
    assert Area.objects.count() == 0


def test_overlap_with_a_grid_already_in_the_database():
    import_territory(small_territory())
    extra = {"type": "FeatureCollection", "features": [
        feature("350583001001003", "新网格", box(118.05, 24.85, 118.15, 24.88), "grid"),
    ]}
    messages = problems_of(extra)
    assert "overlaps grid 350583001001001 (the database)" in messages[0]
    assert "overlaps grid 350583001001002 (the database)" in messages[1]
    assert not Area.objects.filter(code="350583001001003").exists()


def test_grid_outside_its_community_and_bad_coordinates():
    data = small_territory()
    data["features"][3]["geometry"] = box(118.0, 24.79, 118.1, 24.9)  # 0.01° south of it
    data["features"][9]["geometry"] = box(24.8, 118.2, 24.9, 118.3)  # lat/lon swapped
    data["features"][10]["geometry"] = {"type": "Point", "coordinates": [118.3, 24.85]}
    data["features"][11]["properties"]["valid_from"] = "2026-13-01"
    data["features"][12]["properties"]["parent_code"] = "350583001000"
    data["features"][13]["properties"]["level"] = "village"
    messages = "\n".join(problems_of(data))
    assert "feature 3, property 'geometry': 350583001001001 lies" in messages
    assert "outside its parent 350583001001" in messages
    assert "feature 9, property 'geometry': position [24.8, 118.2] is out of range" in messages
    assert "feature 10, property 'geometry': expected a Polygon or MultiPolygon, got 'Point'" \
        in messages
    assert "feature 11, property 'valid_from': '2026-13-01' is not a date" in messages
    assert ("feature 12, property 'parent_code': parent code 350583001000 is not a prefix of "
            "code 350583002002; expected 350583002000") in messages
    assert "feature 13, property 'level': level 'village' does not match code" in messages


def test_shared_borders_and_tiny_slivers_are_tolerated():
    data = small_territory()
    # move a shared border by 1e-7° (about 1 cm): a 112 m² sliver 1 cm wide is noise
    data["features"][4]["geometry"] = box(118.0999999, 24.8, 118.2, 24.9)
    assert import_territory(data).created == 15


def test_import_command_reports_problems_and_writes_nothing(tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    path = tmp_path / "bad.geojson"
    data = small_territory()
    data["features"][2]["properties"]["code"] = "350583001001001001001"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CommandError) as info:
        call_command("import_territory", str(path))
    assert str(path) in str(info.value)
    assert "feature 2, property 'code'" in str(info.value)
    assert "nothing was imported" in str(info.value)
    assert Area.objects.count() == 0

    good = tmp_path / "good.geojson"
    good.write_text(json.dumps(small_territory()), encoding="utf-8")
    call_command("import_territory", str(good))
    out = tmp_path / "out.geojson"
    call_command("export_territory", "-o", str(out))
    assert json.loads(out.read_text(encoding="utf-8")) == export_territory()


# --- review fixes ------------------------------------------------------------------------------
def test_a_redrawn_parent_must_still_hold_its_children_in_the_database():
    import_territory(small_territory())
    # village 350583001001 shrinks to its west half; its grid 002 (not in the file) is left out
    shrunk = {"type": "FeatureCollection", "features": [
        feature("350583001001", "溪美街道1社区", box(118.0, 24.8, 118.1, 24.9), "village"),
    ]}
    messages = problems_of(shrunk)
    assert len(messages) == 1
    assert messages[0].startswith("feature 0, property 'geometry': grid 350583001001002 (the "
                                  "database) would lie ")
    assert "outside the new boundary of 350583001001" in messages[0]
    assert Area.objects.get(code="350583001001").area_km2 > 200  # unchanged
    # with the child redrawn in the same file, the change is consistent
    shrunk["features"].append(feature("350583001001002", "1社区2网格",
                                      box(118.05, 24.8, 118.1, 24.9), "grid"))
    shrunk["features"].append(feature("350583001001001", "1社区1网格",
                                      box(118.0, 24.8, 118.05, 24.9), "grid"))
    assert import_territory(shrunk).updated == 3


def test_a_redrawn_grid_can_replace_an_expired_one():
    import_territory(small_territory())
    Area.objects.filter(code="350583001001001").update(valid_to="2025-12-31")
    redrawn = {"type": "FeatureCollection", "features": [
        feature("350583001001003", "1社区新网格", box(118.0, 24.8, 118.1, 24.9), "grid",
                valid_from="2026-01-01"),
    ]}
    assert import_territory(redrawn).created == 1
    # a period that shares a day with the old grid's is still an overlap
    clash = {"type": "FeatureCollection", "features": [
        feature("350583001001004", "1社区又一网格", box(118.0, 24.8, 118.1, 24.9), "grid",
                valid_from="2025-12-31", valid_to="2025-12-31"),
    ]}
    messages = problems_of(clash)
    assert len(messages) == 1
    assert "overlaps grid 350583001001001 (the database)" in messages[0]
    # both in one file: the old one ends the day before the new one starts
    data = small_territory()
    data["features"][3]["properties"]["valid_to"] = "2025-12-31"
    data["features"].append(feature("350583001001005", "1社区新网格", box(118.0, 24.8, 118.1, 24.9),
                                    "grid", valid_from="2026-01-01"))
    Area.objects.filter(code__in=["350583001001003", "350583001001004"]).delete()
    assert import_territory(data).created == 1


def test_duplicate_codes_are_found_even_when_one_copy_fails_to_parse():
    data = small_territory()
    copy_of_grid = copy.deepcopy(data["features"][3])  # 350583001001001
    copy_of_grid["geometry"] = {"type": "Point", "coordinates": [118.05, 24.85]}
    data["features"].append(copy_of_grid)
    text = "\n".join(problems_of(data))
    assert "feature 15, property 'code': duplicate code 350583001001001 (also feature 3)" in text
    # also when the first copy is the broken one, and when the code itself is malformed
    data = small_territory()
    data["features"][3]["geometry"] = {"type": "Point", "coordinates": [118.05, 24.85]}
    data["features"].append(copy.deepcopy(small_territory()["features"][3]))
    data["features"].append(feature("35058300100X", "坏", None))
    data["features"].append(feature("35058300100X", "坏", None))
    text = "\n".join(problems_of(data))
    assert "feature 15, property 'code': duplicate code 350583001001001 (also feature 3)" in text
    assert "feature 17, property 'code': duplicate code 35058300100X (also feature 16)" in text


def test_overlaps_name_the_level_of_the_other_area():
    import_territory(small_territory())
    township = {"type": "FeatureCollection", "features": [
        feature("350583003000", "新街道", box(118.3, 24.8, 118.4, 25.0), "township"),
    ]}
    messages = problems_of(township)
    assert "350583003000 overlaps township 350583002000 (the database)" in messages[0]
    villages = {"type": "FeatureCollection", "features": [
        feature("350583001003", "新社区", box(118.0, 24.85, 118.2, 24.95), "village"),
    ]}
    text = "\n".join(problems_of(villages))
    assert "350583001003 overlaps village 350583001001 (the database)" in text
    assert "overlaps grid" not in text


def test_validating_an_area_whose_code_changed_does_not_compare_it_with_itself():
    from wangge.territory.services import validate_area

    import_territory(small_territory())
    area = Area.objects.get(code="350583001001001")
    area.code = "350583001001009"
    assert validate_area(area) == {}
    area.geometry = box(118.0, 24.8, 118.15, 24.9)  # now it does overlap grid 002
    assert "overlaps grid 350583001001002" in validate_area(area)["geometry"]


@pytest.mark.parametrize("code", ["abc", "3505830010", "350583000001001", ""])
def test_validating_an_area_with_a_malformed_code_is_a_code_error(code):
    from wangge.territory.services import validate_area

    import_territory(small_territory())
    area = Area(code=code, name="坏", level=0, geometry=box(118.0, 24.8, 118.1, 24.9))
    errors = validate_area(area)
    assert list(errors) == ["code"]
