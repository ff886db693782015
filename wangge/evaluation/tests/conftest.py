"""A hand-built March 2026 in grid 350583001001001 (溪美街道1社区, grid 1), made through the case
services with fixed ``now=`` values. Every deadline is read back from the case after the step
that set it, so the figures do not depend on the work calendar's details.

Cases (reporter → what happens); comm = the community dispatcher, cg = 城管 handler,
police = 派出所 handler:

A  gw     accepted, dispatched to cg, handled, verified by gw, closed — all on time; satisfied
B  gw     accepted, dispatched to police, returned, again to police, returned again (回退 twice),
          then to cg; cg handles 1 h after its deadline; gw2 verifies 1 h late; closed; unrated
C  resident  accepted, to cg; cg gets a 2-working-day extension (延期) and handles after the
          original deadline but inside the extended one; the inspector verifies; closed; fairly
D  gw2    reported 30 March 16:00, accepted 1 h late, dispatched to cg, never handled:
          overdue at the period's end (handle deadline 31 March)
E  gw     to cg, handled, verification by gw fails (返工); re-dispatched 1 h after the failure
          (late: the dispatch limit is 30 min); handled again on time; verified; closed;
          unsatisfied
F  gw2    accepted, then voided (作废)
G  gw     not filed (不予立案)
H  gw     handled on the spot (自处置)
I  gw     reported 27 February, accepted: outside the period
J  resident  in 柳城街道 (another street), accepted by comm2: outside 溪美街道's scope
Patrols of gw: 1 h / 3.2 km and 30 min / 1.8 km in March, 2 h in February, one still running.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from wangge.cases import services as cs
from wangge.cases.tests.conftest import GRID_POINT, OTHER_GRID_POINT, png_bytes

H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)


def at(day: int, hour: int = 9, minute: int = 0, month: int = 3) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, month, day, hour, minute))


def photo():
    return SimpleUploadedFile("r.png", png_bytes(), content_type="image/png")


def report(actor, when, point=GRID_POINT, **extra):
    lon, lat = point
    return cs.report(actor=actor, category="0101", description="测试", lon=lon, lat=lat,
                     source=extra.pop("source", "patrol" if actor else "resident"), now=when,
                     **extra)


def accept_dispatch(p, case, department, when, *, accept_late=False):
    """Accept (on time, or 1 h after the acceptance deadline) and dispatch 10 min later."""
    case.refresh_from_db()
    accepted = case.accept_deadline + H if accept_late else when
    case = cs.accept(actor=p["comm"], case=case, now=accepted)
    return cs.dispatch(actor=p["comm"], case=case, department=department,
                       now=accepted + 10 * M)


def handle(handler, case, when):
    case = cs.sign(actor=handler, case=case, now=when)
    return cs.feedback(actor=handler, case=case, note="已处理", now=when + 5 * M)


def verify_close(p, verifier, case, when, passed=True):
    case = cs.verify(actor=verifier, case=case, passed=passed, note="核查", now=when)
    if passed:
        case = cs.close(actor=p["comm"], case=case, now=when + 10 * M)
    return case


@pytest.fixture(autouse=True)
def _english():
    """Messages are matched in English, whatever catalogue is installed."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def march(people, territory):
    from wangge.gridapp.models import Patrol

    p = people
    cg = p["departments"]["chengguan-350583"]
    police = p["departments"]["police-350583001"]
    c = {}

    # A: everything on time
    a = report(p["gw"], at(2))
    a = accept_dispatch(p, a, cg, at(2, 9, 10))
    a = handle(p["cg"], a, at(2, 11))
    a = verify_close(p, p["gw"], a, at(2, 13))
    c["A"] = cs.evaluate(actor=p["gw"], case=a, satisfaction="satisfied", now=at(2, 15))

    # B: returned twice, then handled and verified late
    b = report(p["gw"], at(3))
    b = accept_dispatch(p, b, police, at(3, 9, 5))
    b = cs.return_case(actor=p["police"], case=b, note="不属我所", now=at(3, 10))
    b = cs.dispatch(actor=p["comm"], case=b, department=police, now=at(3, 10, 10))
    b = cs.return_case(actor=p["police"], case=b, note="仍不属我所", now=at(3, 11))
    b = cs.dispatch(actor=p["comm"], case=b, department=cg, now=at(3, 11, 10))
    b.refresh_from_db()
    b = handle(p["cg"], b, b.handle_deadline + H - 5 * M)  # feedback 1 h after the deadline
    b.refresh_from_db()
    c["B"] = verify_close(p, p["gw2"], b, b.verify_deadline + H)

    # C: a resident's report, extended, handled inside the extension
    c_ = report(None, at(4), reporter_name="居民王")
    c_ = accept_dispatch(p, c_, cg, at(4, 9, 10))
    c_ = cs.sign(actor=p["cg"], case=c_, now=at(4, 9, 30))
    request = cs.request_extension(actor=p["cg"], case=c_, amount=2, unit="wd", note="需采购",
                                   now=at(4, 10))
    c_.refresh_from_db()
    original = c_.handle_deadline
    cs.decide_extension(actor=p["comm"], request=request, approve=True, now=at(4, 10, 30))
    c_.refresh_from_db()
    assert c_.handle_deadline > original + H
    c_ = cs.feedback(actor=p["cg"], case=c_, note="已修复", now=original + 2 * H)
    c_ = verify_close(p, p["inspector"], c_, original + 3 * H)
    c["C"] = cs.evaluate(actor=p["comm"], case=c_, satisfaction="fairly",
                         now=original + 5 * H)

    # D: accepted late, dispatched, never handled — overdue at the period's end
    d = report(p["gw2"], at(30, 16))
    c["D"] = accept_dispatch(p, d, cg, None, accept_late=True)

    # E: reworked, then re-dispatched late
    e = report(p["gw"], at(9))
    e = accept_dispatch(p, e, cg, at(9, 9, 10))
    e = handle(p["cg"], e, at(9, 11))
    e = verify_close(p, p["gw"], e, at(9, 13), passed=False)
    e = cs.dispatch(actor=p["comm"], case=e, department=cg, now=at(9, 14))  # 1 h after
    e = handle(p["cg"], e, at(9, 15))
    e = verify_close(p, p["gw"], e, at(9, 16))
    c["E"] = cs.evaluate(actor=p["gw"], case=e, satisfaction="unsatisfied", now=at(9, 17))

    # F: accepted, then voided
    f = report(p["gw2"], at(10))
    f = cs.accept(actor=p["comm"], case=f, now=at(10, 9, 10))
    c["F"] = cs.void(actor=p["comm"], case=f, note="测试数据", now=at(10, 9, 20))

    # G: not filed
    g = report(p["gw"], at(11))
    c["G"] = cs.reject(actor=p["comm"], case=g, note="不属于受理范围", now=at(11, 9, 10))

    # H: handled on the spot
    c["H"] = report(p["gw"], at(12), self_handled=True, resolution="当场清理",
                    result_photos=[photo()])

    # I: February
    i = report(p["gw"], at(27, month=2))
    c["I"] = cs.accept(actor=p["comm"], case=i, now=at(27, 9, 10, month=2))

    # J: another street
    j = report(None, at(5), point=OTHER_GRID_POINT, reporter_name="居民李")
    c["J"] = cs.accept(actor=p["comm2"], case=j, now=at(5, 9, 10))

    for start, end, metres in ((at(5, 8), at(5, 9), 3200), (at(6, 8), at(6, 8, 30), 1800),
                               (at(20, 8, month=2), at(20, 10, month=2), 5000)):
        Patrol.objects.create(user=p["gw"], started_at=start, ended_at=end, distance_m=metres,
                              duration_s=int((end - start).total_seconds()))
    Patrol.objects.create(user=p["gw"], started_at=at(31, 8), distance_m=700, duration_s=600)
    for key, case in c.items():
        case.refresh_from_db()
        c[key] = case
    return c
