from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from wangge.people import importer, services
from wangge.people.models import Person, PersonChange
from wangge.people.tests.conftest import GRID_XIMEI, make_id

HEADER = "name,id_number,kind,phone,area_code,address,tags\n"
A, B, C = make_id(seq="111"), make_id(seq="222"), make_id(seq="333")


def write(tmp_path, body, name="people.csv"):
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_people", *map(str, args), stdout=out, stderr=err)
    return out.getvalue()


GOOD = (f"林一,{A},registered,13800000001,{GRID_XIMEI},新华路1号,独居老人\n"
        f"林二,{B},流动,,{GRID_XIMEI},新华路2号,\n")


def test_import_then_reimport_updates(tmp_path, territory, tags):
    out = run(write(tmp_path, GOOD))
    assert "2 new, 0 updated" in out
    assert Person.objects.count() == 2
    one = services.find_by_id_number(A)
    assert one.name == "林一" and [t.name for t in one.tags.all()] == ["独居老人"]
    assert services.find_by_id_number(B).kind == "floating"
    # the same file again changes nothing; a changed row updates, never duplicates
    assert "0 new, 0 updated, 2 unchanged" in run(write(tmp_path, GOOD))
    changed = GOOD.replace("新华路1号", "新华路9号").replace(A, A[:6] + A[8:17])  # legacy form
    assert "0 new, 1 updated, 1 unchanged" in run(write(tmp_path, changed))
    assert Person.objects.count() == 2
    assert services.find_by_id_number(A).address == "新华路9号"
    change = PersonChange.objects.filter(person=one, action="updated").get()
    assert change.source == "import" and change.after["address"] == "新华路9号"


BAD = (GOOD
       + f"王五,{C[:-1]}0,registered,,{GRID_XIMEI},,\n"   # row 4: check digit
       + f",{make_id(seq='444')},外星,12ab,999,,不存在\n"   # row 5: name, kind, phone, area, tag
       + f"林一重,{A},registered,,{GRID_XIMEI},,\n")        # row 6: duplicate in the file


def test_all_or_nothing_with_errors_by_row_and_column(tmp_path, territory, tags):
    errors = tmp_path / "errors.csv"
    with pytest.raises(CommandError) as info:
        run(write(tmp_path, BAD), "--errors-out", errors)
    assert "nothing was imported" in str(info.value)
    assert not Person.objects.exists()
    rows = list(csv.reader(errors.open(encoding="utf-8")))
    assert rows[0] == ["row", "column", "reason"]
    found = {(int(r[0]), r[1]) for r in rows[1:]}
    assert found == {(4, "id_number"), (5, "name"), (5, "kind"), (5, "phone"),
                     (5, "area_code"), (5, "tags"), (6, "id_number")}
    text = errors.read_text(encoding="utf-8")
    assert A not in text and C[:-1] not in text  # numbers never appear in clear


def test_skip_bad_rows_with_error_file(tmp_path, territory, tags):
    errors = tmp_path / "errors.csv"
    out = run(write(tmp_path, BAD), "--skip-bad-rows", "--errors-out", errors)
    assert "2 new" in out and "3 bad rows skipped" in out
    assert Person.objects.count() == 2
    rows = list(csv.reader(errors.open(encoding="utf-8")))
    assert {r[0] for r in rows[1:]} == {"4", "5", "6"}


def test_xlsx_and_progress(tmp_path, territory, tags, monkeypatch):
    from openpyxl import Workbook

    monkeypatch.setattr(importer, "PROGRESS_EVERY", 1)
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(["林一", A, "户籍", 13800000001, GRID_XIMEI, "新华路1号", None])
    path = tmp_path / "people.xlsx"
    book.save(path)
    out = run(path)
    assert "1 / 1 rows" in out and "1 new" in out
    assert services.phone_of(services.find_by_id_number(A)) == "13800000001"


def test_missing_column(tmp_path, territory):
    path = tmp_path / "p.csv"
    path.write_text("name,kind\n甲,registered\n", encoding="utf-8")
    with pytest.raises(CommandError) as info:
        run(path)
    assert "column 'id_number': missing column" in str(info.value)


def test_import_as_a_user_stays_in_the_jurisdiction(tmp_path, users, tags):
    body = f"林一,{A},registered,,350583002001001,,\n"
    with pytest.raises(CommandError) as info:
        run(write(tmp_path, body), "--user", "ximei")
    assert "outside your jurisdiction" in str(info.value)
