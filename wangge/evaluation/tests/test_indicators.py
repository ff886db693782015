"""Each indicator on the hand-built March of conftest.py; the right answers are worked out in
the comments (cases A–J as described there)."""

import datetime as dt

import pytest
from django.utils import timezone

from wangge.evaluation import indicators as ind
from wangge.evaluation.models import AreaProfile

pytestmark = pytest.mark.django_db

COUNTY, STREET, OTHER_STREET = "350583000000", "350583001000", "350583002000"
COMMUNITY, GRID = "350583001001", "350583001001001"


def ctx(territory, scope=COUNTY, **extra):
    return ind.Ctx(dt.date(2026, 3, 1), dt.date(2026, 3, 31), territory[scope], **extra)


def value(code, territory, key, **extra):
    return ind.BY_CODE[code].compute(ctx(territory, **extra)).get(key)


def rate(code, territory, key, **extra):
    v = value(code, territory, key, **extra)
    return None if v is None else (v.num, v.den)


def test_timeline_is_as_described(march):
    a, b, c, d, e = (march[k] for k in "ABCDE")
    assert a.status == b.status == c.status == e.status == "closed"
    assert b.return_count == 2 and e.rework_count == 1 and c.extension_count == 1
    assert d.status == "dispatched"
    assert timezone.localdate(d.handle_deadline) == dt.date(2026, 3, 31)
    assert d.accepted_at > d.accept_deadline
    assert b.handled_at > b.handle_deadline and b.verified_at > b.verify_deadline
    assert e.dispatched_at > e.dispatch_deadline
    assert march["F"].status == "voided" and march["G"].status == "rejected"
    assert march["H"].self_handled


# --- grid workers -------------------------------------------------------------------------------


def test_reports_and_self_handled(march, people, territory):
    gw, gw2 = people["gw"].pk, people["gw2"].pk
    # gw: A, B, E, G, H in March (I is February) = 5; gw2: D, F = 2
    assert value("reports", territory, gw).value == 5
    assert value("reports", territory, gw2).value == 2
    # handled on the spot: gw H = 1; gw2 none (no row: the score treats it as 0)
    assert value("self_handled", territory, gw).value == 1
    assert value("self_handled", territory, gw2) is None


def test_valid_report_rate(march, people, territory):
    # gw: reports not handled on the spot A, B, E, G = 4; filed A, B, E (G not filed) → 3/4
    assert rate("valid_report_rate", territory, people["gw"].pk) == (3, 4)
    # gw2: D filed, F accepted but voided → 1/2
    assert rate("valid_report_rate", territory, people["gw2"].pk) == (1, 2)


def test_on_time_verification(march, people, territory):
    # passing verifications: gw A (on time), E (the final pass, on time; the failed one does
    # not count) → 2/2; gw2 B, 1 h late → 0/1; the inspector C, on time → 1/1
    assert rate("on_time_verification", territory, people["gw"].pk) == (2, 2)
    assert rate("on_time_verification", territory, people["gw2"].pk) == (0, 1)
    assert rate("on_time_verification", territory, people["inspector"].pk) == (1, 1)


def test_missed_report_rate(march, people, territory):
    # filed or handled on the spot in the grid of gw and gw2: A B C D E H = 6 (F voided,
    # G not filed, I February, J elsewhere); reported by someone not posted there: C (a
    # resident) → 1/6 for both workers of the grid
    assert rate("missed_report_rate", territory, people["gw"].pk) == (1, 6)
    assert rate("missed_report_rate", territory, people["gw2"].pk) == (1, 6)
    indicator = ind.BY_CODE["missed_report_rate"]
    assert indicator.score(value("missed_report_rate", territory, people["gw"].pk)) == \
        pytest.approx(100 * 5 / 6)  # lower is better


def test_patrol_time_and_distance(march, people, territory):
    # March: 1 h + 0.5 h, 3.2 + 1.8 km; February's patrol and the running one do not count
    assert value("patrol_hours", territory, people["gw"].pk).value == pytest.approx(1.5)
    assert value("patrol_km", territory, people["gw"].pk).value == pytest.approx(5.0)
    assert value("patrol_km", territory, people["gw2"].pk) is None


# --- dispatchers --------------------------------------------------------------------------------


def test_acceptance(march, people, territory):
    comm = people["comm"].pk
    # accepted by comm in March in the county: A B C D E F (G not filed, I February, J by comm2)
    # on time: all but D → 5/6
    assert rate("on_time_acceptance", territory, comm) == (5, 6)
    # accurate: F voided after acceptance → (6 − 1)/6
    assert rate("accurate_acceptance", territory, comm) == (5, 6)
    assert rate("on_time_acceptance", territory, people["comm2"].pk) == (1, 1)  # J


def test_dispatch(march, people, territory):
    comm = people["comm"].pk
    # last dispatches A B C D E, all by comm; E's re-dispatch came 1 h after the failed
    # verification (limit 30 min) → 4/5
    assert rate("on_time_dispatch", territory, comm) == (4, 5)
    # dispatch events: A 1, B 3, C 1, D 1, E 2 = 8; sent back by the receiver: B twice
    # → (8 − 2)/8
    assert rate("accurate_dispatch", territory, comm) == (6, 8)


# --- departments --------------------------------------------------------------------------------


def test_department_indicators(march, people, territory):
    cg = people["departments"]["chengguan-350583"].pk
    police = people["departments"]["police-350583001"].pk
    # dispatched to cg: A B C D E (E twice, counted once) = 5; to police: B = 1
    assert value("dispatched", territory, cg).value == 5
    assert value("dispatched", territory, police).value == 1
    # held by cg: A B C D E. handled: A B C E (E's second round) = 4; overdue unhandled at
    # 1 April 00:00: D = 1 → due 5; closed A B C E = 4 → 4/5
    assert rate("closure_rate", territory, cg) == (4, 5)
    # handled within the limit: A, C (inside its extension), E (2nd round) = 3; B late → 3/5
    assert rate("on_time_handling", territory, cg) == (3, 5)
    # results reported by cg: A 1, B 1, C 1, E 2 = 5; failed verification: E once → 1/5
    assert rate("rework_rate", territory, cg) == (1, 5)
    # returns: cg 0 of 6 dispatch events (A B C D E E); police 2 of 2
    assert rate("return_rate", territory, cg) == (0, 6)
    assert rate("return_rate", territory, police) == (2, 2)
    # rated: A satisfied, C fairly, E unsatisfied → 2/3
    assert rate("satisfaction", territory, cg) == (2, 3)
    assert value("closure_rate", territory, police) is None  # holds nothing now


def test_overdue_depends_on_the_period_end(march, people, territory):
    """D's handling deadline is 31 March: in a period ending 30 March it is not yet overdue."""
    cg = people["departments"]["chengguan-350583"].pk
    early = ind.Ctx(dt.date(2026, 3, 1), dt.date(2026, 3, 30), territory[COUNTY])
    v = ind.BY_CODE["closure_rate"].compute(early)[cg]
    assert (v.num, v.den) == (4, 4)


# --- areas --------------------------------------------------------------------------------------


def test_area_indicators(march, territory):
    AreaProfile.objects.create(area=territory[COMMUNITY], population=4000)
    grid, community, street = (territory[k].pk for k in (GRID, COMMUNITY, STREET))
    for key in (grid, community, street):  # all the street's cases are in the one grid
        # due: filed or on the spot A B C D E H; handled A B C E H = 5, overdue D → 6;
        # closed A B C E H → 5/6
        assert rate("area_closure_rate", territory, key) == (5, 6)
        # closed with every step on time: A, C (extension), H (on the spot); B handled late,
        # E re-dispatched late → 3/5
        assert rate("area_on_time_closure", territory, key) == (3, 5)
        assert rate("area_satisfaction", territory, key) == (2, 3)
    # reports A–H = 8 over 4,000 residents → 2 per 1,000; grid and street: population unknown
    assert value("reports_per_1000", territory, community).value == pytest.approx(2.0)
    assert value("reports_per_1000", territory, grid).value is None
    assert value("reports_per_1000", territory, grid).num == 8
    # the other street: J (accepted, never dispatched: nothing handled or overdue)
    other = territory[OTHER_STREET].pk
    assert value("reports_per_1000", territory, other).num == 1
    assert rate("area_closure_rate", territory, other) == (0, 0)
    assert value("area_closure_rate", territory, other).value is None


def test_scope_and_single_target(march, people, territory):
    # scoped to 柳城街道, comm's acceptances are out of sight
    assert rate("on_time_acceptance", territory, people["comm"].pk, scope=OTHER_STREET) is None
    # one target only, with a case excluded (an accepted appeal): cg without D → 4/4
    cg = people["departments"]["chengguan-350583"].pk
    v = value("closure_rate", territory, cg, only=cg, exclude=frozenset({march["D"].pk}))
    assert (v.num, v.den) == (4, 4)
    area = territory[COMMUNITY].pk
    v = value("area_closure_rate", territory, area, only=area)
    assert (v.num, v.den) == (5, 6)


def test_every_indicator_documents_its_formula():
    for indicator in ind.INDICATORS:
        assert indicator.code and indicator.name and str(indicator.formula)
        assert indicator.__doc__ and "=" in indicator.__doc__
        assert indicator.code in ind.DEFAULT_WEIGHTS[indicator.kind]
