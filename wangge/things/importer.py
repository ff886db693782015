"""City components from CSV or XLSX: ``wangge import-things components FILE``.

Columns: code, name, status, lon, lat, owner_unit, maintainer_unit, address, note. ``code`` is
the 16-digit component code (wangge/things/codes.py); ``status`` one of normal, damaged,
missing, occupied, abandoned or their Chinese names; units are a department's code or name
(linked) or free text. A component is matched by its code, so a re-import updates and never
duplicates. Every row is checked first; nothing is imported if any row is bad, unless
``skip_bad_rows``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import transaction

from wangge.core.tabular import RowProblem, TableImportError, parse_float, read_rows
from wangge.things.codes import (
    ComponentCodeError,
    check_component_code,
    component_categories,
    county_prefixes,
)
from wangge.things.models import Component, ComponentChange, ComponentStatus

COLUMNS = ["code", "name", "status", "lon", "lat", "owner_unit", "maintainer_unit", "address",
           "note"]
REQUIRED = ["code", "name", "lon", "lat"]
STATUS_ALIASES = {"正常": ComponentStatus.NORMAL, "完好": ComponentStatus.NORMAL,
                  "损坏": ComponentStatus.DAMAGED, "破损": ComponentStatus.DAMAGED,
                  "丢失": ComponentStatus.MISSING, "缺失": ComponentStatus.MISSING,
                  "占用": ComponentStatus.OCCUPIED, "废弃": ComponentStatus.ABANDONED}


def read_component_rows(data: bytes, filename: str) -> list[dict | None]:
    return read_rows(data, filename, COLUMNS, REQUIRED)


def _departments() -> dict[str, object]:
    from wangge.dispatch.models import Department

    found = {}
    for d in Department.objects.all():
        found.setdefault(d.name, d)
        found[d.code] = d
    return found


def validate(rows: list[dict | None], actor=None) -> tuple[list[dict], list[RowProblem]]:
    from wangge.territory.locate import locate

    counties, categories, departments = county_prefixes(), component_categories(), _departments()
    problems: list[RowProblem] = []
    good: list[dict] = []
    seen: dict[str, int] = {}
    prefix = None if actor is None or actor.is_superuser else (actor.scope_prefix or "")
    for index, row in enumerate(rows, start=2):
        if row is None:
            continue
        before = len(problems)

        def bad(column, message, index=index):
            problems.append(RowProblem(index, column, message))

        values: dict = {}
        try:
            values["code"], _category = check_component_code(row["code"], counties=counties,
                                                             categories=categories)
            if values["code"] in seen:
                bad("code", f"duplicate code {values['code']} (also row {seen[values['code']]})")
        except ComponentCodeError as exc:
            bad("code", str(exc))
        if not row["name"]:
            bad("name", "missing name")
        values["name"] = row["name"][:100]
        status = row["status"] or ComponentStatus.NORMAL
        status = STATUS_ALIASES.get(status, status)
        if status not in ComponentStatus.values:
            bad("status", f"{row['status']!r} is not one of {', '.join(ComponentStatus.values)} "
                          "(or 正常/损坏/丢失/占用/废弃)")
        values["status"] = status
        lon, lat = parse_float(row["lon"]), parse_float(row["lat"])
        if lon is None:
            bad("lon", f"{row['lon']!r} is not a longitude")
        if lat is None:
            bad("lat", f"{row['lat']!r} is not a latitude")
        if lon is not None and lat is not None:
            try:
                found = locate(lon, lat)
            except ValueError as exc:
                bad("lon", str(exc))
            else:
                if not found.inside:
                    bad("lon", f"the point ({lon}, {lat}) lies outside every grid")
                elif prefix is not None and not found.grid_code.startswith(prefix):
                    bad("lon", "the point lies outside your jurisdiction")
                values.update(lon=lon, lat=lat)
        for column, field in (("owner_unit", "owner"), ("maintainer_unit", "maintainer")):
            text = row[column]
            department = departments.get(text) if text else None
            values[f"{field}_department"] = department
            values[f"{field}_unit"] = "" if department else text[:100]
        values["address"] = row["address"][:200]
        values["note"] = row["note"]
        if len(problems) == before:
            seen[values["code"]] = index
            good.append(values)
    return good, problems


def import_components(rows: list[dict | None], *, actor=None, skip_bad_rows: bool = False,
                      source: str = "", progress: Callable[[int, int], None] | None = None
                      ) -> dict:
    good, problems = validate(rows, actor)
    if problems and not skip_bad_rows:
        raise TableImportError(problems, source)
    from wangge.things.services import history_row, snapshot

    created = updated = unchanged = 0
    history_source = f"import {source}".strip()
    with transaction.atomic():
        existing = {c.code: c for c in Component.objects.select_related(
            "grid", "owner_department", "maintainer_department").filter(
            code__in=[v["code"] for v in good])}
        changes = []
        for done, values in enumerate(good, start=1):
            component = existing.get(values["code"]) or Component()
            was_new = component.pk is None
            before = None if was_new else snapshot(component)
            for key, value in values.items():
                setattr(component, key, value)
            try:
                component.full_clean(exclude=["category", "grid"])
            except ValidationError as exc:  # checked above; kept as a guard
                raise TableImportError([RowProblem(0, "", "; ".join(exc.messages))],
                                       source) from None
            if progress and done % 1000 == 0:
                progress(done, len(good))
            if not was_new and snapshot(component) == before:
                unchanged += 1
                continue
            component.save()
            changes.append(history_row(component, actor=actor, before=before,
                                       source=history_source))
            created += was_new
            updated += not was_new
        ComponentChange.objects.bulk_create([c for c in changes if c is not None],
                                            batch_size=1000)
    return {"created": created, "updated": updated, "unchanged": unchanged,
            "skipped": len({p.row for p in problems}), "problems": problems}
