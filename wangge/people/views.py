"""People pages: the list with filters, the detail with its history, and the register and edit
forms (roles that keep base data only, wangge.core.permissions). Every query is scoped to the
user's jurisdiction; ID numbers and phones are shown masked, the clear ID number only through
the reveal form (permitted users, a reason, an access-log row) and never in the edit form,
where an empty ID number or phone keeps the current one."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import render
from django.urls import reverse
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
from wangge.core.history import check_version, history_entries, version_of
from wangge.core.identifiers import IdentifierError, normalize_id_number
from wangge.core.permissions import can_edit_base_data
from wangge.core.scope import get_scoped_or_404, scoped
from wangge.people import exporter, services
from wangge.people.models import Kind, Person, PersonChange, Tag
from wangge.territory.models import Area

FILTER_KEYS = ["q", "kind", "area", "tag"]
HISTORY_FIELDS = [("name", _l("Name")), ("kind", _l("Kind")), ("id_number", _l("ID number")),
                  ("phone", _l("Phone")), ("area", _l("Grid or community")),
                  ("address", _l("Address")), ("tags", _l("Tags")),
                  ("sensitive_tags", _l("Special groups"))]


visible_tags = exporter.visible_tags


def _shown_tags(person, user, known=None) -> list[Tag]:
    see_all = services.can_view_sensitive_tags(user)
    if not see_all:  # the sensitive ones are not even decrypted
        return [t for t in person.tags.all() if not t.sensitive]
    return services.tags_of(person, known)


@login_required
def person_list(request):
    params = {k: request.GET.get(k, "").strip() for k in FILTER_KEYS}
    people, problem = exporter.filtered(request.user, params)
    people = people.select_related("area").prefetch_related("tags")
    tags = list(visible_tags(request.user))
    known = {t.pk: t for t in tags}
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    rows = [{"person": p, "id_number": services.masked_id(p), "phone": services.masked_phone(p),
             "tags": _shown_tags(p, request.user, known)} for p in page.object_list]
    query = urlencode({k: v for k, v in params.items() if v})
    return render(request, "people/list.html", {
        "page": page, "rows": rows, "params": params, "kinds": Kind.choices, "tags": tags,
        "query": query, "problem": problem, "can_edit": can_edit_base_data(request.user)})


@never_cache
@login_required
def person_export(request):
    """The list's rows (its filter, the user's jurisdiction) as CSV or XLSX, masked unless the
    user may see clear values (then a small form asks whether and why); logged."""
    return exporting.web_export(request, "people")


def _display(key, value):
    if key == "kind" and value in Kind.values:
        return Kind(value).label
    return value


def _history(changes, user) -> list[dict]:
    hide = () if services.can_view_sensitive_tags(user) else ("sensitive_tags",)
    return history_entries(changes, dict(HISTORY_FIELDS), display=_display, hide=hide)


def _detail(request, person, revealed=None, reveal_error="", status=200):
    return render(request, "people/detail.html", {
        "person": person,
        "id_number": services.masked_id(person),
        "phone": services.masked_phone(person),
        "tags": _shown_tags(person, request.user),
        "history": _history(PersonChange.objects.filter(person=person), request.user),
        "can_edit": can_edit_base_data(request.user),
        "can_reveal": services.can_view_full_id(request.user),
        "revealed": revealed,
        "reveal_error": reveal_error,
    }, status=status)


@never_cache
@login_required
def person_detail(request, pk: int):
    return _detail(request, get_scoped_or_404(Person, request.user, pk=pk))


@never_cache
@login_required
@require_POST
def person_reveal(request, pk: int):
    person = get_scoped_or_404(Person, request.user, pk=pk)
    try:  # refused (403, audited) for users who may not see full numbers
        revealed = services.reveal(request.user, person, request.POST.get("reason", ""),
                                   request=request)
    except ValidationError:
        return _detail(request, person, reveal_error=_("Say why you need the full ID number."),
                       status=400)
    return _detail(request, person, revealed=revealed)


# --- register and edit ------------------------------------------------------------------------
AREA_OPTIONS_LIMIT = 1000
SERVICE_ERRORS = [
    (re.compile(r"^already registered as (?P<name>.+) \((?P<id>[^()]+)\)$"),
     _l("This ID number is already registered as %(name)s (%(id)s).")),
    (re.compile(r"^already registered in another jurisdiction$"),
     _l("This ID number is already registered in another jurisdiction.")),
    (re.compile(r"^already registered$"), _l("This ID number is already registered.")),
    (re.compile(r"^you may not set special-group tags$"),
     _l("You may not set special-group tags.")),
]


def _translate_error(message: str) -> str:
    for pattern, text in SERVICE_ERRORS:
        found = pattern.match(message)
        if found:
            return str(text) % found.groupdict()
    return message


def _person_areas(user):
    return scoped(Area, user).filter(level__in=services.PERSON_LEVELS)


class PersonForm(VersionedForm):
    name = forms.CharField(label=_l("Full name"), max_length=50)
    kind = forms.ChoiceField(label=_l("Kind"), choices=Kind.choices)
    id_number = forms.CharField(
        label=_l("ID number"), max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false",
                                      "autocapitalize": "characters"}))
    phone = forms.CharField(label=_l("Phone"), max_length=30, required=False,
                            widget=forms.TextInput(attrs={"autocomplete": "off",
                                                          "inputmode": "tel"}))
    clear_phone = forms.BooleanField(label=_l("Remove the phone number"), required=False)
    area = forms.CharField(label=_l("Grid or community"), max_length=18,
                           help_text=_l("The code of a grid or community in your "
                                        "jurisdiction."),
                           widget=forms.TextInput(attrs={"inputmode": "numeric",
                                                         "autocomplete": "off"}))
    address = forms.CharField(label=_l("Address"), max_length=200, required=False)
    tags = forms.ModelMultipleChoiceField(label=_l("Tags"), queryset=Tag.objects.none(),
                                          required=False,
                                          widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, user, person: Person | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.person = user, person
        self.fields["tags"].queryset = visible_tags(user)
        if not self.fields["tags"].queryset.exists():
            del self.fields["tags"]
        if person is None:
            del self.fields["clear_phone"]
        else:
            self.fields["id_number"].required = False
            self.fields["id_number"].help_text = _(
                "Now %(masked)s. Leave empty to keep it.") % {"masked": services.masked_id(person)}
            current_phone = services.masked_phone(person)
            if current_phone:
                self.fields["phone"].help_text = _(
                    "Now %(masked)s. Leave empty to keep it.") % {"masked": current_phone}
            else:
                del self.fields["clear_phone"]
        if _person_areas(user).count() <= AREA_OPTIONS_LIMIT:
            self.fields["area"].widget.attrs["list"] = "area-options"

    def clean_id_number(self):
        raw = self.cleaned_data["id_number"].strip()
        if not raw:
            return ""
        try:
            return normalize_id_number(raw)
        except IdentifierError as exc:
            raise ValidationError(_("This is not a valid ID number: %(reason)s.")
                                  % {"reason": exc}) from None

    def clean_phone(self):
        try:
            return services.normalize_phone(self.cleaned_data["phone"])
        except IdentifierError:
            raise ValidationError(_("A phone number has 7 to 15 digits.")) from None

    def clean_area(self):
        code = self.cleaned_data["area"].strip()
        area = _person_areas(self.user).filter(code=code).first()
        if area is None:
            raise ValidationError(_("No grid or community in your jurisdiction has this "
                                    "code."))
        return area

    def changes(self) -> dict:
        """The fields for ``services.update_person``: an empty ID number or phone keeps it."""
        data = self.cleaned_data
        changes = {"name": data["name"], "kind": data["kind"], "area": data["area"],
                   "address": data["address"]}
        if "tags" in self.fields:
            changes["tags"] = list(data["tags"])
        if data["id_number"]:
            changes["id_number"] = data["id_number"]
        if data.get("clear_phone"):
            changes["phone"] = ""
        elif data["phone"]:
            changes["phone"] = data["phone"]
        return changes


def _person_initial(person: Person, user) -> dict:
    see_all = services.can_view_sensitive_tags(user)
    return {"name": person.name, "kind": person.kind, "area": person.area.code,
            "address": person.address, "version": version_of(person),
            "tags": [t.pk for t in services.tags_of(person) if see_all or not t.sensitive]}


def _stale_history(person, version: str, user) -> list[dict]:
    # history rows are stamped a moment after the person is saved
    changes = PersonChange.objects.filter(person=person)
    entries = _history(changes_since(changes, version, slack=dt.timedelta(seconds=1)), user)
    return entries or _history(changes[:1], user)


def _save_person(form, person: Person | None) -> Person:
    user = form.user
    if person is None:
        data = form.cleaned_data
        return services.register_person(
            user, name=data["name"], kind=data["kind"], id_number=data["id_number"],
            phone=data["phone"], area=data["area"], address=data["address"],
            tags=list(data.get("tags", [])), source="web")
    with transaction.atomic():
        saved = Person.objects.select_for_update().get(pk=person.pk)
        check_version(saved, form.cleaned_data["version"])
        services.update_person(user, saved, source="web", **form.changes())
    return saved


def _area_options(form) -> dict:
    if "list" not in form.fields["area"].widget.attrs:
        return {}
    areas = _person_areas(form.user).order_by("code").only("code", "name")
    return {"area-options": [(a.code, a.name) for a in areas]}


def _person_edit(request, person: Person | None):
    return edit_page(request, person, EditPage(
        make_form=lambda data, record, initial=None: PersonForm(
            data, user=request.user, person=record, initial=initial),
        initial=lambda record: _person_initial(record, request.user), save=_save_person,
        stale=lambda record, version: _stale_history(record, version, request.user),
        detail_url=lambda record: reverse("people:detail", args=[record.pk]),
        label=lambda record: record.name,
        list_url=reverse("people:list"), list_title=_("People"),
        new_title=_("Register a person"), edit_title=_("Edit person"),
        saved_message=_("Person saved."), outside_field="area",
        outside_message=_("This is outside your jurisdiction."), translate=_translate_error,
        datalists=_area_options))


@never_cache
@login_required
def person_new(request):
    return _person_edit(request, None)


@never_cache
@login_required
def person_edit(request, pk: int):
    return _person_edit(request, get_scoped_or_404(Person, request.user, pk=pk))
