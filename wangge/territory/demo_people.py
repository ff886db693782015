"""Demo accounts: one login per role, and synthetic staff for every grid of the demo county."""

from __future__ import annotations

import numpy as np
from django.contrib.auth.hashers import make_password
from django.db import transaction

from wangge.accounts.choices import Role
from wangge.accounts.models import User
from wangge.territory.choices import Level, Post
from wangge.territory.models import Area, GridStaff

DEMO_PASSWORD = "Wangge@2026"

SURNAMES = list("陈林黄王李吴张刘洪蔡郑杨许苏傅戴叶潘黄庄柯施萧卓颜")
GIVEN = list("志明建华国强丽娟秀英海燕文杰俊峰雅婷晓东伟鹏婉清思远佳怡子涵宇航梓萱")

# (username, display name, role, jurisdiction code, unit, is_staff, is_superuser)
LOGINS = [
    ("admin", "系统管理员", Role.ADMIN, "350583000000", "南安市网格化服务管理中心", True, True),
    ("leader", "市领导", Role.LEADER, "350583000000", "南安市人民政府", False, False),
    ("center", "指挥中心坐席", Role.OPERATOR, "350583000000", "南安市综治中心", False, False),
    ("ximei", "溪美街道分中心", Role.DISPATCHER, "350583001000", "溪美街道综治中心", False, False),
    ("shequ", "溪美社区受理员", Role.DISPATCHER, "350583001001", "溪美社区", False, False),
    ("chengguan", "城管局处置员", Role.DEPARTMENT, "350583000000", "南安市城市管理局", False,
     False),
    ("paichusuo", "溪美派出所民警", Role.DEPARTMENT, "350583001000", "溪美派出所", False, False),
    ("ducha", "督察员", Role.INSPECTOR, "350583000000", "南安市网格化服务管理中心", False, False),
    ("wanggeyuan", "陈晓东", Role.GRID_WORKER, "350583001001", "溪美社区", False, False),
]

# 三权分立: security administration and audit are held by accounts of their own, beside the
# system administrator ``admin``. Made on a demo database of an older version too.
SECURITY_LOGINS = [
    ("anquan", "安全管理员", Role.SECURITY_ADMIN, "350583000000", "南安市网格化服务管理中心", True,
     False),
    ("shenji", "审计员", Role.AUDITOR, "350583000000", "南安市网格化服务管理中心", True, False),
]


# department logins → the demo department they handle for
DEPARTMENT_LOGINS = {"chengguan": "chengguan-350583", "paichusuo": "police-350583001"}


def _name(rng) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN, size=int(rng.integers(1, 3))))


@transaction.atomic
def create_demo_people(seed: int = 350583) -> dict[str, int]:
    rng = np.random.default_rng(seed)
    password = make_password(DEMO_PASSWORD)  # hashed once, shared by all demo accounts
    areas = {a.code: a for a in Area.objects.filter(level__lte=Level.VILLAGE)}
    users = []
    for username, display, role, code, unit, is_staff, is_super in LOGINS + SECURITY_LOGINS:
        users.append(User(username=username, display_name=display, role=role,
                          phone=f"1595950{len(users):04d}",
                          jurisdiction=areas[code], organisation=unit, is_staff=is_staff,
                          is_superuser=is_super, password=password))
    User.objects.bulk_create(users)
    grids = list(Area.objects.filter(level=Level.GRID).select_related("parent").order_by("code"))
    leaders = {}
    new_users = []
    by_village: dict[int, list[Area]] = {}
    for grid in grids:
        by_village.setdefault(grid.parent_id, []).append(grid)
    for village_id, village_grids in by_village.items():
        village = village_grids[0].parent
        leader = User(username=f"wgz{village.code}", display_name=_name(rng),
                      role=Role.GRID_WORKER, jurisdiction=village, organisation=village.name,
                      phone=f"139{int(rng.integers(0, 10**8)):08d}", password=password)
        leaders[village_id] = leader
        new_users.append(leader)
        for grid in village_grids:
            new_users.append(User(username=f"wgy{grid.code}", display_name=_name(rng),
                                  role=Role.GRID_WORKER, jurisdiction=village,
                                  organisation=village.name,
                                  phone=f"138{int(rng.integers(0, 10**8)):08d}",
                                  password=password))
    User.objects.bulk_create(new_users, batch_size=1000)
    by_name = dict(User.objects.filter(username__startswith="wg").values_list("username", "id"))
    staff = []
    for village_id, village_grids in by_village.items():
        leader_id = by_name[leaders[village_id].username]
        for n, grid in enumerate(village_grids):
            staff.append(GridStaff(grid=grid, user_id=leader_id, post=Post.LEADER))
            staff.append(GridStaff(grid=grid, user_id=by_name[f"wgy{grid.code}"],
                                   post=Post.FULL_TIME))
            if n % 3 == 0 and len(village_grids) > 1:  # part-timers cover a neighbouring grid
                neighbour = village_grids[(n + 1) % len(village_grids)]
                staff.append(GridStaff(grid=grid, user_id=by_name[f"wgy{neighbour.code}"],
                                       post=Post.PART_TIME))
    # the demo grid worker login works in two grids of 溪美社区 ("一员多格")
    demo_worker = User.objects.get(username="wanggeyuan")
    for grid in by_village.get(areas["350583001001"].pk, [])[:2]:
        staff.append(GridStaff(grid=grid, user=demo_worker, post=Post.FULL_TIME))
    GridStaff.objects.bulk_create(staff, batch_size=2000)
    return {"users": len(users) + len(new_users), "posts": len(staff)}


def ensure_security_logins() -> int:
    """The 安全管理员 and 审计员 demo logins, when a demo made before them lacks them."""
    areas = {a.code: a for a in Area.objects.filter(code="350583000000")}
    made = 0
    for username, display, role, code, unit, is_staff, is_super in SECURITY_LOGINS:
        if code not in areas or User.objects.filter(username=username).exists():
            continue
        User.objects.create(username=username, display_name=display, role=role,
                            jurisdiction=areas[code], organisation=unit, is_staff=is_staff,
                            is_superuser=is_super, password=make_password(DEMO_PASSWORD))
        made += 1
    return made
