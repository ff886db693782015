"""Writing organisations and inspections: always through here, with an actor whose jurisdiction
is checked (None: the system, e.g. an import without --user)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from wangge.core.identifiers import IdentifierError, normalize_uscc
from wangge.organisations.models import (
    SMALL_PLACE_KINDS,
    Inspection,
    InspectionResult,
    Organisation,
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


@transaction.atomic
def save_organisation(actor, organisation: Organisation | None = None, **data) -> Organisation:
    """Create (``organisation`` None) or update an organisation. Validates the credit code and
    locates the grid from the position. Raises ValidationError or PermissionDenied."""
    if (organisation is not None and organisation.pk and actor is not None
            and not Organisation.objects.visible_to(actor).filter(pk=organisation.pk).exists()):
        raise PermissionDenied("the organisation lies outside your jurisdiction")
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
    org.save()
    return org


@transaction.atomic
def record_inspection(actor, organisation: Organisation, *, result: str,
                      date: dt.date | None = None, issues: str = "",
                      follow_up_date: dt.date | None = None, inspector=None) -> Inspection:
    """Record an inspection by ``inspector`` (default: the actor). A result other than "no
    problems" needs the issues found and a follow-up date on or after the inspection."""
    if actor is None or not Organisation.objects.visible_to(actor).filter(
            pk=organisation.pk).exists():
        raise PermissionDenied("the organisation lies outside your jurisdiction")
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
    return Inspection.objects.create(organisation=organisation, date=date, inspector=inspector,
                                     result=result, issues=issues.strip(),
                                     follow_up_date=follow_up_date, recorded_by=actor)


def devices_of(organisation: Organisation):
    """The IoT devices linked to the organisation."""
    from wangge.integrations.models import Device

    return Device.objects.filter(pk__in=organisation.device_links.values("device_id")
                                 ).order_by("device_id")
