"""Organisation endpoints (组织): enterprises, shops, 三小场所 and social organisations with their
safety inspections, scoped to the caller's jurisdiction. Writes go through
``wangge.organisations.services`` (credit code checked, grid located from the position)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from ninja import Field, Query, Router, Schema

from wangge.core.api import (
    ChangeOut,
    Page,
    PageQuery,
    area_for,
    changes_out,
    check_fresh,
    choice,
    page_of,
    require_editor,
    within,
)
from wangge.core.scope import get_scoped_or_404, scoped
from wangge.organisations import services
from wangge.organisations.models import Organisation, OrgKind, RiskLevel
from wangge.people.services import can_view_full_id

router = Router(tags=["organisations"])


class InspectionOut(Schema):
    id: int
    date: dt.date
    result: str
    result_label: str
    issues: str
    follow_up_date: dt.date | None
    inspector: str


class OrganisationOut(Schema):
    id: int
    kind: str
    kind_label: str
    name: str
    credit_code: str
    address: str
    lon: float | None
    lat: float | None
    grid_code: str
    grid_name: str
    industry: str
    contact_name: str
    contact_phone: str = Field(description="Masked unless the caller may see full numbers")
    risk_level: str
    risk_label: str
    updated_at: dt.datetime


class OrganisationDetail(OrganisationOut):
    note: str
    inspections: list[InspectionOut]


class OrganisationFilter(PageQuery):
    q: str | None = Field(None, description="Name contains, or the exact credit code")
    kind: str | None = None
    risk_level: str | None = Field(None, description="low, general, larger, major")
    area: str | None = Field(None, description="Area code (its subtree)")


class OrganisationIn(Schema):
    kind: str
    name: str
    credit_code: str = ""
    address: str = ""
    lon: float | None = None
    lat: float | None = None
    grid_code: str | None = Field(None, description="When there is no position")
    industry: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    risk_level: str = RiskLevel.LOW
    note: str = ""


class OrganisationPatch(Schema):
    kind: str | None = None
    name: str | None = None
    credit_code: str | None = None
    address: str | None = None
    lon: float | None = None
    lat: float | None = None
    industry: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    risk_level: str | None = None
    note: str | None = None
    updated_at: dt.datetime | None = Field(
        None, description="The updated_at you read; a stale one is refused with 409")


class InspectionIn(Schema):
    result: str = Field(description="passed, rectify, suspended or closed")
    date: dt.date | None = None
    issues: str = ""
    follow_up_date: dt.date | None = None


def _inspection(i) -> dict:
    return {"id": i.pk, "date": i.date, "result": i.result,
            "result_label": str(i.get_result_display()), "issues": i.issues,
            "follow_up_date": i.follow_up_date, "inspector": str(i.inspector)}


def _row(org: Organisation, full: bool) -> dict:
    return {"id": org.pk, "kind": org.kind, "kind_label": str(org.get_kind_display()),
            "name": org.name, "credit_code": org.credit_code, "address": org.address,
            "lon": org.lon, "lat": org.lat, "grid_code": org.grid.code,
            "grid_name": org.grid.name, "industry": org.industry,
            "contact_name": org.contact_name,
            "contact_phone": org.contact_phone if full else org.masked_phone,
            "risk_level": org.risk_level, "risk_label": str(org.get_risk_level_display()),
            "updated_at": org.updated_at}


def _detail(org: Organisation, user) -> dict:
    inspections = org.inspections.select_related("inspector").all()
    return {**_row(org, can_view_full_id(user)), "note": org.note,
            "inspections": [_inspection(i) for i in inspections]}


@router.get("/organisations", response=Page[OrganisationOut], summary="Organisations")
def list_organisations(request, filters: Query[OrganisationFilter]):
    orgs = scoped(Organisation, request.user).select_related("grid").order_by(
        "grid__code", "name", "pk")
    if filters.q:
        q = filters.q.strip()
        orgs = orgs.filter(Q(name__icontains=q) | Q(credit_code=q.upper()))
    if choice(filters.kind, OrgKind, "kind"):
        orgs = orgs.filter(kind=filters.kind)
    if choice(filters.risk_level, RiskLevel, "risk_level"):
        orgs = orgs.filter(risk_level=filters.risk_level)
    orgs = within(orgs, request.user, filters.area, "grid__prefix")
    full = can_view_full_id(request.user)
    return page_of(orgs, filters, lambda o: _row(o, full))


@router.get("/organisations/{org_id}", response=OrganisationDetail, summary="One organisation")
def get_organisation(request, org_id: int):
    return _detail(get_scoped_or_404(Organisation, request.user, pk=org_id), request.user)


@router.get("/organisations/{org_id}/history", response=list[ChangeOut],
            summary="Every change to an organisation and its inspections")
def organisation_history(request, org_id: int):
    org = get_scoped_or_404(Organisation, request.user, pk=org_id)
    return changes_out(org.changes.all())


@router.post("/organisations", response={201: OrganisationDetail},
             summary="Register an organisation")
def create_organisation(request, data: OrganisationIn):
    require_editor(request.user)
    values = data.dict(exclude={"grid_code"})
    values["grid"] = area_for(request.user, data.grid_code, "grid_code")
    org = services.save_organisation(request.user, None, source="api", **values)
    return 201, _detail(org, request.user)


@router.patch("/organisations/{org_id}", response=OrganisationDetail,
              summary="Change an organisation")
def update_organisation(request, org_id: int, data: OrganisationPatch):
    require_editor(request.user)
    org = get_scoped_or_404(Organisation, request.user, pk=org_id)
    check_fresh(org, data.updated_at)
    changes = {k: v for k, v in data.dict(exclude_unset=True, exclude={"updated_at"}).items()
               if v is not None or k in ("lon", "lat")}
    services.save_organisation(request.user, org, source="api", **changes)
    return _detail(get_scoped_or_404(Organisation, request.user, pk=org_id), request.user)


@router.post("/organisations/{org_id}/inspections", response={201: InspectionOut},
             summary="Record a safety inspection")
def add_inspection(request, org_id: int, data: InspectionIn):
    org = get_scoped_or_404(Organisation, request.user, pk=org_id)
    inspection = services.record_inspection(request.user, org, result=data.result,
                                            date=data.date, issues=data.issues,
                                            follow_up_date=data.follow_up_date, source="api")
    return 201, _inspection(inspection)
