"""Organisations from CSV or XLSX: ``wangge import-organisations FILE``.

Columns: kind, name, credit_code, address, lon, lat, grid_code, industry, contact_name,
contact_phone, risk_level, note. ``kind`` and ``risk_level`` take the English values or the
Chinese names; the position (WGS-84) locates the grid, else ``grid_code`` names it. An
organisation is matched by its credit code (or, for 三小场所 without one, by name and grid), so
a re-import updates and never duplicates. Every row is checked first; nothing is imported if
any row is bad, unless ``skip_bad_rows``. A bad credit code is reported by row and column.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import transaction

from wangge.core.identifiers import IdentifierError, normalize_uscc
from wangge.core.tabular import RowProblem, TableImportError, parse_float, read_rows
from wangge.organisations.models import (
    SMALL_PLACE_KINDS,
    Organisation,
    OrganisationChange,
    OrgKind,
    RiskLevel,
)
from wangge.territory.choices import UNIT_GRID_LEVELS
from wangge.territory.models import Area

COLUMNS = ["kind", "name", "credit_code", "address", "lon", "lat", "grid_code", "industry",
           "contact_name", "contact_phone", "risk_level", "note"]
REQUIRED = ["kind", "name", "credit_code"]
KIND_ALIASES = {"企业": OrgKind.ENTERPRISE, "商铺": OrgKind.SHOP, "个体工商户": OrgKind.SHOP,
                "小商店": OrgKind.SMALL_SHOP, "小餐饮": OrgKind.SMALL_RESTAURANT,
                "小作坊": OrgKind.SMALL_WORKSHOP, "小场所": OrgKind.SMALL_VENUE,
                "小旅馆": OrgKind.SMALL_VENUE, "小娱乐场所": OrgKind.SMALL_VENUE,
                "社会组织": OrgKind.SOCIAL, "其他": OrgKind.OTHER}
RISK_ALIASES = {"低": RiskLevel.LOW, "低风险": RiskLevel.LOW, "一般": RiskLevel.GENERAL,
                "一般风险": RiskLevel.GENERAL, "较大": RiskLevel.LARGER,
                "较大风险": RiskLevel.LARGER, "重大": RiskLevel.MAJOR, "重大风险": RiskLevel.MAJOR}
FIELDS = ["kind", "name", "credit_code", "address", "lon", "lat", "grid_id", "industry",
          "contact_name", "contact_phone", "risk_level", "note"]


def read_organisation_rows(data: bytes, filename: str) -> list[dict | None]:
    return read_rows(data, filename, COLUMNS, REQUIRED)


def validate(rows: list[dict | None], actor=None) -> tuple[list[dict], list[RowProblem]]:
    from wangge.territory.locate import locate

    grids = {a.code: a for a in Area.objects.filter(level__in=list(UNIT_GRID_LEVELS))
             .only("id", "code", "prefix")}
    grid_by_id = {a.id: a for a in grids.values()}
    prefix = None if actor is None or actor.is_superuser else (actor.scope_prefix or "")
    problems: list[RowProblem] = []
    good: list[dict] = []
    seen: dict[str, int] = {}
    for index, row in enumerate(rows, start=2):
        if row is None:
            continue
        before = len(problems)

        def bad(column, message, index=index):
            problems.append(RowProblem(index, column, message))

        kind = KIND_ALIASES.get(row["kind"], row["kind"])
        if kind not in OrgKind.values:
            bad("kind", f"{row['kind']!r} is not one of {', '.join(OrgKind.values)} "
                        "(or 企业/商铺/小商店/小餐饮/小作坊/社会组织 …)")
        if not row["name"]:
            bad("name", "missing name")
        code = ""
        if row["credit_code"]:
            try:
                code = normalize_uscc(row["credit_code"])
            except IdentifierError as exc:
                bad("credit_code", str(exc))
            else:
                if code in seen:
                    bad("credit_code", f"duplicate credit code {code} (also row {seen[code]})")
        elif kind in OrgKind.values and kind not in SMALL_PLACE_KINDS:
            bad("credit_code", "missing: only 三小场所 (small shops, restaurants, workshops, "
                               "venues) may have no credit code")
        risk = RISK_ALIASES.get(row["risk_level"], row["risk_level"] or RiskLevel.LOW)
        if risk not in RiskLevel.values:
            bad("risk_level", f"{row['risk_level']!r} is not one of "
                              f"{', '.join(RiskLevel.values)} (or 低/一般/较大/重大)")
        grid = None
        lon, lat = None, None
        if row["lon"] or row["lat"]:
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
                    else:
                        grid = grid_by_id.get(found.grid_id)
        elif row["grid_code"]:
            grid = grids.get(row["grid_code"])
            if grid is None:
                bad("grid_code", f"{row['grid_code']!r} is not a grid")
        else:
            bad("lon", "give the position (lon, lat) or the grid_code")
        if grid is not None and prefix is not None and not grid.prefix.startswith(prefix):
            bad("grid_code" if lon is None else "lon", "outside your jurisdiction")
        if len(problems) == before:
            if code:
                seen[code] = index
            good.append({"kind": kind, "name": row["name"][:150], "credit_code": code,
                         "address": row["address"][:200], "lon": lon, "lat": lat,
                         "grid_id": grid.id, "industry": row["industry"][:100],
                         "contact_name": row["contact_name"][:50],
                         "contact_phone": row["contact_phone"][:30], "risk_level": risk,
                         "note": row["note"]})
    return good, problems


def import_organisations(rows: list[dict | None], *, actor=None, skip_bad_rows: bool = False,
                         source: str = "",
                         progress: Callable[[int, int], None] | None = None) -> dict:
    good, problems = validate(rows, actor)
    if problems and not skip_bad_rows:
        raise TableImportError(problems, source)
    from wangge.organisations.services import history_row, state

    created = updated = unchanged = 0
    history_source = f"import {source}".strip()
    changes = []
    with transaction.atomic():
        by_code = {o.credit_code: o for o in Organisation.objects.select_related("grid").filter(
            credit_code__in=[v["credit_code"] for v in good if v["credit_code"]])}
        for done, values in enumerate(good, start=1):
            org = by_code.get(values["credit_code"]) if values["credit_code"] else \
                Organisation.objects.filter(credit_code="", name=values["name"],
                                            grid_id=values["grid_id"]).first()
            was_new = org is None
            org = org or Organisation()
            before = None if was_new else state(org)
            for key in FIELDS:
                setattr(org, key, values[key])
            try:
                org.full_clean(exclude=["grid"])
            except ValidationError as exc:
                raise TableImportError([RowProblem(0, "", "; ".join(exc.messages))],
                                       source) from None
            if progress and done % 1000 == 0:
                progress(done, len(good))
            if not was_new and state(org) == before:
                unchanged += 1
                continue
            org.save()
            changes.append(history_row(org, actor=actor, before=before, source=history_source))
            created += was_new
            updated += not was_new
        OrganisationChange.objects.bulk_create([c for c in changes if c is not None],
                                               batch_size=1000)
    return {"created": created, "updated": updated, "unchanged": unchanged,
            "skipped": len({p.row for p in problems}), "problems": problems}
