"""City components: the 16-digit code, the services, the import and the scoped pages."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from wangge.core.tabular import TableImportError
from wangge.things import services
from wangge.things.codes import ComponentCodeError, check_component_code
from wangge.things.importer import import_components, read_component_rows
from wangge.things.models import Component, ComponentStatus

XIMEI_POINT = (118.05, 24.85)  # 溪美街道 1社区 1网格 350583001001001
LIUCHENG_POINT = (118.25, 24.85)  # 柳城街道 1社区 1网格 350583002001001
VALID = "3505835101000001"  # 350583 county, 51 公用设施, 5101 井盖缺失, serial 000001


def test_a_valid_code_gives_its_minor_category(territory):
    code, category = check_component_code(" 3505835101 000001 ")
    assert code == VALID
    assert category.code == "5101" and category.kind == "component"


@pytest.mark.parametrize(("code", "reason"), [
    ("", "missing"),
    ("35058351010000A1", "digits only"),
    ("350583510100001", "16 digits"),
    ("35058351010000001", "16 digits"),
    ("3505825101000001", "not the territory's county"),
    ("3505839901000001", "major category 99"),
    ("3505830101000001", "major category 01"),  # an event category, not a component
    ("3505835199000001", "minor category 5199"),
    ("3505835101000000", "serial"),
])
def test_each_kind_of_invalid_code_says_what_is_wrong(territory, code, reason):
    with pytest.raises(ComponentCodeError, match=reason):
        check_component_code(code)


def test_save_component_locates_the_grid_and_checks_the_jurisdiction(users):
    component = services.save_component(users["ximei"], code=VALID, name="井盖",
                                        lon=XIMEI_POINT[0], lat=XIMEI_POINT[1])
    assert component.grid.code == "350583001001001"
    assert component.category.code == "5101"
    with pytest.raises(PermissionDenied):
        services.save_component(users["liucheng"], code="3505835101000002", name="井盖",
                                lon=XIMEI_POINT[0], lat=XIMEI_POINT[1])
    with pytest.raises(ValidationError) as info:
        services.save_component(None, code="3505835101000003", name="井盖", lon=117.5,
                                lat=24.85)
    assert "lon" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        services.save_component(None, code="3505835101000000", name="井盖",
                                lon=XIMEI_POINT[0], lat=XIMEI_POINT[1])
    assert "code" in info.value.message_dict
    services.set_status(users["ximei"], component, ComponentStatus.DAMAGED)
    component.refresh_from_db()
    assert component.status == "damaged"


CSV = """code,name,status,lon,lat,owner_unit,maintainer_unit,address,note
3505835101000001,井盖甲,正常,118.05,24.85,市政公司,,溪美路1号,
3505835101000002,井盖乙,broken,118.05,24.85,,,,
3505829901000003,井盖丙,,118.05,24.85,,,,

3505835105000004,路灯丁,损坏,117.5,24.85,,,,
3505835105000005,路灯戊,损坏,118.25,24.85,,,,
3505835101000001,井盖重复,,118.05,24.85,,,,
"""


def test_import_reports_every_bad_row_by_row_and_column_and_imports_nothing(territory):
    rows = read_component_rows(CSV.encode(), "components.csv")
    with pytest.raises(TableImportError) as info:
        import_components(rows)
    found = {(p.row, p.column) for p in info.value.problems}
    assert found == {(3, "status"), (4, "code"), (6, "lon"), (8, "code")}
    assert not Component.objects.exists()


def test_import_can_skip_bad_rows_and_a_reimport_updates(territory):
    rows = read_component_rows(CSV.encode(), "components.csv")
    result = import_components(rows, skip_bad_rows=True)
    assert (result["created"], result["skipped"]) == (2, 4)
    first = Component.objects.get(code=VALID)
    assert first.owner_unit == "市政公司" and first.grid.code == "350583001001001"
    assert Component.objects.get(code="3505835105000005").grid.code == "350583002001001"
    again = import_components(rows, skip_bad_rows=True)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert Component.objects.count() == 2


def test_import_as_a_street_user_refuses_points_of_another_street(users):
    rows = read_component_rows(CSV.encode(), "components.csv")
    from wangge.things.importer import validate

    _good, problems = validate(rows, users["ximei"])
    assert (7, "lon") in {(p.row, p.column) for p in problems}


def test_the_command_writes_the_error_report(territory, tmp_path):
    source = tmp_path / "c.csv"
    source.write_text(CSV, encoding="utf-8")
    report = tmp_path / "errors.csv"
    with pytest.raises(CommandError):
        call_command("import_things", "components", str(source), "--errors-out", str(report))
    text = report.read_text(encoding="utf-8")
    assert text.startswith("row,column,reason") and "4,code," in text
    call_command("import_things", "components", str(source), "--skip-bad-rows")
    assert Component.objects.count() == 2


def test_pages_are_scoped(users, client):
    from wangge.integrations.models import Device

    mine = services.save_component(None, code=VALID, name="井盖甲", lon=XIMEI_POINT[0],
                                   lat=XIMEI_POINT[1])
    other = services.save_component(None, code="3505835101000002", name="井盖乙",
                                    lon=LIUCHENG_POINT[0], lat=LIUCHENG_POINT[1])
    Device.objects.create(device_id="smoke-1", name="烟感", component=VALID,
                          lon=XIMEI_POINT[0], lat=XIMEI_POINT[1])
    client.force_login(users["ximei"])
    page = client.get("/things/").content.decode()
    assert mine.code in page and other.code not in page
    detail = client.get(f"/things/{mine.code}/")
    assert detail.status_code == 200 and "smoke-1" in detail.content.decode()
    assert client.get(f"/things/{other.code}/").status_code == 404
    assert client.get("/things/?status=damaged").content.decode().count(VALID) == 0
