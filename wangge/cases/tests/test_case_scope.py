"""What belongs to a case (督办, extension requests) is seen by exactly who sees the case: a
department handler sees those of the cases its unit was given, not every case of its area
(the HTTP side is in wangge/core/tests/routes.py: api:list_supervisions, api:reply_supervision)."""

from __future__ import annotations

import pytest

from wangge.cases import services as cs
from wangge.cases.models import Case, ExtensionRequest, Supervision
from wangge.cases.tests.conftest import GRID_POINT, OTHER_GRID_POINT
from wangge.command.selectors import open_supervisions

pytestmark = pytest.mark.django_db


def _in_progress_at_chengguan(people):
    case = cs.report(actor=people["gw"], category="0101", description="路边暴露垃圾",
                     source="patrol", lon=GRID_POINT[0], lat=GRID_POINT[1])
    case = cs.accept(actor=people["comm"], case=case)
    case = cs.dispatch(actor=people["comm"], case=case,
                       department=people["departments"]["chengguan-350583"])
    return cs.sign(actor=people["cg"], case=case)


def test_supervisions_and_extensions_follow_the_case(people):
    case = _in_progress_at_chengguan(people)
    cs.request_extension(actor=people["cg"], case=case, amount=1, unit="wd", note="需采购")
    case.refresh_from_db()
    supervision = cs.supervise(actor=people["inspector"], case=case, level="normal",
                               note="尽快处理")
    extension = case.extensions.get()
    other = cs.report(actor=None, category="0101", description="柳城的暴露垃圾",
                      source="resident", lon=OTHER_GRID_POINT[0], lat=OTHER_GRID_POINT[1])
    cs.supervise(actor=people["inspector"], case=other, level="normal", note="柳城督办")

    def seen(user):
        return (set(Supervision.objects.visible_to(user).values_list("case__number", flat=True)),
                set(ExtensionRequest.objects.visible_to(user).values_list("pk", flat=True)))

    # 城管 holds the case; the street's police station (a department of the same area) does not
    assert seen(people["cg"]) == ({case.number}, {extension.pk})
    assert seen(people["police"]) == (set(), set())
    assert not Case.objects.visible_to(people["police"]).filter(pk=case.pk).exists()
    assert open_supervisions(people["police"]) == []
    assert [s.pk for s in open_supervisions(people["cg"])] == [supervision.pk]
    # area roles: their subtree, as before
    assert seen(people["comm"]) == ({case.number}, {extension.pk})
    assert seen(people["comm2"]) == ({other.number}, set())
    assert seen(people["leader"]) == ({case.number, other.number}, {extension.pk})


def test_a_unit_once_given_the_case_keeps_seeing_its_supervisions(people):
    """Like the case itself (Case.scope_q): a unit that returned the case still sees it."""
    case = _in_progress_at_chengguan(people)
    cs.supervise(actor=people["inspector"], case=case, level="yellow", note="加快")
    case.refresh_from_db()
    cs.return_case(actor=people["cg"], case=case, note="不属于本单位职责")
    case.refresh_from_db()
    assert case.holder_department_id is None
    assert Supervision.objects.visible_to(people["cg"]).filter(case=case).count() == 1
    assert not Supervision.objects.visible_to(people["police"]).exists()
