"""Every state change of a case. One function per transition, each taking the acting user,
checking role, jurisdiction and the transition table, and writing the timeline entry in the same
transaction as the change. Views, the API and commands call these; nothing else writes a case.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.choices import Role
from wangge.cases.choices import (
    FINAL_STATUSES,
    STEP_OF_STATUS,
    TIER_LEVEL,
    TIER_ORDER,
    URGENCY_ORDER,
    Action,
    AttachmentKind,
    LimitUnit,
    Satisfaction,
    Source,
    Status,
    Step,
    SupervisionLevel,
    Tier,
    Urgency,
)
from wangge.cases.models import (
    Attachment,
    Case,
    CaseCounter,
    CaseEvent,
    Category,
    ExtensionRequest,
    Supervision,
    TimeLimit,
)
from wangge.core import crypto
from wangge.notifications.choices import NotificationKind
from wangge.notifications.services import notify
from wangge.territory.choices import UNIT_GRID_LEVELS
from wangge.territory.models import Area, GridStaff

# --- errors ------------------------------------------------------------------------------------


class CaseError(Exception):
    """A refused action. ``code`` is stable for API clients; the message says what to do."""

    status = 400

    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.code = code
        self.message = message


class Forbidden(CaseError):
    status = 403

    def __init__(self, message: str):
        super().__init__(message, "forbidden")


class InvalidTransition(CaseError):
    status = 409

    def __init__(self, message: str):
        super().__init__(message, "invalid_transition")


class Conflict(CaseError):
    status = 409

    def __init__(self, message: str):
        super().__init__(message, "conflict")


# --- the transition table ------------------------------------------------------------------------
# action → the statuses it may start from. The target status is decided by the service function.
TRANSITIONS: dict[str, frozenset[str]] = {
    Action.ACCEPT: frozenset({Status.REPORTED}),
    Action.REJECT: frozenset({Status.REPORTED}),
    Action.VOID: frozenset({Status.REPORTED, Status.TO_DISPATCH}),
    Action.MERGE: frozenset({Status.REPORTED, Status.TO_DISPATCH}),
    Action.DISPATCH: frozenset({Status.TO_DISPATCH}),
    Action.ASSIGN_DOWN: frozenset({Status.TO_DISPATCH}),
    Action.ESCALATE: frozenset({Status.REPORTED, Status.TO_DISPATCH}),
    Action.SIGN: frozenset({Status.DISPATCHED}),
    Action.FEEDBACK: frozenset({Status.IN_PROGRESS}),
    Action.RETURN: frozenset({Status.DISPATCHED, Status.IN_PROGRESS}),
    Action.EXTENSION_REQUEST: frozenset({Status.DISPATCHED, Status.IN_PROGRESS}),
    Action.EXTENSION_APPROVE: frozenset({Status.DISPATCHED, Status.IN_PROGRESS}),
    Action.EXTENSION_REFUSE: frozenset({Status.DISPATCHED, Status.IN_PROGRESS}),
    Action.PARK: frozenset({Status.TO_DISPATCH, Status.DISPATCHED, Status.IN_PROGRESS}),
    Action.RESUME: frozenset({Status.PARKED}),
    Action.VERIFY_PASS: frozenset({Status.TO_VERIFY}),
    Action.VERIFY_FAIL: frozenset({Status.TO_VERIFY}),
    Action.CLOSE: frozenset({Status.TO_CLOSE}),
    Action.EVALUATE: frozenset({Status.CLOSED}),
    Action.URGE: frozenset({Status.REPORTED, Status.TO_DISPATCH, Status.DISPATCHED,
                            Status.IN_PROGRESS, Status.TO_VERIFY, Status.TO_CLOSE}),
    Action.INSTRUCT: frozenset(s for s in Status if s not in FINAL_STATUSES),
    Action.SUPERVISE: frozenset(s for s in Status if s not in FINAL_STATUSES),
    Action.SUPERVISION_REPLY: frozenset(Status),
}

# the status each state-changing action leads to (actions absent here keep the status)
TARGET: dict[str, str] = {
    Action.ACCEPT: Status.TO_DISPATCH,
    Action.REJECT: Status.REJECTED,
    Action.VOID: Status.VOIDED,
    Action.MERGE: Status.MERGED,
    Action.DISPATCH: Status.DISPATCHED,
    Action.ASSIGN_DOWN: Status.TO_DISPATCH,
    Action.SIGN: Status.IN_PROGRESS,
    Action.FEEDBACK: Status.TO_VERIFY,
    Action.RETURN: Status.TO_DISPATCH,
    Action.PARK: Status.PARKED,
    Action.VERIFY_PASS: Status.TO_CLOSE,
    Action.VERIFY_FAIL: Status.TO_DISPATCH,
    Action.CLOSE: Status.CLOSED,
}

DISPATCH_ROLES = {Role.OPERATOR, Role.DISPATCHER, Role.ADMIN}
SUPERVISE_ROLES = {Role.OPERATOR, Role.DISPATCHER, Role.LEADER, Role.INSPECTOR, Role.ADMIN}

DEFAULT_LIMITS = {  # used when neither the category nor the defaults table has a row
    Step.ACCEPT: (Decimal("30"), LimitUnit.MINUTES),
    Step.DISPATCH: (Decimal("30"), LimitUnit.MINUTES),
    Step.HANDLE: (Decimal("1"), LimitUnit.WORK_DAYS),
    Step.VERIFY: (Decimal("1"), LimitUnit.WORK_DAYS),
    Step.CLOSE: (Decimal("1"), LimitUnit.WORK_DAYS),
}


# --- deadlines ----------------------------------------------------------------------------------


def limit_for(category: Category, step: str, urgency: str) -> tuple[Decimal, str]:
    """The time limit of a step: the 小类's own row, else its 大类's, else the default row."""
    candidates = [category.pk]
    if category.parent_id:
        candidates.append(category.parent_id)
    rows = {(row.category_id, row.urgency): row for row in TimeLimit.objects.filter(
        step=step, category_id__in=candidates)}
    defaults = {row.urgency: row for row in TimeLimit.objects.filter(step=step, category=None)}
    levels = URGENCY_ORDER[URGENCY_ORDER.index(urgency)::-1]
    # the category's own rows first (an urgency without a row takes the next lower one's)
    for category_id in candidates:
        for level in levels:
            row = rows.get((category_id, level))
            if row:
                return row.amount, row.unit
    for level in levels:
        if level in defaults:
            return defaults[level].amount, defaults[level].unit
    return DEFAULT_LIMITS[step]


def add_limit(start: dt.datetime, amount, unit: str) -> dt.datetime:
    """``start`` plus a limit, on the work calendar for working units."""
    from wangge.workcalendar.calendar import add_duration

    amount = float(amount)
    if unit == LimitUnit.MINUTES:
        return start + dt.timedelta(minutes=amount)
    return add_duration(start, amount, unit)


def warn_share() -> float:
    return float(settings.WANGGE.get("DEADLINE_WARN_SHARE", 0.7))


def _start_step(case: Case, step: str, now: dt.datetime, *, amount=None, unit=None) -> None:
    """Open a timed step: its deadline and its yellow-light time, from the limit."""
    if amount is None:
        amount, unit = limit_for(case.category, step, case.urgency)
    deadline = add_limit(now, amount, unit)
    warn = add_limit(now, Decimal(str(float(amount) * warn_share())), unit)
    _withdraw_extensions(case, now)
    case.step = step
    case.step_started_at = now
    case.step_deadline = deadline
    case.step_warn_at = min(warn, deadline)
    case.step_seq += 1
    setattr(case, f"{step}_deadline", deadline)


def _withdraw_extensions(case: Case, now) -> None:
    """A pending extension request belongs to the step it was made in: when that step ends
    (result reported, returned, re-dispatched, parked, closed …) it is withdrawn."""
    if case.pk:
        ExtensionRequest.objects.filter(case=case, state=ExtensionRequest.State.PENDING).update(
            state=ExtensionRequest.State.WITHDRAWN, decided_at=now,
            decision_note="the step ended before a decision")


def _stop_clock(case: Case) -> None:
    _withdraw_extensions(case, timezone.now())
    case.step = ""
    case.step_started_at = case.step_deadline = case.step_warn_at = None


# --- helpers ------------------------------------------------------------------------------------


def _tier_area(grid: Area, tier: str) -> Area:
    level = TIER_LEVEL[Tier(tier)]
    node = grid
    while node is not None and node.level > level:
        node = node.parent
    if node is None:
        raise CaseError(_("The grid %(grid)s has no %(tier)s above it.") % {
            "grid": grid.code, "tier": Tier(tier).label})
    return node


def _unit_grid(grid: Area) -> Area:
    return grid


def _label(user) -> str:
    return str(user) if user is not None else ""


def _is_admin(user) -> bool:
    return user is not None and (user.is_superuser or user.role == Role.ADMIN)


def can_act_at_tier(user, case: Case) -> bool:
    """Dispatchers and operators act on cases whose tier area lies in their jurisdiction."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return user.role in DISPATCH_ROLES and bool(user.scope_prefix) and \
        case.tier_area.prefix.startswith(user.scope_prefix)


def is_holder(user, case: Case) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if case.holder_user_id and case.holder_user_id == user.pk:
        return True
    return bool(case.holder_department_id) and user.department_id == case.holder_department_id


def can_verify(user, case: Case) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if can_act_at_tier(user, case):
        return True
    if user.role == Role.INSPECTOR and user.can_see_area(case.grid):
        return True
    if user.role == Role.GRID_WORKER:
        return case.reporter_id == user.pk or GridStaff.objects.filter(
            grid=case.grid, user=user).exists()
    return False


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise Forbidden(message)


def _lock(case: Case | str | int, action: str, expected_version: int | None) -> Case:
    """Reload the case locked for update; refuse stale forms and illegal transitions."""
    lookup = {"number": case} if isinstance(case, str) else {
        "pk": case.pk if isinstance(case, Case) else case}
    try:
        locked = (Case.objects.select_for_update(of=("self",))
                  .select_related("category", "grid", "tier_area", "holder_department")
                  .get(**lookup))
    except Case.DoesNotExist:
        raise CaseError(_("No such case."), "not_found") from None
    if expected_version is not None and locked.version != expected_version:
        last = locked.events.order_by("-id").select_related("actor").first()
        who = last.actor_label if last else ""
        when = timezone.localtime(last.at).strftime("%H:%M:%S") if last else ""
        raise Conflict(_(
            "Case %(number)s was changed by %(who)s at %(when)s while you were looking at it "
            "(it is now “%(status)s”). Reload it and decide again.") % {
            "number": locked.number, "who": who, "when": when,
            "status": locked.get_status_display()})
    allowed = TRANSITIONS.get(action, frozenset())
    if locked.status not in allowed:
        raise InvalidTransition(_(
            "Case %(number)s is “%(status)s”: “%(action)s” is not possible now.") % {
            "number": locked.number, "status": locked.get_status_display(),
            "action": Action(action).label})
    return locked


def _record(case: Case, actor, action: str, *, now, from_status: str = "", note: str = "",
            from_tier: str = "", to_department=None, to_user=None, data=None,
            actor_label: str = "") -> CaseEvent:
    return CaseEvent.objects.create(
        case=case, action=action, actor=actor if actor is not None and actor.pk else None,
        actor_label=actor_label or _label(actor), at=now, from_status=from_status,
        to_status=case.status, from_tier=from_tier, to_tier=case.tier,
        to_department=to_department, to_user=to_user, note=note, data=data or {},
    )


def _save(case: Case) -> None:
    case.version = F("version") + 1
    case.save()
    case.refresh_from_db(fields=["version"])


def _attach(case: Case, event: CaseEvent, files, kind: str, actor,
            existing=()) -> list[Attachment]:
    """Store uploaded files for the event, and bind attachments uploaded before to it."""
    from wangge.cases.uploads import check_upload, clean_file

    saved = []
    for attachment in existing or []:
        Attachment.objects.filter(pk=attachment.pk, case=case, event__isnull=True).update(
            event=event, kind=kind)
        saved.append(attachment)
    for upload in files or []:
        content_type = check_upload(upload)
        stored = clean_file(upload)  # re-encoded or checked: never the bytes as they came
        saved.append(Attachment.objects.create(
            case=case, event=event, kind=kind, file=stored, content_type=content_type,
            size=stored.size, uploaded_by=actor if actor is not None and actor.pk else None))
    return saved


def _next_number(now: dt.datetime) -> str:
    day = timezone.localdate(now)
    counter, _ = CaseCounter.objects.get_or_create(day=day)
    CaseCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    counter.refresh_from_db()
    return f"{day:%Y%m%d}{counter.last:05d}"


# --- recipients ---------------------------------------------------------------------------------


def tier_staff(case: Case):
    from wangge.accounts.models import User

    return list(User.objects.filter(role__in=list(DISPATCH_ROLES), jurisdiction=case.tier_area,
                                    is_active=True))


def holders(case: Case):
    from wangge.accounts.models import User

    if case.holder_user_id:
        return [case.holder_user]
    if case.holder_department_id:
        return list(User.objects.filter(department_id=case.holder_department_id,
                                        is_active=True))
    return tier_staff(case)


def supervisors(case: Case):
    """Whoever watches the holder: the tier's dispatchers, or the tier above for the tier."""
    from wangge.accounts.models import User

    if case.holder_user_id or case.holder_department_id:
        return tier_staff(case)
    parent = case.tier_area.parent
    if parent is None:
        return list(User.objects.filter(role=Role.LEADER, jurisdiction=case.tier_area,
                                        is_active=True))
    return list(User.objects.filter(role__in=[Role.OPERATOR, Role.DISPATCHER, Role.LEADER],
                                    jurisdiction=parent, is_active=True))


def verifiers(case: Case):
    from wangge.accounts.models import User

    ids = set(GridStaff.objects.filter(grid=case.grid).values_list("user_id", flat=True))
    if case.reporter_id and case.reporter and case.reporter.role == Role.GRID_WORKER:
        ids.add(case.reporter_id)
    return list(User.objects.filter(pk__in=ids, is_active=True)) or tier_staff(case)


def _followers(case: Case):
    people = list(case.followers.all())
    if case.reporter_id:
        people.append(case.reporter)
    return people


# --- reporting ----------------------------------------------------------------------------------


@dataclass
class Location:
    lon: float | None
    lat: float | None
    grid: Area


def resolve_location(*, actor, lon=None, lat=None, crs: str = "wgs84", grid_code: str = ""):
    """The unit grid of a report: located from the point, or chosen when there is no point."""
    from wangge.territory import locate as locating

    if lon is not None or lat is not None:
        if lon is None or lat is None:
            raise CaseError(_("Give both longitude and latitude, or neither."), "invalid_location")
        try:
            found = locating.locate(lon, lat, crs)
        except ValueError as exc:
            raise CaseError(str(exc), "invalid_location") from None
        if not found.inside:
            raise CaseError(found.message, "outside_jurisdiction")
        grid = Area.objects.select_related("parent").get(pk=found.grid_id)
        if grid_code and grid_code != grid.code:
            raise CaseError(_("The point lies in grid %(found)s, not in the chosen grid "
                              "%(chosen)s.") % {"found": grid.code, "chosen": grid_code},
                            "invalid_location")
        return Location(found.lon, found.lat, grid)
    if not grid_code:
        raise CaseError(_("Give the location: a point (longitude, latitude) or a grid."),
                        "invalid_location")
    grid = Area.objects.filter(code=grid_code, level__in=list(UNIT_GRID_LEVELS)).first()
    if grid is None:
        raise CaseError(_("There is no grid with code %(code)s.") % {"code": grid_code},
                        "invalid_location")
    return Location(None, None, grid)


def initial_tier(category: Category, source: str, urgency: str) -> str:
    """Emergencies and centre channels go to the district; the rest to the category's tier,
    at least the community (a grid worker who could fix it would have self-handled it)."""
    if urgency == Urgency.CRITICAL or category.default_tier == Tier.DISTRICT:
        return Tier.DISTRICT
    if source in (Source.HOTLINE, Source.IOT, Source.VIDEO, Source.INSPECTOR, Source.LEADER,
                  Source.DEPARTMENT):
        return Tier.DISTRICT
    tier = Tier(category.default_tier)
    return max(tier, Tier.COMMUNITY, key=TIER_ORDER.index)


def bound_client_ref(owner: str, ref: str) -> str:
    """The stored form of a client's ref: HMAC-SHA256 (a key derived from the lookup key) of
    the owner and the ref. The same ref sent by another user, Open311 client or browser is
    another value, and a stored value gives away neither the ref nor its owner."""
    key = crypto.derived_key(b"wangge-client-ref-v1")
    return hmac.new(key, f"{owner}:{ref}".encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def report(*, actor, category: Category | str, description: str, source: str,
           lon=None, lat=None, crs: str = "wgs84", grid_code: str = "", address: str = "",
           urgency: str | None = None, reporter_name: str = "", reporter_phone: str = "",
           self_handled: bool = False, resolution: str = "", photos=(), result_photos=(),
           actor_label: str = "", client_ref: str = "", client_owner: str = "",
           now: dt.datetime | None = None) -> Case:
    """上报: create a case (or, with ``self_handled``, record one fixed on the spot: 自处置).

    ``client_ref`` is the reporting device's id for this report (a UUID): sending the same
    report again returns the case made the first time, so an offline queue never reports twice.
    A ref belongs to whoever sent it: a logged-in user, or ``client_owner`` (an Open311
    client, a resident's browser) for reports without one; the same ref from someone else is
    another report (``bound_client_ref``). The case returned for a ref already used has
    ``replayed`` set, so that callers answer it with no more than its number.
    """
    now = now or timezone.now()
    client_ref = (client_ref or "").strip()
    if client_ref:
        if len(client_ref) > 64:
            raise CaseError(_("client_ref is longer than 64 characters."), "invalid_client_ref")
        if actor is not None and actor.is_authenticated:
            client_owner = f"user:{actor.pk}"
        client_ref = bound_client_ref(client_owner or "anonymous", client_ref)
        existing = Case.objects.filter(client_ref=client_ref).first()
        if existing is not None:
            existing.replayed = True
            return existing
    if isinstance(category, str):
        category = Category.objects.filter(code=category).select_related("parent").first()
        if category is None:
            raise CaseError(_("Unknown case category."), "invalid_category")
    if category.parent_id is None or not category.is_active:
        raise CaseError(_("Choose a minor category (小类), not a major one."), "invalid_category")
    description = (description or "").strip()
    if not description:
        raise CaseError(_("Describe the problem."), "invalid_description")
    if source not in Source.values:
        raise CaseError(_("Unknown source %(source)r.") % {"source": source}, "invalid_source")
    urgency = urgency or category.default_urgency
    if urgency not in Urgency.values:
        raise CaseError(_("Unknown urgency %(u)r.") % {"u": urgency}, "invalid_urgency")
    location = resolve_location(actor=actor, lon=lon, lat=lat, crs=crs, grid_code=grid_code)
    staff = actor is not None and actor.is_authenticated
    if staff and not actor.can_see_area(location.grid):
        raise Forbidden(_("Grid %(code)s is outside your jurisdiction.") % {
            "code": location.grid.code})
    if self_handled:
        _require(staff and actor.role == Role.GRID_WORKER,
                 _("Only a grid worker can report a case as handled on the spot."))
        if not result_photos:
            raise CaseError(_("A case handled on the spot needs a photo of the result."),
                            "photo_required")
        if not (resolution or "").strip():
            raise CaseError(_("Say how the problem was handled."), "invalid_resolution")
    tier = Tier.GRID if self_handled else initial_tier(category, source, urgency)
    case = Case(
        number=_next_number(now), source=source, reporter=actor if staff else None,
        reporter_name=reporter_name.strip() or (str(actor) if staff else ""),
        reporter_phone=reporter_phone.strip(), category=category, urgency=urgency,
        description=description, address=address.strip(), lon=location.lon, lat=location.lat,
        grid=location.grid, grid_code=location.grid.code, tier=tier,
        tier_area=_tier_area(location.grid, tier),
        report_date=timezone.localdate(now), reported_at=now, status=Status.REPORTED,
        client_ref=client_ref,
    )
    case.replayed = False
    label = actor_label or (str(actor) if staff else (reporter_name or _("Resident")))
    if self_handled:
        case.status = Status.CLOSED
        case.self_handled = True
        case.resolution = resolution.strip()
        case.handled_at = case.closed_at = now
        case.save()
        event = _record(case, actor, Action.REPORT, now=now, actor_label=label)
        _attach(case, event, photos, AttachmentKind.BEFORE, actor)
        event = _record(case, actor, Action.SELF_HANDLE, now=now, note=case.resolution,
                        from_status=Status.REPORTED)
        _attach(case, event, result_photos, AttachmentKind.AFTER, actor)
        return case
    _start_step(case, Step.ACCEPT, now)
    case.save()
    event = _record(case, actor, Action.REPORT, now=now, actor_label=label)
    _attach(case, event, photos, AttachmentKind.BEFORE, actor)
    duplicate = find_duplicate(case)
    if duplicate is not None:
        Case.objects.filter(pk=case.pk).update(suspected_duplicate_of=duplicate)
        case.suspected_duplicate_of = duplicate
        _record(case, None, Action.DUPLICATE_FLAG, now=now, actor_label=_("System"),
                note=_("Possibly the same as case %(number)s.") % {"number": duplicate.number},
                data={"master": duplicate.number})
    kind = NotificationKind.NEW_TASK
    notify(users=tier_staff(case), kind=kind, case=case,
           text=_("New report %(number)s: %(category)s") % {
               "number": case.number, "category": category.name})
    return case


def find_duplicate(case: Case) -> Case | None:
    """An open case of the same 小类 within the category's radius and window, nearest first."""
    if case.lat is None or case.lon is None:
        return None
    radius = case.category.duplicate_radius_m
    since = case.reported_at - dt.timedelta(days=case.category.duplicate_days)
    dlat = radius / 111_000.0
    dlon = radius / (111_000.0 * max(0.1, math.cos(math.radians(case.lat))))
    candidates = (Case.objects.filter(
        category=case.category, reported_at__gte=since, lat__range=(case.lat - dlat,
                                                                   case.lat + dlat),
        lon__range=(case.lon - dlon, case.lon + dlon))
        .exclude(pk=case.pk).exclude(status__in=list(FINAL_STATUSES)))
    best, best_distance = None, None
    for other in candidates:
        distance = _metres(case.lon, case.lat, other.lon, other.lat)
        if distance <= radius and (best_distance is None or distance < best_distance):
            best, best_distance = other, distance
    return best


def _metres(lon1, lat1, lon2, lat2) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


# --- acceptance ---------------------------------------------------------------------------------


@transaction.atomic
def accept(*, actor, case, note: str = "", expected_version: int | None = None,
           now=None) -> Case:
    """受理/立案."""
    now = now or timezone.now()
    case = _lock(case, Action.ACCEPT, expected_version)
    _require(can_act_at_tier(actor, case),
             _("Only a dispatcher of %(area)s can accept this case.") % {
                 "area": case.tier_area.name})
    before = case.status
    case.status = Status.TO_DISPATCH
    case.accepted_at = case.accepted_at or now
    _start_step(case, Step.DISPATCH, now)
    _save(case)
    _record(case, actor, Action.ACCEPT, now=now, from_status=before, note=note)
    return case


def _reason(note: str, what: str) -> str:
    note = (note or "").strip()
    if not note:
        raise CaseError(_("Give the reason for %(what)s.") % {"what": what}, "reason_required")
    return note


@transaction.atomic
def reject(*, actor, case, note: str, expected_version=None, now=None) -> Case:
    """不予立案: the report does not meet the filing condition."""
    now = now or timezone.now()
    case = _lock(case, Action.REJECT, expected_version)
    _require(can_act_at_tier(actor, case), _("Only a dispatcher of this tier can reject it."))
    note = _reason(note, _("not filing the case"))
    before = case.status
    case.status = Status.REJECTED
    _stop_clock(case)
    _save(case)
    _record(case, actor, Action.REJECT, now=now, from_status=before, note=note)
    notify(users=_followers(case), kind=NotificationKind.UPDATE, case=case,
           text=_("Case %(number)s was not filed: %(note)s") % {"number": case.number,
                                                                 "note": note})
    return case


@transaction.atomic
def void(*, actor, case, note: str, expected_version=None, now=None) -> Case:
    """作废: a mistaken or test report."""
    now = now or timezone.now()
    case = _lock(case, Action.VOID, expected_version)
    _require(can_act_at_tier(actor, case), _("Only a dispatcher of this tier can void it."))
    note = _reason(note, _("voiding the case"))
    before = case.status
    case.status = Status.VOIDED
    _stop_clock(case)
    _save(case)
    _record(case, actor, Action.VOID, now=now, from_status=before, note=note)
    return case


@transaction.atomic
def merge(*, actor, case, master, note: str = "", expected_version=None, now=None) -> Case:
    """合并: this report is a duplicate of ``master``; its reporter follows the master."""
    now = now or timezone.now()
    if isinstance(master, str):
        master = Case.objects.filter(number=master).first()
    if master is not None:
        # lock both rows in one fixed order, so that crossed merges cannot deadlock
        ids = [master.pk, case.pk if isinstance(case, Case) else Case.objects.filter(
            **({"number": case} if isinstance(case, str) else {"pk": case})).values_list(
            "pk", flat=True).first()]
        list(Case.objects.select_for_update().filter(pk__in=[i for i in ids if i])
             .order_by("pk").values_list("pk", flat=True))
    case = _lock(case, Action.MERGE, expected_version)
    _require(can_act_at_tier(actor, case), _("Only a dispatcher of this tier can merge it."))
    if master is None or master.pk == case.pk:
        raise CaseError(_("Choose another, existing case to merge into."), "invalid_master")
    master = Case.objects.select_for_update().get(pk=master.pk)
    if master.status in FINAL_STATUSES:
        raise CaseError(_("Case %(number)s is already %(status)s; merge into an open case.") % {
            "number": master.number, "status": master.get_status_display()}, "invalid_master")
    _require(actor.can_see_area(master.grid) if not actor.is_superuser else True,
             _("Case %(number)s is outside your jurisdiction.") % {"number": master.number})
    before = case.status
    case.status = Status.MERGED
    case.duplicate_of = master
    _stop_clock(case)
    _save(case)
    _record(case, actor, Action.MERGE, now=now, from_status=before, note=note,
            data={"master": master.number})
    if case.reporter_id:
        master.followers.add(case.reporter_id)
    _record(master, actor, Action.MERGED_IN, now=now, from_status=master.status,
            note=note, data={"duplicate": case.number})
    return case


# --- dispatch and tiers -------------------------------------------------------------------------


@transaction.atomic
def dispatch(*, actor, case, department=None, user=None, note: str = "",
             expected_version=None, now=None) -> Case:
    """派遣: to a department (any of its handlers signs) or to a person."""
    from wangge.accounts.models import User
    from wangge.dispatch.models import Department

    now = now or timezone.now()
    case = _lock(case, Action.DISPATCH, expected_version)
    _require(can_act_at_tier(actor, case),
             _("Only a dispatcher of %(area)s can dispatch this case.") % {
                 "area": case.tier_area.name})
    if isinstance(department, str | int) and department != "":
        department = Department.objects.filter(
            **({"code": department} if isinstance(department, str) else {"pk": department})
        ).first() or _missing(_("Unknown department."))
    if isinstance(user, str | int) and user != "":
        user = User.objects.filter(
            **({"username": user} if isinstance(user, str) else {"pk": user})
        ).first() or _missing(_("Unknown person."))
    if (department is None) == (user is None):
        raise CaseError(_("Dispatch to one department or one person."), "invalid_target")
    if department is not None:
        if not department.is_active:
            raise CaseError(_("%(name)s is not active.") % {"name": department.name},
                            "invalid_target")
        if not case.grid.prefix.startswith(department.area.prefix):
            raise CaseError(_("%(name)s does not serve grid %(grid)s.") % {
                "name": department.name, "grid": case.grid.code}, "invalid_target")
    if user is not None and not (user.is_active and user.can_see_area(case.grid)):
        raise CaseError(_("%(name)s does not work in grid %(grid)s.") % {
            "name": user, "grid": case.grid.code}, "invalid_target")
    before = case.status
    case.status = Status.DISPATCHED
    case.holder_department = department
    case.holder_user = user
    case.dispatched_at = now
    case.signed_at = None
    _start_step(case, Step.HANDLE, now)
    _save(case)
    _record(case, actor, Action.DISPATCH, now=now, from_status=before, note=note,
            to_department=department, to_user=user)
    notify(users=holders(case), kind=NotificationKind.NEW_TASK, case=case,
           text=_("New task %(number)s: %(category)s, due %(due)s") % {
               "number": case.number, "category": case.category.name,
               "due": timezone.localtime(case.step_deadline).strftime("%m-%d %H:%M")})
    return case


def _missing(message: str):
    raise CaseError(message, "invalid_target")


def _move_tier(case: Case, tier: str) -> None:
    case.tier = tier
    case.tier_area = _tier_area(case.grid, tier)
    case.holder_department = None
    case.holder_user = None


@transaction.atomic
def escalate(*, actor, case, note: str, expected_version=None, now=None) -> Case:
    """上报上级: grid → community → street → district."""
    now = now or timezone.now()
    case = _lock(case, Action.ESCALATE, expected_version)
    _require(can_act_at_tier(actor, case), _("Only a dispatcher of this tier can escalate."))
    position = TIER_ORDER.index(Tier(case.tier))
    if position == len(TIER_ORDER) - 1:
        raise InvalidTransition(_("The district center is the top tier."))
    note = _reason(note, _("escalating"))
    before, before_tier = case.status, case.tier
    _move_tier(case, TIER_ORDER[position + 1])
    case.escalation_count += 1
    _start_step(case, STEP_OF_STATUS[Status(case.status)], now)
    _save(case)
    _record(case, actor, Action.ESCALATE, now=now, from_status=before, from_tier=before_tier,
            note=note)
    notify(users=tier_staff(case), kind=NotificationKind.NEW_TASK, case=case,
           text=_("Case %(number)s was passed up to you: %(note)s") % {
               "number": case.number, "note": note})
    return case


@transaction.atomic
def assign_down(*, actor, case, tier: str, note: str = "", expected_version=None,
                now=None) -> Case:
    """下派: hand the case to a lower tier on the grid's own chain."""
    now = now or timezone.now()
    case = _lock(case, Action.ASSIGN_DOWN, expected_version)
    _require(can_act_at_tier(actor, case), _("Only a dispatcher of this tier can assign down."))
    if tier not in Tier.values or TIER_ORDER.index(Tier(tier)) >= TIER_ORDER.index(
            Tier(case.tier)) or tier == Tier.GRID:
        raise CaseError(_("Assign down to the community or street below this tier."),
                        "invalid_target")
    before, before_tier = case.status, case.tier
    _move_tier(case, tier)
    _start_step(case, Step.DISPATCH, now)
    _save(case)
    _record(case, actor, Action.ASSIGN_DOWN, now=now, from_status=before,
            from_tier=before_tier, note=note)
    notify(users=tier_staff(case), kind=NotificationKind.NEW_TASK, case=case,
           text=_("Case %(number)s was assigned to you") % {"number": case.number})
    return case


# --- handling -----------------------------------------------------------------------------------


@transaction.atomic
def sign(*, actor, case, note: str = "", expected_version=None, now=None) -> Case:
    """签收."""
    now = now or timezone.now()
    case = _lock(case, Action.SIGN, expected_version)
    _require(is_holder(actor, case), _("Only the unit or person the case was dispatched to "
                                       "can sign for it."))
    before = case.status
    case.status = Status.IN_PROGRESS
    case.signed_at = now
    if case.holder_department_id and not case.holder_user_id:
        case.holder_user = actor
    _save(case)
    _record(case, actor, Action.SIGN, now=now, from_status=before, note=note)
    return case


@transaction.atomic
def feedback(*, actor, case, note: str, photos=(), attachments=(), expected_version=None,
             now=None) -> Case:
    """处置反馈: the handler reports the result, with photos."""
    now = now or timezone.now()
    case = _lock(case, Action.FEEDBACK, expected_version)
    _require(is_holder(actor, case), _("Only the holder of the case can report its result."))
    note = _reason(note, _("the result"))
    before = case.status
    case.status = Status.TO_VERIFY
    case.handled_at = now
    case.resolution = note
    _start_step(case, Step.VERIFY, now)
    _save(case)
    event = _record(case, actor, Action.FEEDBACK, now=now, from_status=before, note=note)
    _attach(case, event, photos, AttachmentKind.AFTER, actor, attachments)
    notify(users=verifiers(case), kind=NotificationKind.TO_VERIFY, case=case,
           text=_("Case %(number)s was handled; please verify on site") % {
               "number": case.number})
    return case


@transaction.atomic
def return_case(*, actor, case, note: str, expected_version=None, now=None) -> Case:
    """回退: the holder sends it back to the dispatcher, with the reason."""
    now = now or timezone.now()
    case = _lock(case, Action.RETURN, expected_version)
    _require(is_holder(actor, case), _("Only the holder of the case can return it."))
    note = _reason(note, _("returning the case"))
    before = case.status
    case.status = Status.TO_DISPATCH
    case.return_count += 1
    old_department, old_user = case.holder_department, case.holder_user
    case.holder_department = None
    case.holder_user = None
    _start_step(case, Step.DISPATCH, now)
    _save(case)
    _record(case, actor, Action.RETURN, now=now, from_status=before, note=note,
            data={"from_department": old_department.code if old_department else None,
                  "from_user": old_user.username if old_user else None})
    notify(users=tier_staff(case), kind=NotificationKind.RETURNED, case=case,
           text=_("Case %(number)s was returned: %(note)s") % {"number": case.number,
                                                                "note": note})
    return case


@transaction.atomic
def request_extension(*, actor, case, amount, unit: str, note: str, expected_version=None,
                      now=None) -> ExtensionRequest:
    """延期申请."""
    now = now or timezone.now()
    case = _lock(case, Action.EXTENSION_REQUEST, expected_version)
    _require(is_holder(actor, case), _("Only the holder of the case can ask for more time."))
    note = _reason(note, _("the extension"))
    amount = _positive_amount(amount, unit)
    if case.extensions.filter(state=ExtensionRequest.State.PENDING).exists():
        raise InvalidTransition(_("An extension request is already waiting for a decision."))
    request = ExtensionRequest.objects.create(case=case, requested_by=actor, requested_at=now,
                                              amount=amount, unit=unit, reason=note)
    _save(case)
    _record(case, actor, Action.EXTENSION_REQUEST, now=now, from_status=case.status, note=note,
            data={"amount": str(amount), "unit": unit, "request": request.pk})
    notify(users=tier_staff(case), kind=NotificationKind.EXTENSION, case=case,
           text=_("Case %(number)s: extension of %(amount)s %(unit)s requested") % {
               "number": case.number, "amount": amount, "unit": LimitUnit(unit).label})
    return request


def _positive_amount(amount, unit: str) -> Decimal:
    try:
        value = Decimal(str(amount))
    except ArithmeticError:
        raise CaseError(_("The extra time must be a number."), "invalid_amount") from None
    if not value.is_finite() or value <= 0 or value > 1000:
        raise CaseError(_("The extra time must be a positive number."), "invalid_amount")
    if unit not in LimitUnit.values:
        raise CaseError(_("Unknown time unit %(unit)r.") % {"unit": unit}, "invalid_amount")
    return value


@transaction.atomic
def decide_extension(*, actor, request: ExtensionRequest | int, approve: bool, note: str = "",
                     expected_version=None, now=None) -> ExtensionRequest:
    """延期 approval or refusal; approval moves the handling deadline."""
    now = now or timezone.now()
    request_id = request.pk if isinstance(request, ExtensionRequest) else request
    request = ExtensionRequest.objects.select_for_update().get(pk=request_id)
    action = Action.EXTENSION_APPROVE if approve else Action.EXTENSION_REFUSE
    case = _lock(request.case_id, action, expected_version)
    _require(can_act_at_tier(actor, case),
             _("Only a dispatcher of this tier can decide on an extension."))
    if request.state != ExtensionRequest.State.PENDING:
        raise Conflict(_("This request was already decided (%(state)s).") % {
            "state": request.get_state_display()})
    request.state = (ExtensionRequest.State.APPROVED if approve
                     else ExtensionRequest.State.REFUSED)
    request.decided_by = actor
    request.decided_at = now
    request.decision_note = note
    if approve:
        base = max(case.step_deadline or now, now)
        deadline = add_limit(base, request.amount, request.unit)
        request.new_deadline = deadline
        case.handle_deadline = deadline
        case.step_deadline = deadline
        total = (deadline - case.step_started_at).total_seconds()
        case.step_warn_at = case.step_started_at + dt.timedelta(seconds=total * warn_share())
        case.step_seq += 1  # a new deadline: a new overdue check
        case.extension_count += 1
    request.save()
    _save(case)
    _record(case, actor, action, now=now, from_status=case.status, note=note,
            data={"request": request.pk, "new_deadline": request.new_deadline.isoformat()
                  if request.new_deadline else None})
    notify(users=[request.requested_by], kind=NotificationKind.EXTENSION, case=case,
           text=(_("Extension for %(number)s approved") if approve
                 else _("Extension for %(number)s refused")) % {"number": case.number})
    return request


@transaction.atomic
def park(*, actor, case, until: dt.date, note: str, expected_version=None, now=None) -> Case:
    """挂账: a long-term problem, parked with a commitment date; its clock stops."""
    now = now or timezone.now()
    case = _lock(case, Action.PARK, expected_version)
    _require(can_act_at_tier(actor, case), _("Only a dispatcher of this tier can park a case."))
    note = _reason(note, _("parking the case"))
    if not isinstance(until, dt.date) or until <= timezone.localdate(now):
        raise CaseError(_("The commitment date must be a date after today."), "invalid_date")
    before = case.status
    case.parked_from = case.status
    case.status = Status.PARKED
    case.parked_until = until
    _stop_clock(case)
    _save(case)
    _record(case, actor, Action.PARK, now=now, from_status=before, note=note,
            data={"until": until.isoformat()})
    return case


@transaction.atomic
def resume(*, actor, case, note: str = "", expected_version=None, now=None) -> Case:
    """恢复 a parked case to where it was; the step's clock starts again."""
    now = now or timezone.now()
    case = _lock(case, Action.RESUME, expected_version)
    _require(can_act_at_tier(actor, case), _("Only a dispatcher of this tier can resume it."))
    before = case.status
    case.status = case.parked_from or Status.TO_DISPATCH
    case.parked_from = ""
    case.parked_until = None
    _start_step(case, STEP_OF_STATUS[Status(case.status)], now)
    _save(case)
    _record(case, actor, Action.RESUME, now=now, from_status=before, note=note)
    notify(users=holders(case), kind=NotificationKind.NEW_TASK, case=case,
           text=_("Case %(number)s is active again") % {"number": case.number})
    return case


# --- verification, closure, evaluation ----------------------------------------------------------


@transaction.atomic
def verify(*, actor, case, passed: bool, note: str = "", photos=(), attachments=(),
           expected_version=None, now=None) -> Case:
    """核查: passed → awaiting closure; failed → 返工, back to dispatch."""
    now = now or timezone.now()
    action = Action.VERIFY_PASS if passed else Action.VERIFY_FAIL
    case = _lock(case, action, expected_version)
    _require(can_verify(actor, case), _("Only the grid's workers, an inspector or the tier's "
                                        "dispatcher can verify this case."))
    before = case.status
    if passed:
        case.status = Status.TO_CLOSE
        case.verified_at = now
        _start_step(case, Step.CLOSE, now)
    else:
        note = _reason(note, _("failing the verification"))
        case.status = Status.TO_DISPATCH
        case.rework_count += 1
        case.holder_department = None
        case.holder_user = None
        _start_step(case, Step.DISPATCH, now)
    _save(case)
    event = _record(case, actor, action, now=now, from_status=before, note=note)
    _attach(case, event, photos, AttachmentKind.AFTER if passed else AttachmentKind.OTHER, actor,
            attachments)
    if passed:
        notify(users=tier_staff(case), kind=NotificationKind.UPDATE, case=case,
               text=_("Case %(number)s passed verification and can be closed") % {
                   "number": case.number})
    else:
        notify(users=tier_staff(case), kind=NotificationKind.RETURNED, case=case,
               text=_("Case %(number)s failed verification and needs rework: %(note)s") % {
                   "number": case.number, "note": note})
    return case


@transaction.atomic
def close(*, actor, case, note: str = "", expected_version=None, now=None) -> Case:
    """结案."""
    now = now or timezone.now()
    case = _lock(case, Action.CLOSE, expected_version)
    _require(can_act_at_tier(actor, case), _("Only a dispatcher of this tier can close it."))
    before = case.status
    case.status = Status.CLOSED
    case.closed_at = now
    _stop_clock(case)
    _save(case)
    _record(case, actor, Action.CLOSE, now=now, from_status=before, note=note)
    notify(users=_followers(case), kind=NotificationKind.UPDATE, case=case,
           text=_("Case %(number)s is closed. Please rate the result.") % {
               "number": case.number})
    return case


@transaction.atomic
def evaluate(*, actor, case, satisfaction: str, comment: str = "", token: str = "",
             expected_version=None, now=None) -> Case:
    """评价: the reporter's satisfaction (or recorded by the tier from a phone call-back)."""
    now = now or timezone.now()
    case = _lock(case, Action.EVALUATE, expected_version)
    by_token = bool(token) and token == case.tracking_token
    _require(by_token or (actor is not None and actor.is_authenticated and (
        case.reporter_id == actor.pk or can_act_at_tier(actor, case))),
        _("Only the reporter can rate this case."))
    if case.evaluated_at:
        raise InvalidTransition(_("Case %(number)s was already rated.") % {
            "number": case.number})
    if satisfaction not in Satisfaction.values:
        raise CaseError(_("Rate it satisfied, fairly satisfied or unsatisfied."),
                        "invalid_satisfaction")
    case.satisfaction = satisfaction
    case.evaluation_comment = (comment or "").strip()
    case.evaluated_at = now
    _save(case)
    _record(case, actor if not by_token else None, Action.EVALUATE, now=now,
            from_status=case.status, note=case.evaluation_comment,
            actor_label=_("Reporter") if by_token else "",
            data={"satisfaction": satisfaction})
    return case


# --- attention: urge, instruct, supervise -----------------------------------------------------


@transaction.atomic
def urge(*, actor, case, note: str = "", expected_version=None, now=None) -> Case:
    """加急: one urgency level up; the open step's deadline is recomputed if that is earlier."""
    now = now or timezone.now()
    case = _lock(case, Action.URGE, expected_version)
    _require(actor is not None and (can_act_at_tier(actor, case) or (
        actor.role == Role.LEADER and actor.can_see_area(case.grid))),
        _("Only a dispatcher or a leader can mark a case urgent."))
    position = URGENCY_ORDER.index(Urgency(case.urgency))
    if position == len(URGENCY_ORDER) - 1:
        raise InvalidTransition(_("The case is already at the highest urgency."))
    before_urgency = case.urgency
    case.urgency = URGENCY_ORDER[position + 1]
    if case.step and case.step_started_at:
        amount, unit = limit_for(case.category, case.step, case.urgency)
        deadline = add_limit(case.step_started_at, amount, unit)
        if deadline < case.step_deadline:
            case.step_deadline = deadline
            setattr(case, f"{case.step}_deadline", deadline)
            warn = add_limit(case.step_started_at, Decimal(str(float(amount) * warn_share())),
                             unit)
            case.step_warn_at = min(warn, deadline)
            case.step_seq += 1
    _save(case)
    _record(case, actor, Action.URGE, now=now, from_status=case.status, note=note,
            data={"from": before_urgency, "to": case.urgency})
    notify(users=holders(case), kind=NotificationKind.SUPERVISION, case=case,
           text=_("Case %(number)s is now %(urgency)s") % {
               "number": case.number, "urgency": Urgency(case.urgency).label})
    return case


@transaction.atomic
def instruct(*, actor, case, note: str, expected_version=None, now=None) -> Case:
    """领导批示."""
    now = now or timezone.now()
    case = _lock(case, Action.INSTRUCT, expected_version)
    _require(actor is not None and actor.role in (Role.LEADER, Role.ADMIN)
             and actor.can_see_area(case.grid), _("Only a leader can give an instruction."))
    note = _reason(note, _("the instruction"))
    stamp = timezone.localtime(now).strftime("%Y-%m-%d %H:%M")
    case.instruction = (case.instruction + "\n" if case.instruction else "") + \
        f"[{stamp} {actor}] {note}"
    _save(case)
    _record(case, actor, Action.INSTRUCT, now=now, from_status=case.status, note=note)
    notify(users=tier_staff(case) + holders(case), kind=NotificationKind.SUPERVISION, case=case,
           text=_("Leader's instruction on %(number)s: %(note)s") % {
               "number": case.number, "note": note})
    return case


@transaction.atomic
def supervise(*, actor, case, level: str, note: str, expected_version=None,
              now=None) -> Supervision:
    """督办 (普通 / 黄牌 / 红牌), addressed to whoever holds the case."""
    now = now or timezone.now()
    case = _lock(case, Action.SUPERVISE, expected_version)
    _require(actor is not None and actor.role in SUPERVISE_ROLES and actor.can_see_area(
        case.grid), _("Only the command center, a leader or an inspector can supervise."))
    if level not in SupervisionLevel.values:
        raise CaseError(_("Unknown supervision level."), "invalid_level")
    note = _reason(note, _("the supervision"))
    supervision = Supervision.objects.create(
        case=case, level=level, reason=note, created_by=actor, created_at=now, step=case.step,
        step_seq=case.step_seq, target_department=case.holder_department,
        target_user=case.holder_user)
    _save(case)
    _record(case, actor, Action.SUPERVISE, now=now, from_status=case.status, note=note,
            data={"level": level, "supervision": supervision.pk})
    notify(users=holders(case), kind=NotificationKind.SUPERVISION, case=case,
           text=_("%(level)s on case %(number)s: %(note)s") % {
               "level": SupervisionLevel(level).label, "number": case.number, "note": note})
    return supervision


@transaction.atomic
def reply_supervision(*, actor, supervision: Supervision | int, note: str,
                      now=None) -> Supervision:
    now = now or timezone.now()
    supervision_id = supervision.pk if isinstance(supervision, Supervision) else supervision
    supervision = Supervision.objects.select_for_update().get(pk=supervision_id)
    case = _lock(supervision.case_id, Action.SUPERVISION_REPLY, None)
    _require(is_holder(actor, case) or can_act_at_tier(actor, case),
             _("Only the holder of the case can answer the supervision."))
    if supervision.replied_at:
        raise Conflict(_("This supervision was already answered."))
    supervision.reply = _reason(note, _("the reply"))
    supervision.replied_by = actor
    supervision.replied_at = now
    supervision.save()
    _save(case)
    _record(case, actor, Action.SUPERVISION_REPLY, now=now, from_status=case.status,
            note=supervision.reply, data={"supervision": supervision.pk})
    if supervision.created_by_id:
        notify(users=[supervision.created_by], kind=NotificationKind.SUPERVISION, case=case,
               text=_("Supervision on %(number)s answered") % {"number": case.number})
    return supervision


# --- the overdue sweep ----------------------------------------------------------------------------


SWEEP_FIELDS = ("pk", "number", "status", "tier", "step", "step_seq", "step_deadline",
                "tier_area_id", "tier_area__parent_id", "holder_department_id",
                "holder_user_id")


def sweep_overdue(*, now=None, batch: int = 2000) -> int:
    """Every step that became overdue gets one automatic 督办, a timeline entry and
    notifications for the holder and their supervisor: exactly once, however many workers run
    this at the same time. Returns how many steps it flagged.

    Each batch is claimed inside one transaction: on PostgreSQL the candidate rows are locked
    with SKIP LOCKED (another worker takes other rows); on SQLite the transaction holds the
    database's write lock from its start (IMMEDIATE). The claim itself is the conditional
    ``overdue_seq = step_seq``, and a unique constraint backs it up. Rows are written in bulk:
    thousands of overdue steps take well under a second.
    """
    now = now or timezone.now()
    flagged = 0
    while True:
        with transaction.atomic():
            candidates = (Case.objects.filter(step_deadline__lt=now,
                                              overdue_seq__lt=F("step_seq"))
                          .exclude(status=Status.PARKED).order_by("step_deadline"))
            if connection_supports_skip_locked():
                candidates = candidates.select_for_update(skip_locked=True, of=("self",))
            rows = [dict(zip(SWEEP_FIELDS, row, strict=True))
                    for row in candidates.values_list(*SWEEP_FIELDS)[:batch]]
            if not rows:
                return flagged
            Case.objects.filter(pk__in=[r["pk"] for r in rows]).update(
                overdue_seq=F("step_seq"))
            _flag_overdue_batch(rows, now)
            flagged += len(rows)
        if len(rows) < batch:
            return flagged


def connection_supports_skip_locked() -> bool:
    from django.db import connection

    return connection.features.has_select_for_update_skip_locked


def _overdue_level(late: dt.timedelta) -> str:
    hours = late.total_seconds() / 3600
    if hours >= 24:
        return SupervisionLevel.RED
    if hours >= 4:
        return SupervisionLevel.YELLOW
    return SupervisionLevel.NORMAL


def _insert(model, columns: list[str], rows: list[tuple]) -> None:
    """A plain multi-row INSERT for the sweep's bulk writes (the ORM's costs dominate there)."""
    from django.db import connection

    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    row_marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
    per_statement = 400  # several hundred rows per statement: few round trips, few parameters
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # COPY: the fastest bulk path there is
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        for start in range(0, len(rows), per_statement):
            chunk = rows[start:start + per_statement]
            values = ", ".join([row_marks] * len(chunk))
            cursor.execute(f"INSERT INTO {table} ({names}) VALUES {values}",  # noqa: S608
                           [value for row in chunk for value in row])


def _recipients(rows: list[dict]) -> dict[int, list[int]]:
    """Case pk → the users to tell: its holder and the holder's supervisor."""
    from wangge.accounts.models import User

    area_ids = {r["tier_area_id"] for r in rows} | {r["tier_area__parent_id"] for r in rows
                                                    if r["tier_area__parent_id"]}
    by_area: dict[int, list[int]] = {}
    leaders: dict[int, list[int]] = {}
    for user_id, area_id, role in User.objects.filter(
            jurisdiction_id__in=area_ids, is_active=True,
            role__in=[Role.OPERATOR, Role.DISPATCHER, Role.ADMIN, Role.LEADER]).values_list(
            "pk", "jurisdiction_id", "role"):
        (leaders if role == Role.LEADER else by_area).setdefault(area_id, []).append(user_id)
    departments = {r["holder_department_id"] for r in rows if r["holder_department_id"]}
    members: dict[int, list[int]] = {}
    for user_id, department_id in User.objects.filter(
            department_id__in=departments, is_active=True).values_list("pk", "department_id"):
        members.setdefault(department_id, []).append(user_id)
    result = {}
    for r in rows:
        tier_people = by_area.get(r["tier_area_id"], [])
        if r["holder_user_id"]:
            holder_ids, boss_ids = [r["holder_user_id"]], tier_people
        elif r["holder_department_id"]:
            holder_ids, boss_ids = members.get(r["holder_department_id"], []), tier_people
        else:
            parent = r["tier_area__parent_id"]
            holder_ids = tier_people
            boss_ids = (by_area.get(parent, []) + leaders.get(parent, [])) if parent else \
                leaders.get(r["tier_area_id"], [])
        result[r["pk"]] = sorted(set(holder_ids) | set(boss_ids))
    return result


def _flag_overdue_batch(rows: list[dict], now) -> None:
    import json

    from django.db import connection

    from wangge.jobs.models import OutboxMessage

    adapt = connection.ops.adapt_datetimefield_value
    stamp = adapt(now)
    available = adapt(min(now, timezone.now()))
    recipients = _recipients(rows)
    system = _("System")
    supervisions, events, messages = [], [], []
    for r in rows:
        step_label = Step(r["step"]).label if r["step"] else ""
        note = _("%(step)s is overdue (deadline %(deadline)s)") % {
            "step": step_label,
            "deadline": timezone.localtime(r["step_deadline"]).strftime("%Y-%m-%d %H:%M")}
        supervisions.append((
            r["pk"], _overdue_level(now - r["step_deadline"]), True, r["step"], r["step_seq"],
            note, stamp, r["holder_department_id"], r["holder_user_id"], ""))
        events.append((r["pk"], Action.OVERDUE, system, stamp, r["status"], r["status"],
                       r["tier"], r["tier"], note,
                       json.dumps({"step": r["step"], "step_seq": r["step_seq"]})))
        if recipients[r["pk"]]:
            payload = {"users": recipients[r["pk"]], "kind": "overdue", "case": r["pk"],
                       "text": (_("Case %(number)s: %(note)s") % {
                           "number": r["number"], "note": note})[:300]}
            messages.append(("notify", json.dumps(payload), OutboxMessage.State.PENDING, stamp,
                             available, 0, "", ""))
    _insert(Supervision, ["case_id", "level", "automatic", "step", "step_seq", "reason",
                          "created_at", "target_department_id", "target_user_id", "reply"],
            supervisions)
    _insert(CaseEvent, ["case_id", "action", "actor_label", "at", "from_status", "to_status",
                        "from_tier", "to_tier", "note", "data"], events)
    _insert(OutboxMessage, ["kind", "payload", "state", "created_at", "available_at",
                            "attempts", "locked_by", "last_error"], messages)


# --- what a user may do now -------------------------------------------------------------------


def allowed_actions(case: Case, user) -> list[str]:
    """The actions the user may take on the case now (for the UI; services check again)."""
    if user is None or not user.is_authenticated:
        return []
    status = case.status
    actions = []
    tier = can_act_at_tier(user, case)
    holder = is_holder(user, case)

    def possible(action):
        return status in TRANSITIONS[action]

    for action in (Action.ACCEPT, Action.REJECT, Action.VOID, Action.MERGE, Action.DISPATCH,
                   Action.ASSIGN_DOWN, Action.ESCALATE, Action.PARK, Action.RESUME,
                   Action.CLOSE):
        if tier and possible(action):
            if action == Action.ESCALATE and case.tier == Tier.DISTRICT:
                continue
            if action == Action.ASSIGN_DOWN and case.tier in (Tier.GRID, Tier.COMMUNITY):
                continue
            actions.append(action)
    for action in (Action.SIGN, Action.FEEDBACK, Action.RETURN, Action.EXTENSION_REQUEST):
        if holder and possible(action):
            actions.append(action)
    pending = case.extensions.filter(state=ExtensionRequest.State.PENDING).exists() if (
        tier and possible(Action.EXTENSION_APPROVE)) else False
    if pending:
        actions += [Action.EXTENSION_APPROVE, Action.EXTENSION_REFUSE]
    if possible(Action.VERIFY_PASS) and can_verify(user, case):
        actions += [Action.VERIFY_PASS, Action.VERIFY_FAIL]
    if possible(Action.EVALUATE) and not case.evaluated_at and (
            case.reporter_id == user.pk or tier):
        actions.append(Action.EVALUATE)
    sees = user.can_see_area(case.grid)
    if possible(Action.URGE) and case.urgency != Urgency.CRITICAL and (
            tier or (user.role == Role.LEADER and sees)):
        actions.append(Action.URGE)
    if possible(Action.INSTRUCT) and user.role in (Role.LEADER, Role.ADMIN) and sees:
        actions.append(Action.INSTRUCT)
    if possible(Action.SUPERVISE) and user.role in SUPERVISE_ROLES and sees:
        actions.append(Action.SUPERVISE)
    return actions
