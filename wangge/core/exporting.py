"""Exports of base data as CSV or XLSX, shared by ``wangge export KIND`` and the "导出" links of
the list pages.

An export writes exactly the columns the importer of its kind reads, so that export → import
round-trips: a re-import of an export changes nothing. Each app describes its kinds in its
``exporter.py`` (an ``ExportKind``: the columns, the list page's filters, a function turning a
queryset into rows); this module selects the rows (scoped to the acting user, filtered like
the list page), writes them, streaming (``.iterator(chunk_size=…)``; XLSX in openpyxl's
write-only mode) so that two million people never sit in memory at once, and records the
exports that hold personal data in ``people.ExportLog``.

Personal kinds (people, and houses, which name their owners by ID number) hold clear ID
numbers and phones only for the system (the command line without ``--user``) or a user with
``people.view_full_id``; otherwise they are masked, the file says it cannot be re-imported,
and its name ends in ``-masked``.
"""

from __future__ import annotations

import csv
import importlib
import io
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

FORMATS = ("csv", "xlsx")
CHUNK = 2000
XLSX_MAX_ROWS = 1_048_575  # a worksheet's rows, less the header
WEB_XLSX_MAX_ROWS = 200_000  # built before the download starts: larger ones as CSV (streamed)

# kind → "module:attribute" of its ExportKind, imported when first used
REGISTRY = {
    "people": "wangge.people.exporter:PEOPLE",
    "addresses": "wangge.places.exporter:ADDRESSES",
    "buildings": "wangge.places.exporter:BUILDINGS",
    "houses": "wangge.places.exporter:HOUSES",
    "components": "wangge.things.exporter:COMPONENTS",
    "organisations": "wangge.organisations.exporter:ORGANISATIONS",
}


@dataclass
class Context:
    """What a kind's row function needs to know: who exports and whether personal values go
    out in clear."""

    actor: object = None
    clear: bool = True


@dataclass(frozen=True)
class ExportKind:
    name: str
    columns: list[str]
    # (user or None for the system, {filter key: value}) → (queryset, problem text or "")
    filtered: Callable
    # (queryset, Context) → rows, each a list of values in the order of ``columns``
    rows: Callable[[object, Context], Iterable[list]]
    filter_keys: tuple[str, ...] = ("area",)
    area_key: str = "area"  # the filter key ``--area CODE`` sets
    personal: bool = False
    # holds other personal data (contact names and phones) in clear: audited like a personal
    # kind, without masking
    contacts: bool = False
    numeric: frozenset[str] = frozenset()  # written as numbers in XLSX
    masked_note: str = ""
    list_url: str = ""  # the URL name of the list page the web export belongs to
    label: str = ""  # what the export form calls the rows


def visible(model, user):
    """What ``user`` may see of ``model`` (None: the system, everything)."""
    from wangge.core.scope import scoped

    return model.objects.all() if user is None else scoped(model, user)


def in_area(queryset, user, code: str, path: str) -> tuple:
    """The rows under the area ``code`` (in the user's jurisdiction; ``path`` leads to an
    area's prefix) and '', or none and the problem to show."""
    from django.utils.translation import gettext as _

    from wangge.territory.models import Area

    area = visible(Area, user).filter(code=code).first()
    if area is None:
        return queryset.none(), _("No area in your jurisdiction has this code.")
    return queryset.filter(**{f"{path}__startswith": area.prefix}), ""


def kind(name: str) -> ExportKind:
    if name not in REGISTRY:
        raise KeyError(f"unknown kind {name!r}: one of {', '.join(REGISTRY)}")
    module, _, attribute = REGISTRY[name].partition(":")
    return getattr(importlib.import_module(module), attribute)


def chunks(items: Iterable, size: int) -> Iterator[list]:
    """Lists of up to ``size`` items (for one extra query per chunk of a streamed table)."""
    block: list = []
    for item in items:
        block.append(item)
        if len(block) >= size:
            yield block
            block = []
    if block:
        yield block


# --- cells --------------------------------------------------------------------------------------
def text_of(value) -> str:
    """A value as the importers read it back: None is empty, a float keeps every digit."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

# A CSV cell beginning with one of these is read by a spreadsheet as a formula (CSV / formula
# injection): such a cell is written with a single quote in front (the OWASP rule), which the
# spreadsheet shows as text. ``unneutralise`` (the importers of CSV) takes that quote off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _dangerous(text: str) -> bool:
    """Whether ``text`` needs the quote: it begins with a formula character, possibly behind
    quotes (a value that really begins with ``'=`` gets one more, so that taking one off on
    import gives it back exactly)."""
    return text.lstrip("'")[:1] in FORMULA_STARTS


def neutralise(text: str) -> str:
    """A CSV cell that no spreadsheet runs as a formula."""
    return "'" + text if text and _dangerous(text) else text


def unneutralise(text: str) -> str:
    """The value of a cell written by ``neutralise`` (a cell that begins with a quote followed
    by a formula character loses that one quote; any other cell is unchanged)."""
    return text[1:] if text.startswith("'") and _dangerous(text) else text


def no_formulas(book) -> None:
    """Makes every cell of a (normal-mode) openpyxl workbook that openpyxl took for a formula
    (a text beginning with ``=``) a text cell again: an XLSX written here holds values only."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for c in row:
                if c.data_type == "f":
                    c.data_type = "s"


# --- writers ------------------------------------------------------------------------------------
class _Line:
    """A file-like object that hands back what csv.writer wrote, for streaming."""

    def write(self, text: str) -> str:
        return text


def csv_lines(columns: list[str], rows: Iterable[list], *, bom: bool = True, note: str = "",
              progress: Callable[[int], None] | None = None) -> Iterator[str]:
    """The CSV text, one line at a time (UTF-8 with a BOM, so that Excel reads the Chinese).
    A ``note`` (a masked export: it cannot be re-imported) is the last line. Every cell is
    ``neutralise``d: nothing in the file runs as a formula in a spreadsheet."""
    writer = csv.writer(_Line())
    yield ("\ufeff" if bom else "") + writer.writerow([neutralise(str(c)) for c in columns])
    done = 0
    for row in rows:
        done += 1
        yield writer.writerow([neutralise(text_of(v)) for v in row])
        if progress is not None and done % 1000 == 0:
            progress(done)
    if note:
        yield writer.writerow([neutralise(str(note))])
    if progress is not None:
        progress(done)


def write_csv(stream, columns: list[str], rows: Iterable[list], *, note: str = "",
              progress=None) -> int:
    """Writes the rows to a text stream; returns how many."""
    done = 0

    def count(n):
        nonlocal done
        done = n
        if progress is not None:
            progress(n)

    for line in csv_lines(columns, rows, note=note, progress=count):
        stream.write(line)
    return done


def write_xlsx(target, columns: list[str], rows: Iterable[list], *,
               numeric: frozenset[str] = frozenset(), note: str = "", sheet: str = "data",
               progress=None) -> int:
    """Writes the rows to an XLSX file (a path or a binary file object) in openpyxl's
    write-only mode: rows go to disk as they come. Text stays text (an ID number or a 16-digit
    code is never turned into a number, a leading '=' never into a formula); the columns in
    ``numeric`` are numbers. A ``note`` goes on a second sheet. Returns how many rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    ws.append(columns)
    is_number = [c in numeric for c in columns]

    def cell(value, number: bool):
        if value is None or value == "":
            return None
        if number and isinstance(value, int | float) and not isinstance(value, bool):
            return value
        text = _ILLEGAL_XLSX.sub("", text_of(value))
        if text.startswith("="):
            c = WriteOnlyCell(ws, value=text)
            c.data_type = "s"
            return c
        return text

    done = 0
    for row in rows:
        ws.append([cell(v, n) for v, n in zip(row, is_number, strict=True)])
        done += 1
        if progress is not None and done % 1000 == 0:
            progress(done)
    if note:
        book.create_sheet("note").append([note])
    book.save(target)
    if progress is not None:
        progress(done)
    return done


# --- one export ---------------------------------------------------------------------------------
@dataclass
class Export:
    """The rows one actor exports of one kind with one filter (made by ``prepare``)."""

    kind: ExportKind
    actor: object
    params: dict
    queryset: object
    clear: bool
    count: int
    problem: str = ""
    log: object = None
    started: object = field(default_factory=timezone.now)

    def rows(self) -> Iterable[list]:
        return self.kind.rows(self.queryset, Context(actor=self.actor, clear=self.clear))

    @property
    def note(self) -> str:
        return "" if self.clear or not self.kind.personal else str(self.kind.masked_note)

    def filename(self, file_format: str) -> str:
        stamp = timezone.localtime(self.started).strftime("%Y%m%d-%H%M")
        area = re.sub(r"[^0-9A-Za-z]", "", self.params.get(self.kind.area_key, ""))[:18]
        masked = "-masked" if self.kind.personal and not self.clear else ""
        return f"{self.kind.name}{'-' + area if area else ''}-{stamp}{masked}.{file_format}"

    def write(self, target, file_format: str, *, progress=None) -> int:
        if file_format == "xlsx":
            return write_xlsx(target, self.kind.columns, self.rows(), numeric=self.kind.numeric,
                              note=self.note, sheet=self.kind.name, progress=progress)
        return write_csv(target, self.kind.columns, self.rows(), note=self.note,
                         progress=progress)


def may_see_clear(actor) -> bool:
    from wangge.people.services import can_view_full_id

    return actor is None or can_view_full_id(actor)


def prepare(kind_name: str, actor, params: dict | None = None, *, clear: bool | None = None,
            reason: str = "", channel: str = "cli", file_format: str = "csv",
            request=None) -> Export:
    """Selects what ``actor`` (None: the system) exports of a kind, filtered with ``params`` as
    on the list page. ``clear`` (personal kinds): None gives clear values to whoever may see
    them; True for someone who may not is refused (and audited). An export of a personal kind
    is recorded in ``people.ExportLog`` (who, when, how many rows, the filter, clear or masked,
    why) and in the security audit trail (``export``) before a row is written; an export of a
    kind with contact data in the audit trail."""
    spec = kind(kind_name)
    if file_format not in FORMATS:
        raise ValidationError({"format": f"{file_format!r} is not one of {', '.join(FORMATS)}"})
    params = {k: (params or {}).get(k, "").strip() for k in spec.filter_keys}
    params = {k: v for k, v in params.items() if v}
    queryset, problem = spec.filtered(actor, params)
    allowed = may_see_clear(actor)
    if clear and not allowed:
        from wangge.people.services import record_export_denied

        record_export_denied(actor, request=request, kind=spec.name, filter=params,
                             clear=True, channel=channel, format=file_format,
                             reason=(reason or "").strip()[:200])
        raise PermissionDenied("you may not export clear ID numbers and phones")
    clear = allowed if clear is None else bool(clear)
    export = Export(kind=spec, actor=actor, params=params, queryset=queryset,
                    clear=clear if spec.personal else True, count=queryset.count(),
                    problem=problem)
    limit = WEB_XLSX_MAX_ROWS if channel == "web" else XLSX_MAX_ROWS
    if file_format == "xlsx" and export.count > limit:
        raise ValidationError({"format": f"{export.count:,} rows are more than an Excel file "
                                         f"takes here ({limit:,}): export them as CSV"})
    if spec.personal:
        from wangge.people import services

        export.log = services.record_export(
            actor, kind=spec.name, rows=export.count, filters=params, clear=export.clear,
            reason=reason, channel=channel, file_format=file_format, request=request)
    elif spec.contacts:
        from wangge.audit.choices import Event
        from wangge.audit.services import record

        record(Event.EXPORT, actor=actor, request=request, username="system" if actor is None
               else "", kind=spec.name, rows=export.count, filter=params, clear=True,
               channel=channel, format=file_format, reason=(reason or "").strip()[:200])
    return export


# --- the web ----------------------------------------------------------------------------------
def web_export(request, kind_name: str):
    """The download behind a list page's "导出 CSV / 导出 Excel" link: the list's current
    filter (the query string), scoped to the user. For a personal kind and a user allowed to
    see clear values, a small form first asks whether to export them and why (logged)."""
    from django.http import FileResponse, HttpResponseBadRequest, StreamingHttpResponse
    from django.shortcuts import render
    from django.utils.translation import gettext as _

    spec = kind(kind_name)
    file_format = request.GET.get("format", "csv")
    if file_format not in FORMATS:
        return HttpResponseBadRequest("format: csv or xlsx")
    params = {k: request.GET.get(k, "") for k in spec.filter_keys}
    clear, reason = False, ""
    if spec.personal and may_see_clear(request.user):
        form = {"clear": request.POST.get("clear", "") == "1",
                "reason": request.POST.get("reason", "").strip()}
        error = ""
        if request.method == "POST" and form["clear"] and not form["reason"]:
            error = _("Say why you need the clear ID numbers and phones.")
        if request.method != "POST" or error:
            queryset, _problem = spec.filtered(request.user, {k: v.strip() for k, v in
                                                              params.items() if v.strip()})
            return render(request, "core/export_form.html", {
                "kind": spec.name, "label": spec.label or spec.name,
                "file_format": file_format, "form": form, "error": error,
                "count": queryset.count(), "note": spec.masked_note,
                "back": _list_url(spec, params)}, status=400 if error else 200)
        clear, reason = form["clear"], form["reason"]
    try:
        export = prepare(kind_name, request.user, params, clear=clear, reason=reason,
                         channel="web", file_format=file_format, request=request)
    except ValidationError:  # too many rows for Excel
        from django.contrib import messages
        from django.shortcuts import redirect

        messages.error(request, _("Too many rows for an Excel file: export them as CSV."))
        return redirect(_list_url(spec, params) or "/")
    name = export.filename(file_format)
    if file_format == "xlsx":
        spool = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it)
        export.write(spool, "xlsx")
        spool.seek(0)
        return FileResponse(spool, as_attachment=True, filename=name, content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in csv_lines(spec.columns, export.rows(),
                                                    note=export.note)),
        content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


def _list_url(spec: ExportKind, params: dict) -> str:
    from urllib.parse import urlencode

    from django.urls import reverse

    if not spec.list_url:
        return ""
    query = urlencode({k: v for k, v in params.items() if v})
    return reverse(spec.list_url) + (f"?{query}" if query else "")


def read_back(data: bytes, file_format: str) -> list[list[str]]:
    """The rows of an exported file as text (for checks and tests)."""
    if file_format == "xlsx":
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        return [["" if v is None else str(v) for v in row]
                for row in book.worksheets[0].iter_rows(values_only=True)]
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
