"""Organisation pages: the list with filters (kind, risk level, grid), the detail with its
inspections, devices and history, the inspection form, and the create and edit forms (roles
that keep base data only, wangge.core.permissions). Every query is scoped to the user's
jurisdiction; phones are masked in the list and in the history."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from wangge.core import exporting
from wangge.core.editing import (
    EditPage,
    VersionedForm,
    changes_since,
    edit_page,
)
from wangge.core.history import history_entries, version_of
from wangge.core.permissions import can_edit_base_data, can_record_inspection
from wangge.core.scope import get_scoped_or_404, scoped
from wangge.organisations import exporter, services
from wangge.organisations.models import (
    InspectionResult,
    Organisation,
    OrganisationChange,
    OrgKind,
    RiskLevel,
)
from wangge.territory.choices import UNIT_GRID_LEVELS
from wangge.territory.models import Area

FILTER_KEYS = ["q", "kind", "risk", "area"]


@login_required
def organisation_list(request):
    params = {k: request.GET.get(k, "").strip() for k in FILTER_KEYS}
    orgs, problem = exporter.filtered(request.user, params)
    orgs = orgs.select_related("grid")
    page = Paginator(orgs.order_by("grid__code", "name", "pk"), 50).get_page(
        request.GET.get("page"))
    return render(request, "organisations/list.html", {
        "page": page, "params": params, "kinds": OrgKind.choices, "risks": RiskLevel.choices,
        "query": urlencode({k: v for k, v in params.items() if v}), "problem": problem,
        "can_edit": can_edit_base_data(request.user)})


@never_cache
@login_required
def organisation_export(request):
    """The list's rows (its filter, the user's jurisdiction) as CSV or XLSX."""
    return exporting.web_export(request, "organisations")


def _parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _detail(request, org, form=None, errors=None, status=200):
    return render(request, "organisations/detail.html", {
        "org": org,
        "inspections": org.inspections.select_related("inspector").all(),
        "devices": services.devices_of(org),
        "results": InspectionResult.choices,
        "form": form or {"date": timezone.localdate().isoformat()},
        "errors": errors or {},
        "history": history(org.changes.all()),
        "can_edit": can_edit_base_data(request.user),
        "can_inspect": can_record_inspection(request.user),
    }, status=status)


@never_cache
@login_required
def organisation_detail(request, pk: int):
    return _detail(request, get_scoped_or_404(Organisation, request.user, pk=pk))


@login_required
@require_POST
def inspection_add(request, pk: int):
    org = get_scoped_or_404(Organisation, request.user, pk=pk)
    form = {k: request.POST.get(k, "").strip() for k in
            ["date", "result", "issues", "follow_up_date"]}
    errors = {}
    date = _parse_date(form["date"])
    follow_up = _parse_date(form["follow_up_date"])
    if date is None:
        errors["date"] = [_("Enter a date.")]
    if form["follow_up_date"] and follow_up is None:
        errors["follow_up_date"] = [_("Enter a date.")]
    if not errors:
        try:
            services.record_inspection(request.user, org, result=form["result"], date=date,
                                       issues=form["issues"], follow_up_date=follow_up)
        except ValidationError as exc:
            errors = exc.message_dict
    if errors:
        return _detail(request, org, form, errors, status=400)
    return redirect("organisations:detail", pk=org.pk)


# --- history ----------------------------------------------------------------------------------
HISTORY_LABELS = {
    "kind": _l("Kind"), "name": _l("Name"), "credit_code": _l("Credit code"),
    "address": _l("Address"), "lon": _l("Longitude"), "lat": _l("Latitude"),
    "grid": _l("Grid"), "industry": _l("Industry"), "contact_name": _l("Contact"),
    "contact_phone": _l("Contact phone"), "risk_level": _l("Risk level"), "note": _l("Note"),
    # an inspection
    "date": _l("Date"), "result": _l("Inspection result"), "issues": _l("Issues found"),
    "follow_up_date": _l("Follow-up date"), "inspector": _l("Inspected by"),
}
CHOICES = {"kind": OrgKind, "risk_level": RiskLevel, "result": InspectionResult}


def _display(key, value):
    choices = CHOICES.get(key)
    if choices is not None and value in choices.values:
        return choices(value).label
    return value


def history(changes) -> list[dict]:
    return history_entries(changes, HISTORY_LABELS, display=_display)


# --- create and edit --------------------------------------------------------------------------
class OrganisationForm(VersionedForm):
    name = forms.CharField(label=_l("Name"), max_length=150)
    kind = forms.ChoiceField(label=_l("Kind"), choices=[("", "—"), *OrgKind.choices])
    credit_code = forms.CharField(
        label=_l("Credit code"), max_length=24, required=False,
        help_text=_l("18 characters. Only small shops, restaurants, workshops and venues may "
                     "have none."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}))
    risk_level = forms.ChoiceField(label=_l("Risk level"), choices=RiskLevel.choices)
    industry = forms.CharField(label=_l("Industry"), max_length=100, required=False)
    address = forms.CharField(label=_l("Address"), max_length=200, required=False)
    lon = forms.FloatField(label=_l("Longitude"), required=False, min_value=-180,
                           max_value=180, help_text=_l("WGS-84. With a point the grid is "
                                                       "located from it."),
                           widget=forms.NumberInput(attrs={"step": "any"}))
    lat = forms.FloatField(label=_l("Latitude"), required=False, min_value=-90, max_value=90,
                           widget=forms.NumberInput(attrs={"step": "any"}))
    grid = forms.CharField(label=_l("Grid code"), max_length=18, required=False,
                           help_text=_l("Used when no point is given."),
                           widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    contact_name = forms.CharField(label=_l("Contact"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_l("Contact phone"), max_length=30, required=False,
                                    widget=forms.TextInput(attrs={"inputmode": "tel"}))
    note = forms.CharField(label=_l("Note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_grid(self):
        code = self.cleaned_data["grid"].strip()
        if not code:
            return None
        grid = scoped(Area, self.user).filter(code=code, level__in=UNIT_GRID_LEVELS).first()
        if grid is None:
            raise ValidationError(_("No grid in your jurisdiction has this code."))
        return grid

    def clean(self):
        data = super().clean()
        if (data.get("lon") is None) != (data.get("lat") is None) and not self.errors.get(
                "lon") and not self.errors.get("lat"):
            self.add_error("lon", _("Give both longitude and latitude, or neither."))
        return data


ORG_FIELDS = [name for name in OrganisationForm.base_fields if name != "version"]


def _initial(org: Organisation) -> dict:
    initial = {name: getattr(org, name) for name in ORG_FIELDS}
    initial["grid"] = org.grid.code
    initial["version"] = version_of(org)
    return initial


def _save(form, org: Organisation | None) -> Organisation:
    data = {name: form.cleaned_data[name] for name in ORG_FIELDS}
    if data["grid"] is None:
        data.pop("grid")
    return services.save_organisation(
        form.user, org, source="web",
        expected_version=None if org is None else form.cleaned_data["version"], **data)


def _edit(request, org: Organisation | None):
    return edit_page(request, org, EditPage(
        make_form=lambda data, record, initial=None: OrganisationForm(
            data, user=request.user, initial=initial),
        initial=_initial, save=_save,
        stale=lambda record, version: history(changes_since(
            record.changes.filter(subject=OrganisationChange.Subject.ORGANISATION), version)),
        detail_url=lambda record: reverse("organisations:detail", args=[record.pk]),
        label=lambda record: record.name,
        list_url=reverse("organisations:list"), list_title=_("Organisations"),
        new_title=_("New organisation"), edit_title=_("Edit organisation"),
        saved_message=_("Organisation saved."), outside_field="lon",
        outside_message=_("This position lies outside your jurisdiction.")))


@never_cache
@login_required
def organisation_new(request):
    return _edit(request, None)


@never_cache
@login_required
def organisation_edit(request, pk: int):
    return _edit(request, get_scoped_or_404(Organisation, request.user, pk=pk))
