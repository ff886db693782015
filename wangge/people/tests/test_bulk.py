"""The bulk import path (wangge/people/bulk.py) against the row-by-row services."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from wangge.core import crypto
from wangge.people import bulk, importer, services
from wangge.people.models import Person, PersonChange
from wangge.people.tests.conftest import GRID_LIUCHENG, GRID_XIMEI, make_id
from wangge.people.tests.test_import import BAD, GOOD, HEADER

A, B, D, E = make_id(seq="111"), make_id(seq="222"), make_id("19450607", "915"), \
    make_id("20010203", "468")
MIXED = (GOOD
         + f"陈三,{D},境外,+86 139-0000-0003,{GRID_LIUCHENG},柳城路3号,\n"
         + "\n"  # a blank row is skipped, and still counts in the row numbers
         + f"陈四,{E.lower()[:-1] + E[-1].lower()},floating,1390000004,{GRID_XIMEI},,"
           "独居老人\n")


def csv_stream(body: str) -> io.StringIO:
    return io.StringIO(HEADER + body)


def rows_of(body: str):
    return importer.read_rows((HEADER + body).encode(), "people.csv")


def state() -> list[tuple]:
    """Everything an import decides about people, the history included."""
    people = []
    for person in Person.objects.order_by("name").prefetch_related("tags"):
        changes = [(c.action, c.source, c.before, c.after)
                   for c in person.changes.order_by("pk")]
        people.append((person.name, person.kind, services.masked_id(person),
                       services.masked_phone(person), services.id_number_of(person),
                       services.phone_of(person), person.birth_date, person.sex,
                       person.area.code, person.address,
                       sorted(t.name for t in services.tags_of(person)), changes))
    return people


def wipe():
    PersonChange.objects.all().delete()
    Person.objects.all().delete()


@pytest.mark.parametrize("chunk,workers", [(20_000, 0), (2, 0), (2, 1)])
def test_bulk_gives_the_same_result_as_the_services(territory, tags, chunk, workers):
    row_by_row = importer.import_people(rows_of(MIXED), source="import")
    expected = state()
    assert len(expected) == 4 and PersonChange.objects.count() == 4
    wipe()
    result = bulk.import_people_csv(csv_stream(MIXED), source="import", chunk=chunk,
                                    workers=workers)
    assert (result["created"], result["updated"], result["unchanged"]) == (4, 0, 0)
    assert row_by_row["created"] == 4
    assert state() == expected
    assert services.find_by_id_number(D).kind == "foreign"
    assert services.phone_of(services.find_by_id_number(D)) == "13900000003"
    assert services.find_by_id_number(E).sex == "F"


@pytest.mark.parametrize("workers", [0, 1])
def test_several_writes_of_several_chunks(territory, tags, workers):
    """Chunks of one row, written bulk.WRITE_CHUNKS at a time: three writes."""
    body = "".join(f"人{i:02},{make_id(seq=f'{i:03}')},,{f'1380000{i:04}' if i % 2 else ''},"
                   f"{GRID_XIMEI if i % 3 else GRID_LIUCHENG},路{i}号,"
                   f"{'独居老人' if i % 4 == 0 else ''}\n" for i in range(1, 13))
    importer.import_people(rows_of(body), source="import")
    expected = state()
    wipe()
    result = bulk.import_people_csv(csv_stream(body), chunk=1, workers=workers)
    assert (result["created"], result["rows"]) == (12, 12)
    assert bulk.WRITE_CHUNKS < 12 / 2
    assert state() == expected
    again = bulk.import_people_csv(csv_stream(body.replace("路1号", "路一号")), chunk=1,
                                   workers=workers)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 1, 11)


def test_reimport_updates_without_duplicates_like_the_services(territory, tags):
    changed = GOOD.replace("新华路1号", "新华路9号").replace(A, A[:6] + A[8:17])  # legacy form
    changed = changed.replace(",独居老人\n", ",\n").replace(",,", ",13800000002,", 1)
    importer.import_people(rows_of(GOOD), source="import")
    importer.import_people(rows_of(changed), source="import")
    expected = state()
    wipe()
    first = bulk.import_people_csv(csv_stream(GOOD), source="import", workers=0)
    again = bulk.import_people_csv(csv_stream(GOOD), source="import", workers=0)
    assert (first["created"], again["created"], again["updated"], again["unchanged"]) == (
        2, 0, 0, 2)
    second = bulk.import_people_csv(csv_stream(changed), source="import", workers=0)
    assert (second["created"], second["updated"], second["unchanged"]) == (0, 2, 0)
    assert Person.objects.count() == 2
    assert state() == expected
    one = services.find_by_id_number(A)
    assert one.address == "新华路9号" and not one.tags.exists()
    update = PersonChange.objects.filter(person=one, action="updated").get()
    assert update.before["address"] == "新华路1号" and update.after["tags"] == []


def test_all_or_nothing_reports_every_problem_like_the_importer(territory, tags):
    with pytest.raises(importer.PeopleImportError) as row_by_row:
        importer.import_people(rows_of(BAD))
    with pytest.raises(importer.PeopleImportError) as fast:
        bulk.import_people_csv(csv_stream(BAD), chunk=2, workers=0)
    assert fast.value.problems == sorted(row_by_row.value.problems,
                                         key=lambda p: (p.row, p.column))
    assert {(p.row, p.column) for p in fast.value.problems} >= {
        (4, "id_number"), (5, "name"), (5, "kind"), (5, "phone"), (5, "area_code"),
        (5, "tags"), (6, "id_number")}
    assert "nothing was imported" in str(fast.value)
    assert not Person.objects.exists() and not PersonChange.objects.exists()


def test_skip_bad_rows_imports_the_good_ones(territory, tags):
    expected_result = importer.import_people(rows_of(BAD), skip_bad_rows=True)
    expected = state()
    wipe()
    result = bulk.import_people_csv(csv_stream(BAD), skip_bad_rows=True, chunk=2, workers=0)
    assert result["problems"] == expected_result["problems"]
    assert (result["created"], result["skipped"]) == (2, 3)
    assert state() == expected


# a quoted field over two lines (row 2), a tab and a backslash (COPY's special characters)
QUOTED = (f'"林\t一",{A},,,{GRID_XIMEI},"新华路\n1号 \\ 东",\n'
          f"林二,{B},,,{GRID_XIMEI},C:\\\\门牌,\n"
          f'"林三",123,,,{GRID_XIMEI},"",\n'  # row 4: a bad ID number
          f'林四,{D},,,{GRID_XIMEI},"说""好""的",\n')


@pytest.mark.parametrize("chunk,workers", [(20_000, 0), (1, 0), (1, 1)])
def test_quoted_line_breaks_tabs_and_backslashes(territory, tags, chunk, workers):
    with pytest.raises(importer.PeopleImportError) as row_by_row:
        importer.import_people(rows_of(QUOTED))
    with pytest.raises(importer.PeopleImportError) as fast:
        bulk.import_people_csv(csv_stream(QUOTED), chunk=chunk, workers=workers)
    assert [(p.row, p.column) for p in fast.value.problems] == [(4, "id_number")] == [
        (p.row, p.column) for p in row_by_row.value.problems]
    importer.import_people(rows_of(QUOTED), skip_bad_rows=True)
    expected = state()
    wipe()
    result = bulk.import_people_csv(csv_stream(QUOTED), skip_bad_rows=True, chunk=chunk,
                                    workers=workers)
    assert (result["created"], result["skipped"], result["rows"]) == (3, 1, 4)
    assert state() == expected
    one = services.find_by_id_number(A)
    assert (one.name, one.address) == ("林\t一", "新华路\n1号 \\ 东")
    assert services.find_by_id_number(B).address == "C:\\\\门牌"
    assert services.find_by_id_number(D).address == '说"好"的'
    assert PersonChange.objects.get(person=one).after["address"] == "新华路\n1号 \\ 东"


def schema(tables) -> dict:
    with connection.cursor() as cursor:
        return {table: connection.introspection.get_constraints(cursor, table)
                for table in tables}


@pytest.mark.parametrize("fail", [False, True])
def test_a_large_first_load_builds_the_indexes_again(territory, tags, fail):
    """Into empty tables, from the second chunk on, the secondary indexes (PostgreSQL: and
    the foreign key of the history to the people) are dropped and built again at the end,
    in the import's transaction: afterwards the schema is the same, also when it fails."""
    from wangge.places.models import House

    tables = [Person._meta.db_table, PersonChange._meta.db_table, House._meta.db_table]
    before = schema(tables)
    statements = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    people = MIXED + ("林五,123,,,,,\n" if fail else "")
    with connection.execute_wrapper(record):
        if fail:
            with pytest.raises(importer.PeopleImportError):
                bulk.import_people_csv(csv_stream(people), chunk=2, workers=0)
        else:
            assert bulk.import_people_csv(csv_stream(people), chunk=2, workers=0)[
                "created"] == 4
            assert bulk.import_houses_csv(io.StringIO(HOUSES.replace(B.lower(), D)),
                                          chunk=2, workers=0)["created"] == 4
    assert any(sql.startswith("DROP INDEX") for sql in statements)
    assert any(sql.startswith("CREATE INDEX") for sql in statements) != fail
    assert schema(tables) == before
    assert Person.objects.count() == (0 if fail else 4)
    if not fail:  # the indexes are there and used
        assert services.find_by_id_number(D).changes.count() == 1
        assert House.objects.filter(owner=services.find_by_id_number(D)).count() == 1


def test_another_jurisdiction_is_refused(territory, tags, make_user):
    bulk.import_people_csv(csv_stream(f"林一,{A},,,{GRID_LIUCHENG},,\n"), workers=0)
    street = make_user("ximei", area=territory["350583001000"])
    with pytest.raises(importer.PeopleImportError) as info:
        bulk.import_people_csv(csv_stream(f"林一,{A},,,{GRID_XIMEI},,\n"), actor=street,
                               workers=0)
    assert "another jurisdiction" in str(info.value)
    assert services.find_by_id_number(A).area.code == GRID_LIUCHENG


def test_import_people_command_bulk(tmp_path, territory, tags):
    path = tmp_path / "people.csv"
    path.write_text(HEADER + GOOD, encoding="utf-8-sig")
    out = io.StringIO()
    call_command("import_people", str(path), "--bulk", stdout=out)
    assert "2 new, 0 updated" in out.getvalue()
    call_command("import_people", str(path), "--bulk", stdout=out)
    assert "0 new, 0 updated, 2 unchanged" in out.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + BAD, encoding="utf-8")
    errors = tmp_path / "errors.csv"
    with pytest.raises(CommandError):
        call_command("import_people", str(bad), "--bulk", "--errors-out", str(errors),
                     stdout=out, stderr=io.StringIO())
    assert errors.read_text(encoding="utf-8").startswith("row,column,reason")
    assert Person.objects.count() == 2


def test_encrypted_at_rest(territory, tags):
    bulk.import_people_csv(csv_stream(MIXED), workers=0)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Person._meta.db_table}")
        stored = repr(cursor.fetchall())
        cursor.execute(f"SELECT * FROM {PersonChange._meta.db_table}")
        stored += repr(cursor.fetchall())
    for plain in (A, B, D, "13800000001", "13900000003"):
        assert plain not in stored
    person = services.find_by_id_number(D)
    assert person.id_number_enc.startswith("v1:")
    assert crypto.decrypt(person.id_number_enc, associated="person-id") == D
    with pytest.raises(crypto.DecryptionError):  # bound to its field
        crypto.decrypt(person.id_number_enc, associated="person-phone")
    assert person.id_hash == crypto.lookup_hash(D)
    assert person.phone_hash == crypto.lookup_hash("13900000003")


HOUSES = ("grid_code,building,unit,room,usage,floor_area_m2,owner_id_number\n"
          f"{GRID_XIMEI},新华路1号楼,1,101,自住,88.5,{A}\n"
          f"{GRID_XIMEI},新华路1号楼,1,102,rented,,{B.lower()}\n"
          f"{GRID_XIMEI},新华路2号楼,,1,空置,,\n"
          f"{GRID_LIUCHENG},新华路1号楼,1,101,business,120,\n")


@pytest.mark.parametrize("chunk,workers", [(20_000, 0), (1, 1)])
def test_houses_with_owners(territory, tags, chunk, workers):
    from wangge.places.models import Building, House

    bulk.import_people_csv(csv_stream(GOOD), workers=0)
    result = bulk.import_houses_csv(io.StringIO(HOUSES), chunk=chunk, workers=workers)
    assert (result["created"], result["buildings_created"]) == (4, 3)
    assert Building.objects.count() == 3
    house = House.objects.get(building__grid__code=GRID_XIMEI, building__name="新华路1号楼",
                              unit_no="1", room_no="101")
    assert house.owner == services.find_by_id_number(A) and house.usage == "owner"
    assert house.floor_area_m2 == 88.5 and house.building.qr_token
    assert House.objects.get(room_no="102").owner == services.find_by_id_number(B)
    # again: nothing new; a changed row updates the same house
    again = bulk.import_houses_csv(io.StringIO(HOUSES.replace("自住,88.5", "出租,90")),
                                   chunk=chunk, workers=workers)
    assert (again["created"], again["updated"], again["unchanged"],
            again["buildings_created"]) == (0, 1, 3, 0)
    house.refresh_from_db()
    assert (house.usage, house.floor_area_m2, house.owner_id) == ("rented", 90.0,
                                                                 house.owner_id)
    assert House.objects.count() == 4


@pytest.mark.parametrize("chunk,workers", [(20_000, 0), (2, 1)])
def test_houses_problems(territory, tags, chunk, workers):
    from wangge.places.models import House

    bad = ("grid_code,building,unit,room,usage,floor_area_m2,owner_id_number\n"
           f"{GRID_XIMEI},1号楼,1,101,自住,,{make_id(seq='999')}\n"  # row 2: no such person
           f"999,1号楼,1,101,宫殿,-3,123\n"  # row 3: grid, usage, area, ID number
           f"{GRID_XIMEI},,1,,,,\n"  # row 4: building and room
           f"{GRID_XIMEI},2号楼,1,101,,,\n"  # row 5: good
           f"{GRID_XIMEI},2号楼,1,101,,,\n")  # row 6: twice
    with pytest.raises(importer.PeopleImportError) as info:
        bulk.import_houses_csv(io.StringIO(bad), chunk=chunk, workers=workers)
    assert {(p.row, p.column) for p in info.value.problems} == {
        (2, "owner_id_number"), (3, "grid_code"), (3, "usage"), (3, "floor_area_m2"),
        (3, "owner_id_number"), (4, "building"), (4, "room"), (6, "room")}
    assert not House.objects.exists()
    result = bulk.import_houses_csv(io.StringIO(bad), skip_bad_rows=True, chunk=chunk,
                                    workers=workers)
    assert (result["created"], result["skipped"]) == (1, 4)
    assert "(also row 5)" in next(p.message for p in result["problems"] if p.row == 6)


def test_synthetic_id_numbers_are_valid_and_different():
    import numpy as np

    from wangge.core.identifiers import normalize_id_number

    numbers = bulk.synthetic_id_numbers(5000, np.random.default_rng(1))
    assert len(set(numbers)) == 5000
    for number in numbers[:500]:
        assert normalize_id_number(number) == number and number.startswith("350583")
        assert "1930" <= number[6:10] <= "2024"


def test_demo_data_command(territory, tags):
    out = io.StringIO()
    call_command("demo_data", "--people", "300", "--houses", "90", stdout=out)
    assert Person.objects.count() == 300
    assert PersonChange.objects.count() == 300
    call_command("demo_data", "--people", "300", "--houses", "90", stdout=out)
    assert "0 new people (0 updated, 300 unchanged)" in out.getvalue()
    assert Person.objects.count() == 300


def test_bench_import_prints_json(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",
                                                            "WANGGE_BENCH_CHILD")}
    env["WANGGE_VAR_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "wangge.cli", "bench", "import", "--people", "2000",
         "--houses", "400", "--lookups", "50"],
        env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["people"] == 2000 and figures["houses"] == 400
    assert figures["lookups_found"] == 50
    assert figures["rows_per_second"] > 0 and figures["lookup_ms"] < 100
    assert (tmp_path / "bench-import.sqlite3").exists()
