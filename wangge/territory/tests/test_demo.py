"""The demo county loads through the real importer, nests correctly and locates every grid."""

import numpy as np
import pytest
import shapely
from django.core.management import call_command
from shapely.geometry import shape

from wangge.accounts.models import User
from wangge.territory import locate as locating
from wangge.territory.models import Area, GridStaff

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo_db(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("load_demo", cases=25)
        yield
        from wangge.cases.models import Case, CaseEvent
        from wangge.dispatch.models import Department

        CaseEvent.objects.all()._raw_delete(CaseEvent.objects.db)
        Case.objects.all().delete()
        GridStaff.objects.all().delete()
        User.objects.all().delete()
        Department.objects.all().delete()
        for level in (5, 4, 3, 2, 1):
            Area.objects.filter(level=level).delete()


def test_demo_county_has_real_codes_and_about_3400_grids(demo_db):
    assert Area.objects.get(code="350583000000").name == "南安市"
    assert Area.objects.filter(level=2).count() == 27
    assert Area.objects.filter(level=3).count() == 430
    grids = Area.objects.filter(level=4).count()
    assert 3000 <= grids <= 3800
    county = Area.objects.get(code="350583000000")
    assert 1950 < county.area_km2 < 2150
    # every village has at least one grid, and the grid areas add up to the county's
    assert not Area.objects.filter(level=3, children__isnull=True).exists()
    total = sum(Area.objects.filter(level=4).values_list("area_km2", flat=True))
    assert total == pytest.approx(county.area_km2, rel=1e-3)


def test_every_grid_is_located_at_its_own_inner_point(demo_db):
    index = locating.get_index()
    grids = list(Area.objects.filter(level=4).values_list("code", "geometry"))
    points = [shape(g).representative_point() for _, g in grids]
    found = index.locate_indices(np.array([p.x for p in points]), np.array([p.y for p in points]))
    assert [index.codes[i] for i in found] == [code for code, _ in grids]


def test_grids_are_numbered_west_to_east_north_to_south(demo_db):
    village = Area.objects.get(code="350583001001")
    grids = list(village.children.order_by("code"))
    first, last = shape(grids[0].geometry), shape(grids[-1].geometry)
    assert first.representative_point().y > last.representative_point().y


def test_staffing_one_grid_several_workers_one_worker_several_grids(demo_db):
    grid = Area.objects.get(code="350583001001001")
    posts = set(GridStaff.objects.filter(grid=grid).values_list("post", flat=True))
    assert {"leader", "full_time"} <= posts
    worker = User.objects.get(username="wanggeyuan")
    assert GridStaff.objects.filter(user=worker).count() == 2
    assert not Area.objects.filter(level=4, staff__isnull=True).exists()


def test_loading_twice_changes_nothing(demo_db, capsys):
    before = Area.objects.count(), User.objects.count()
    call_command("load_demo")
    assert "already loaded" in capsys.readouterr().out
    assert (Area.objects.count(), User.objects.count()) == before


def test_demo_polygons_are_valid_and_siblings_do_not_overlap(demo_db):
    village = Area.objects.get(code="350583002001")
    geoms = [shape(a.geometry) for a in village.children.all()]
    assert all(g.is_valid for g in geoms)
    union = shapely.union_all(geoms)
    assert union.area == pytest.approx(sum(g.area for g in geoms), rel=1e-9)


def test_demo_cases_are_played_through_the_services(demo_db):
    from wangge.cases.models import Case

    cases = list(Case.objects.all())
    assert len(cases) == 25
    assert len({c.status for c in cases}) >= 2  # spread over the loop, by age
    for case in cases:
        events = list(case.events.order_by("id"))
        assert events[0].action == "report"
        assert events[-1].to_status == case.status
    assert User.objects.get(username="chengguan").department.code == "chengguan-350583"
    assert User.objects.filter(username__startswith="dept-").count() >= 16 + 2 * 27
