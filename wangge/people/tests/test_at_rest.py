"""The database file itself holds no clear ID number or phone, no reporter or contact phone,
and no link between a person and a special group: a real SQLite file written by the command
line (migrate, territory, tags, import of people and organisations, a resident's report), read
back byte by byte and table by table as someone who copied the file (without the keys) would."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys

from wangge.conftest import small_territory
from wangge.people.tests.conftest import make_id

NUMBER = make_id("19760315", "247")
PHONE = "13712345678"
REPORTER_PHONE = "13698765432"
CONTACT_PHONE = "13555512345"
SPECIAL, CARE = "社区矫正人员", "独居老人"  # (a name that no taxonomy category holds)
REPORT = f"""
from wangge.cases import services
services.report(actor=None, category="0101", description="路灯不亮", source="resident",
                lon=118.05, lat=24.85, reporter_name="张女士", reporter_phone="{REPORTER_PHONE}")
"""


def _wangge(env, *args):
    result = subprocess.run([sys.executable, "-m", "wangge.cli", *args], env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_the_database_file_holds_no_clear_personal_data(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "WANGGE_VAR_DIR")}
    env["WANGGE_VAR_DIR"] = str(tmp_path / "var")
    territory = tmp_path / "territory.geojson"
    territory.write_text(json.dumps(small_territory(), ensure_ascii=False), encoding="utf-8")
    people = tmp_path / "people.csv"
    people.write_text("name,id_number,kind,phone,area_code,address,tags\n"
                      f"林秀英,{NUMBER},registered,{PHONE},350583001001001,溪美街道幸福路12号,"
                      f"{SPECIAL};{CARE}\n", encoding="utf-8")
    orgs = tmp_path / "organisations.csv"
    orgs.write_text("kind,name,credit_code,address,lon,lat,grid_code,industry,contact_name,"
                    "contact_phone,risk_level,note\n"
                    f"small_shop,阿婆面线糊,,幸福路3号,118.05,24.85,,,陈阿婆,{CONTACT_PHONE},low,\n",
                    encoding="utf-8")
    _wangge(env, "migrate", "-v0")
    _wangge(env, "import-territory", str(territory))
    _wangge(env, "shell", "-c", "from wangge.people.models import Tag; "
            f"Tag.objects.create(name='{SPECIAL}', group='special'); "
            f"Tag.objects.create(name='{CARE}', group='care')")
    assert "1 new" in _wangge(env, "import", "people", str(people))
    assert "1 new" in _wangge(env, "import", "organisations", str(orgs))
    _wangge(env, "shell", "-c", REPORT)
    # the program itself reads everything back with the keys
    shown = _wangge(env, "shell", "-c", """
from wangge.cases.models import Case
from wangge.organisations.models import Organisation
from wangge.people import services
from wangge.people.models import Person
p = Person.objects.get()
print("READ", sorted(t.name for t in services.tags_of(p)), Case.objects.get().reporter_phone,
      Organisation.objects.get().contact_phone, p.changes.get().after["sensitive_tags"])
""")
    line = next(x for x in shown.splitlines() if x.startswith("READ "))
    assert line.split()[1:] == [f"['{CARE}',", f"'{SPECIAL}']", REPORTER_PHONE, CONTACT_PHONE,
                             f"['{SPECIAL}']"]

    files = sorted((tmp_path / "var").glob("wangge.sqlite3*"))
    assert files, "no database file was written"
    stored = b"".join(path.read_bytes() for path in files)
    assert "林秀英".encode() in stored  # the name is there, readable …
    assert "张女士".encode() in stored and "陈阿婆".encode() in stored
    for secret in (NUMBER, PHONE, NUMBER[6:14] + NUMBER[14:], REPORTER_PHONE, CONTACT_PHONE):
        assert secret.encode() not in stored  # … the ID number and the phones are not
        assert secret.encode("utf-16-le") not in stored
    # the special group's name is in the file only as the tag itself (its row and the unique
    # index on the name), never again beside a person (the history, a cache, a log …), nor
    # in the form JSON gives it (\uXXXX escapes)
    escaped = json.dumps(SPECIAL)[1:-1]
    assert stored.count(SPECIAL.encode()) <= 2 * len(files)
    assert escaped.encode() not in stored and escaped.lower().encode() not in stored

    # table by table, as someone with the file and no keys reads it
    db = sqlite3.connect(tmp_path / "var" / "wangge.sqlite3")
    tag_ids = dict(db.execute("SELECT name, id FROM people_tag"))
    person_id, name = db.execute("SELECT id, name FROM people_person").fetchone()
    assert name == "林秀英"
    links = set(db.execute("SELECT person_id, tag_id FROM people_person_tags"))
    assert links == {(person_id, tag_ids[CARE])}  # the care group in clear, the special not
    # no text anywhere but the tag table names the special group
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        columns = [row[1] for row in db.execute(f'PRAGMA table_info("{table}")')]
        for column in columns:
            found = db.execute(f'SELECT COUNT(*) FROM "{table}" WHERE CAST("{column}" AS TEXT) '
                               "LIKE ?", [f"%{SPECIAL}%"]).fetchone()[0]
            assert found == (1 if (table, column) == ("people_tag", "name") else 0), (
                table, column)
            found = db.execute(f'SELECT COUNT(*) FROM "{table}" WHERE CAST("{column}" AS TEXT) '
                               "LIKE ?", [f"%{escaped}%"]).fetchone()[0]
            assert found == 0, (table, column)
    # the person's sensitive tags and the history's are ciphertexts …
    (sealed,) = db.execute("SELECT sensitive_tags_enc FROM people_person").fetchone()
    assert sealed.startswith("v1:") and "[" not in sealed
    (history,) = db.execute("SELECT sensitive_enc FROM people_personchange").fetchone()
    assert history.startswith("v1:")
    # … and the index of who has a sensitive tag holds a keyed hash: it matches no hash of the
    # tag's id or name that can be made without the lookup key
    (token,) = db.execute("SELECT token FROM people_sensitivetaglink "
                          "WHERE person_id = ?", [person_id]).fetchone()
    guesses = {f"sensitive-tag:{tag_ids[SPECIAL]}", f"SENSITIVE-TAG:{tag_ids[SPECIAL]}",
               str(tag_ids[SPECIAL]), SPECIAL}
    for guess in guesses:
        for algorithm in ("md5", "sha1", "sha256", "sha512"):
            assert hashlib.new(algorithm, guess.encode()).hexdigest() != token
    # the reporter's and the contact's phones are ciphertexts
    assert db.execute("SELECT reporter_phone FROM cases_case").fetchone()[0].startswith("v1:")
    assert db.execute("SELECT contact_phone FROM organisations_organisation"
                      ).fetchone()[0].startswith("v1:")
