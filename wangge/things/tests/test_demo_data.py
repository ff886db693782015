"""Synthetic demo components (wangge/things/synthetic.py): valid 16-digit codes of the
taxonomy's 小类, positions inside their grids, the demo departments as owners and
maintainers, mostly intact, nothing new on a second run."""

from __future__ import annotations

import shapely
from shapely.geometry import shape

from wangge.territory.locate import locate
from wangge.territory.synthetic import GridSampler
from wangge.things import synthetic
from wangge.things.codes import check_component_code
from wangge.things.models import Component


def _departments(territory):
    from wangge.dispatch.demo import create_departments

    return create_departments(territory["350583000000"])


def test_components_have_valid_codes_and_lie_in_their_grids(territory):
    departments = _departments(territory)
    made = synthetic.create_components(1200, seed=5)
    assert made == {"components": 1200, "existing": 0}
    components = list(Component.objects.select_related("grid", "category", "owner_department",
                                                       "maintainer_department"))
    assert len(components) == 1200
    for c in components:
        code, category = check_component_code(c.code)
        assert code == c.code and category == c.category
        assert c.code[:6] == "350583" and c.serial != "000000"
        assert locate(c.lon, c.lat).grid_id == c.grid_id
        assert shape(c.grid.geometry).covers(shapely.Point(c.lon, c.lat))
        assert c.name and c.address.startswith("南安市")
        assert c.owner_department is not None and c.maintainer_department is not None
    # serials count per 小类 from 000001
    lamps = sorted(c.serial for c in components if c.minor_code == "5105")
    assert lamps[0] == "000001" and lamps[-1] == f"{len(lamps):06d}"
    # the responsible department of the 小类 owns it; the township's police maintains theirs
    for c in components:
        kind = c.category.department_kind
        if kind == "police":
            assert c.maintainer_department.code.startswith("police-3505830")
            assert c.maintainer_department.area.code[:9] == c.grid.code[:9]
        elif kind in ("fire", "water", "landscape"):
            assert c.owner_department == departments[f"{kind}-350583"]
    statuses = [c.status for c in components]
    assert statuses.count("normal") > 0.85 * len(statuses)
    assert len(set(statuses)) >= 3
    assert len({c.minor_code for c in components}) >= 25


def test_running_again_creates_nothing_and_the_seed_decides(territory):
    synthetic.create_components(300, seed=5)
    before = list(Component.objects.order_by("code").values_list("code", "name", "lon", "lat"))
    assert synthetic.create_components(300, seed=5) == {"components": 0, "existing": 300}
    assert list(Component.objects.order_by("code")
                .values_list("code", "name", "lon", "lat")) == before
    sampler = GridSampler()
    first = synthetic.generate(2500, 5, sampler)
    assert synthetic.generate(1100, 5, sampler) == first[:1100]
    assert [r["code"] for r in synthetic.generate(50, 6, sampler)] != \
        [r["code"] for r in first[:50]]


def test_without_departments_components_have_no_units(territory):
    synthetic.create_components(20, seed=1)
    assert Component.objects.count() == 20
    assert not Component.objects.filter(owner_department__isnull=False).exists()
