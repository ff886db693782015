"""Case endpoints: report, list, detail, timeline, and one endpoint per transition.

Every transition takes an optional ``version`` (the case's version the client last saw): a stale
one is refused with 409 ``conflict``. Errors: ``{"code": ..., "message": ...}``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile

from wangge.cases import services
from wangge.cases.choices import Source
from wangge.cases.models import Attachment, Case, Category, ExtensionRequest, Supervision
from wangge.cases.selectors import filter_cases, visible_cases
from wangge.core.scope import get_scoped_or_404
from wangge.dispatch.services import propose

router = Router(tags=["cases"])


# --- schemas -------------------------------------------------------------------------------------


class CategoryOut(Schema):
    code: str
    name: str
    major_code: str
    major_name: str
    kind: str
    default_tier: str
    default_urgency: str
    filing_condition: str
    closing_condition: str


class CaseSummary(Schema):
    number: str
    status: str
    status_label: str
    source: str
    category_code: str
    category_name: str
    urgency: str
    grid_code: str
    grid_name: str
    tier: str
    holder: str | None
    address: str
    reported_at: dt.datetime
    step: str
    step_deadline: dt.datetime | None
    light: str
    version: int


class AttachmentOut(Schema):
    id: int
    kind: str
    content_type: str
    size: int
    url: str


class EventOut(Schema):
    id: int
    action: str
    action_label: str
    actor: str
    at: dt.datetime
    from_status: str
    to_status: str
    from_tier: str
    to_tier: str
    to_department: str | None
    to_user: str | None
    note: str
    data: dict
    attachments: list[int]


class CaseDetail(CaseSummary):
    description: str
    lon: float | None
    lat: float | None
    reporter: str
    tier_area_code: str
    holder_department: str | None
    holder_user: str | None
    duplicate_of: str | None
    suspected_duplicate_of: str | None
    self_handled: bool
    resolution: str
    satisfaction: str
    evaluation_comment: str
    instruction: str
    parked_until: dt.date | None
    rework_count: int
    return_count: int
    extension_count: int
    times: dict
    deadlines: dict
    attachments: list[AttachmentOut]
    allowed_actions: list[str]
    pending_extension: int | None
    tracking_token: str | None = None


class CasePage(Schema):
    count: int
    page: int
    page_size: int
    results: list[CaseSummary]


class CaseFilter(Schema):
    status: str | None = Field(None, description="comma list of statuses, or 'open'")
    category: str | None = Field(None, description="小类 (4 digits) or 大类 (2 digits) code")
    grid: str | None = None
    area: str | None = Field(None, description="any area code: its whole subtree")
    overdue: bool | None = None
    light: str | None = Field(None, description="yellow or red")
    holder: str | None = Field(None, description="'me', a department code or a username")
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    source: str | None = None
    urgency: str | None = None
    q: str | None = None
    ordering: str = Field("reported", description="reported (newest first) or deadline")
    page: int = Field(1, ge=1)
    page_size: int = Field(20, ge=1, le=200)


class ReportIn(Schema):
    category: str = Field(..., description="小类 code, e.g. 0101")
    description: str
    source: str = Source.PATROL
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    grid: str = ""
    address: str = ""
    urgency: str | None = None
    reporter_name: str = ""
    reporter_phone: str = ""
    self_handled: bool = False
    resolution: str = ""
    client_ref: str = Field("", description="the device's id for this report (a UUID): "
                                            "sending it again never makes a second case")


class NoteIn(Schema):
    note: str = ""
    version: int | None = None


class MergeIn(NoteIn):
    master: str


class DispatchIn(NoteIn):
    department: str | None = Field(None, description="department code")
    user: str | None = Field(None, description="username")


class AssignDownIn(NoteIn):
    tier: str = Field(..., description="community or street")


class FeedbackIn(NoteIn):
    photo_ids: list[int] = Field(default_factory=list,
                                 description="attachments uploaded before, shown as results")


class VerifyIn(FeedbackIn):
    passed: bool


class ExtensionIn(NoteIn):
    amount: Decimal
    unit: str = Field(..., description="wh, wd, nh or nm")


class DecisionIn(NoteIn):
    approve: bool


class ParkIn(NoteIn):
    until: dt.date


class EvaluateIn(NoteIn):
    satisfaction: str
    token: str = ""


class SuperviseIn(NoteIn):
    level: str = "normal"


class SupervisionOut(Schema):
    id: int
    case: str
    level: str
    automatic: bool
    step: str
    reason: str
    created_at: dt.datetime
    reply: str
    replied_at: dt.datetime | None


class ProposalOut(Schema):
    department: str | None
    department_name: str | None
    reason: str


# --- serialisation ----------------------------------------------------------------------------


def _holder(case: Case) -> str | None:
    if case.holder_user_id:
        return str(case.holder_user)
    if case.holder_department_id:
        return case.holder_department.name
    return None


def summary(case: Case, now=None) -> dict:
    return {
        "number": case.number, "status": case.status, "status_label": case.get_status_display(),
        "source": case.source, "category_code": case.category.code,
        "category_name": case.category.name, "urgency": case.urgency,
        "grid_code": case.grid.code, "grid_name": case.grid.name, "tier": case.tier,
        "holder": _holder(case), "address": case.address, "reported_at": case.reported_at,
        "step": case.step, "step_deadline": case.step_deadline, "light": case.light(now),
        "version": case.version,
    }


def attachment_url(attachment: Attachment) -> str:
    from django.urls import reverse

    return reverse("cases:file", args=[attachment.case.number, attachment.pk])


def detail(case: Case, user) -> dict:
    data = summary(case)
    pending = case.extensions.filter(state=ExtensionRequest.State.PENDING).first()
    data.update({
        "description": case.description, "lon": case.lon, "lat": case.lat,
        "reporter": case.reporter_name, "tier_area_code": case.tier_area.code,
        "holder_department": case.holder_department.code if case.holder_department_id else None,
        "holder_user": case.holder_user.username if case.holder_user_id else None,
        "duplicate_of": case.duplicate_of.number if case.duplicate_of_id else None,
        "suspected_duplicate_of": case.suspected_duplicate_of.number
        if case.suspected_duplicate_of_id else None,
        "self_handled": case.self_handled, "resolution": case.resolution,
        "satisfaction": case.satisfaction, "evaluation_comment": case.evaluation_comment,
        "instruction": case.instruction, "parked_until": case.parked_until,
        "rework_count": case.rework_count, "return_count": case.return_count,
        "extension_count": case.extension_count,
        "times": {name: getattr(case, f"{name}_at") for name in (
            "reported", "accepted", "dispatched", "signed", "handled", "verified", "closed",
            "evaluated")},
        "deadlines": {name: getattr(case, f"{name}_deadline") for name in (
            "accept", "dispatch", "handle", "verify", "close")},
        "attachments": [{"id": a.pk, "kind": a.kind, "content_type": a.content_type,
                         "size": a.size, "url": attachment_url(a)}
                        for a in case.attachments.all()],
        "allowed_actions": services.allowed_actions(case, user),
        "pending_extension": pending.pk if pending else None,
    })
    if not getattr(user, "is_authenticated", False):
        # a resident with the tracking token (report, evaluate): not the staff's view — no
        # handler's login, leader's instruction or internal duplicate flags
        data.update({"holder_user": None, "instruction": "",
                     "suspected_duplicate_of": None, "pending_extension": None})
    return data


def event_out(event) -> dict:
    return {
        "id": event.pk, "action": event.action, "action_label": event.get_action_display(),
        "actor": event.actor_label, "at": event.at, "from_status": event.from_status,
        "to_status": event.to_status, "from_tier": event.from_tier, "to_tier": event.to_tier,
        "to_department": event.to_department.name if event.to_department_id else None,
        "to_user": str(event.to_user) if event.to_user_id else None, "note": event.note,
        "data": event.data, "attachments": [a.pk for a in event.attachments.all()],
    }


def _case(request, number: str) -> Case:
    return get_scoped_or_404(Case, request.user, number=number)


def _photos(case: Case, ids: list[int]):
    """Attachments of this case, uploaded before and referenced by id."""
    found = list(case.attachments.filter(pk__in=ids, event__isnull=True))
    if len(found) != len(set(ids)):
        raise services.CaseError("photo_ids must name this case's unused uploads",
                                 "invalid_photos")
    return found


# --- endpoints -----------------------------------------------------------------------------------


@router.get("/categories", response=list[CategoryOut], summary="The case taxonomy (小类)")
def list_categories(request, q: str = "", major: str = ""):
    queryset = Category.objects.filter(parent__isnull=False, is_active=True).select_related(
        "parent")
    if q:
        queryset = queryset.filter(name__contains=q) | queryset.filter(code__startswith=q)
    if major:
        queryset = queryset.filter(parent__code=major)
    return [{"code": c.code, "name": c.name, "major_code": c.parent.code,
             "major_name": c.parent.name, "kind": c.kind, "default_tier": c.default_tier,
             "default_urgency": c.default_urgency, "filing_condition": c.filing_condition,
             "closing_condition": c.closing_condition} for c in queryset.order_by("code")]


@router.get("/cases", response=CasePage, summary="Cases in the jurisdiction, filtered")
def list_cases(request, filters: Query[CaseFilter]):
    now = timezone.now()
    params = filters.dict(exclude={"page", "page_size"})
    queryset = filter_cases(visible_cases(request.user), user=request.user, now=now, **params)
    count = queryset.count()
    start = (filters.page - 1) * filters.page_size
    rows = list(queryset[start:start + filters.page_size])
    return {"count": count, "page": filters.page, "page_size": filters.page_size,
            "results": [summary(c, now) for c in rows]}


class ResidentOrStaff:
    """Staff with a token or session, or an anonymous resident (no login needed to report).

    With ``reporting``, a resident's report gets the resident portal's protections before its
    body is read: the portal's rate limits per client address (``report_post``, and
    ``report`` for reports made; 429 with Retry-After) and its size (three photos of the
    upload limit and the text fields; 413 beyond)."""

    def __init__(self, reporting: bool = False):
        self.reporting = reporting

    def __call__(self, request):
        from wangge.api import BearerToken, SessionAuth

        if request.headers.get("Authorization"):
            return BearerToken()(request)  # a wrong token is an error, not a resident
        if request.COOKIES.get(SessionAuth.param_name):
            return SessionAuth()(request)  # a browser session: CSRF is checked there
        # no credentials at all: a resident (nothing ambient to forge, so no CSRF check)
        from django.contrib.auth.models import AnonymousUser

        request.user = AnonymousUser()
        if self.reporting:
            _resident_gate(request)
        return request.user


class TooLarge(services.CaseError):
    status = 413

    def __init__(self, message: str):
        super().__init__(message, "too_large")


def _resident_gate(request) -> None:
    from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent

    from wangge.core import ratelimit
    from wangge.portal.forms import MAX_PHOTOS, max_report_bytes

    who = ratelimit.client_ip(request)
    wait = ratelimit.take("report_post", who) or ratelimit.retry_after("report", who)
    if wait:
        raise ratelimit.RateLimited(wait, _("Too many reports from your address: try again in "
                                            "%(seconds)d seconds.") % {"seconds": wait})
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    limit = max_report_bytes()
    if length > limit:
        raise TooLarge(_("A report may carry at most %(count)d photos and %(size).0f MB in all; "
                         "this one has %(length).1f MB.") % {
            "count": MAX_PHOTOS, "size": limit / 1048576, "length": length / 1048576})
    try:
        request.POST  # noqa: B018 (parsed here, so that Django's own limits answer in JSON)
    except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent):
        raise TooLarge(_("The report's text fields are too large, or it has too many fields or "
                         "files.")) from None


# what only staff may set on a report
STAFF_ONLY_FIELDS = ("urgency", "self_handled", "resolution")


def _check_resident_report(request, data: ReportIn, photos, result_photos) -> None:
    """The resident portal's rules for a report without login: its honeypot, its type list,
    its length limits, at most three real photos, and no channel, urgency or on-the-spot
    handling chosen by the caller (refused with 422 rather than silently ignored)."""
    from wangge.core import ratelimit
    from wangge.portal.categories import resident_categories
    from wangge.portal.forms import ReportForm, check_photos

    posted = request.POST
    if posted.get("website"):
        ratelimit.hit("report", ratelimit.client_ip(request))
        raise ValidationError({"website": _("Leave this field empty: it is a trap for "
                                            "robots.")})
    errors: dict[str, list[str]] = {}
    source = posted.get("source", "")
    if source and source != Source.RESIDENT:
        errors["source"] = [_("A report without login comes from a resident: leave source out "
                              "or send resident. Log in to report from another channel.")]
    for name in STAFF_ONLY_FIELDS:
        value = posted.get(name, "")
        if value and not (name == "self_handled" and value.lower() in ("false", "0", "")):
            errors[name] = [_("%(field)s is set by the service center, not by a resident: "
                              "leave it out.") % {"field": name}]
    if result_photos:
        errors["result_photos"] = [_("Only a grid worker sends photos of a result.")]
    form = ReportForm({
        "category": data.category, "description": data.description,
        "address": data.address, "lon": "" if data.lon is None else data.lon,
        "lat": "" if data.lat is None else data.lat, "crs": data.crs, "grid": data.grid,
        "name": data.reporter_name, "phone": data.reporter_phone,
    }, categories=resident_categories())
    names = {"name": "reporter_name", "phone": "reporter_phone", "__all__": "location"}
    if not form.is_valid():
        for field, messages in form.errors.items():
            errors[names.get(field, field)] = [str(m) for m in messages]
    photo_error = check_photos(photos)
    if photo_error:
        errors["photos"] = [photo_error]
    if errors:
        raise ValidationError(errors)  # 422, the problems by field (wangge/api.py)
    data.description = form.cleaned_data["description"]
    data.reporter_phone = form.cleaned_data["phone"]


class ReplayOut(Schema):
    number: str
    replayed: bool = True
    message: str


@router.post("/cases", response={201: CaseDetail, 200: ReplayOut},
             summary="Report a case (上报 / 自处置)", auth=[ResidentOrStaff(reporting=True)])
def report_case(request, data: Form[ReportIn], photos: File[list[UploadedFile]] = None,
                result_photos: File[list[UploadedFile]] = None):
    """Form fields (multipart/form-data or urlencoded), with optional ``photos`` and, for a case
    handled on the spot (``self_handled=true``), at least one ``result_photos``.

    Without login, a resident reports (source ``resident``) with the resident portal's rules:
    its rate limits per address (429 with Retry-After), the portal's type list, at most three
    photos, its length limits (description 1000 characters, address 200, name 50, a mainland
    mobile number), a honeypot field ``website`` that must stay empty, and no ``source``
    other than resident, ``urgency``, ``self_handled``, ``resolution`` or ``result_photos``
    (each refused with 422 and the field named in ``errors``). The answer carries the
    tracking token.

    ``client_ref`` belongs to its sender: the same ref again from the same user returns that
    user's case (201); a resident's ref sent again (no login, so no way to tell who sends it)
    is answered 200 with the case number only, never its details or tracking token; the same
    ref from anyone else is a new report."""
    resident = not request.user.is_authenticated
    if resident:
        _check_resident_report(request, data, photos or [], result_photos or [])
    case = services.report(actor=request.user, category=data.category,
                           description=data.description,
                           source=Source.RESIDENT if resident else data.source, lon=data.lon,
                           lat=data.lat, crs=data.crs, grid_code=data.grid, address=data.address,
                           urgency=None if resident else data.urgency,
                           reporter_name=data.reporter_name,
                           reporter_phone=data.reporter_phone,
                           self_handled=False if resident else data.self_handled,
                           resolution="" if resident else data.resolution, photos=photos or [],
                           result_photos=[] if resident else result_photos or [],
                           client_ref=data.client_ref,
                           client_owner="api:anonymous" if resident else "")
    if case.replayed:
        if not resident and Case.objects.visible_to(request.user).filter(pk=case.pk).exists():
            return 201, detail(Case.objects.get(pk=case.pk), request.user)
        return 200, {"number": case.number, "message": _(
            "This report was already received under this number.")}
    if resident:
        from wangge.core import ratelimit

        ratelimit.hit("report", ratelimit.client_ip(request))
    body = detail(Case.objects.get(pk=case.pk), request.user)
    if resident:
        body["tracking_token"] = case.tracking_token
    return 201, body


@router.get("/cases/{number}", response=CaseDetail, summary="One case")
def get_case(request, number: str):
    return detail(_case(request, number), request.user)


@router.get("/cases/{number}/timeline", response=list[EventOut], summary="The case timeline")
def timeline(request, number: str):
    case = _case(request, number)
    events = case.events.select_related("to_department", "to_user").prefetch_related(
        "attachments").order_by("id")
    return [event_out(e) for e in events]


@router.get("/cases/{number}/proposal", response=ProposalOut,
            summary="The responsible unit proposed by the responsibility list")
def proposal(request, number: str):
    found = propose(_case(request, number))
    return {"department": found.department.code if found.department else None,
            "department_name": found.department.name if found.department else None,
            "reason": found.reason}


@router.post("/cases/{number}/attachments", response={201: list[AttachmentOut]},
             summary="Upload photos or files for a later action (feedback, verification)")
def upload(request, number: str, files: File[list[UploadedFile]], kind: Form[str] = "after"):
    from wangge.cases.uploads import check_upload, clean_file

    case = _case(request, number)
    if not (services.is_holder(request.user, case) or services.can_verify(request.user, case)):
        raise services.Forbidden("Only the holder or a verifier can add files to this case.")
    if kind not in ("before", "after", "other"):
        raise services.CaseError("kind must be before, after or other")
    saved = []
    for upload_file in files:
        content_type = check_upload(upload_file)
        stored = clean_file(upload_file)  # re-encoded or checked
        saved.append(Attachment.objects.create(case=case, kind=kind, file=stored,
                                               content_type=content_type, size=stored.size,
                                               uploaded_by=request.user))
    return 201, [{"id": a.pk, "kind": a.kind, "content_type": a.content_type, "size": a.size,
                  "url": attachment_url(a)} for a in saved]


def _done(request, case_or_number) -> dict:
    number = case_or_number.number if isinstance(case_or_number, Case) else case_or_number
    return detail(Case.objects.get(number=number), request.user)


@router.post("/cases/{number}/accept", response=CaseDetail, summary="受理/立案")
def accept(request, number: str, data: NoteIn):
    case = _case(request, number)
    return _done(request, services.accept(actor=request.user, case=case, note=data.note,
                                          expected_version=data.version))


@router.post("/cases/{number}/reject", response=CaseDetail, summary="不予立案")
def reject(request, number: str, data: NoteIn):
    case = _case(request, number)
    return _done(request, services.reject(actor=request.user, case=case, note=data.note,
                                          expected_version=data.version))


@router.post("/cases/{number}/void", response=CaseDetail, summary="作废")
def void(request, number: str, data: NoteIn):
    case = _case(request, number)
    return _done(request, services.void(actor=request.user, case=case, note=data.note,
                                        expected_version=data.version))


@router.post("/cases/{number}/merge", response=CaseDetail, summary="合并 into a master case")
def merge(request, number: str, data: MergeIn):
    case = _case(request, number)
    master = get_scoped_or_404(Case, request.user, number=data.master)
    return _done(request, services.merge(actor=request.user, case=case, master=master,
                                         note=data.note, expected_version=data.version))


@router.post("/cases/{number}/dispatch", response=CaseDetail, summary="派遣")
def dispatch(request, number: str, data: DispatchIn):
    case = _case(request, number)
    return _done(request, services.dispatch(actor=request.user, case=case,
                                            department=data.department, user=data.user,
                                            note=data.note, expected_version=data.version))


@router.post("/cases/{number}/assign-down", response=CaseDetail, summary="下派")
def assign_down(request, number: str, data: AssignDownIn):
    case = _case(request, number)
    return _done(request, services.assign_down(actor=request.user, case=case, tier=data.tier,
                                               note=data.note, expected_version=data.version))


@router.post("/cases/{number}/escalate", response=CaseDetail, summary="上报上级")
def escalate(request, number: str, data: NoteIn):
    case = _case(request, number)
    return _done(request, services.escalate(actor=request.user, case=case, note=data.note,
                                            expected_version=data.version))


@router.post("/cases/{number}/sign", response=CaseDetail, summary="签收")
def sign(request, number: str, data: NoteIn):
    case = _case(request, number)
    return _done(request, services.sign(actor=request.user, case=case, note=data.note,
                                        expected_version=data.version))


@router.post("/cases/{number}/feedback", response=CaseDetail, summary="处置反馈")
def feedback(request, number: str, data: FeedbackIn):
    case = _case(request, number)
    return _done(request, services.feedback(actor=request.user, case=case, note=data.note,
                                            attachments=_photos(case, data.photo_ids),
                                            expected_version=data.version))


@router.post("/cases/{number}/return", response=CaseDetail, summary="回退")
def return_case(request, number: str, data: NoteIn):
    case = _case(request, number)
    return _done(request, services.return_case(actor=request.user, case=case, note=data.note,
                                               expected_version=data.version))


@router.post("/cases/{number}/extensions", response=CaseDetail, summary="延期申请")
def request_extension(request, number: str, data: ExtensionIn):
    case = _case(request, number)
    services.request_extension(actor=request.user, case=case, amount=data.amount,
                               unit=data.unit, note=data.note, expected_version=data.version)
    return _done(request, number)


@router.post("/cases/{number}/extensions/{request_id}/decide", response=CaseDetail,
             summary="延期 approval or refusal")
def decide_extension(request, number: str, request_id: int, data: DecisionIn):
    case = _case(request, number)
    extension = get_object_or_404(ExtensionRequest, pk=request_id, case=case)
    services.decide_extension(actor=request.user, request=extension, approve=data.approve,
                              note=data.note, expected_version=data.version)
    return _done(request, number)


@router.post("/cases/{number}/park", response=CaseDetail, summary="挂账")
def park(request, number: str, data: ParkIn):
    case = _case(request, number)
    return _done(request, services.park(actor=request.user, case=case, until=data.until,
                                        note=data.note, expected_version=data.version))


@router.post("/cases/{number}/resume", response=CaseDetail, summary="恢复")
def resume(request, number: str, data: NoteIn):
    case = _case(request, number)
    return _done(request, services.resume(actor=request.user, case=case, note=data.note,
                                          expected_version=data.version))


@router.post("/cases/{number}/verify", response=CaseDetail, summary="核查 (passed or 返工)")
def verify(request, number: str, data: VerifyIn):
    case = _case(request, number)
    return _done(request, services.verify(actor=request.user, case=case, passed=data.passed,
                                          note=data.note,
                                          attachments=_photos(case, data.photo_ids),
                                          expected_version=data.version))


@router.post("/cases/{number}/close", response=CaseDetail, summary="结案")
def close(request, number: str, data: NoteIn):
    case = _case(request, number)
    return _done(request, services.close(actor=request.user, case=case, note=data.note,
                                         expected_version=data.version))


@router.post("/cases/{number}/evaluate", response=CaseDetail, summary="评价",
             auth=[ResidentOrStaff()])
def evaluate(request, number: str, data: EvaluateIn):
    """Staff, or a resident without login who gives the case's tracking ``token``."""
    if request.user.is_authenticated:
        case = _case(request, number)
    else:
        case = Case.objects.filter(number=number).first()
        if case is None or not data.token or data.token != case.tracking_token:
            raise Http404("No case matches this number and token.")
    return _done(request, services.evaluate(actor=request.user, case=case,
                                            satisfaction=data.satisfaction, comment=data.note,
                                            token=data.token, expected_version=data.version))


@router.post("/cases/{number}/urge", response=CaseDetail, summary="加急")
def urge(request, number: str, data: NoteIn):
    case = _case(request, number)
    return _done(request, services.urge(actor=request.user, case=case, note=data.note,
                                        expected_version=data.version))


@router.post("/cases/{number}/instruct", response=CaseDetail, summary="领导批示")
def instruct(request, number: str, data: NoteIn):
    case = _case(request, number)
    return _done(request, services.instruct(actor=request.user, case=case, note=data.note,
                                            expected_version=data.version))


@router.post("/cases/{number}/supervise", response={201: SupervisionOut}, summary="督办")
def supervise(request, number: str, data: SuperviseIn):
    case = _case(request, number)
    supervision = services.supervise(actor=request.user, case=case, level=data.level,
                                     note=data.note, expected_version=data.version)
    return 201, supervision_out(supervision)


def supervision_out(s: Supervision) -> dict:
    return {"id": s.pk, "case": s.case.number, "level": s.level, "automatic": s.automatic,
            "step": s.step, "reason": s.reason, "created_at": s.created_at, "reply": s.reply,
            "replied_at": s.replied_at}


@router.get("/supervisions", response=list[SupervisionOut], summary="督办 in the jurisdiction")
def list_supervisions(request, open_only: bool = True, case: str = ""):
    queryset = Supervision.objects.visible_to(request.user).select_related("case")
    if open_only:
        queryset = queryset.filter(replied_at__isnull=True)
    if case:
        queryset = queryset.filter(case__number=case)
    return [supervision_out(s) for s in queryset.order_by("-created_at")[:200]]


@router.post("/supervisions/{supervision_id}/reply", response=SupervisionOut,
             summary="Answer a 督办")
def reply_supervision(request, supervision_id: int, data: NoteIn):
    supervision = get_scoped_or_404(Supervision, request.user, pk=supervision_id)
    return supervision_out(services.reply_supervision(actor=request.user,
                                                      supervision=supervision, note=data.note))

