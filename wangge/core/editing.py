"""What the staff edit forms for base data share: the hidden record version that refuses a
stale save without losing what the user typed, service errors put on their fields, and the
role check (wangge.core.permissions.can_edit_base_data)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError

from wangge.core.history import version_of
from wangge.core.permissions import can_edit_base_data


def require_editor(user) -> None:
    """A 403 for users whose role only reads base data."""
    if not can_edit_base_data(user):
        raise PermissionDenied("your role may read base data but not change it")


class VersionedForm(forms.Form):
    """A form carrying the version of the record it was opened on (empty: a new record)."""

    version = forms.CharField(widget=forms.HiddenInput, required=False)


def mark_stale_fields(form, entries: list[dict]) -> None:
    """Note on each field that changed meanwhile its value now (``entries``: history entries,
    newest first, see wangge.core.history.history_entries); the form template shows it."""
    for entry in reversed(entries):
        for field in entry["fields"]:
            if field["key"] in form.fields:
                form.fields[field["key"]].stale_now = field["after"] or "—"


def version_time(version: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(int(version) / 1_000_000, tz=dt.UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def changes_since(changes, version: str, slack: dt.timedelta = dt.timedelta(0)):
    """The change rows written after the record had ``version`` (``slack``: for histories
    whose rows are stamped a moment after the record is saved)."""
    since = version_time(version)
    if since is None:
        return changes.none()
    return changes.filter(at__gt=since + slack)


def add_service_errors(form, exc: ValidationError, translate=None) -> None:
    """Put a service's ValidationError on the form's fields (the rest on the form)."""
    if hasattr(exc, "error_dict"):
        items = exc.message_dict.items()
    else:
        items = [(NON_FIELD_ERRORS, exc.messages)]
    for field, messages in items:
        if translate is not None:
            messages = [translate(m) for m in messages]
        target = field if field in form.fields and field != "version" else None
        form.add_error(target, list(messages))


@dataclass(frozen=True)
class EditPage:
    """What differs between the base-data edit pages; ``edit_page`` does the rest.

    ``make_form(data, record)`` builds the form (``record`` None: a new one), ``initial(record)``
    its values for an existing record, ``save(form, record)`` calls the service (raising
    ``StaleRecord``, ``ValidationError`` or ``PermissionDenied``) and returns the saved record,
    ``stale(record, version)`` the history entries written since ``version``."""

    make_form: Callable
    initial: Callable
    save: Callable
    stale: Callable
    detail_url: Callable  # saved record → its page
    label: Callable  # record → its name in the breadcrumbs
    list_url: str
    list_title: str
    new_title: str
    edit_title: str
    saved_message: str
    outside_field: str  # where "outside your jurisdiction" is shown
    outside_message: str
    translate: Callable | None = None
    datalists: Callable | None = None  # form → {id: [(value, label)]}


def edit_page(request, record, page: EditPage):
    """A create (``record`` None) or edit form for a base-data record: the role checked, the
    service's errors on their fields, a stale save refused (409) keeping the input and showing
    what changed meanwhile, a redirect to the record's page once saved."""
    from django.contrib import messages
    from django.shortcuts import redirect, render
    from django.utils.translation import gettext as _

    from wangge.core.history import StaleRecord

    require_editor(request.user)
    is_new = record is None
    form = page.make_form(request.POST or None, record,
                          initial=None if is_new else page.initial(record))
    stale, status = None, 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                saved = page.save(form, record)
            except StaleRecord:
                record.refresh_from_db()
                stale = page.stale(record, form.cleaned_data["version"])
                data = request.POST.copy()
                data["version"] = version_of(record)
                form = page.make_form(data, record)
                form.is_valid()
                mark_stale_fields(form, stale)
                status = 409
            except ValidationError as exc:
                add_service_errors(form, exc, translate=page.translate)
            except PermissionDenied:
                form.add_error(page.outside_field, str(page.outside_message))
            else:
                messages.success(request, str(page.saved_message))
                return redirect(page.detail_url(saved))
    if is_new:
        title, cancel = page.new_title, page.list_url
        crumbs = [(page.list_url, page.list_title), ("", title)]
    else:
        title, cancel = page.edit_title, page.detail_url(record)
        crumbs = [(page.list_url, page.list_title), (cancel, page.label(record)),
                  ("", _("Edit"))]
    return render(request, "core/edit.html", {
        "title": title, "crumbs": crumbs, "form": form, "stale": stale, "cancel_url": cancel,
        "datalists": page.datalists(form) if page.datalists else {}}, status=status)
