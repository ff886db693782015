"""Demo cases: a month of reports across the demo county, each played through the real
services up to a stage that depends on its age, so lists, lights and timelines look lived in."""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.utils import timezone

from wangge.accounts.models import User
from wangge.cases import services
from wangge.cases.choices import Source, Status
from wangge.cases.models import Case, Category
from wangge.dispatch.services import propose
from wangge.territory.models import Area

COMMON = ["0101", "0102", "0103", "0201", "0301", "0501", "0502", "5101", "5105", "5201",
          "1101", "1102", "1201", "1301", "1401", "1601", "1701", "1801", "0403"]
DESCRIPTIONS = {
    "0101": "路边有一堆暴露垃圾，影响通行", "0102": "空地堆放建筑渣土", "0501": "流动摊贩占道经营",
    "5101": "人行道井盖缺失，存在安全隐患", "5105": "路灯晚上不亮", "1101": "邻里因漏水发生纠纷",
    "1401": "楼道堆放杂物堵塞消防通道", "1701": "独居老人需要上门帮扶", "0403": "闻到燃气异味",
}


def create_demo_cases(count: int = 240, seed: int = 2026, now=None) -> int:
    rng = np.random.default_rng(seed)
    now = now or timezone.now()
    admin = User.objects.get(username="admin")
    categories = {c.code: c for c in Category.objects.filter(code__in=COMMON)}
    codes = [c for c in COMMON if c in categories]
    ximei = list(Area.objects.filter(level=4, prefix__startswith="350583001001")
                 .values_list("code", flat=True))
    grids = list(Area.objects.filter(level=4).values_list("code", flat=True))
    made = 0
    fresh = max(1, count // 40)  # the last few stay new reports in the command center's queue
    for index in range(count):
        grid_code = str(rng.choice(ximei if rng.random() < 0.35 else grids))
        grid = Area.objects.get(code=grid_code)
        from shapely.geometry import shape

        point = shape(grid.geometry).representative_point()
        # a third from the last two days (still in the loop), the rest over the month
        age_hours = float(rng.uniform(0.2, 48) if rng.random() < 0.35 else
                          rng.uniform(48, 24 * 30))
        if index >= count - fresh:
            age_hours = float(rng.uniform(0.01, 0.15))
        t = now - dt.timedelta(hours=age_hours)
        code = str(rng.choice(codes))
        worker = User.objects.filter(username=f"wgy{grid_code}").first()
        resident = rng.random() < 0.3 or worker is None
        try:
            case = services.report(
                actor=None if resident else worker, category=categories[code],
                description=DESCRIPTIONS.get(code, categories[code].name),
                source=Source.RESIDENT if resident else Source.PATROL,
                lon=point.x + float(rng.normal(0, 0.0003)),
                lat=point.y + float(rng.normal(0, 0.0003)),
                reporter_name="群众" if resident else "", now=t)
        except services.CaseError:
            continue
        made += 1
        _progress(case, admin, rng, t, now)
    return made


def _progress(case: Case, admin, rng, t, now) -> None:
    """Walk the case forward while its clock allows, like the people on duty would."""
    steps = [
        (dt.timedelta(minutes=float(rng.uniform(5, 40))), "accept"),
        (dt.timedelta(minutes=float(rng.uniform(5, 40))), "dispatch"),
        (dt.timedelta(hours=float(rng.uniform(0.2, 3))), "sign"),
        (dt.timedelta(hours=float(rng.uniform(1, 30))), "feedback"),
        (dt.timedelta(hours=float(rng.uniform(1, 20))), "verify"),
        (dt.timedelta(hours=float(rng.uniform(0.5, 8))), "close"),
        (dt.timedelta(hours=float(rng.uniform(2, 48))), "evaluate"),
    ]
    for delay, step in steps:
        t = t + delay
        if t > now:
            return
        case.refresh_from_db()
        try:
            if step == "accept":
                if rng.random() < 0.04:
                    services.reject(actor=admin, case=case, note="不符合立案条件", now=t)
                    return
                services.accept(actor=admin, case=case, now=t)
            elif step == "dispatch":
                proposal = propose(case)
                if proposal.department is None:
                    return
                services.dispatch(actor=admin, case=case, department=proposal.department,
                                  now=t)
            elif step == "sign":
                handler = User.objects.filter(department=case.holder_department).first()
                if handler is None:
                    return
                services.sign(actor=handler, case=case, now=t)
            elif step == "feedback":
                services.feedback(actor=case.holder_user, case=case, note="已处置完毕", now=t)
            elif step == "verify":
                passed = rng.random() > 0.08
                services.verify(actor=admin, case=case, passed=passed,
                                note="" if passed else "现场仍未整改到位", now=t)
                if not passed:
                    return
            elif step == "close":
                services.close(actor=admin, case=case, now=t)
            elif step == "evaluate" and case.status == Status.CLOSED:
                services.evaluate(actor=admin, case=case, now=t, satisfaction=str(
                    rng.choice(["satisfied", "satisfied", "satisfied", "fairly",
                                "unsatisfied"])))
        except services.CaseError:
            return
