"""Alarm intake: one function, ``receive``, behind the HTTP endpoint and the MQTT bridge.

An alarm of a mapped type opens a case of the mapped 小类 at the device's position through
``cases.services.report`` (source ``iot``, or ``video`` for cameras), reported by no user under
the label “设备 <id>”. Repeats of the same device and type within the mapping's window of the
previous alarm attach to that open case: the alarm is stored with it and nothing else is added
to the case. A “cleared” message voids the case if the mapping allows it and the case is still
awaiting acceptance, acting as the service account ``system-iot`` (an inactive operator whose
jurisdiction is the territory's root: it cannot log in and receives no notifications); otherwise
the case's holders are told.

Concurrency: the decision “open or attach” is taken with the pair's ``AlarmSlot`` row locked
(SELECT … FOR UPDATE on PostgreSQL; SQLite transactions hold the write lock from their start).
The slot is created with ``get_or_create`` under a unique constraint, so two first alarms racing
for a pair end up on one row. Every alarm is stored, in the same transaction as the decision.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from wangge.cases.choices import FINAL_STATUSES, Status
from wangge.integrations.models import (
    Alarm,
    AlarmSlot,
    AlarmState,
    AlarmTypeMapping,
    Device,
    Outcome,
    Platform,
    key_digest,
)

SYSTEM_USERNAME = "system-iot"
CACHE_SECONDS = 10.0  # devices, mappings and keys; saves in this process clear it at once
MAX_BODY_BYTES = 64 * 1024


class AlarmError(Exception):
    """A refused message: ``status`` for HTTP, ``code`` stable, ``field`` the offending key."""

    def __init__(self, message: str, code: str = "invalid", *, status: int = 400,
                 field: str | None = None):
        super().__init__(message)
        self.message, self.code, self.status, self.field = message, code, status, field

    def as_dict(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        return body


@dataclass
class AlarmData:
    device_id: str
    alarm_type: str
    state: str = AlarmState.ALARM
    level: str = ""
    time: dt.datetime | None = None
    lon: float | None = None
    lat: float | None = None
    picture_url: str = ""


@dataclass
class Result:
    alarm_id: int
    outcome: str
    case_id: int | None = None
    message: str = ""
    _case: object = None

    @property
    def alarm(self) -> Alarm:
        return Alarm.objects.get(pk=self.alarm_id)

    @property
    def case(self):
        from wangge.cases.models import Case

        if self._case is None and self.case_id:
            self._case = Case.objects.only("number", "status").get(pk=self.case_id)
        return self._case

    @property
    def status(self) -> int:
        if self.outcome == Outcome.OPENED:
            return 201
        if self.outcome in (Outcome.UNMAPPED, Outcome.REFUSED):
            return 422
        return 200

    def as_dict(self) -> dict:
        case = self.case
        body = {"alarm": self.alarm_id, "outcome": self.outcome,
                "case": case.number if case is not None else None,
                "case_status": case.status if case is not None else None}
        if self.message:
            body["message"] = self.message
        return body


# --- a small per-process cache -------------------------------------------------------------------


class _TTLCache:
    def __init__(self):
        self.lock = threading.Lock()
        self.data: dict = {}

    def get(self, key, load):
        now = time.monotonic()
        hit = self.data.get(key)
        if hit is not None and hit[1] > now:
            return hit[0]
        value = load()
        with self.lock:
            self.data[key] = (value, now + CACHE_SECONDS)
        return value

    def clear(self, *args, **kwargs):
        with self.lock:
            self.data.clear()


_cache = _TTLCache()


def clear_cache() -> None:
    _cache.clear()


for _model in (Device, Platform, AlarmTypeMapping):
    post_save.connect(_cache.clear, sender=_model, dispatch_uid=f"alarm-cache-{_model.__name__}")
    post_delete.connect(_cache.clear, sender=_model,
                        dispatch_uid=f"alarm-cache-del-{_model.__name__}")


def _mapping(alarm_type: str) -> AlarmTypeMapping | None:
    return _cache.get(("mapping", alarm_type), lambda: AlarmTypeMapping.objects.select_related(
        "category", "category__parent").filter(alarm_type=alarm_type, active=True).first())


def _device(device_id: str) -> Device | None:
    return _cache.get(("device", device_id), lambda: Device.objects.select_related(
        "grid").filter(device_id=device_id).first())


# --- parsing and authentication ------------------------------------------------------------------


def _text(payload: dict, name: str, *, required: bool = False, max_length: int = 64) -> str:
    value = payload.get(name)
    if value is None or value == "":
        if required:
            raise AlarmError(_("The field “%(field)s” is required.") % {"field": name},
                             "missing_field", field=name)
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise AlarmError(_("The field “%(field)s” must be a string.") % {"field": name},
                         "invalid_field", field=name)
    value = str(value).strip()
    if len(value) > max_length:
        raise AlarmError(_("The field “%(field)s” is longer than %(max)d characters.") % {
            "field": name, "max": max_length}, "invalid_field", field=name)
    if required and not value:
        raise AlarmError(_("The field “%(field)s” is required.") % {"field": name},
                         "missing_field", field=name)
    return value


def _number(payload: dict, name: str, low: float, high: float) -> float | None:
    value = payload.get(name)
    if value is None or value == "":
        return None
    try:
        if isinstance(value, bool):
            raise TypeError
        number = float(value)
    except (TypeError, ValueError):
        raise AlarmError(_("The field “%(field)s” must be a number.") % {"field": name},
                         "invalid_field", field=name) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise AlarmError(_("The field “%(field)s” is out of range (%(low)s to %(high)s).") % {
            "field": name, "low": low, "high": high}, "invalid_field", field=name)
    return number


def parse(payload) -> AlarmData:
    """Check a message's fields; raises AlarmError (400) naming the first bad field."""
    if not isinstance(payload, dict):
        raise AlarmError(_("The body must be a JSON object."), "invalid_json")
    data = AlarmData(device_id=_text(payload, "device_id", required=True),
                     alarm_type=_text(payload, "type", required=True))
    data.level = _text(payload, "level", max_length=20)
    state = _text(payload, "state", max_length=10) or AlarmState.ALARM
    if state not in AlarmState.values:
        raise AlarmError(_("The field “state” must be “alarm” or “cleared”."), "invalid_field",
                         field="state")
    data.state = state
    raw_time = payload.get("time")
    if raw_time not in (None, ""):
        parsed = parse_datetime(raw_time) if isinstance(raw_time, str) else None
        if parsed is None:
            raise AlarmError(_("The field “time” must be an ISO 8601 date and time, e.g. "
                               "2025-05-01T08:30:00+08:00."), "invalid_field", field="time")
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        data.time = parsed
    data.lon = _number(payload, "lon", -180.0, 180.0)
    data.lat = _number(payload, "lat", -90.0, 90.0)
    if (data.lon is None) != (data.lat is None):
        missing = "lat" if data.lat is None else "lon"
        raise AlarmError(_("Give both “lon” and “lat”, or neither."), "invalid_field",
                         field=missing)
    picture = _text(payload, "picture_url", max_length=500)
    if picture:
        parts = urlsplit(picture)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise AlarmError(_("The field “picture_url” must be an http(s) URL."),
                             "invalid_field", field="picture_url")
    data.picture_url = picture
    return data


def authenticate(authorization: str) -> Platform | Device | None:
    """The platform or device holding the key of an ``Authorization: Bearer`` header."""
    scheme, _sep, key = (authorization or "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        return None
    digest = key_digest(key)

    def load():
        return (Platform.objects.filter(key_digest=digest).first()
                or Device.objects.select_related("grid").filter(key_digest=digest).first())

    return _cache.get(("key", digest), load)


def device_for(principal: Platform | Device, device_id: str) -> Device:
    """The device a message is about, if the key may speak for it (else AlarmError 403)."""
    if not principal.active:
        raise AlarmError(_("This key is disabled."), "forbidden", status=403)
    if isinstance(principal, Device):
        if principal.device_id != device_id:
            raise AlarmError(_("This key belongs to another device."), "forbidden",
                             status=403, field="device_id")
        return principal
    device = _device(device_id)
    if device is None:
        raise AlarmError(_("Unknown device %(id)s.") % {"id": device_id}, "unknown_device",
                         field="device_id")
    if device.platform_id != principal.pk:
        raise AlarmError(_("Device %(id)s does not belong to this platform.") % {
            "id": device_id}, "forbidden", status=403, field="device_id")
    if not device.active:
        raise AlarmError(_("Device %(id)s is disabled.") % {"id": device_id}, "forbidden",
                         status=403, field="device_id")
    now = timezone.now()
    if principal.last_seen_at is None or (now - principal.last_seen_at).total_seconds() > 60:
        principal.last_seen_at = now
        Platform.objects.filter(pk=principal.pk).update(last_seen_at=now)
    return device


# --- the service account --------------------------------------------------------------------------


def system_user():
    """The service account that voids cleared alarms' cases (made on first use)."""
    from wangge.accounts.choices import Role
    from wangge.accounts.models import User
    from wangge.territory.models import Area

    user = User.objects.select_related("jurisdiction").filter(username=SYSTEM_USERNAME).first()
    if user is not None:
        return user
    root = Area.objects.filter(parent__isnull=True).order_by("code").first()
    user = User(username=SYSTEM_USERNAME, role=Role.OPERATOR, jurisdiction=root,
                display_name=_("IoT alarms (system)"), is_active=False)
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        user = User.objects.select_related("jurisdiction").get(username=SYSTEM_USERNAME)
    return user


# --- receiving ------------------------------------------------------------------------------------


def receive(data: AlarmData, *, device: Device, raw: dict | None = None, channel: str = "http",
            now: dt.datetime | None = None) -> Result:
    """Store one alarm and open, attach to, or clear its case. Safe under concurrency."""
    now = now or timezone.now()
    mapping = _mapping(data.alarm_type)
    fields = {"device": device, "alarm_type": data.alarm_type, "level": data.level,
              "state": data.state, "occurred_at": data.time or now, "lon": data.lon,
              "lat": data.lat, "picture_url": data.picture_url, "raw": raw or {},
              "channel": channel, "received_at": now}
    if mapping is not None and data.state == AlarmState.ALARM:
        with _one_writer(), transaction.atomic():
            attached = _attach(mapping, data, fields, now)
        if attached is not None:
            return attached
    # the rest writes to the timeline and tells people: in the platform's language
    with translation.override(settings.LANGUAGE_CODE):
        if mapping is None:
            message = _("No alarm type “%(type)s” is configured; the alarm was stored only.") % {
                "type": data.alarm_type}
            alarm = Alarm.objects.create(outcome=Outcome.UNMAPPED, error=message, **fields)
            return Result(alarm.pk, Outcome.UNMAPPED, message=message)
        for attempt in range(5):
            try:
                with _one_writer(), transaction.atomic():
                    slot = _lock_slot(device, data.alarm_type)
                    if data.state == AlarmState.CLEARED:
                        return _clear(slot, mapping, device, fields, now)
                    return _raise(slot, mapping, device, data, fields, now)
            except IntegrityError:  # a racing first alarm of the pair: take its slot
                if attempt == 4:
                    raise
        raise AssertionError("unreachable")


_sqlite_writer = threading.Lock()


@contextmanager
def _one_writer():
    """SQLite has one writer at a time: the threads of a process queue on a lock here rather
    than on SQLite's busy handler, which sleeps (up to 100 ms a time) between retries."""
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        with _sqlite_writer:
            yield
    else:
        yield


_OPEN = [s for s in Status if s not in FINAL_STATUSES]
_ALARM_COLUMNS = ("device", "alarm_type", "level", "state", "occurred_at", "lon", "lat",
                  "picture_url", "raw", "channel", "received_at", "case", "outcome", "error")


def _attach(mapping: AlarmTypeMapping, data: AlarmData, fields: dict, now) -> Result | None:
    """The common case, in two statements: bump the pair's slot if its case is open and the
    previous alarm is within the window (UPDATE … RETURNING: the row is locked by the update
    itself), then store the alarm. None: no open case to attach to."""
    from wangge.cases.models import Case

    at = min(data.time or now, now)  # a clock running ahead does not stretch the window
    adapt = connection.ops.adapt_datetimefield_value
    quote = connection.ops.quote_name
    slot_table, case_table = quote(AlarmSlot._meta.db_table), quote(Case._meta.db_table)
    marks = ", ".join(["%s"] * len(_OPEN))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {slot_table} SET repeats = repeats + 1, last_alarm_at = CASE "  # noqa: S608
            f"WHEN last_alarm_at > %s THEN last_alarm_at ELSE %s END "
            f"WHERE device_id = %s AND alarm_type = %s AND last_alarm_at >= %s AND EXISTS ("
            f"SELECT 1 FROM {case_table} c WHERE c.id = {slot_table}.case_id "
            f"AND c.status IN ({marks})) RETURNING case_id",
            [adapt(at), adapt(at), fields["device"].pk, data.alarm_type,
             adapt(at - dt.timedelta(minutes=mapping.dedupe_minutes)), *_OPEN])
        row = cursor.fetchone()
        if row is None:
            return None
        case_id = row[0]
        values = {**fields, "case": case_id, "outcome": Outcome.ATTACHED, "error": ""}
        values["device"] = fields["device"].pk
        model_fields = [Alarm._meta.get_field(name) for name in _ALARM_COLUMNS]
        columns = ", ".join(quote(f.column) for f in model_fields)
        cursor.execute(
            f"INSERT INTO {quote(Alarm._meta.db_table)} ({columns}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(model_fields))}) RETURNING id",
            [f.get_db_prep_save(values[f.name], connection) for f in model_fields])
        return Result(cursor.fetchone()[0], Outcome.ATTACHED, case_id)


def _lock_slot(device: Device, alarm_type: str) -> dict:
    query = (AlarmSlot.objects.select_for_update(of=("self",))
             .filter(device=device, alarm_type=alarm_type))
    fields = ("pk", "case_id", "case__status", "last_alarm_at")
    row = query.values(*fields).first()
    if row is None:
        AlarmSlot.objects.get_or_create(device=device, alarm_type=alarm_type)
        row = query.values(*fields).first()
    return row


def _open(row: dict, window: dt.timedelta, at: dt.datetime) -> bool:
    return bool(row["case_id"]) and row["case__status"] not in FINAL_STATUSES and \
        row["last_alarm_at"] is not None and at - row["last_alarm_at"] <= window


def _raise(slot: dict, mapping: AlarmTypeMapping, device: Device, data: AlarmData,
           fields: dict, now) -> Result:
    from wangge.cases.services import CaseError, report

    at = min(data.time or now, now)  # a clock running ahead does not stretch the window
    if _open(slot, dt.timedelta(minutes=mapping.dedupe_minutes), at):
        alarm = Alarm.objects.create(case_id=slot["case_id"], outcome=Outcome.ATTACHED,
                                     **fields)
        AlarmSlot.objects.filter(pk=slot["pk"]).update(
            last_alarm_at=max(at, slot["last_alarm_at"]), repeats=F("repeats") + 1)
        return Result(alarm.pk, Outcome.ATTACHED, slot["case_id"])
    lon, lat = (data.lon, data.lat) if data.lon is not None else (device.lon, device.lat)
    try:
        case = report(
            actor=None, actor_label=_("Device %(id)s") % {"id": device.device_id},
            category=mapping.category, source=device.source, urgency=mapping.urgency or None,
            description=_describe(mapping, device, data, fields["occurred_at"]),
            lon=lon, lat=lat, grid_code="" if lon is not None else (
                device.grid.code if device.grid_id else ""),
            address=" ".join(p for p in (device.building, device.component) if p)[:200],
            reporter_name=(device.name or device.device_id)[:50], now=now)
    except CaseError as exc:
        alarm = Alarm.objects.create(outcome=Outcome.REFUSED, error=exc.message, **fields)
        return Result(alarm.pk, Outcome.REFUSED, message=exc.message)
    AlarmSlot.objects.filter(pk=slot["pk"]).update(case=case, opened_at=now, last_alarm_at=at,
                                                   repeats=0)
    alarm = Alarm.objects.create(case=case, outcome=Outcome.OPENED, **fields)
    return Result(alarm.pk, Outcome.OPENED, case.pk, _case=case)


def _describe(mapping: AlarmTypeMapping, device: Device, data: AlarmData, at) -> str:
    parts = [_("%(type)s alarm from %(device)s") % {"type": str(mapping), "device": device}]
    if data.level:
        parts.append(_("level %(level)s") % {"level": data.level})
    parts.append(timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S"))
    where = " ".join(p for p in (device.building, device.component) if p)
    if where:
        parts.append(where)
    text = _(", ").join(parts)
    if data.picture_url:
        text += "\n" + _("Picture: %(url)s") % {"url": data.picture_url}
    return text


def _clear(slot: dict, mapping: AlarmTypeMapping, device: Device, fields: dict, now) -> Result:
    from wangge.cases.services import CaseError, holders, void
    from wangge.notifications.choices import NotificationKind
    from wangge.notifications.services import notify

    if not slot["case_id"] or slot["case__status"] in FINAL_STATUSES:
        alarm = Alarm.objects.create(outcome=Outcome.IGNORED, **fields)
        return Result(alarm.pk, Outcome.IGNORED)
    from wangge.cases.models import Case

    case = Case.objects.select_related("tier_area").get(pk=slot["case_id"])
    if mapping.auto_close_on_clear and case.status == Status.REPORTED:
        try:
            case = void(actor=system_user(), case=case.pk, now=now,
                        note=_("Alarm cleared; the case was voided automatically."))
        except CaseError:
            pass  # e.g. a case outside the service account's jurisdiction: tell people instead
        else:
            AlarmSlot.objects.filter(pk=slot["pk"]).update(case=None)
            alarm = Alarm.objects.create(case=case, outcome=Outcome.VOIDED, **fields)
            return Result(alarm.pk, Outcome.VOIDED, case.pk, _case=case)
    notify(users=holders(case), kind=NotificationKind.UPDATE, case=case,
           text=_("Device %(device)s reports the alarm of case %(number)s cleared.") % {
               "device": device.device_id, "number": case.number})
    alarm = Alarm.objects.create(case=case, outcome=Outcome.CLEARED, **fields)
    return Result(alarm.pk, Outcome.CLEARED, case.pk, _case=case)


def receive_payload(principal: Platform | Device | None, payload, *, channel: str = "http",
                    now=None) -> Result:
    """Parse, authorise and receive one message (the HTTP endpoint's path)."""
    data = parse(payload)
    if principal is None:
        device = _device(data.device_id)
        if device is None:
            raise AlarmError(_("Unknown device %(id)s.") % {"id": data.device_id},
                             "unknown_device", field="device_id")
        if not device.active:
            raise AlarmError(_("Device %(id)s is disabled.") % {"id": data.device_id},
                             "forbidden", status=403, field="device_id")
    else:
        device = device_for(principal, data.device_id)
    return receive(data, device=device, raw=payload, channel=channel, now=now)
