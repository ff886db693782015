"""Open311 GeoReport v2 on top of the case loop: keys, services, creating and reading requests.

Everything here returns plain dicts and lists in the specification's field order; the views
render them as JSON or XML. Errors are ``Open311Error`` (HTTP status + descriptions).

Reading is public, so what leaves here never carries personal data: only cases that residents
reported themselves or through the hotline, in types marked public (``Category.public``), with
the position rounded; no reporter name, phone or e-mail, no staff names or notes, and phone
numbers, e-mail addresses and ID-card numbers written inside free text are masked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from wangge.cases import services as case_services
from wangge.cases.choices import FINAL_STATUSES, Action, LimitUnit, Source, Status, Step
from wangge.cases.models import Case, CaseEvent, Category
from wangge.core.security import MAX_PAGE
from wangge.open311.models import (
    LIST_TYPES,
    ApiClient,
    Datatype,
    ServiceAttribute,
    ServiceRequest,
    digest,
)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)  # the shape of this API last changed
WINDOW = dt.timedelta(days=90)  # the specification's longest requested_datetime span
MAX_RESULTS = 1000  # the specification's default limit
MAX_DESCRIPTION = 4000

# 小类 whose cases are never published (the staff's own intelligence and base-data work, and
# managed special groups): they can still be reported, but GET never shows them.
# WANGGE["OPEN311_PRIVATE_CATEGORIES"] replaces the list (小类 codes, or 大类 codes).
PRIVATE = frozenset({"1112", "1207", "1210", "1606", "1805", "1806", "1807", "1808", "1809",
                     "2002"})

# timeline entries that are internal work of the platform, not progress of the request
INTERNAL_ACTIONS = frozenset({Action.INSTRUCT, Action.SUPERVISE, Action.SUPERVISION_REPLY,
                              Action.EXTENSION_REQUEST, Action.EXTENSION_REFUSE,
                              Action.DUPLICATE_FLAG, Action.OVERDUE})
ENDING_ACTIONS = (Action.CLOSE, Action.SELF_HANDLE, Action.REJECT, Action.VOID, Action.MERGE)


class Open311Error(Exception):
    """A refused call: the HTTP status and one description per problem."""

    def __init__(self, status: int, *descriptions: str):
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = list(descriptions)

    def body(self) -> list[dict]:
        return [{"code": self.status, "description": d} for d in self.descriptions]


# --- keys -----------------------------------------------------------------------------------------


def issue_key(*, name: str, source: str, note: str = "") -> tuple[ApiClient, str]:
    """A new client and its key. The key is returned here once and never stored."""
    if source not in Source.values:
        raise ValueError(_("Unknown source %(source)r; choose one of %(choices)s.") % {
            "source": source, "choices": ", ".join(Source.values)})
    name = (name or "").strip()
    if not name:
        raise ValueError(_("Give the client a name."))
    client = ApiClient(name=name[:100], source=source, note=note[:200])
    key = client.new_key()
    client.save()
    return client, key


def rotate_key(client: ApiClient) -> str:
    key = client.new_key()
    client.save(update_fields=["key_prefix", "key_digest"])
    return key


def authenticate(key: str | None) -> ApiClient:
    if not key:
        raise Open311Error(403, _("An api_key is required to create a service request."))
    client = ApiClient.objects.filter(key_digest=digest(key.strip())).first()
    if client is None:
        raise Open311Error(403, _("Invalid api_key: no client has this key."))
    if not client.is_active:
        raise Open311Error(403, _("This api_key has been disabled."))
    ApiClient.objects.filter(pk=client.pk).update(last_used_at=timezone.now())
    return client


# --- text helpers ---------------------------------------------------------------------------------

MOBILE_RE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
ID_CARD_RE = re.compile(r"(?<![\dXx])\d{17}[\dXx](?![\dXx])")
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def _id_card(number: str) -> bool:
    total = sum(int(d) * w for d, w in zip(number[:17], ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == number[17].upper()


def redact(text: str) -> str:
    """Mask mobile numbers, e-mail addresses and ID-card numbers inside free text."""
    if not text:
        return text
    text = ID_CARD_RE.sub(lambda m: "******************" if _id_card(m.group(0))
                          else m.group(0), text)
    text = MOBILE_RE.sub(r"\1****\2", text)
    return EMAIL_RE.sub(r"***@\1", text)


def coarse_address(address: str, place: str) -> str:
    """The public address: the community and grid, and the street of a typed address without
    its door, building or room numbers (the coordinates are rounded to about 100 m: a
    resident's exact home must not come back through the address)."""
    street = re.split(r"[0-9０-９#－-]", redact(address or ""), maxsplit=1)[0]
    street = street.strip(" ,，、")
    return " ".join(part for part in (place, street) if part) or place


def iso(value: dt.datetime | None) -> str | None:
    """ISO 8601 in local time with its offset, e.g. 2025-03-01T09:30:00+08:00."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def _amount(value: Decimal) -> str:
    return format(value.normalize(), "f")


# --- services -------------------------------------------------------------------------------------


def private_codes() -> frozenset[str]:
    configured = settings.WANGGE.get("OPEN311_PRIVATE_CATEGORIES")
    return frozenset(configured) if configured is not None else PRIVATE


def active_categories():
    return (Category.objects.filter(parent__isnull=False, is_active=True, parent__is_active=True)
            .select_related("parent").order_by("code"))


def find_category(code: str) -> Category | None:
    return active_categories().filter(code=(code or "").strip()).first()


def _attributes(category: Category):
    return ServiceAttribute.objects.filter(category=category, is_active=True).order_by(
        "order", "id")


def discovery(base_url: str) -> dict:
    changed = ServiceAttribute.objects.order_by("-updated_at").values_list(
        "updated_at", flat=True).first()
    changeset = iso(max(CHANGESET, changed) if changed else CHANGESET)
    site = settings.WANGGE.get("SITE_NAME", "") or "Wangge"
    contact = settings.WANGGE.get("OPEN311_CONTACT", "") or _(
        "%(site)s: ask the platform administrator") % {"site": site}
    return {
        "changeset": changeset,
        "contact": contact,
        "key_service": _("API keys are issued by the platform administrator (admin, “Open311 "
                         "API clients”, or the command wangge create-open311-key)."),
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": base_url,
            "changeset": changeset,
            "type": "production",
            "formats": ["application/xml", "application/json"],
        }],
    }


def service_list() -> list[dict]:
    with_attributes = set(ServiceAttribute.objects.filter(is_active=True, variable=True)
                          .values_list("category_id", flat=True))
    return [{
        "service_code": c.code,
        "service_name": c.name,
        "description": c.filing_condition,
        "metadata": c.pk in with_attributes,
        "type": "realtime",
        "keywords": ", ".join(dict.fromkeys([c.parent.name, c.name, c.get_kind_display()])),
        "group": c.parent.name,
    } for c in active_categories()]


def service_definition(code: str) -> dict:
    category = find_category(code)
    if category is None:
        raise Open311Error(404, _("Unknown service_code %(code)s: see services.json for the "
                                  "list.") % {"code": code})
    return {
        "service_code": category.code,
        "attributes": [{
            "variable": a.variable,
            "code": a.code,
            "datatype": a.datatype,
            "required": a.required,
            "datatype_description": a.datatype_description or None,
            "order": a.order,
            "description": a.description,
            "values": [{"key": str(v["key"]), "name": v["name"]} for v in a.values]
            if a.datatype in LIST_TYPES else [],
        } for a in _attributes(category)],
    }


class NoticeCache:
    """service_notice per category and urgency, computed once per call."""

    def __init__(self):
        self.notices: dict[tuple[int, str], str] = {}

    def __call__(self, category: Category, urgency: str | None = None) -> str:
        urgency = urgency or category.default_urgency
        if (category.pk, urgency) not in self.notices:
            amount, unit = case_services.limit_for(category, Step.HANDLE, urgency)
            notice = _("Handled within %(amount)s %(unit)s after dispatch.") % {
                "amount": _amount(amount), "unit": LimitUnit(unit).label}
            if category.closing_condition:
                notice += " " + _("Done when: %(condition)s") % {
                    "condition": category.closing_condition}
            self.notices[(category.pk, urgency)] = notice
        return self.notices[(category.pk, urgency)]


# --- creating a request ---------------------------------------------------------------------------

ATTRIBUTE_RE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")


def _posted_answers(data) -> dict[str, list[str]]:
    answers: dict[str, list[str]] = {}
    for key in data:
        match = ATTRIBUTE_RE.match(key)
        if match:
            values = [v.strip() for v in data.getlist(key) if v is not None]
            answers.setdefault(match.group(1), []).extend(v for v in values if v != "")
    return answers


def _parse_when(raw: str) -> dt.datetime | None:
    raw = (raw or "").strip()
    raw = re.sub(r" (\d\d:?\d\d)$", r"+\1", raw)  # a '+' of the offset sent unencoded
    try:
        value = parse_datetime(raw)
    except ValueError:
        value = None
    if value is None:
        try:
            day = parse_date(raw)
        except ValueError:
            day = None
        if day is None:
            return None
        value = dt.datetime.combine(day, dt.time())
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def validate_answers(category: Category, data) -> tuple[dict, list[tuple[str, str]], list[str]]:
    """The answers to the service's questions: (stored values, (question, shown answer) lines,
    errors)."""
    posted = _posted_answers(data)
    questions = {a.code: a for a in _attributes(category) if a.variable}
    errors, stored, lines = [], {}, []
    for code in posted:
        if code not in questions:
            errors.append(_("Unknown attribute %(code)s for service %(service)s: see "
                            "services/%(service)s.json.") % {"code": code,
                                                            "service": category.code})
    for code, question in questions.items():
        values = posted.get(code, [])
        label = {"code": code, "question": question.description}
        if not values:
            if question.required:
                errors.append(_("Attribute %(code)s (%(question)s) is required.") % label)
            continue
        if question.datatype != Datatype.MULTI and len(values) > 1:
            errors.append(_("Attribute %(code)s takes one value.") % label)
            continue
        value = values[0]
        shown = value
        if question.datatype == Datatype.STRING and len(value) > 200:
            errors.append(_("Attribute %(code)s is longer than 200 characters.") % label)
            continue
        if question.datatype == Datatype.TEXT and len(value) > MAX_DESCRIPTION:
            errors.append(_("Attribute %(code)s is longer than 4000 characters.") % label)
            continue
        if question.datatype == Datatype.NUMBER:
            try:
                number = Decimal(value)
            except InvalidOperation:
                number = None
            if number is None or not number.is_finite():
                errors.append(_("Attribute %(code)s must be a number.") % label)
                continue
            value = shown = str(number)
        elif question.datatype == Datatype.DATETIME:
            when = _parse_when(value)
            if when is None:
                errors.append(_("Attribute %(code)s must be an ISO 8601 date and time.") % label)
                continue
            value = iso(when)
            shown = timezone.localtime(when).strftime("%Y-%m-%d %H:%M")
        elif question.datatype in LIST_TYPES:
            keys = question.keys()
            wrong = [v for v in values if v not in keys]
            if wrong:
                errors.append(_("Attribute %(code)s: %(wrong)s is not one of %(keys)s.") % {
                    **label, "wrong": ", ".join(wrong), "keys": ", ".join(keys)})
                continue
            chosen = list(dict.fromkeys(values))
            value = chosen if question.datatype == Datatype.MULTI else chosen[0]
            shown = "、".join(keys[k] for k in chosen)
        stored[code] = value
        lines.append((question.description, shown))
    return stored, lines, errors


def _location(data, errors: list[str]) -> dict:
    lat_raw, lon_raw = (data.get("lat") or "").strip(), (data.get("long") or "").strip()
    address_id = (data.get("address_id") or "").strip()
    address = (data.get("address_string") or "").strip()
    if len(address) > 200:
        errors.append(_("address_string is longer than 200 characters."))
    where = {"address": address[:200], "grid_code": address_id}
    if lat_raw or lon_raw:
        if not (lat_raw and lon_raw):
            errors.append(_("Give both lat and long, or neither."))
            return where
        try:
            lat, lon = float(lat_raw), float(lon_raw)
        except ValueError:
            errors.append(_("lat and long must be decimal degrees (WGS-84), got %(lat)r and "
                            "%(lon)r.") % {"lat": lat_raw, "lon": lon_raw})
            return where
        if not (math.isfinite(lat) and -90 <= lat <= 90):
            errors.append(_("lat %(lat)s is out of range (-90 to 90).") % {"lat": lat_raw})
        elif not (math.isfinite(lon) and -180 <= lon <= 180):
            errors.append(_("long %(lon)s is out of range (-180 to 180).") % {"lon": lon_raw})
        else:
            where.update(lat=lat, lon=lon)
        return where
    if not address_id:
        if address:
            errors.append(_("address_string alone cannot be located here: send lat and long, "
                            "or address_id (a grid code), with it."))
        else:
            errors.append(_("A location is required: lat and long, or address_id (a grid "
                            "code)."))
    return where


def _reporter_name(first: str, last: str) -> str:
    if re.search(r"[\u4e00-\u9fff]", first + last):
        return f"{last}{first}"  # a Chinese name: family name first, no space
    return " ".join(p for p in (first, last) if p)


def _owner(client: ApiClient) -> str:
    return f"open311:{client.pk}"


def _client_ref(key: str) -> str:
    """The ref handed to the case loop for an idempotency key (which may be longer than a
    ref): the loop binds it to the client with a keyed hash (``bound_client_ref``), so the
    same key from another client, or a guessed hotline ticket number sent through another
    channel, never finds this client's case."""
    return key if len(key) <= 64 else hashlib.sha256(key.encode()).hexdigest()


def create_request(*, client: ApiClient, data, idempotency_key: str = "",
                   now: dt.datetime | None = None) -> tuple[dict, bool]:
    """POST Service Request. Returns (the response item, whether a case was created)."""
    code = (data.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, _("service_code is required."))
    category = find_category(code)
    if category is None:
        raise Open311Error(400, _("Unknown service_code %(code)s: see services.json for the "
                                  "list.") % {"code": code})
    errors: list[str] = []
    where = _location(data, errors)
    answers, lines, attribute_errors = validate_answers(category, data)
    errors += attribute_errors
    description = (data.get("description") or "").strip()
    if len(description) > MAX_DESCRIPTION:
        errors.append(_("description is longer than 4000 characters."))
    fields = {name: (data.get(name) or "").strip() for name in (
        "email", "device_id", "account_id", "first_name", "last_name", "phone", "media_url")}
    if fields["email"]:
        try:
            validate_email(fields["email"])
        except ValidationError:
            errors.append(_("email is not a valid e-mail address."))
    for name, limit in (("device_id", 100), ("account_id", 100), ("first_name", 50),
                        ("last_name", 50), ("phone", 30)):
        if len(fields[name]) > limit:
            errors.append(_("%(field)s is longer than %(limit)s characters.") % {
                "field": name, "limit": limit})
    if fields["media_url"]:
        try:
            URLValidator(schemes=["http", "https"])(fields["media_url"])
            if len(fields["media_url"]) > 500:
                raise ValidationError("too long")
        except ValidationError:
            errors.append(_("media_url must be an http(s) URL of at most 500 characters."))
    reporter_name = _reporter_name(fields["first_name"], fields["last_name"])
    if len(reporter_name) > 50:
        errors.append(_("first_name and last_name together are longer than 50 characters."))
    idempotency_key = (idempotency_key or data.get("client_ref") or "").strip()
    if len(idempotency_key) > 200:
        errors.append(_("The idempotency key is longer than 200 characters."))
    if errors:
        raise Open311Error(400, *errors)
    if lines:
        with translation.override(settings.LANGUAGE_CODE):
            block = "【" + _("Additional information") + "】\n" + "\n".join(
                f"{question}: {answer}" for question, answer in lines)
        description = f"{description}\n\n{block}" if description else block
    if not description:
        raise Open311Error(400, _("description is required: describe the problem."))
    client_ref = _client_ref(idempotency_key) if idempotency_key else ""
    try:
        with transaction.atomic():
            case = case_services.report(
                actor=None, category=category, description=description, source=client.source,
                lon=where.get("lon"), lat=where.get("lat"), grid_code=where["grid_code"],
                address=where["address"], reporter_name=reporter_name,
                reporter_phone=fields["phone"], actor_label=client.name, client_ref=client_ref,
                client_owner=_owner(client), now=now)
            created = not case.replayed
            if created:
                ServiceRequest.objects.create(
                    case=case, client=client, attributes=answers, email=fields["email"],
                    device_id=fields["device_id"], account_id=fields["account_id"],
                    first_name=fields["first_name"], last_name=fields["last_name"],
                    phone=fields["phone"], address_string=where["address"],
                    address_id=where["grid_code"], media_url=fields["media_url"],
                    created_at=case.reported_at)
    except case_services.CaseError as exc:
        raise Open311Error(400, exc.message) from None
    except IntegrityError:  # the same idempotency key, sent twice at the same moment
        case = Case.objects.filter(client_ref=case_services.bound_client_ref(
            _owner(client), client_ref)).first() if client_ref else None
        if case is None:
            raise
        created = False
    sent = ServiceRequest.objects.filter(case=case).first()
    return {
        "service_request_id": case.number,
        "token": case.tracking_token,
        "service_notice": NoticeCache()(case.category, case.urgency),
        "account_id": (sent.account_id if sent else "") or None,
    }, created


# --- reading requests -----------------------------------------------------------------------------


# the channels whose reports are published: what residents sent themselves, directly or
# through the hotline; never a grid worker's patrol, a sensor, a camera or an inspector
PUBLIC_SOURCES = (Source.RESIDENT, Source.HOTLINE)


def coordinate_precision() -> int:
    """Decimals of the published lat/long: WANGGE["OPEN311_COORDINATE_PRECISION"], 3 by
    default (about 110 m north–south, 100 m east–west here)."""
    return max(0, min(6, int(settings.WANGGE.get("OPEN311_COORDINATE_PRECISION", 3))))


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, coordinate_precision())


def public_cases():
    """The cases the feed publishes: reported by residents or the hotline, in a 小类 marked
    public whose 大类 is public too (``Category.public``), and not in the private list."""
    private = private_codes()
    last_event = CaseEvent.objects.filter(case=OuterRef("pk")).order_by("-at", "-id")
    return (Case.objects.filter(source__in=PUBLIC_SOURCES, category__public=True,
                                category__parent__public=True)
            .exclude(category__code__in=private)
            .exclude(category__parent__code__in=private)
            .select_related("category", "category__parent", "grid", "grid__parent",
                            "tier_area", "holder_department", "duplicate_of", "open311")
            .annotate(last_event_at=Coalesce(Subquery(last_event.values("at")[:1]),
                                             "reported_at")))


def _split(raw: str | None) -> list[str]:
    return [p.strip() for p in (raw or "").split(",") if p.strip()]


def _when(params, name: str) -> dt.datetime | None:
    raw = params.get(name)
    if raw is None or raw.strip() == "":
        return None
    value = _parse_when(raw)
    if value is None:
        raise Open311Error(400, _("%(name)s must be an ISO 8601 date and time with a time zone, "
                                  "e.g. 2025-03-01T00:00:00+08:00; got %(raw)r.") % {
            "name": name, "raw": raw})
    return value


def _positive(params, name: str, default: int, maximum: int) -> int:
    raw = (params.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise Open311Error(400, _("%(name)s must be a whole number from 1 to %(max)s.") % {
            "name": name, "max": maximum})
    return int(raw)


def _window(start, end, first: str, second: str) -> None:
    if start and end:
        if end < start:
            raise Open311Error(400, _("%(end)s is before %(start)s.") % {
                "end": second, "start": first})
        if end - start > WINDOW:
            raise Open311Error(400, _("%(start)s to %(end)s may span at most 90 days.") % {
                "start": first, "end": second})


def query_requests(params, *, now=None) -> tuple[list[Case], int, bool]:
    """GET Service Requests: (the cases of the page, the total matching, extensions)."""
    now = now or timezone.now()
    extensions = (params.get("extensions") or "").strip().lower() in ("true", "1", "yes")
    page = _positive(params, "page", 1, MAX_PAGE)
    page_size = _positive(params, "page_size", MAX_RESULTS, MAX_RESULTS)
    cases = public_cases()
    ids = _split(params.get("service_request_id"))
    if ids:  # the specification: this overrides every other filter
        if len(ids) > MAX_RESULTS:
            raise Open311Error(400, _("Ask for at most 1000 service_request_id at once."))
        cases = cases.filter(number__in=ids)
    else:
        codes = _split(params.get("service_code"))
        if codes:
            known = set(Category.objects.filter(code__in=codes, parent__isnull=False)
                        .values_list("code", flat=True))
            unknown = [c for c in codes if c not in known]
            if unknown:
                raise Open311Error(400, _("Unknown service_code %(code)s: see services.json for "
                                          "the list.") % {"code": ", ".join(unknown)})
            cases = cases.filter(category__code__in=codes)
        statuses = {s.lower() for s in _split(params.get("status"))}
        if statuses - {"open", "closed"}:
            raise Open311Error(400, _("status must be open, closed or both (comma separated)."))
        if statuses == {"open"}:
            cases = cases.exclude(status__in=list(FINAL_STATUSES))
        elif statuses == {"closed"}:
            cases = cases.filter(status__in=list(FINAL_STATUSES))
        start, end = _when(params, "start_date"), _when(params, "end_date")
        after, before = _when(params, "updated_after"), _when(params, "updated_before")
        _window(start, end, "start_date", "end_date")
        _window(after, before, "updated_after", "updated_before")
        if start and not end:
            end = start + WINDOW
        elif end and not start:
            start = end - WINDOW
        elif not start and not end and not (after or before):
            start = now - WINDOW  # the default: the last 90 days
        if start:
            cases = cases.filter(reported_at__gte=start)
        if end:
            cases = cases.filter(reported_at__lte=end)
        if after:
            cases = cases.filter(last_event_at__gte=after)
        if before:
            cases = cases.filter(last_event_at__lte=before)
    cases = cases.order_by("-reported_at", "-id")
    total = cases.count()
    offset = (page - 1) * page_size
    rows = list(cases[offset:offset + page_size])
    if extensions:
        events = {}
        for event in (CaseEvent.objects.filter(case__in=[c.pk for c in rows])
                      .exclude(action__in=list(INTERNAL_ACTIONS))
                      .select_related("to_department").order_by("id")):
            events.setdefault(event.case_id, []).append(event)
        for case in rows:
            case.public_events = events.get(case.pk, [])
    return rows, total, extensions


def get_request(number: str, *, extensions: bool) -> Case:
    case = public_cases().filter(number=number).first()
    if case is None:
        raise Open311Error(404, _("No service request %(id)s.") % {"id": number})
    if extensions:
        case.public_events = list(case.events.exclude(action__in=list(INTERNAL_ACTIONS))
                                  .select_related("to_department").order_by("id"))
    return case


def request_for_token(token: str) -> dict:
    case = Case.objects.filter(tracking_token=(token or "").strip()).only(
        "number", "tracking_token").first() if token else None
    if case is None:
        raise Open311Error(404, _("No service request has this token."))
    return {"service_request_id": case.number, "token": case.tracking_token}


def open_or_closed(status: str) -> str:
    return "closed" if status in FINAL_STATUSES else "open"


def public_master(case: Case) -> str | None:
    """The number of the case a merged one joined, when that case is published too."""
    if not case.duplicate_of_id:
        return None
    if not public_cases().filter(pk=case.duplicate_of_id).exists():
        return None
    return case.duplicate_of.number


def status_notes(case: Case) -> str:
    """A generic text of the status: never a note written by staff (closing notes, reasons
    for not filing, resolutions name people and places)."""
    master = public_master(case) if case.status == Status.MERGED else None
    if master:
        return _("Duplicate of service request %(id)s.") % {"id": master}
    if case.status == Status.PARKED and case.parked_until:
        return _("Planned as a longer-term job, to be done by %(date)s.") % {
            "date": case.parked_until.isoformat()}
    return str(Status(case.status).label)


def expected(case: Case) -> dt.datetime | None:
    if case.handle_deadline:
        return case.handle_deadline
    if case.status not in FINAL_STATUSES:
        return case.step_deadline
    return None


def _note(event: CaseEvent) -> dict:
    summary = str(Action(event.action).label)
    if event.action == Action.DISPATCH and event.to_department_id:
        summary = _("Dispatched to %(unit)s") % {"unit": event.to_department.name}
    elif event.action == Action.MERGE:
        summary = str(Action(event.action).label)
    kind = "activity"
    if event.action == Action.REPORT:
        kind = "opened"
    elif event.action in ENDING_ACTIONS:
        kind = "closed"
    return {
        "datetime": iso(event.at),
        "summary": summary,
        "type": kind,
        "description": None,  # staff notes are internal
    }


def request_item(case: Case, notice: NoticeCache, *, extensions: bool = False) -> dict:
    sent = getattr(case, "open311", None)  # None when it did not come through Open311
    grid = case.grid
    place = " ".join(p for p in ((grid.parent.name if grid.parent_id else ""), grid.name) if p)
    item = {
        "service_request_id": case.number,
        "status": open_or_closed(case.status),
        "status_notes": status_notes(case),
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": redact(case.description),
        "agency_responsible": (case.holder_department.name if case.holder_department_id
                               else case.tier_area.name),
        "service_notice": notice(case.category, case.urgency),
        "requested_datetime": iso(case.reported_at),
        "updated_datetime": iso(getattr(case, "last_event_at", None) or case.updated_at),
        "expected_datetime": iso(expected(case)),
        "address": coarse_address(case.address, place),
        "address_id": case.grid_code,
        "zipcode": None,
        "lat": _rounded(case.lat),
        "long": _rounded(case.lon),
        "media_url": (sent.media_url if sent else "") or None,
    }
    if extensions:
        item["extended_attributes"] = {
            "channel": case.source,
            "channel_name": str(Source(case.source).label),
            "duplicate": case.duplicate_of_id is not None,
            "parent_service_request_id": public_master(case),
        }
        item["notes"] = [_note(e) for e in getattr(case, "public_events", [])]
    return item
