"""Writing organisations and inspections: always through here, with an actor whose jurisdiction
is checked (None: the system, e.g. an import without --user)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.history import StaleRecord, check_version
from wangge.core.identifiers import IdentifierError, mask_phone, normalize_uscc
from wangge.core.models import ChangeAction
from wangge.core.permissions import can_record_inspection
from wangge.organisations.models import (
    SMALL_PLACE_KINDS,
    Inspection,
    InspectionResult,
    Organisation,
    OrganisationChange,
    OrgKind,
    RiskLevel,
)

EDITABLE = ["kind", "name", "credit_code", "address", "lon", "lat", "grid", "industry",
            "contact_name", "contact_phone", "risk_level", "note"]


def clean_credit_code(value: str, kind: str) -> str:
    """The normalised credit code, '' when absent and allowed (三小场所), or a ValidationError
    naming the problem."""
    value = (value or "").strip()
    if not value:
        if kind in SMALL_PLACE_KINDS:
            return ""
        raise ValidationError({"credit_code": _("The unified social credit code is required "
                                                "(only small shops, restaurants, workshops "
                                                "and venues may have none).")})
    try:
        return normalize_uscc(value)
    except IdentifierError as exc:
        raise ValidationError({"credit_code": str(exc)}) from None


def _in_reach(actor, grid) -> bool:
    if actor is None or actor.is_superuser:
        return True
    prefix = getattr(actor, "scope_prefix", None)
    return bool(prefix) and grid.prefix.startswith(prefix)


def locate_organisation(org: Organisation) -> None:
    from wangge.territory.locate import locate

    if (org.lon is None) != (org.lat is None):
        raise ValidationError({"lon": _("Give both longitude and latitude, or neither.")})
    if org.lon is None:
        if org.grid_id is None:
            raise ValidationError({"grid": _("Give the position, or at least the grid.")})
        return
    try:
        found = locate(org.lon, org.lat)
    except ValueError as exc:
        raise ValidationError({"lon": str(exc)}) from None
    if not found.inside:
        raise ValidationError({"lon": found.message})
    org.grid_id = found.grid_id


def state(org: Organisation) -> dict:
    """The organisation's field values (the grid by code), to tell whether anything changed;
    the history keeps ``snapshot`` of it, with the contact phone masked."""
    return {"kind": org.kind, "name": org.name, "credit_code": org.credit_code,
            "address": org.address, "lon": org.lon, "lat": org.lat,
            "grid": org.grid.code if org.grid_id else "", "industry": org.industry,
            "contact_name": org.contact_name, "contact_phone": org.contact_phone,
            "risk_level": org.risk_level, "note": org.note}


def snapshot(org_or_state) -> dict:
    values = dict(org_or_state if isinstance(org_or_state, dict) else state(org_or_state))
    values["contact_phone"] = mask_phone(values["contact_phone"] or "")
    return values


def history_row(org: Organisation, *, actor, before: dict | None, source: str):
    """The unsaved ``OrganisationChange`` from the ``state`` ``before`` to the organisation as
    it is now, or None when nothing changed (the importer writes these in bulk)."""
    after = state(org)
    if before == after:
        return None
    return OrganisationChange(
        organisation=org, actor=actor, source=(source or "web")[:200], area=org.grid,
        at=org.updated_at or timezone.now(),
        action=ChangeAction.CREATED if before is None else ChangeAction.UPDATED,
        before=None if before is None else snapshot(before), after=snapshot(after))


@transaction.atomic
def save_organisation(actor, organisation: Organisation | None = None, *, source: str = "web",
                      expected_version: str | None = None, **data) -> Organisation:
    """Create (``organisation`` None) or update an organisation. Validates the credit code and
    locates the grid from the position. The change is written to the history (``source``: web,
    api, import …) in the same transaction; nothing is saved or written when nothing changed.
    With ``expected_version`` (wangge.core.history.version_of) an organisation changed since
    then is refused with ``StaleRecord``. Raises ValidationError or PermissionDenied."""
    before = None
    if organisation is not None and organisation.pk:
        if (actor is not None and not Organisation.objects.visible_to(actor).filter(
                pk=organisation.pk).exists()):
            raise PermissionDenied("the organisation lies outside your jurisdiction")
        stored = Organisation.objects.select_for_update().select_related("grid").get(
            pk=organisation.pk)
        check_version(stored, expected_version)
        before = state(stored)
    org = organisation or Organisation()
    for key, value in data.items():
        if key not in EDITABLE:
            raise ValueError(f"unknown field {key}")
        setattr(org, key, value)
    if org.kind not in OrgKind.values:
        raise ValidationError({"kind": _("Choose a kind.")})
    if org.risk_level not in RiskLevel.values:
        raise ValidationError({"risk_level": _("Choose a risk level.")})
    org.credit_code = clean_credit_code(org.credit_code, org.kind)
    locate_organisation(org)
    if org.credit_code and Organisation.objects.filter(credit_code=org.credit_code).exclude(
            pk=org.pk).exists():
        raise ValidationError({"credit_code": _("Another organisation has this credit "
                                                "code.")})
    org.full_clean(exclude=["grid"])
    if not _in_reach(actor, org.grid):
        raise PermissionDenied("the organisation lies outside your jurisdiction")
    if before is not None and state(org) == before:
        return org
    org.save()
    history_row(org, actor=actor, before=before, source=source).save()
    return org


@transaction.atomic
def record_inspection(actor, organisation: Organisation, *, result: str,
                      date: dt.date | None = None, issues: str = "",
                      follow_up_date: dt.date | None = None, inspector=None,
                      source: str = "web") -> Inspection:
    """Record an inspection by ``inspector`` (default: the actor). A result other than "no
    problems" needs the issues found and a follow-up date on or after the inspection. The
    organisation's history gets a row for it in the same transaction. Only roles that keep
    base data may (wangge.core.permissions.can_record_inspection), inside their jurisdiction:
    PermissionDenied otherwise."""
    if actor is None or not Organisation.objects.visible_to(actor).filter(
            pk=organisation.pk).exists():
        raise PermissionDenied("the organisation lies outside your jurisdiction")
    if not can_record_inspection(actor):
        raise PermissionDenied(_("Your role may read inspections but not record them."))
    inspector = inspector or actor
    date = date or dt.date.today()
    errors = {}
    if result not in InspectionResult.values:
        errors["result"] = _("Choose a result.")
    if date > dt.date.today():
        errors["date"] = _("The inspection date cannot be in the future.")
    if result and result != InspectionResult.PASSED and result in InspectionResult.values:
        if not issues.strip():
            errors["issues"] = _("Say which problems were found.")
        if follow_up_date is None and result == InspectionResult.RECTIFY:
            errors["follow_up_date"] = _("Give the date of the follow-up check.")
    if follow_up_date is not None and follow_up_date < date:
        errors["follow_up_date"] = _("The follow-up cannot be before the inspection.")
    if errors:
        raise ValidationError(errors)
    inspection = Inspection.objects.create(
        organisation=organisation, date=date, inspector=inspector, result=result,
        issues=issues.strip(), follow_up_date=follow_up_date, recorded_by=actor)
    OrganisationChange.objects.create(
        organisation=organisation, subject=OrganisationChange.Subject.INSPECTION,
        inspection=inspection, actor=actor, source=(source or "web")[:200],
        area=organisation.grid, action=ChangeAction.CREATED, before=None,
        after={"date": date.isoformat(), "result": result, "issues": inspection.issues,
               "follow_up_date": follow_up_date.isoformat() if follow_up_date else None,
               "inspector": str(inspector)})
    return inspection


def devices_of(organisation: Organisation):
    """The IoT devices linked to the organisation."""
    from wangge.integrations.models import Device

    return Device.objects.filter(pk__in=organisation.device_links.values("device_id")
                                 ).order_by("device_id")


__all__ = ["StaleRecord", "ValidationError", "devices_of", "record_inspection",
           "save_organisation", "snapshot", "state"]
