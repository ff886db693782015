"""Patrol services: distance, validation, duplicates, stopping, ownership."""

import datetime as dt

import pytest
from django.utils import timezone

from wangge.gridapp import services
from wangge.gridapp.models import Patrol
from wangge.gridapp.services import PatrolError, haversine_m

pytestmark = pytest.mark.django_db


def ms(moment):
    return int(moment.timestamp() * 1000)


@pytest.fixture
def gw(people):
    return people["gw"]


def test_haversine_known_distances():
    # one thousandth of a degree of latitude is about 111.2 m anywhere
    assert haversine_m(118.05, 24.85, 118.05, 24.851) == pytest.approx(111.19, abs=0.05)
    # Beijing Tiananmen → Shanghai People's Square ≈ 1,067 km
    assert haversine_m(116.3975, 39.9087, 121.4737, 31.2304) / 1000 == pytest.approx(1067, abs=3)
    assert haversine_m(118.0, 24.0, 118.0, 24.0) == 0


def test_distance_and_time_of_a_patrol(gw):
    start = timezone.now() - dt.timedelta(minutes=30)
    patrol = services.start_patrol(user=gw, now=start)
    points = [[118.05, 24.85 + i * 0.001, ms(start) + i * 10_000] for i in range(5)]
    patrol, added = services.add_points(user=gw, patrol=patrol, points=points[:3],
                                        now=start + dt.timedelta(seconds=25))
    assert added == 3 and patrol.point_count == 3
    assert patrol.distance_m == pytest.approx(2 * 111.19, abs=0.5)
    patrol = services.stop_patrol(user=gw, patrol=patrol, points=points[3:],
                                  now=start + dt.timedelta(minutes=12))
    assert patrol.ended_at is not None
    assert patrol.point_count == 5
    assert patrol.distance_m == pytest.approx(4 * 111.19, abs=1)
    assert patrol.duration_s == 12 * 60
    stored = Patrol.objects.get(pk=patrol.pk)
    assert stored.points[0] == [118.05, 24.85, ms(start)]


def test_a_batch_sent_twice_is_stored_once(gw):
    patrol = services.start_patrol(user=gw)
    now = timezone.now()
    batch = [[118.05, 24.85, ms(now) - 20_000], [118.051, 24.85, ms(now) - 10_000]]
    services.add_points(user=gw, patrol=patrol, points=batch)
    patrol, added = services.add_points(user=gw, patrol=patrol, points=batch)
    assert added == 0 and patrol.point_count == 2
    # a late point that belongs in the middle is put in its place
    patrol, added = services.add_points(user=gw, patrol=patrol,
                                        points=[[118.0505, 24.85, ms(now) - 15_000]])
    assert added == 1
    assert [p[2] for p in patrol.points] == sorted(p[2] for p in patrol.points)


@pytest.mark.parametrize("bad, code", [
    ([[200, 24.85, None]], "invalid_point"),
    ([[118.05, 95, None]], "invalid_point"),
    ([["east", 24.85, None]], "invalid_point"),
    ([[118.05, 24.85]], "invalid_point"),
    ([[0, 0, None]], "invalid_point"),
    ([[float("nan"), 24.85, None]], "invalid_point"),
    ([[118.05, 24.85, 1000]], "invalid_point_time"),  # 1970
    ("118.05,24.85", "invalid_points"),
])
def test_bad_points_are_refused_with_a_clear_error(gw, bad, code):
    patrol = services.start_patrol(user=gw)
    if isinstance(bad, list):
        bad = [[p[0], p[1], ms(timezone.now()) if p[2] is None else p[2]] if len(p) == 3 else p
               for p in bad]
    with pytest.raises(PatrolError) as info:
        services.add_points(user=gw, patrol=patrol, points=bad)
    assert info.value.code == code
    assert info.value.message
    patrol.refresh_from_db()
    assert patrol.point_count == 0  # nothing of a refused batch is kept


def test_one_bad_point_refuses_the_batch_and_names_it(gw):
    patrol = services.start_patrol(user=gw)
    now = ms(timezone.now())
    with pytest.raises(PatrolError) as info:
        services.add_points(user=gw, patrol=patrol,
                            points=[[118.05, 24.85, now - 1000], [118.05, 124.85, now]])
    assert "2" in info.value.message


def test_stop_twice_is_refused(gw):
    patrol = services.start_patrol(user=gw)
    services.stop_patrol(user=gw, patrol=patrol)
    with pytest.raises(PatrolError) as info:
        services.stop_patrol(user=gw, patrol=patrol)
    assert info.value.code == "already_stopped"
    with pytest.raises(PatrolError) as info:
        services.add_points(user=gw, patrol=patrol,
                            points=[[118.05, 24.85, ms(timezone.now())]])
    assert info.value.code == "patrol_ended"


def test_one_running_patrol_at_a_time(gw):
    services.start_patrol(user=gw)
    with pytest.raises(PatrolError) as info:
        services.start_patrol(user=gw)
    assert info.value.code == "already_running"


def test_another_users_patrol_is_out_of_reach(people):
    mine = services.start_patrol(user=people["gw"])
    with pytest.raises(PatrolError) as info:
        services.add_points(user=people["gw2"], patrol=mine,
                            points=[[118.05, 24.85, ms(timezone.now())]])
    assert info.value.code == "not_found"
    with pytest.raises(PatrolError):
        services.stop_patrol(user=people["gw2"], patrol=mine)
    assert services.running_patrol(people["gw2"]) is None


def test_patrols_are_scoped_to_the_jurisdiction(people):
    services.start_patrol(user=people["gw"])
    assert Patrol.objects.visible_to(people["comm"]).count() == 1  # the community sees it
    assert Patrol.objects.visible_to(people["comm2"]).count() == 0  # another community does not
