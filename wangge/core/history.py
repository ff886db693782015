"""Helpers for the base-data histories: write a change row (none when nothing changed), turn
change rows into what a record's page shows (field: before → after), and the record version
that edit forms carry to refuse stale saves."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from wangge.core.models import ChangeAction, ChangeSource


class StaleRecord(ValidationError):
    """The record changed since the editor read it (its version differs)."""

    def __init__(self, message=None):
        super().__init__(message or _("Someone else changed this record after you opened the "
                                      "form."), code="stale")


def version_of(record) -> str:
    """A token that changes whenever the record is saved: its ``updated_at`` in microseconds."""
    at = getattr(record, "updated_at", None)
    return "" if at is None else str(int(at.timestamp() * 1_000_000))


def check_version(record, expected: str | None) -> None:
    """Raise ``StaleRecord`` when ``expected`` (None: no check) is not the record's version."""
    if expected is not None and str(expected) != version_of(record):
        raise StaleRecord()


def build_change(model, *, actor, before: dict | None, after: dict | None, source: str,
                 area=None, **links):
    """An unsaved change row, or None when ``before == after`` (nothing changed)."""
    if before == after:
        return None
    if before is None:
        action = ChangeAction.CREATED
    elif after is None:
        action = ChangeAction.DELETED
    else:
        action = ChangeAction.UPDATED
    return model(actor=actor, action=action, source=(source or "web")[:200], before=before,
                 after=after, area=area, **links)


def record_change(model, **kwargs):
    """Write a change row (see ``build_change``); returns it, or None when nothing changed."""
    change = build_change(model, **kwargs)
    if change is not None:
        change.save()
    return change


def channel_of(source: str) -> str:
    """The channel of a history row's ``source`` (its first word: web, import, api …),
    translated when known."""
    word = (source or "").split(" ", 1)[0]
    return str(ChangeSource(word).label) if word in ChangeSource.values else word


def _plain(value) -> str:
    if value is None or value == "" or value is False:
        return ""
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    if value is True:
        return str(_("yes"))
    return str(value)


def history_entries(changes, labels: Mapping[str, str], *,
                    display: Callable[[str, object], object] | None = None,
                    hide: Iterable[str] = (), limit: int = 200) -> list[dict]:
    """For a record's page: per change row (newest first) the fields that changed, each with
    its label and the values before and after as text. ``display(key, value)`` turns stored
    values into labels (choices, codes); ``hide`` names fields this viewer may not see. A
    creation lists the fields that were set; a change with nothing visible is left out."""
    hidden = set(hide)
    entries = []
    if hasattr(changes, "select_related"):
        changes = changes.select_related("actor")[:limit]
    for change in changes:
        before, after = change.before or {}, change.after or {}
        fields = []
        # the labels' order, not the stored one (PostgreSQL's jsonb keeps no key order)
        for key in dict.fromkeys([*(k for k in labels if k in before or k in after),
                                  *before, *after]):
            if key in hidden:
                continue
            old, new = before.get(key), after.get(key)
            if change.before is not None and change.after is not None and old == new:
                continue
            if change.before is None and _plain(new) == "":
                continue
            if display is not None:
                old, new = display(key, old), display(key, new)
            fields.append({"key": key, "label": labels.get(key, key),
                           "before": _plain(old), "after": _plain(new)})
        if fields:
            entries.append({"change": change, "fields": fields,
                            "channel": channel_of(getattr(change, "source", ""))})
    return entries
