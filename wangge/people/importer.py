"""People from CSV or XLSX: ``wangge import-people FILE``.

Columns: name, id_number, kind, phone, area_code, address, tags (names separated by ``;``,
``；``, ``、`` or ``|``). A person is matched by ID number through its keyed hash, so a
re-import updates and never duplicates. Every row is checked first; by default nothing is
imported if any row is bad, or with ``skip_bad_rows`` the good rows are. Problems are reported
by row (the header is row 1) and column, as in wangge/cases/taxonomy.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from wangge.core import crypto, tabular
from wangge.core.identifiers import IdentifierError, mask, normalize_id_number
from wangge.core.tabular import RowProblem, TableImportError
from wangge.people import services
from wangge.people.models import Kind, Person, Tag
from wangge.territory.models import Area

COLUMNS = ["name", "id_number", "kind", "phone", "area_code", "address", "tags"]
REQUIRED = ["name", "id_number", "area_code"]
TAG_SPLIT = re.compile(r"[;；、|]")
PROGRESS_EVERY = 1000
# Chinese labels accepted in the kind column
KIND_ALIASES = {"户籍": Kind.REGISTERED, "户籍人口": Kind.REGISTERED, "流动": Kind.FLOATING,
                "流动人口": Kind.FLOATING, "境外": Kind.FOREIGN, "境外人员": Kind.FOREIGN}


class PeopleImportError(TableImportError):
    """Nothing was imported; ``problems`` says why, row by row."""


def read_rows(data: bytes, filename: str) -> list[dict | None]:
    """Rows as dicts from CSV (UTF-8, with or without BOM) or XLSX bytes; blank rows are None."""
    return tabular.read_rows(data, filename, COLUMNS, REQUIRED, error=PeopleImportError)


def validate(rows: list[dict | None], actor=None) -> tuple[list[tuple[int, dict]],
                                                            list[RowProblem]]:
    """Checks every row without writing; returns the good rows (with their row numbers and
    resolved values) and the problems."""
    problems: list[RowProblem] = []
    good: list[tuple[int, dict]] = []
    codes = {r["area_code"] for r in rows if r and r["area_code"]}
    areas = {a.code: a for a in Area.objects.filter(code__in=codes)}
    tags = {t.name: t for t in Tag.objects.all()}
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        if row is None:
            continue
        before = len(problems)

        def bad(column, message, number=number):
            problems.append(RowProblem(number, column, message))

        if not row["name"]:
            bad("name", "a name is required")
        elif len(row["name"]) > 50:
            bad("name", "a name has at most 50 characters")
        kind = KIND_ALIASES.get(row["kind"], row["kind"] or Kind.REGISTERED)
        if kind not in Kind.values:
            bad("kind", f"{row['kind']!r} is not one of {', '.join(Kind.values)}")
        id_number = ""
        try:
            id_number = normalize_id_number(row["id_number"])
        except IdentifierError as exc:
            bad("id_number", str(exc))
        if id_number:
            if id_number in seen:
                bad("id_number", f"{mask(id_number)} appears twice (also row {seen[id_number]})")
            else:
                seen[id_number] = number
        try:
            services.normalize_phone(row["phone"])
        except IdentifierError as exc:
            bad("phone", str(exc))
        area = areas.get(row["area_code"])
        if area is None:
            bad("area_code", f"no area has the code {row['area_code']!r}")
        elif area.level not in services.PERSON_LEVELS:
            bad("area_code", f"{area.code} is not a grid or a community")
        elif actor is not None and not actor.can_see_area(area):
            bad("area_code", f"{area.code} is outside your jurisdiction")
        if len(row["address"]) > 200:
            bad("address", "an address has at most 200 characters")
        row_tags = []
        for name in (n.strip() for n in TAG_SPLIT.split(row["tags"])):
            if not name:
                continue
            if name not in tags:
                bad("tags", f"unknown tag {name!r}")
            elif tags[name].sensitive and not services.can_view_sensitive_tags(actor):
                bad("tags", "you may not set special-group tags")
            else:
                row_tags.append(tags[name])
        if len(problems) == before:
            good.append((number, {"name": row["name"], "kind": kind, "id_number": id_number,
                                  "phone": row["phone"], "area": area,
                                  "address": row["address"], "tags": row_tags}))
    return good, problems


def import_people(rows: list[dict | None], *, actor=None, skip_bad_rows: bool = False,
                  source: str = "", progress: Callable[[int, int], None] | None = None) -> dict:
    """Imports the rows: all or nothing, or only the good rows with ``skip_bad_rows``.
    Returns counts and the problems (raises PeopleImportError instead when all-or-nothing)."""
    good, problems = validate(rows, actor)
    if problems and not skip_bad_rows:
        raise PeopleImportError(problems, source)
    hashes = {crypto.lookup_hash(values["id_number"]): n for n, values in good}
    existing = {}
    keys = list(hashes)
    for start in range(0, len(keys), 500):
        for person in Person.objects.filter(id_hash__in=keys[start:start + 500]):
            existing[person.id_hash] = person
    created = updated = unchanged = 0
    with transaction.atomic():
        for done, (number, values) in enumerate(good, start=1):
            person = existing.get(crypto.lookup_hash(values["id_number"]))
            try:
                with transaction.atomic():
                    if person is None:
                        services.register_person(actor, source="import", **values)
                        created += 1
                    elif services.update_person(actor, person, source="import", **values):
                        updated += 1
                    else:
                        unchanged += 1
            except PermissionDenied:
                problems.append(RowProblem(number, "id_number", "this ID number is already "
                                           "registered in another jurisdiction"))
                if not skip_bad_rows:
                    raise PeopleImportError(problems, source) from None
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    column = "area_code" if field == "area" else field
                    problems.append(RowProblem(number, column, "; ".join(messages)))
                if not skip_bad_rows:
                    raise PeopleImportError(problems, source) from None
            if progress and done % PROGRESS_EVERY == 0:
                progress(done, len(good))
    problems.sort(key=lambda p: (p.row, p.column))
    return {"created": created, "updated": updated, "unchanged": unchanged,
            "skipped": len({p.row for p in problems}), "problems": problems}
