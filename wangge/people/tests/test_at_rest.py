"""The database file itself holds no clear ID number or phone: a real SQLite file written by
the command line (migrate, territory, import), read back byte by byte."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from wangge.conftest import small_territory
from wangge.people.tests.conftest import make_id

NUMBER = make_id("19760315", "247")
PHONE = "13712345678"


def _wangge(env, *args):
    result = subprocess.run([sys.executable, "-m", "wangge.cli", *args], env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_the_database_file_holds_no_clear_id_number_or_phone(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "WANGGE_VAR_DIR")}
    env["WANGGE_VAR_DIR"] = str(tmp_path / "var")
    territory = tmp_path / "territory.geojson"
    territory.write_text(json.dumps(small_territory(), ensure_ascii=False), encoding="utf-8")
    people = tmp_path / "people.csv"
    people.write_text("name,id_number,kind,phone,area_code,address,tags\n"
                      f"林秀英,{NUMBER},registered,{PHONE},350583001001001,溪美街道幸福路12号,\n",
                      encoding="utf-8")
    _wangge(env, "migrate", "-v0")
    _wangge(env, "import-territory", str(territory))
    assert "1 new" in _wangge(env, "import", "people", str(people))
    files = sorted((tmp_path / "var").glob("wangge.sqlite3*"))
    assert files, "no database file was written"
    stored = b"".join(path.read_bytes() for path in files)
    assert "林秀英".encode() in stored  # the name is there, readable …
    for secret in (NUMBER, PHONE, NUMBER[6:14] + NUMBER[14:]):
        assert secret.encode() not in stored  # … the ID number and the phone are not
        assert secret.encode("utf-16-le") not in stored
