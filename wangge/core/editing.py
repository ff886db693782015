"""What the staff edit forms for base data share: the hidden record version that refuses a
stale save without losing what the user typed, service errors put on their fields, and the
role check (wangge.core.permissions.can_edit_base_data)."""

from __future__ import annotations

import datetime as dt

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


def bind_current_version(form_class, request, record, **kwargs):
    """The submitted form again, its values as typed, but now carrying the record's current
    version: saving it once more (after a look at what changed) overwrites deliberately."""
    data = request.POST.copy()
    data["version"] = version_of(record)
    form = form_class(data, **kwargs)
    form.is_valid()
    return form


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
