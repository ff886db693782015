"""What a resident may see of a case: its progress in plain words, and nothing else.

Built from the timeline, but never from its notes, its actors or the people a case was given
to: only the kind of step, its time and, for a dispatch to a unit, the unit's name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from wangge.cases.choices import Action, AttachmentKind, Satisfaction, Status
from wangge.cases.models import Attachment, Case

IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp", "image/heic")


@dataclass
class Step:
    at: dt.datetime
    kind: str  # a css hook: received, accepted, dispatched, handling, handled, closed, …
    text: str


@dataclass
class Progress:
    case: Case
    status: str  # the public state, a stable slug (used by tests and css)
    headline: str
    explanation: str
    steps: list[Step] = field(default_factory=list)


def _dispatch_text(event) -> str:
    if event.to_department_id:
        return _("Dispatched to %(unit)s") % {"unit": event.to_department.name}
    return _("Dispatched to the local grid team")


def public_steps(case: Case) -> list[Step]:
    steps: list[Step] = []
    events = case.events.select_related("to_department").order_by("id")
    for event in events:
        action = event.action
        text, kind = None, None
        if action == Action.REPORT:
            text, kind = _("Report received"), "received"
        elif action == Action.ACCEPT:
            text, kind = _("Case accepted"), "accepted"
        elif action == Action.DISPATCH:
            text, kind = _dispatch_text(event), "dispatched"
        elif action == Action.SIGN:
            text, kind = _("Being handled"), "handling"
        elif action == Action.FEEDBACK:
            text, kind = _("Handled, awaiting on-site check"), "handled"
        elif action == Action.VERIFY_PASS:
            text, kind = _("Checked on site"), "checked"
        elif action == Action.VERIFY_FAIL:
            text, kind = _("Not yet fixed on site check: being handled again"), "rework"
        elif action == Action.PARK:
            until = (event.data or {}).get("until", "")
            text, kind = _("Planned as a longer-term job, to be done by %(date)s") % {
                "date": until}, "parked"
        elif action == Action.RESUME:
            text, kind = _("Handling resumed"), "handling"
        elif action in (Action.CLOSE, Action.SELF_HANDLE):
            text, kind = _("Handled and closed"), "closed"
        elif action == Action.EVALUATE:
            text, kind = _("Rated"), "rated"
        elif action == Action.REJECT:
            text, kind = _("Not taken up"), "rejected"
        elif action == Action.VOID:
            text, kind = _("Report withdrawn"), "voided"
        elif action == Action.MERGE:
            text, kind = _("Merged with a report of the same problem"), "merged"
        if text:
            steps.append(Step(event.at, kind, text))
    return steps


def _headline(case: Case) -> tuple[str, str, str]:
    status = case.status
    if status == Status.REPORTED:
        return "received", _("Received, awaiting acceptance"), _(
            "Your report has reached the service center and will be looked at soon.")
    if status == Status.TO_DISPATCH:
        return "accepted", _("Case accepted"), _(
            "The report was accepted; the unit that will handle it is being chosen.")
    if status == Status.DISPATCHED:
        unit = case.holder_department.name if case.holder_department_id else ""
        return "dispatched", (_("Dispatched to %(unit)s") % {"unit": unit} if unit else
                              _("Dispatched to the local grid team")), _(
            "The responsible unit has been asked to handle it.")
    if status == Status.IN_PROGRESS:
        return "handling", _("Being handled"), _("The responsible unit is working on it.")
    if status == Status.TO_VERIFY:
        return "handled", _("Handled, awaiting on-site check"), _(
            "The unit reports it done; the grid worker will check on site.")
    if status == Status.TO_CLOSE:
        return "checked", _("Checked on site, about to be closed"), _(
            "The result was checked on site; the case will be closed shortly.")
    if status == Status.PARKED:
        until = case.parked_until.isoformat() if case.parked_until else ""
        return "parked", _("Planned as a longer-term job"), _(
            "This needs more time; it is planned to be done by %(date)s.") % {"date": until}
    if status == Status.CLOSED:
        return "closed", _("Handled and closed"), _(
            "The problem was handled and the case is closed.")
    if status == Status.REJECTED:
        return "rejected", _("Not taken up"), _(
            "The service center did not take this report up. If the problem is still there, "
            "please call the 12345 hotline.")
    if status == Status.VOIDED:
        return "voided", _("Report withdrawn"), _("This report was withdrawn.")
    return "merged", _("Merged with a report of the same problem"), _(
        "The problem you reported is being handled together with a report of the same "
        "problem.")


def progress(case: Case) -> Progress:
    status, headline, explanation = _headline(case)
    return Progress(case, status, headline, explanation, public_steps(case))


def master_of(case: Case) -> Case | None:
    """The case a merged report now follows (through a chain of merges, at most a few)."""
    master = case.duplicate_of
    for _hop in range(5):
        if master is None or master.status != Status.MERGED or master.duplicate_of_id is None:
            break
        master = master.duplicate_of
    return master


def own_photos(case: Case) -> list[Attachment]:
    """The photos the reporter sent with the report."""
    return [a for a in case.attachments.filter(kind=AttachmentKind.BEFORE,
                                               event__action=Action.REPORT)
            if a.content_type in IMAGE_TYPES]


def result_photos(case: Case) -> list[Attachment]:
    """Photos of the result, once the case is closed."""
    if case.status != Status.CLOSED:
        return []
    return [a for a in case.attachments.filter(kind=AttachmentKind.AFTER)
            if a.content_type in IMAGE_TYPES]


def visible_photos(case: Case) -> dict[int, Attachment]:
    """Every photo a holder of this case's tracking link may open."""
    photos = own_photos(case) + result_photos(case)
    if case.status == Status.MERGED:
        master = master_of(case)
        if master is not None:
            photos += result_photos(master)
    return {a.pk: a for a in photos}


def satisfaction_label(value: str) -> str:
    return Satisfaction(value).label if value in Satisfaction.values else ""
