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
