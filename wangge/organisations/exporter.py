"""Organisations as a table: ``wangge export organisations`` and the export link of the
organisations list.

The columns are the importer's (kind, name, credit_code, address, lon, lat, grid_code,
industry, contact_name, contact_phone, risk_level, note), so a re-import of an export changes
nothing. The contact phone is a business contact, shown in clear on the organisation's page,
and exported as it is (stored encrypted; each export is written to the security audit
trail). ``filtered`` is the list page's filter, shared by the page and its export.
"""

from __future__ import annotations

from collections.abc import Iterator

from wangge.core.exporting import CHUNK, Context, ExportKind, in_area, visible
from wangge.organisations.importer import COLUMNS
from wangge.organisations.models import Organisation, OrgKind, RiskLevel

FILTER_KEYS = ("q", "kind", "risk", "area")


def filtered(user, params: dict) -> tuple:
    """The list page's filters: q (name contains or the credit code), kind, risk (level),
    area (an area code: its subtree)."""
    orgs = visible(Organisation, user)
    if params.get("q"):
        orgs = orgs.filter(name__icontains=params["q"]) | orgs.filter(
            credit_code=params["q"].upper())
    if params.get("kind") in OrgKind.values:
        orgs = orgs.filter(kind=params["kind"])
    if params.get("risk") in RiskLevel.values:
        orgs = orgs.filter(risk_level=params["risk"])
    if params.get("area"):
        return in_area(orgs, user, params["area"], "grid__prefix")
    return orgs, ""


def rows(queryset, ctx: Context) -> Iterator[list]:
    orgs = queryset.select_related("grid").order_by("grid__code", "name", "pk")
    for o in orgs.iterator(chunk_size=CHUNK):
        yield [o.kind, o.name, o.credit_code, o.address, o.lon, o.lat, o.grid.code, o.industry,
               o.contact_name, o.contact_phone, o.risk_level, o.note]


ORGANISATIONS = ExportKind(name="organisations", columns=COLUMNS, filtered=filtered, rows=rows,
                           filter_keys=FILTER_KEYS, numeric=frozenset({"lon", "lat"}),
                           list_url="organisations:list", contacts=True)
