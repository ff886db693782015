"""City component pages: the list with filters, the detail with its devices and history, and
the create and edit forms (roles that keep base data only, wangge.core.permissions). Every
query is scoped to the user's jurisdiction; a component outside it is a 404."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.cache import never_cache

from wangge.cases.choices import Kind
from wangge.cases.models import Category
from wangge.core import exporting
from wangge.core.editing import (
    EditPage,
    VersionedForm,
    changes_since,
    edit_page,
)
from wangge.core.history import history_entries, version_of
from wangge.core.permissions import can_edit_base_data
from wangge.core.scope import get_scoped_or_404
from wangge.things import exporter, services
from wangge.things.models import Component, ComponentStatus

FILTER_KEYS = ["q", "status", "major", "area"]


@login_required
def component_list(request):
    params = {k: request.GET.get(k, "").strip() for k in FILTER_KEYS}
    components, problem = exporter.filtered(request.user, params)
    components = components.select_related("grid", "category")
    page = Paginator(components.order_by("code"), 50).get_page(request.GET.get("page"))
    majors = Category.objects.filter(kind=Kind.COMPONENT, parent__isnull=True).order_by("code")
    return render(request, "things/list.html", {
        "page": page, "params": params, "statuses": ComponentStatus.choices, "majors": majors,
        "query": urlencode({k: v for k, v in params.items() if v}), "problem": problem,
        "can_edit": can_edit_base_data(request.user)})


HISTORY_LABELS = {
    "code": _l("Code"), "name": _l("Name"), "status": _l("Status"),
    "owner_department": _l("Owner unit"), "owner_unit": _l("Owner unit (text)"),
    "maintainer_department": _l("Maintainer unit"),
    "maintainer_unit": _l("Maintainer unit (text)"), "address": _l("Address"),
    "lon": _l("Longitude"), "lat": _l("Latitude"), "grid": _l("Grid"), "note": _l("Note"),
}


def _display(key, value):
    if key == "status" and value in ComponentStatus.values:
        return ComponentStatus(value).label
    return value


def history(changes) -> list[dict]:
    return history_entries(changes, HISTORY_LABELS, display=_display)


@never_cache
@login_required
def component_export(request):
    """The list's rows (its filter, the user's jurisdiction) as CSV or XLSX."""
    return exporting.web_export(request, "components")


@never_cache
@login_required
def component_detail(request, code: str):
    component = get_scoped_or_404(Component, request.user, code=code)
    return render(request, "things/detail.html", {
        "component": component, "devices": services.devices_of(component),
        "history": history(component.changes.all()),
        "can_edit": can_edit_base_data(request.user)})


def _departments():
    from wangge.dispatch.models import Department

    return Department.objects.order_by("name")


class ComponentForm(VersionedForm):
    code = forms.CharField(label=_l("Component code"), max_length=20,
                           help_text=_l("16 digits: division (6), major and minor category "
                                        "(2 + 2), serial (6)."),
                           widget=forms.TextInput(attrs={"inputmode": "numeric",
                                                         "autocomplete": "off"}))
    name = forms.CharField(label=_l("Name"), max_length=100)
    status = forms.ChoiceField(label=_l("Status"), choices=ComponentStatus.choices)
    lon = forms.FloatField(label=_l("Longitude"), min_value=-180, max_value=180,
                           help_text=_l("WGS-84; the grid is located from the position."),
                           widget=forms.NumberInput(attrs={"step": "any"}))
    lat = forms.FloatField(label=_l("Latitude"), min_value=-90, max_value=90,
                           widget=forms.NumberInput(attrs={"step": "any"}))
    address = forms.CharField(label=_l("Address"), max_length=200, required=False)
    owner_department = forms.ModelChoiceField(label=_l("Owner unit"), required=False,
                                              queryset=None, empty_label="—")
    owner_unit = forms.CharField(label=_l("Owner unit (text)"), max_length=100, required=False,
                                 help_text=_l("When the unit is not a department in the "
                                              "list."))
    maintainer_department = forms.ModelChoiceField(label=_l("Maintainer unit"), required=False,
                                                   queryset=None, empty_label="—")
    maintainer_unit = forms.CharField(label=_l("Maintainer unit (text)"), max_length=100,
                                      required=False)
    note = forms.CharField(label=_l("Note"), required=False, widget=forms.Textarea(
        attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_department"].queryset = _departments()
        self.fields["maintainer_department"].queryset = _departments()

    def clean_code(self):
        return "".join(self.cleaned_data["code"].split())


FIELDS = [name for name in ComponentForm.base_fields if name != "version"]


def _initial(component: Component) -> dict:
    initial = {name: getattr(component, name) for name in FIELDS}
    initial["version"] = version_of(component)
    return initial


def _save(form, component: Component | None) -> Component:
    return services.save_component(
        form.user, component, source="web",
        expected_version=None if component is None else form.cleaned_data["version"],
        **{name: form.cleaned_data[name] for name in FIELDS})


def _edit(request, component: Component | None):
    def make_form(data, record, initial=None):
        form = ComponentForm(data, initial=initial)
        form.user = request.user
        return form

    return edit_page(request, component, EditPage(
        make_form=make_form, initial=_initial, save=_save,
        stale=lambda record, version: history(changes_since(record.changes.all(), version)),
        detail_url=lambda record: reverse("things:detail", args=[record.code]),
        label=lambda record: record.code,
        list_url=reverse("things:list"), list_title=_("City components"),
        new_title=_("New component"), edit_title=_("Edit component"),
        saved_message=_("Component saved."), outside_field="lon",
        outside_message=_("This position lies outside your jurisdiction.")))


@never_cache
@login_required
def component_new(request):
    return _edit(request, None)


@never_cache
@login_required
def component_edit(request, code: str):
    return _edit(request, get_scoped_or_404(Component, request.user, code=code))
