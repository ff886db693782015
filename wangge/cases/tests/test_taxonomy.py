"""The shipped taxonomy, and its CSV/XLSX import and export with row-level errors."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from wangge.cases.models import Category, TimeLimit
from wangge.cases.taxonomy import (
    COLUMNS,
    TaxonomyImportError,
    export_bytes,
    import_taxonomy,
    read_rows,
)

pytestmark = pytest.mark.django_db


def test_the_default_taxonomy_is_big_enough_and_well_formed():
    majors = Category.objects.filter(parent__isnull=True)
    minors = Category.objects.filter(parent__isnull=False)
    assert majors.count() >= 18
    assert minors.count() >= 150
    names = set(majors.values_list("name", flat=True))
    for name in ("市容环境", "宣传广告", "施工管理", "突发事件", "街面秩序", "公用设施", "道路交通",
                 "园林绿化", "房屋土地", "矛盾纠纷", "治安隐患", "安全生产", "消防安全", "环境保护",
                 "民生服务", "特殊人群服务"):
        assert name in names, name
    for minor in minors:
        assert minor.code.startswith(minor.parent.code) and len(minor.code) == 4
        assert minor.filing_condition and minor.closing_condition
    # every 小类 has a handling limit per urgency
    assert TimeLimit.objects.filter(step="handle", category__isnull=False).count() == \
        3 * minors.count()


def test_export_then_import_is_a_round_trip_in_both_formats(tmp_path):
    for fmt in ("csv", "xlsx"):
        data = export_bytes(fmt)
        rows = read_rows(data, f"t.{fmt}")
        assert len(rows) == Category.objects.filter(parent__isnull=False).count()
        result = import_taxonomy(rows)
        assert result["created"] == 0 and result["updated"] == len(rows)
        assert export_bytes("csv") == export_bytes("csv")
    assert export_bytes("csv").decode().splitlines()[0] == ",".join(COLUMNS)


def test_bad_rows_are_named_by_row_and_column_and_nothing_is_written():
    lines = export_bytes("csv").decode().splitlines()
    header, good = lines[0], lines[1]
    fields = good.split(",")
    bad_code = fields.copy()
    bad_code[3] = "9901"  # does not start with its major code
    bad_limit = fields.copy()
    bad_limit[3] = fields[0] + "98"
    bad_limit[10] = "4 hours"
    bad_order = fields.copy()
    bad_order[3] = fields[0] + "97"
    bad_order[10], bad_order[11] = "1wh", "2wd"
    bad_kind = fields.copy()
    bad_kind[3] = fields[0] + "96"
    bad_kind[2] = "thing"
    text = "\n".join([header, good, ",".join(bad_code), ",".join(bad_limit),
                      ",".join(bad_order), ",".join(bad_kind), good])
    before = Category.objects.count()
    with pytest.raises(TaxonomyImportError) as info:
        import_taxonomy(read_rows(text.encode(), "bad.csv"), source="bad.csv")
    messages = [str(p) for p in info.value.problems]
    assert any(m.startswith("row 3, column 'code': 9901 does not start with") for m in messages)
    assert any(m.startswith("row 4, column 'handle_normal': '4 hours' is not a limit")
               for m in messages)
    assert any(m.startswith("row 5, column 'handle_urgent'") for m in messages)
    assert any(m.startswith("row 6, column 'kind'") for m in messages)
    assert any(m.startswith("row 7, column 'code': duplicate code 0101 (also row 2)")
               for m in messages)
    assert Category.objects.count() == before


def test_missing_columns_and_unreadable_files():
    with pytest.raises(TaxonomyImportError, match="column 'kind': missing column"):
        read_rows(b"major_code,major_name\n01,x\n", "x.csv")
    with pytest.raises(TaxonomyImportError, match="not a readable XLSX"):
        read_rows(b"not a zip", "x.xlsx")
    with pytest.raises(TaxonomyImportError, match="not UTF-8"):
        read_rows("代码".encode("gbk"), "x.csv")


def test_commands(tmp_path):
    out = tmp_path / "taxonomy.xlsx"
    call_command("export_taxonomy", "-o", str(out))
    from openpyxl import load_workbook

    sheet = load_workbook(out).active
    assert [c.value for c in sheet[1]] == COLUMNS
    call_command("import_taxonomy", str(out), stdout=io.StringIO())
    bad = tmp_path / "bad.csv"
    bad.write_text(",".join(COLUMNS) + "\n01,市容环境,event,0101,,x,y,grid,chengguan,normal,"
                   "4wh,2wh,1wh\n", encoding="utf-8")
    with pytest.raises(CommandError, match="row 2, column 'name': missing name"):
        call_command("import_taxonomy", str(bad))
