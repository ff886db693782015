"""Synthetic demo organisations (wangge/organisations/synthetic.py): valid credit codes,
positions inside their grids, addresses on their township and village, inspections for the
riskier ones, the same records for the same seed, nothing new on a second run."""

from __future__ import annotations

import pytest
import shapely
from shapely.geometry import shape

from wangge.core.identifiers import normalize_uscc
from wangge.organisations import synthetic
from wangge.organisations.models import SMALL_PLACE_KINDS, Inspection, Organisation
from wangge.territory.locate import locate
from wangge.territory.synthetic import GridSampler

COUNT = 400


@pytest.fixture
def inspectors(territory):
    from django.contrib.auth.hashers import make_password

    from wangge.dispatch.demo import create_department_handlers, create_departments

    departments = create_departments(territory["350583000000"])
    create_department_handlers(departments, make_password("x"))
    return departments


def test_the_organisation_code_check_character_follows_gb_11714():
    # the standard's own example: D2143569-X
    assert synthetic._org_code_check("D2143569") == "X"
    code = synthetic.credit_code("91", "350583", "MA2Y1K3P")
    assert normalize_uscc(code) == code and code[:8] == "91350583"
    assert code[16] == synthetic._org_code_check("MA2Y1K3P")


def test_organisations_are_valid_and_lie_in_their_grids(territory, inspectors):
    made = synthetic.create_organisations(COUNT, seed=7)
    assert made["organisations"] == COUNT == Organisation.objects.count()
    orgs = list(Organisation.objects.select_related("grid__parent__parent"))
    codes = [o.credit_code for o in orgs if o.credit_code]
    assert len(codes) == len(set(codes))
    kinds = {o.kind for o in orgs}
    assert {"enterprise", "shop", "small_restaurant"} <= kinds
    for org in orgs:
        if org.credit_code:
            assert normalize_uscc(org.credit_code) == org.credit_code
            assert org.credit_code[2:8] == "350583"
        else:
            assert org.kind in SMALL_PLACE_KINDS, org.name
        found = locate(org.lon, org.lat)
        assert found.grid_id == org.grid_id, org.name
        assert shape(org.grid.geometry).covers(shapely.Point(org.lon, org.lat))
        village, township = org.grid.parent, org.grid.parent.parent
        assert org.address.startswith(f"南安市{township.name}{village.name}"), org.address
        assert org.contact_name and org.contact_phone and org.industry
    names = [o.name for o in orgs]
    assert len(names) == len(set(names))
    enterprises = [o.name for o in orgs if o.kind == "enterprise"]
    assert all(n.endswith(("公司", "厂")) for n in enterprises)
    # most are low risk; the riskier ones have been inspected, problems come with issues
    levels = [o.risk_level for o in orgs]
    assert levels.count("low") > len(levels) / 2
    for org in orgs:
        count = org.inspections.count()
        if org.risk_level == "major":
            assert count >= 3
        elif org.risk_level == "larger":
            assert count >= 2
        elif org.risk_level == "low":
            assert count == 0
    inspections = list(Inspection.objects.all())
    assert inspections
    for inspection in inspections:
        assert (inspection.result == "passed") == (inspection.issues == "")
        if inspection.result == "rectify":
            assert inspection.follow_up_date >= inspection.date


def test_running_again_creates_nothing_and_a_larger_count_only_adds(territory, inspectors):
    synthetic.create_organisations(120, seed=7)
    before = set(Organisation.objects.values_list("credit_code", "name", "lon", "lat"))
    inspections = Inspection.objects.count()
    again = synthetic.create_organisations(120, seed=7)
    assert again == {"organisations": 0, "existing": 120, "inspections": 0}
    assert Inspection.objects.count() == inspections
    more = synthetic.create_organisations(300, seed=7)
    assert more["organisations"] == 180 and Organisation.objects.count() == 300
    after = set(Organisation.objects.values_list("credit_code", "name", "lon", "lat"))
    assert before < after


def test_the_same_seed_gives_the_same_records(territory):
    sampler = GridSampler()
    first = synthetic.generate(1500, 11, sampler)
    assert synthetic.generate(1500, 11, sampler) == first
    assert synthetic.generate(700, 11, sampler) == first[:700]
    other = synthetic.generate(50, 12, sampler)
    assert [r["name"] for r in other] != [r["name"] for r in first[:50]]
