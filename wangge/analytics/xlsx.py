"""The statistics page as an XLSX workbook (openpyxl): one sheet per table, same filters."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from wangge.core.exporting import no_formulas

HEAD = Font(bold=True, color="FFFFFF")
HEAD_FILL = PatternFill("solid", fgColor="1E3A8A")


def columns() -> list[tuple[str, str]]:
    """(key, header) of the counts and rates every table shows."""
    return [
        ("reported", _("Reports")), ("share", _("Share %")), ("accepted", _("Filed")),
        ("closed", _("Closed")), ("due", _("Due for closure")),
        ("closure_rate", _("Closure rate %")), ("on_time", _("Closed on time")),
        ("on_time_rate", _("On-time closure rate %")), ("open", _("Still open")),
        ("overdue_open", _("Overdue now")), ("rated", _("Rated")),
        ("satisfied", _("Satisfied or fairly")), ("satisfaction_rate", _("Satisfaction rate %")),
        ("self_handled", _("Handled on the spot")), ("not_filed", _("Not filed")),
    ]


def _sheet(wb, title: str, head: list[str], rows: list[list]):
    ws = wb.create_sheet(title[:31])
    ws.append(head)
    for cell in ws[1]:
        cell.font, cell.fill = HEAD, HEAD_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    for row in rows:
        ws.append(row)
    ws.freeze_panes = "A2"
    for i, name in enumerate(head, start=1):
        width = max([len(str(name))] + [len(str(r[i - 1])) for r in rows if len(r) >= i] + [6])
        ws.column_dimensions[get_column_letter(i)].width = min(40, width * 1.6 + 2)
    return ws


def _table(wb, title: str, label_heads: list[str], items: list[dict], label_keys: list[str]):
    cols = columns()
    rows = [[item.get(k, "") for k in label_keys] + [item.get(k) for k, _head in cols]
            for item in items]
    _sheet(wb, title, label_heads + [h for _key, h in cols], rows)


def workbook_bytes(data: dict) -> bytes:
    f = data["filters"]
    wb = Workbook()
    ws = wb.active
    ws.title = _("Summary")[:31]
    ws.append([_("Statistics")])
    ws["A1"].font = Font(bold=True, size=14)
    facts = [
        (_("Region"), f"{f.area.name} ({f.area.code})"),
        (_("Period"), f"{f.date_from.isoformat()} – {f.date_to.isoformat()}"),
        (_("Category"), f"{f.category.code} {f.category.name}" if f.category else _("All")),
        (_("Source"), f.source or _("All")),
    ]
    for label, value in facts:
        ws.append([label, value])
    ws.append([])
    comparison = data["comparison"]
    prev, year = comparison["previous_period"], comparison["year_ago_period"]
    ws.append([_("Figure"), _("This period"),
               _("Previous period (%(from)s – %(to)s)") % {"from": prev[0], "to": prev[1]},
               _("Month-on-month %"),
               _("A year before (%(from)s – %(to)s)") % {"from": year[0], "to": year[1]},
               _("Year-on-year %")])
    for cell in ws[ws.max_row]:
        cell.font, cell.fill = HEAD, HEAD_FILL
    from wangge.analytics.views import comparison_labels

    labels = comparison_labels()
    for row in comparison["rows"]:
        ws.append([str(labels[row["key"]]), row["current"], row["previous"], row["mom"],
                   row["year_ago"], row["yoy"]])
    ws.append([])
    ws.append([_("Rates are percentages; month-on-month and year-on-year of a rate are "
                 "differences in percentage points.")])
    ws.column_dimensions["A"].width = 24
    for letter in "BCDEF":
        ws.column_dimensions[letter].width = 22

    areas = data["areas"]
    if areas["rows"]:
        _table(wb, _("By area"), [_("Code"), _("Region")], areas["rows"], ["code", "name"])
    majors = data["categories"]
    _table(wb, _("By major category"), [_("Code"), _("Major category")], majors,
           ["code", "name"])
    minors = [m | {"major": major["name"]} for major in majors for m in major["minors"]]
    _table(wb, _("By minor category"), [_("Code"), _("Minor category"), _("Major category")],
           minors, ["code", "name", "major"])
    _table(wb, _("By source"), [_("Source")], data["sources"], ["name"])
    _table(wb, _("By department"), [_("Department")], data["departments"], ["name"])
    _table(wb, _("By urgency"), [_("Urgency")], data["urgencies"], ["name"])
    time = data["time"]
    cols = columns()
    head = [_("Day") if time["unit"] == "day" else _("Month")] + [h for _key, h in cols] + [
        _("A year before"), _("Year-on-year %")]
    rows = [[r["label"]] + [r.get(k) for k, _head in cols] + [r["year_ago"], r["yoy"]]
            for r in time["rows"]]
    _sheet(wb, _("By time"), head, rows)
    no_formulas(wb)  # a name beginning with "=" stays text
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
