"""Organisations: credit codes through the service, imports, inspections, scoped pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wangge.core.identifiers import uscc_check_character
from wangge.core.tabular import TableImportError
from wangge.organisations import services
from wangge.organisations.importer import import_organisations, read_organisation_rows
from wangge.organisations.models import Inspection, Organisation

XIMEI_POINT = (118.05, 24.85)  # 350583001001001
LIUCHENG_POINT = (118.25, 24.85)  # 350583002001001


def uscc(first17: str) -> str:
    return first17 + uscc_check_character(first17)


GOOD = uscc("91350583MA2Y1K3P0")


def _wrong_check(code: str) -> str:
    return code[:17] + ("0" if code[17] != "0" else "1")


def _org(actor=None, point=XIMEI_POINT, **extra):
    data = {"kind": "enterprise", "name": "南安某石材有限公司", "credit_code": GOOD,
            "lon": point[0], "lat": point[1], "contact_phone": "13812345678"}
    data.update(extra)
    return services.save_organisation(actor, **data)


def test_a_valid_credit_code_is_normalised_and_the_grid_located(users):
    org = _org(users["ximei"], credit_code=" " + GOOD.lower() + " ")
    assert org.credit_code == GOOD
    assert org.grid.code == "350583001001001"
    assert org.masked_phone == "138****5678"


def test_a_bad_check_character_is_refused(territory):
    with pytest.raises(ValidationError) as info:
        _org(credit_code=_wrong_check(GOOD))
    assert "check character" in info.value.message_dict["credit_code"][0]


@pytest.mark.parametrize("letter", list("IOSVZ"))
def test_the_letters_i_o_s_v_z_are_refused(territory, letter):
    code = GOOD[:10] + letter + GOOD[11:]
    with pytest.raises(ValidationError) as info:
        _org(credit_code=code)
    assert "never used" in info.value.message_dict["credit_code"][0]


def test_only_small_places_may_have_no_credit_code(territory):
    with pytest.raises(ValidationError) as info:
        _org(credit_code="")
    assert "credit_code" in info.value.message_dict
    shop = _org(kind="small_restaurant", name="阿明小吃", credit_code="")
    assert shop.credit_code == "" and shop.is_small_place
    _org()
    with pytest.raises(ValidationError):  # the same code twice
        _org(name="另一家")


def test_save_checks_the_jurisdiction(users):
    with pytest.raises(PermissionDenied):
        _org(users["liucheng"])
    org = _org(users["ximei"])
    with pytest.raises(PermissionDenied):
        services.save_organisation(users["liucheng"], org, risk_level="major")


HEADER = ("kind,name,credit_code,address,lon,lat,grid_code,industry,contact_name,contact_phone,"
          "risk_level,note\n")
CSV = HEADER + f"""企业,甲公司,{GOOD},溪美路1号,118.05,24.85,,石材,王五,13900001111,较大,
小餐饮,乙小吃,,,,,350583001001002,餐饮,,,低,
企业,丙公司,{_wrong_check(uscc("91350583MA2Y1K3Q0"))},,118.05,24.85,,,,,,
企业,丁公司,91350583MA2Y1K3O01,,118.05,24.85,,,,,,
企业,戊公司,,,118.05,24.85,,,,,,
工厂,己公司,{uscc("91350583MA2Y1K3R0")},,,,,,,,,
企业,庚公司,{uscc("91350583MA2Y1K3T0")},,,,999,,,,极高,
"""


def test_import_reports_bad_credit_codes_by_row_and_column(territory):
    rows = read_organisation_rows(CSV.encode(), "orgs.csv")
    with pytest.raises(TableImportError) as info:
        import_organisations(rows)
    found = {(p.row, p.column) for p in info.value.problems}
    assert found == {(4, "credit_code"), (5, "credit_code"), (6, "credit_code"), (7, "kind"),
                     (7, "lon"), (8, "grid_code"), (8, "risk_level")}
    messages = {(p.row, p.column): p.message for p in info.value.problems}
    assert "check character" in messages[(4, "credit_code")]
    assert "never used" in messages[(5, "credit_code")]
    assert not Organisation.objects.exists()


def test_import_skips_bad_rows_and_a_reimport_updates(territory):
    rows = read_organisation_rows(CSV.encode(), "orgs.csv")
    result = import_organisations(rows, skip_bad_rows=True)
    assert (result["created"], result["skipped"]) == (2, 5)
    first = Organisation.objects.get(credit_code=GOOD)
    assert (first.risk_level, first.grid.code) == ("larger", "350583001001001")
    assert Organisation.objects.get(name="乙小吃").grid.code == "350583001001002"
    again = import_organisations(rows, skip_bad_rows=True)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert Organisation.objects.count() == 2


def test_inspections(users, make_user, territory):
    org = _org(users["ximei"])
    today = dt.date.today()
    for role in ("leader", "inspector", "operator", "department"):  # they read, not record
        reader = make_user(f"reader-{role}", role, territory["350583000000"])
        with pytest.raises(PermissionDenied):
            services.record_inspection(reader, org, result="passed", date=today)
    passed = services.record_inspection(users["ximei"], org, result="passed", date=today)
    assert passed.inspector == users["ximei"] and passed.recorded_by == users["ximei"]
    with pytest.raises(ValidationError) as info:
        services.record_inspection(users["ximei"], org, result="rectify", date=today)
    assert set(info.value.message_dict) == {"issues", "follow_up_date"}
    with pytest.raises(ValidationError) as info:
        services.record_inspection(users["ximei"], org, result="rectify", date=today,
                                   issues="灭火器过期", follow_up_date=today - dt.timedelta(1))
    assert "follow_up_date" in info.value.message_dict
    with pytest.raises(ValidationError):
        services.record_inspection(users["ximei"], org, result="passed",
                                   date=today + dt.timedelta(1))
    rectify = services.record_inspection(users["ximei"], org, result="rectify", date=today,
                                         issues="灭火器过期",
                                         follow_up_date=today + dt.timedelta(7))
    assert rectify.follow_up_date == today + dt.timedelta(7)
    with pytest.raises(PermissionDenied):
        services.record_inspection(users["liucheng"], org, result="passed", date=today)
    assert Inspection.objects.filter(organisation=org).count() == 2
    assert Inspection.objects.visible_to(users["liucheng"]).count() == 0


def test_pages_are_scoped_and_filtered_and_mask_phones(users, client):
    mine = _org(None, risk_level="major")
    other = _org(None, point=LIUCHENG_POINT, credit_code=uscc("91350583MA2Y1K3W0"),
                 name="柳城某厂")
    client.force_login(users["ximei"])
    page = client.get("/organisations/").content.decode()
    assert mine.name in page and other.name not in page
    assert "138****5678" in page and "13812345678" not in page
    assert client.get(f"/organisations/{other.pk}/").status_code == 404
    assert client.post(f"/organisations/{other.pk}/inspections",
                       {"date": dt.date.today().isoformat(), "result": "passed"}
                       ).status_code == 404
    assert mine.name not in client.get("/organisations/?risk=low").content.decode()
    assert mine.name in client.get("/organisations/?risk=major&kind=enterprise"
                                   "&area=350583001001001").content.decode()
    assert "error" in client.get("/organisations/?area=350583002000000").content.decode()
    detail = client.get(f"/organisations/{mine.pk}/")
    assert detail.status_code == 200
    bad = client.post(f"/organisations/{mine.pk}/inspections",
                      {"date": dt.date.today().isoformat(), "result": "rectify"})
    assert bad.status_code == 400
    ok = client.post(f"/organisations/{mine.pk}/inspections",
                     {"date": dt.date.today().isoformat(), "result": "passed"})
    assert ok.status_code == 302 and mine.inspections.count() == 1
    client.force_login(users["liucheng"])
    assert mine.name not in client.get("/organisations/").content.decode()
