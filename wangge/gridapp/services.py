"""Patrol changes: start, add GPS points, stop. Views and endpoints call these only."""

from __future__ import annotations

import datetime as dt
import itertools
import math

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.gridapp.models import Patrol

EARTH_RADIUS_M = 6_371_008.8
MAX_POINTS_PER_CALL = 1000
MAX_POINTS_PER_PATROL = 20_000  # 8 h at one point every 2 s, with room to spare
CLOCK_SLACK = dt.timedelta(minutes=5)  # a phone's clock may run a little ahead
MAX_PATROL = dt.timedelta(hours=24)


class PatrolError(Exception):
    """A refused patrol change; ``message`` says what to do."""

    status = 400

    def __init__(self, message: str, code: str = "invalid", status: int = 400):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def track_length_m(points) -> float:
    return sum(haversine_m(a[0], a[1], b[0], b[1]) for a, b in itertools.pairwise(points))


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _clean(raw, patrol: Patrol, now: dt.datetime) -> list[list]:
    """Validate a batch of ``[lon, lat, unix_ms]``; raise PatrolError on the first bad one."""
    if not isinstance(raw, list | tuple):
        raise PatrolError(_("Send the points as a list of [longitude, latitude, time in ms]."),
                          "invalid_points")
    if len(raw) > MAX_POINTS_PER_CALL:
        raise PatrolError(_("Send at most %(n)d points at a time.") % {"n": MAX_POINTS_PER_CALL},
                          "too_many_points")
    earliest = _ms(patrol.started_at - CLOCK_SLACK)
    latest = _ms((patrol.ended_at or now) + CLOCK_SLACK)
    cleaned = []
    for index, point in enumerate(raw, start=1):
        try:
            lon, lat, stamp = point[0], point[1], point[2]
            if isinstance(lon, bool) or isinstance(lat, bool) or isinstance(stamp, bool):
                raise TypeError
            lon, lat, stamp = float(lon), float(lat), int(stamp)
        except (TypeError, ValueError, IndexError, KeyError, OverflowError):
            raise PatrolError(_("Point %(i)d is not [longitude, latitude, time in ms].") % {
                "i": index}, "invalid_point") from None
        if not (math.isfinite(lon) and math.isfinite(lat)) or not (
                -180 <= lon <= 180 and -90 <= lat <= 90):
            raise PatrolError(_("Point %(i)d has impossible coordinates (%(lon)s, %(lat)s): "
                                "longitude must lie within ±180 and latitude within ±90.") % {
                "i": index, "lon": lon, "lat": lat}, "invalid_point")
        if lon == 0 and lat == 0:
            raise PatrolError(_("Point %(i)d is (0, 0): the phone has no GPS fix yet.") % {
                "i": index}, "invalid_point")
        if not earliest <= stamp <= latest:
            raise PatrolError(_("Point %(i)d was taken outside this patrol's time: check the "
                                "phone's clock.") % {"i": index}, "invalid_point_time")
        cleaned.append([round(lon, 7), round(lat, 7), stamp])
    return cleaned


def _merge(patrol: Patrol, cleaned: list[list]) -> int:
    """Add points whose timestamps are new; keep the track sorted; recompute its length."""
    seen = {p[2] for p in patrol.points}
    fresh = []
    for point in cleaned:
        if point[2] not in seen:
            seen.add(point[2])
            fresh.append(point)
    if not fresh:
        return 0
    if len(patrol.points) + len(fresh) > MAX_POINTS_PER_PATROL:
        raise PatrolError(_("This patrol already has %(n)d points, the most one patrol can "
                            "hold. Stop it and start a new one.") % {"n": len(patrol.points)},
                          "track_full")
    track = patrol.points + fresh
    if patrol.points and fresh[0][2] < patrol.points[-1][2]:
        track.sort(key=lambda p: p[2])
    patrol.points = track
    patrol.point_count = len(track)
    patrol.distance_m = round(track_length_m(track), 1)
    return len(fresh)


def running_patrol(user) -> Patrol | None:
    return Patrol.objects.filter(user=user, ended_at__isnull=True).first()


def _locked(user, patrol) -> Patrol:
    patrol_id = patrol.pk if isinstance(patrol, Patrol) else patrol
    found = Patrol.objects.select_for_update().filter(pk=patrol_id, user=user).first()
    if found is None:
        raise PatrolError(_("No such patrol of yours."), "not_found", 404)
    return found


def start_patrol(*, user, now=None) -> Patrol:
    """Start a patrol. A worker has at most one running: stop it first."""
    now = now or timezone.now()
    if user is None or not user.is_authenticated:
        raise PatrolError(_("Log in to patrol."), "forbidden", 403)
    running = running_patrol(user)
    if running is not None:
        raise PatrolError(_("A patrol started at %(time)s is still running: continue it or stop "
                            "it first.") % {
            "time": timezone.localtime(running.started_at).strftime("%H:%M")},
            "already_running", 409)
    try:
        with transaction.atomic():
            return Patrol.objects.create(user=user, area=user.jurisdiction, started_at=now)
    except IntegrityError:  # a second tap racing the first
        raise PatrolError(_("A patrol is already running: continue it or stop it first."),
                          "already_running", 409) from None


@transaction.atomic
def add_points(*, user, patrol, points, now=None) -> tuple[Patrol, int]:
    """Add GPS points to a running patrol. Points already stored (same timestamp) are ignored,
    so a batch sent twice is harmless. Returns the patrol and how many points were new."""
    now = now or timezone.now()
    patrol = _locked(user, patrol)
    if patrol.ended_at is not None:
        raise PatrolError(_("This patrol has ended: start a new one."), "patrol_ended", 409)
    added = _merge(patrol, _clean(points, patrol, now))
    if added:
        patrol.duration_s = _duration(patrol, now)
        patrol.save(update_fields=["points", "point_count", "distance_m", "duration_s"])
    return patrol, added


def _duration(patrol: Patrol, now) -> int:
    end = patrol.ended_at or now
    return max(0, int((end - patrol.started_at).total_seconds()))


@transaction.atomic
def stop_patrol(*, user, patrol, points=(), now=None) -> Patrol:
    """End a patrol, with its last points: total distance (haversine) and time are fixed."""
    now = now or timezone.now()
    patrol = _locked(user, patrol)
    if patrol.ended_at is not None:
        raise PatrolError(_("This patrol was already stopped at %(time)s.") % {
            "time": timezone.localtime(patrol.ended_at).strftime("%H:%M")},
            "already_stopped", 409)
    if points:
        _merge(patrol, _clean(points, patrol, now))
    patrol.ended_at = min(now, patrol.started_at + MAX_PATROL)
    patrol.distance_m = round(track_length_m(patrol.points), 1)
    patrol.point_count = len(patrol.points)
    patrol.duration_s = _duration(patrol, now)
    patrol.save()
    return patrol
