"""The taxonomy as a table: import from / export to CSV and XLSX, with row-level errors.

Columns: major_code, major_name, kind, code, name, filing_condition, closing_condition,
default_tier, department, urgency_default, handle_normal, handle_urgent, handle_critical, and
optionally public (``1``/``0``: cases of the type may appear in the public Open311 feed; a file
without the column leaves the flag as it is, and new types private).
Limits are a number and a unit: ``4wh`` (工作时), ``1wd`` (工作日), ``2nh`` (自然时),
``30nm`` (minutes).
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction

from wangge.cases.choices import Kind, Step, Tier, Urgency
from wangge.core.exporting import neutralise, no_formulas, text_of
from wangge.core.tabular import RowProblem, csv_cell
from wangge.dispatch.choices import DepartmentKind

REQUIRED_COLUMNS = ["major_code", "major_name", "kind", "code", "name", "filing_condition",
                    "closing_condition", "default_tier", "department", "urgency_default",
                    "handle_normal", "handle_urgent", "handle_critical"]
OPTIONAL_COLUMNS = ["public"]
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
FLAG_VALUES = {"1": True, "true": True, "yes": True, "是": True,
               "0": False, "false": False, "no": False, "否": False, "": False}
DEFAULT_FILE = Path(__file__).parent / "data" / "taxonomy.csv"
LIMIT_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(wh|wd|nh|nm)\s*$")
URGENCY_COLUMNS = {"handle_normal": Urgency.NORMAL, "handle_urgent": Urgency.URGENT,
                   "handle_critical": Urgency.CRITICAL}
# limits of the steps that do not depend on the category (rows with no category)
DEFAULT_STEP_LIMITS = {
    Step.ACCEPT: {Urgency.NORMAL: "30nm", Urgency.URGENT: "10nm", Urgency.CRITICAL: "5nm"},
    Step.DISPATCH: {Urgency.NORMAL: "30nm", Urgency.URGENT: "10nm", Urgency.CRITICAL: "5nm"},
    Step.HANDLE: {Urgency.NORMAL: "1wd", Urgency.URGENT: "4wh", Urgency.CRITICAL: "2nh"},
    Step.VERIFY: {Urgency.NORMAL: "1wd", Urgency.URGENT: "4wh", Urgency.CRITICAL: "2nh"},
    Step.CLOSE: {Urgency.NORMAL: "1wd", Urgency.URGENT: "4wh", Urgency.CRITICAL: "2nh"},
}


class TaxonomyImportError(Exception):
    def __init__(self, problems: list[RowProblem], source: str = ""):
        self.problems = problems
        head = f"{source}: " if source else ""
        super().__init__(f"{head}{len(problems)} problem(s); nothing was imported:\n"
                         + "\n".join(f"  - {p}" for p in problems))


def parse_limit(value: str) -> tuple[Decimal, str] | None:
    match = LIMIT_RE.match(value or "")
    if not match:
        return None
    try:
        amount = Decimal(match.group(1))
    except InvalidOperation:
        return None
    if amount <= 0:
        return None
    return amount, match.group(2)


def _hours(amount: Decimal, unit: str) -> float:
    return float(amount) * {"wh": 1, "nh": 1, "wd": 8, "nm": 1 / 60}[unit]


def read_rows(data: bytes, filename: str) -> list[dict]:
    """Rows as dicts from CSV (UTF-8, with or without BOM) or XLSX bytes."""
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise TaxonomyImportError([RowProblem(0, "", f"not a readable XLSX file: {exc}")],
                                      filename) from None
        sheet = book.worksheets[0]
        values = [["" if v is None else str(v).strip() for v in row]
                  for row in sheet.iter_rows(values_only=True)]
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise TaxonomyImportError([RowProblem(0, "", f"not UTF-8 text: {exc}")],
                                      filename) from None
        values = [[csv_cell(cell) for cell in row] for row in csv.reader(io.StringIO(text))]
    if not values:
        raise TaxonomyImportError([RowProblem(1, "", "the file is empty")], filename)
    header = values[0]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise TaxonomyImportError([RowProblem(1, c, "missing column") for c in missing],
                                  filename)
    rows = []
    for row in values[1:]:
        if not any(row):
            rows.append(None)
            continue
        rows.append({name: (row[header.index(name)] if header.index(name) < len(row) else "")
                     for name in COLUMNS if name in header})
    return rows


def validate(rows: list[dict | None]) -> tuple[list[dict], list[RowProblem]]:
    problems: list[RowProblem] = []
    good: list[dict] = []
    majors: dict[str, tuple[str, str, int]] = {}
    codes: dict[str, int] = {}
    for index, row in enumerate(rows, start=2):
        if row is None:
            continue
        before = len(problems)

        def bad(column, message, index=index):
            problems.append(RowProblem(index, column, message))

        major, code = row["major_code"], row["code"]
        if not (len(major) == 2 and major.isdigit()):
            bad("major_code", f"{major!r} is not a two-digit code")
        if not (len(code) == 4 and code.isdigit()):
            bad("code", f"{code!r} is not a four-digit code")
        elif not code.startswith(major):
            bad("code", f"{code} does not start with its major code {major}")
        elif code in codes:
            bad("code", f"duplicate code {code} (also row {codes[code]})")
        if not row["name"]:
            bad("name", "missing name")
        if not row["major_name"]:
            bad("major_name", "missing major category name")
        if row["kind"] not in Kind.values:
            bad("kind", f"{row['kind']!r} is not one of {', '.join(Kind.values)}")
        if major in majors and (majors[major][0], majors[major][1]) != (row["major_name"],
                                                                      row["kind"]):
            bad("major_name", f"major code {major} is {majors[major][0]!r} "
                              f"({majors[major][1]}) in row {majors[major][2]}")
        if row["default_tier"] not in Tier.values:
            bad("default_tier", f"{row['default_tier']!r} is not one of "
                                f"{', '.join(Tier.values)}")
        if row["department"] and row["department"] not in DepartmentKind.values:
            bad("department", f"unknown department kind {row['department']!r}")
        if row["urgency_default"] not in Urgency.values:
            bad("urgency_default", f"{row['urgency_default']!r} is not one of "
                                   f"{', '.join(Urgency.values)}")
        if "public" in row and row["public"].strip().lower() not in FLAG_VALUES:
            bad("public", f"{row['public']!r} is not 1 or 0")
        limits = {}
        for column in URGENCY_COLUMNS:
            parsed = parse_limit(row[column])
            if parsed is None:
                bad(column, f"{row[column]!r} is not a limit such as 4wh, 1wd, 2nh or 30nm")
            else:
                limits[column] = parsed
        if len(limits) == 3:
            hours = [_hours(*limits[c]) for c in URGENCY_COLUMNS]
            if not hours[0] >= hours[1] >= hours[2]:
                bad("handle_urgent", "an urgent limit must not be longer than the normal one, "
                                     "nor a critical one longer than the urgent one")
        if len(problems) == before:
            majors.setdefault(major, (row["major_name"], row["kind"], index))
            codes[code] = index
            good.append({**row, "_limits": limits})
    return good, problems


@transaction.atomic
def import_taxonomy(rows: list[dict | None], *, source: str = "", models=None) -> dict:
    """All or nothing: updates categories by code, adds new ones, sets their handling limits."""
    good, problems = validate(rows)
    if problems:
        raise TaxonomyImportError(problems, source)
    if models is None:
        from wangge.cases.models import Category, TimeLimit
    else:
        Category, TimeLimit = models
    created = updated = 0
    majors: dict[str, object] = {}
    # the flag of the public feed, when the file has the column (and, in the migration that
    # first loads the taxonomy, before the field exists, never)
    with_flag = any(f.name == "public" for f in Category._meta.get_fields())
    public_majors: dict[str, bool] = {}
    for row in good:
        major = majors.get(row["major_code"])
        if major is None:
            major, _ = Category.objects.update_or_create(
                code=row["major_code"], defaults={"name": row["major_name"], "kind": row["kind"],
                                                  "parent": None})
            majors[row["major_code"]] = major
        defaults = {
            "name": row["name"], "parent": major, "kind": row["kind"],
            "filing_condition": row["filing_condition"],
            "closing_condition": row["closing_condition"],
            "default_tier": row["default_tier"], "department_kind": row["department"],
            "default_urgency": row["urgency_default"]}
        if with_flag and "public" in row:
            defaults["public"] = FLAG_VALUES[row["public"].strip().lower()]
            public_majors[row["major_code"]] = (public_majors.get(row["major_code"], False)
                                                or defaults["public"])
        category, was_created = Category.objects.update_or_create(
            code=row["code"], defaults=defaults)
        created += was_created
        updated += not was_created
        for column, urgency in URGENCY_COLUMNS.items():
            amount, unit = row["_limits"][column]
            TimeLimit.objects.update_or_create(
                category=category, step=Step.HANDLE, urgency=urgency,
                defaults={"amount": amount, "unit": unit})
    for code, public in public_majors.items():  # a 大类 is public when one of its 小类 is
        Category.objects.filter(code=code, parent=None).update(public=public)
    return {"created": created, "updated": updated}


def ensure_default_limits(models=None) -> None:
    if models is None:
        from wangge.cases.models import TimeLimit
    else:
        TimeLimit = models
    for step, limits in DEFAULT_STEP_LIMITS.items():
        for urgency, text in limits.items():
            amount, unit = parse_limit(text)
            TimeLimit.objects.get_or_create(category=None, step=step, urgency=urgency,
                                            defaults={"amount": amount, "unit": unit})


def limit_text(amount: Decimal, unit: str) -> str:
    text = format(amount.normalize(), "f") if amount == amount.to_integral() else str(amount)
    return f"{text}{unit}"


def export_rows() -> list[list[str]]:
    from wangge.cases.models import Category, TimeLimit

    limits = {(t.category_id, t.urgency): limit_text(t.amount, t.unit)
              for t in TimeLimit.objects.filter(step=Step.HANDLE, category__isnull=False)}
    rows = [COLUMNS]
    for c in Category.objects.filter(parent__isnull=False).select_related("parent"):
        rows.append([c.parent.code, c.parent.name, c.kind, c.code, c.name, c.filing_condition,
                     c.closing_condition, c.default_tier, c.department_kind, c.default_urgency,
                     limits.get((c.pk, Urgency.NORMAL), ""), limits.get((c.pk, Urgency.URGENT), ""),
                     limits.get((c.pk, Urgency.CRITICAL), ""),
                     "1" if c.public and c.parent.public else "0"])
    return rows


def export_bytes(fmt: str) -> bytes:
    rows = export_rows()
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = "taxonomy"
        for row in rows:
            sheet.append(row)
        no_formulas(book)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(
        [[neutralise(text_of(v)) for v in row] for row in rows])
    return out.getvalue().encode("utf-8")


