"""`wangge export KIND` and `wangge import KIND FILE`: every kind round-trips (export → import
→ nothing changes) in CSV and XLSX; the import reports progress and writes its error file;
the list pages' export links download the user's filtered, scoped rows."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from wangge.core import exporting
from wangge.core.identifiers import id_check_character, mask, uscc_check_character
from wangge.core.progress import Progress, count_lines

XIMEI_GRID = "350583001001001"  # lon 118.0–118.1, lat 24.8–24.9
XIMEI_GRID_2 = "350583001001002"
XIMEI_VILLAGE = "350583001001"
LIUCHENG_GRID = "350583002002002"  # lon 118.3–118.4, lat 24.9–25.0
LIUCHENG_VILLAGE = "350583002002"


def person_id(first17: str) -> str:
    return first17 + id_check_character(first17)


def uscc(first17: str) -> str:
    return first17 + uscc_check_character(first17)


A, B, C = (person_id("35058319800101123"), person_id("35058319900202234"),
           person_id("35058319850303345"))

FILES = {
    "people": [
        ["name", "id_number", "kind", "phone", "area_code", "address", "tags"],
        ["林一", A, "registered", "13800000001", XIMEI_GRID, "新华路1号", "独居老人;社区戒毒"],
        ["林二", B, "流动", "", XIMEI_VILLAGE, "", ""],
        ["=王三", C, "foreign", "+86 139-0000-0002", LIUCHENG_GRID, "建设大道8号", "独居老人"],
    ],
    "addresses": [
        ["area_code", "road", "door_number", "building_no", "unit_no", "room_no", "lon", "lat"],
        [XIMEI_VILLAGE, "幸福路", "12", "3", "2", "301", "118.0512345678", "24.85"],
        [XIMEI_VILLAGE, "幸福路", "14", "", "", "", "", ""],
        [LIUCHENG_VILLAGE, "建设大道", "8", "A", "1", "101", "", ""],
    ],
    "buildings": [
        ["name", "grid_code", "lon", "lat", "kind", "floors", "address"],
        ["幸福苑3栋", "", "118.05", "24.85", "residential", "6", "{幸福路14号}"],
        ["溪美商厦", XIMEI_GRID_2, "", "", "commercial", "", ""],
        ["建设大厦", LIUCHENG_GRID, "", "", "mixed", "20", ""],
    ],
    "houses": [
        ["building_name", "grid_code", "unit_no", "room_no", "usage", "floor_area_m2",
         "owner_id_number"],
        ["幸福苑3栋", XIMEI_GRID, "2", "301", "出租", "85.5", A],
        ["幸福苑3栋", XIMEI_GRID, "", "101", "owner", "", ""],
        ["建设大厦", LIUCHENG_GRID, "1", "1001", "business", "120", C],
    ],
    "components": [
        ["code", "name", "status", "lon", "lat", "owner_unit", "maintainer_unit", "address",
         "note"],
        ["3505835101000001", "井盖甲", "正常", "118.05", "24.85", "市城管局", "某物业公司",
         "幸福路12号", "多行\n备注"],
        ["3505835105000002", "路灯乙", "damaged", "118.35", "24.95", "", "", "", ""],
    ],
    "organisations": [
        ["kind", "name", "credit_code", "address", "lon", "lat", "grid_code", "industry",
         "contact_name", "contact_phone", "risk_level", "note"],
        ["企业", "南安某石材有限公司", uscc("91350583MA2Y1K3P0"), "幸福路1号", "118.05", "24.85",
         "", "石材加工", "陈经理", "13812345678", "较大", ""],
        ["小餐饮", "阿婆面线糊", "", "幸福路3号", "", "", XIMEI_GRID_2, "", "", "", "low", ""],
        ["social", "柳城志愿者协会", uscc("51350583MJ0000001"), "", "", "", LIUCHENG_GRID, "", "",
         "", "", "社会组织"],
    ],
}
COUNTS = {"people": 3, "addresses": 3, "buildings": 3, "houses": 3, "components": 2,
          "organisations": 3}
PERSONAL = {"people", "houses"}


@pytest.fixture
def base_data(territory, tmp_path):
    """Every kind imported from FILES (the houses' buildings and owners, the buildings'
    standard address, the components' department first)."""
    from wangge.dispatch.models import Department
    from wangge.people.models import Tag, TagGroup

    Tag.objects.create(name="独居老人", group=TagGroup.CARE)
    Tag.objects.create(name="社区戒毒", group=TagGroup.SPECIAL)
    Department.objects.create(code="CG-350583", name="市城管局", kind="chengguan",
                              area=territory["350583000000"])
    for kind in ["people", "addresses", "buildings", "houses", "components", "organisations"]:
        rows = [[standard_address(cell) for cell in row] for row in FILES[kind]]
        path = write_csv(tmp_path / f"source-{kind}.csv", rows)
        out = run_import(kind, path)
        assert f"{COUNTS[kind]} new" in out, out
    return territory


def standard_address(cell: str) -> str:
    """``{road door}`` in FILES is the standard text of that imported address."""
    if not (cell.startswith("{") and cell.endswith("}")):
        return cell
    from wangge.places.models import Address

    return Address.objects.get(full_text__endswith=cell[1:-1]).full_text


def write_csv(path, rows):
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows(rows)
    return path


def run_import(kind, path, *args):
    out = io.StringIO()
    call_command("import", kind, str(path), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def run_export(kind, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("export", kind, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def history_counts() -> dict:
    from django.apps import apps

    return {m.__name__: m.objects.count() for m in apps.get_models()
            if m.__name__ in {"PersonChange", "PlaceChange", "ComponentChange",
                              "OrganisationChange", "AddressMatch"}}


def snapshot(kind) -> list:
    """The records of a kind, with every stored value that an import could change."""
    from wangge.organisations.models import Organisation
    from wangge.people import services
    from wangge.people.models import Person
    from wangge.places.models import Address, Building, House
    from wangge.things.models import Component

    model = {"people": Person, "addresses": Address, "buildings": Building, "houses": House,
             "components": Component, "organisations": Organisation}[kind]
    rows = list(model.objects.order_by("pk").values())
    if kind == "people":
        for row, person in zip(rows, Person.objects.order_by("pk"), strict=True):
            row["tags"] = sorted(t.name for t in services.tags_of(person))
    return rows


# --- the round trip, each kind, both formats --------------------------------------------------
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", list(COUNTS))
def test_a_reimported_export_changes_nothing(base_data, tmp_path, kind, file_format):
    target = tmp_path / f"{kind}.{file_format}"
    before, history = snapshot(kind), history_counts()
    out, _err = run_export(kind, "-o", str(target))
    assert f"{COUNTS[kind]} {kind} written" in out
    table = exporting.read_back(target.read_bytes(), file_format)
    assert table[0] == exporting.kind(kind).columns
    assert len(table) == COUNTS[kind] + 1
    out = run_import(kind, target)
    assert f"0 new, 0 updated, {COUNTS[kind]} unchanged" in out, out
    assert snapshot(kind) == before
    assert history_counts() == history


def test_the_export_holds_the_values_as_imported(base_data, tmp_path):
    out, _err = run_export("people")
    rows = {r[0]: r for r in csv.reader(io.StringIO(out.lstrip("\ufeff")))}
    assert rows["林一"] == ["林一", A, "registered", "13800000001", XIMEI_GRID, "新华路1号",
                          "独居老人;社区戒毒"]
    # a cell beginning with "=" is kept from running as a formula in a spreadsheet
    assert "=王三" not in rows and rows["'=王三"][3] == "13900000002"  # the phone normalised
    target = tmp_path / "addresses.xlsx"
    run_export("addresses", "-o", str(target))
    from openpyxl import load_workbook

    sheet = load_workbook(target).worksheets[0]
    cells = {c.value: c for row in sheet.iter_rows() for c in row}
    assert cells[118.0512345678].data_type == "n"  # a number, every digit kept
    target = tmp_path / "people.xlsx"
    run_export("people", "-o", str(target))
    sheet = load_workbook(target).worksheets[0]
    cells = {c.value: c for row in sheet.iter_rows() for c in row}
    assert cells[A].data_type == "s"  # an ID number stays text
    assert cells["=王三"].data_type == "s"  # never a formula
    components, _err = run_export("components")
    assert "CG-350583" in components and "某物业公司" in components  # a department by its code


def test_export_by_area_and_by_user(base_data, users):
    out, _err = run_export("organisations", "--area", XIMEI_VILLAGE)
    assert "南安某石材有限公司" in out and "阿婆面线糊" in out and "柳城志愿者协会" not in out
    out, _err = run_export("buildings", "--user", "liucheng")
    assert "建设大厦" in out and "幸福苑3栋" not in out
    with pytest.raises(CommandError, match=XIMEI_VILLAGE):  # not in 柳城's jurisdiction
        run_export("buildings", "--user", "liucheng", "--area", XIMEI_VILLAGE)
    with pytest.raises(CommandError, match="no user"):
        run_export("people", "--user", "nobody-at-all")
    with pytest.raises(CommandError, match=r"\.csv or \.xlsx"):
        run_export("people", "-o", "people.txt")


# --- people: clear or masked, and the export log -------------------------------------------------
def grant(user, codename):
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(codename=codename,
                                                     content_type__app_label="people"))
    from wangge.accounts.models import User

    return User.objects.get(pk=user.pk)  # permissions are cached on the instance


def test_people_exports_are_masked_unless_permitted_and_always_logged(base_data, users,
                                                                      tmp_path):
    from wangge.people.models import ExportLog

    note = str(exporting.kind("people").masked_note)  # in whichever language is active
    out, err = run_export("people", "--user", "ximei")
    assert A not in out and mask(A) in out and "138****0001" in out
    assert "=王三" not in out  # 柳城 is not in 溪美's jurisdiction
    assert "社区戒毒" not in out  # nor are special-group tags without the permission
    assert note in err
    assert list(csv.reader(io.StringIO(out)))[-1] == [note]  # the file says so too
    log = ExportLog.objects.get()
    assert (log.actor.username, log.kind, log.rows, log.clear, log.channel) == (
        "ximei", "people", 2, False, "cli")
    masked = tmp_path / "masked.xlsx"
    run_export("people", "--user", "ximei", "-o", str(masked))
    from openpyxl import load_workbook

    book = load_workbook(masked)
    assert book["note"]["A1"].value == note
    with pytest.raises(CommandError, match="id_number"):
        run_import("people", masked)

    grant(users["ximei"], "view_full_id")
    out, _err = run_export("people", "--user", "ximei", "--area", XIMEI_GRID, "--reason", "核对")
    assert A in out and B not in out  # B lives in the community, not in that grid
    log = ExportLog.objects.first()
    assert (log.rows, log.clear, log.filters, log.reason) == (1, True, {"area": XIMEI_GRID},
                                                              "核对")
    out, _err = run_export("people", "--masked")
    assert A not in out and ExportLog.objects.first().actor is None
    assert ExportLog.objects.first().clear is False

    houses, _err = run_export("houses", "--user", "liucheng")
    assert C not in houses and "建设大厦" in houses
    assert ExportLog.objects.filter(kind="houses", clear=False).count() == 1
    # every export is in the security audit trail too: kind, rows, filter, clear, channel
    from wangge.audit.models import AuditEvent

    trail = [(e.actor_username, e.outcome, e.detail["kind"], e.detail["rows"],
              e.detail["filter"], e.detail["clear"], e.detail["channel"], e.detail["format"])
             for e in AuditEvent.objects.filter(event="export").order_by("pk")]
    assert trail == [
        ("ximei", "ok", "people", 2, {}, False, "cli", "csv"),
        ("ximei", "ok", "people", 2, {}, False, "cli", "xlsx"),
        ("ximei", "ok", "people", 1, {"area": XIMEI_GRID}, True, "cli", "csv"),
        ("system", "ok", "people", 3, {}, False, "cli", "csv"),
        ("liucheng", "ok", "houses", 1, {}, False, "cli", "csv")]
    assert A not in str(list(AuditEvent.objects.values_list("detail", flat=True)))


def test_the_export_log_is_in_the_admin_read_only(base_data, client):
    from wangge.accounts.models import User
    from wangge.people.models import ExportLog

    run_export("people")
    admin = User.objects.create(username="root", role="admin", is_staff=True,
                                is_superuser=True)
    client.force_login(admin)
    page = client.get(reverse("admin:people_exportlog_changelist"))
    assert page.status_code == 200 and "people" in page.content.decode()
    log = ExportLog.objects.get()
    assert client.get(reverse("admin:people_exportlog_change", args=[log.pk])).status_code == 200
    assert client.post(reverse("admin:people_exportlog_delete", args=[log.pk]),
                       {"post": "yes"}).status_code == 403
    assert ExportLog.objects.count() == 1


# --- the web ------------------------------------------------------------------------------------
WEB = {"people": "people:export", "buildings": "places:buildings-export",
       "houses": "places:houses-export", "components": "things:export",
       "organisations": "organisations:export"}
INSIDE = {"people": "林一", "buildings": "幸福苑3栋", "houses": "幸福苑3栋",
          "components": "井盖甲", "organisations": "阿婆面线糊"}
OUTSIDE = {"people": "王三", "buildings": "建设大厦", "houses": "建设大厦",
           "components": "路灯乙", "organisations": "柳城志愿者协会"}


def download(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", list(WEB))
def test_a_street_user_downloads_only_their_street(base_data, users, client, kind,
                                                   file_format):
    client.force_login(users["ximei"])
    response = client.get(reverse(WEB[kind]), {"format": file_format})
    assert response.status_code == 200
    assert f".{file_format}" in response["Content-Disposition"]
    table = exporting.read_back(download(response), file_format)
    assert table[0] == exporting.kind(kind).columns
    text = repr(table)
    assert INSIDE[kind] in text and OUTSIDE[kind] not in text
    if kind in PERSONAL:
        assert A not in text and "-masked" in response["Content-Disposition"]


def test_the_web_export_follows_the_list_filter_and_the_list_links_to_it(base_data, users,
                                                                         client):
    client.force_login(users["district"])
    page = client.get(reverse("things:list"), {"status": "damaged"}).content.decode()
    assert reverse("things:export") + "?status=damaged&amp;format=xlsx" in page
    response = client.get(reverse("things:export"), {"status": "damaged", "format": "csv"})
    text = download(response).decode("utf-8-sig")
    assert "路灯乙" in text and "井盖甲" not in text
    for name in ["people:list", "places:buildings", "places:houses", "organisations:list"]:
        assert "format=csv" in client.get(reverse(name)).content.decode(), name
    assert client.get(reverse("things:export"), {"format": "pdf"}).status_code == 400
    odd = client.get(reverse("things:export"), {"area": 'x"; y', "format": "csv"})
    assert odd["Content-Disposition"].startswith('attachment; filename="components-xy-')


def test_a_permitted_user_says_why_before_a_clear_export(base_data, users, client):
    from wangge.people.models import ExportLog

    user = grant(users["ximei"], "view_full_id")
    client.force_login(user)
    url = reverse("people:export") + f"?area={XIMEI_GRID}&format=csv"
    form = client.get(url)
    assert form.status_code == 200 and b'name="reason"' in form.content
    assert not ExportLog.objects.exists()
    refused = client.post(url, {"clear": "1", "reason": " "})
    assert refused.status_code == 400 and not ExportLog.objects.exists()
    response = client.post(url, {"clear": "1", "reason": "移交民政局核对"})
    text = download(response).decode("utf-8-sig")
    assert A in text and B not in text and "-masked" not in response["Content-Disposition"]
    log = ExportLog.objects.get()
    assert (log.actor, log.rows, log.clear, log.reason, log.channel, log.filters) == (
        user, 1, True, "移交民政局核对", "web", {"area": XIMEI_GRID})
    masked = client.post(url, {"clear": "0"})
    assert A not in download(masked).decode("utf-8-sig")
    assert ExportLog.objects.filter(clear=False).count() == 1


def test_too_many_rows_for_excel_are_refused_before_anything_is_written(base_data, users, client,
                                                                      monkeypatch, tmp_path):
    from wangge.people.models import ExportLog

    monkeypatch.setattr(exporting, "WEB_XLSX_MAX_ROWS", 2)
    monkeypatch.setattr(exporting, "XLSX_MAX_ROWS", 2)
    client.force_login(users["district"])
    response = client.get(reverse("places:houses-export"), {"format": "xlsx"})
    assert response.status_code == 302 and response["Location"] == reverse("places:houses")
    assert client.get(reverse("places:houses-export"), {"format": "csv"}).status_code == 200
    target = tmp_path / "people.xlsx"
    with pytest.raises(CommandError, match="CSV"):
        run_export("people", "-o", str(target))
    assert not target.exists()
    assert ExportLog.objects.filter(file_format="xlsx").count() == 0


def test_an_unpermitted_user_cannot_ask_for_clear_values(base_data, users, client):
    from wangge.people.models import ExportLog

    client.force_login(users["ximei"])
    response = client.post(reverse("people:export") + "?format=csv",
                           {"clear": "1", "reason": "x"})
    assert A not in download(response).decode("utf-8-sig")
    assert ExportLog.objects.get().clear is False
    from wangge.audit.models import AuditEvent

    event = AuditEvent.objects.get(event="export")
    assert (event.actor_username, event.detail["clear"], event.detail["channel"]) == (
        "ximei", False, "web")


# --- the import command: error file, progress ----------------------------------------------------
GOOD_CODE = uscc("91350583MA2Y1K3P1")
WRONG_CODE = GOOD_CODE[:17] + ("0" if GOOD_CODE[17] != "0" else "1")


def test_import_error_report_and_skip_bad_rows(base_data, tmp_path):
    rows = [FILES["organisations"][0],
            ["企业", "甲公司", WRONG_CODE, "", "118.05", "24.85", "", "", "", "", "", ""],
            ["小商店", "乙小店", "", "", "", "", XIMEI_GRID, "", "", "", "extreme", ""],
            ["小商店", "丙小店", "", "", "", "", XIMEI_GRID, "", "", "", "", ""]]
    path = write_csv(tmp_path / "orgs.csv", rows)
    errors = tmp_path / "errors.csv"
    with pytest.raises(CommandError, match="nothing was imported"):
        run_import("organisations", path, "--errors-out", str(errors))
    report = list(csv.reader(errors.open(encoding="utf-8")))
    assert report[0] == ["row", "column", "reason"]
    assert {(r[0], r[1]) for r in report[1:]} >= {("2", "credit_code"), ("3", "risk_level")}
    out = run_import("organisations", path, "--skip-bad-rows", "--errors-out", str(errors))
    assert "1 new" in out and "2 bad rows skipped" in out
    assert len(list(csv.reader(errors.open(encoding="utf-8")))) == 3
    assert "3 / 3 rows (100%)" in out
    with pytest.raises(CommandError, match="--bulk"):
        run_import("organisations", path, "--bulk")


def test_import_progress_is_reported_for_every_kind(base_data, tmp_path):
    for kind in COUNTS:
        target = tmp_path / f"again-{kind}.csv"
        run_export(kind, "-o", str(target))
        out = run_import(kind, target)
        assert f"{COUNTS[kind]} / {COUNTS[kind]} rows (100%)" in out, (kind, out)


def test_bulk_people_import_counts_the_lines_up_front(base_data, tmp_path):
    target = tmp_path / "people.csv"
    run_export("people", "-o", str(target))
    assert count_lines(target) == 3
    out = run_import("people", target, "--bulk")
    assert "3 / 3 rows (100%)" in out and "3 unchanged" in out


def test_the_old_commands_still_work(base_data, tmp_path):
    target = tmp_path / "buildings.csv"
    run_export("buildings", "-o", str(target))
    out = io.StringIO()
    call_command("import_places", "buildings", str(target), stdout=out)
    assert "3 unchanged" in out.getvalue()


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_the_progress_bar_redraws_in_place_on_a_terminal():
    now = [0.0]
    screen = Terminal()
    bar = Progress(screen, 25_000, clock=lambda: now[0], width=10)
    now[0] = 4.0
    bar.update(12_000)
    now[0] = 4.05
    bar.update(12_500)  # too soon: not drawn
    now[0] = 8.0
    bar.update(25_000)
    bar.finish()
    text = screen.getvalue()
    assert "\r[####......]  48%  12,000/25,000 rows  3,000 rows/s" in text
    assert "12,500" not in text
    assert "\r[##########] 100%  25,000/25,000 rows" in text and text.endswith("\n")
    assert text.count("\n") == 1  # one line, redrawn


def test_plain_progress_lines_when_not_a_terminal():
    now = [0.0]
    log = io.StringIO()
    bar = Progress(log, clock=lambda: now[0], every=5)
    for done in range(1000, 11_000, 1000):
        now[0] += 1
        bar.update(done)
    bar.finish()
    lines = log.getvalue().splitlines()
    assert lines[0] == "1,000 rows, 1,000 rows/s"
    assert lines[-1] == "10,000 rows, 1,000 rows/s"
    assert len(lines) == 3 and "\r" not in log.getvalue()
