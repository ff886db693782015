"""Reading CSV / XLSX tables for the base-data imports, with problems reported by row and column
(the header is row 1), in the style of wangge/cases/taxonomy.py. Shared by the people, places,
things and organisations imports."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass


@dataclass(frozen=True)
class RowProblem:
    row: int  # 1-based, the header is row 1
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column '{self.column}': {self.message}"


class TableImportError(Exception):
    """Raised when nothing was imported; ``problems`` says why, row by row."""

    def __init__(self, problems: list[RowProblem], source: str = ""):
        self.problems = problems
        head = f"{source}: " if source else ""
        shown = problems[:50]
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{head}{len(problems)} problem(s); nothing was imported:\n"
                         + "\n".join(f"  - {p}" for p in shown) + more)


def csv_cell(text: str) -> str:
    """A CSV cell as the importers read it: stripped, without the quote that an export puts
    before a leading formula character (wangge/core/exporting.py ``neutralise``)."""
    from wangge.core.exporting import unneutralise

    return unneutralise(text.strip()).strip()


def _xlsx_cell(value) -> str:
    return "" if value is None else str(value).strip()


def read_rows(data: bytes, filename: str, columns: list[str], required: list[str], *,
              error: type[TableImportError] = TableImportError,
              cell=_xlsx_cell) -> list[dict | None]:
    """Rows as dicts (every name of ``columns``, '' when absent) from CSV (UTF-8, with or
    without BOM) or XLSX bytes; blank rows are None so that row numbers stay right.
    ``error`` is the exception raised for an unreadable file or missing columns; ``cell``
    turns an XLSX cell value into text."""
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise error([RowProblem(0, "", f"not a readable XLSX file: {exc}")],
                        filename) from None
        values = [[cell(v) for v in row]
                  for row in book.worksheets[0].iter_rows(values_only=True)]
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise error([RowProblem(0, "", f"not UTF-8 text: {exc}")], filename) from None
        values = [[csv_cell(c) for c in row] for row in csv.reader(io.StringIO(text))]
    if not values:
        raise error([RowProblem(1, "", "the file is empty")], filename)
    header = [h.strip().lower() for h in values[0]]
    missing = [c for c in required if c not in header]
    if missing:
        raise error([RowProblem(1, c, "missing column") for c in missing], filename)
    index = {name: header.index(name) for name in columns if name in header}
    rows: list[dict | None] = []
    for row in values[1:]:
        if not any(c.strip() for c in row):
            rows.append(None)
            continue
        rows.append({name: (row[index[name]].strip() if name in index and index[name] < len(row)
                            else "") for name in columns})
    return rows


def error_report(problems: list[RowProblem]) -> str:
    """The problems as CSV text: row, column, reason (no cell runs as a formula)."""
    out = io.StringIO()
    writer = csv.writer(out)
    from wangge.core.exporting import neutralise

    writer.writerow(["row", "column", "reason"])
    for p in problems:
        writer.writerow([p.row, neutralise(str(p.column)), neutralise(str(p.message))])
    return out.getvalue()


def parse_float(value: str) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
