"""Demo departments: the county's bureaus, and per township a police station and its office."""

from __future__ import annotations

from django.db import transaction

from wangge.dispatch.choices import DepartmentKind
from wangge.dispatch.models import Department
from wangge.territory.choices import Level
from wangge.territory.models import Area

COUNTY_BUREAUS = {
    DepartmentKind.CHENGGUAN: "城市管理局",
    DepartmentKind.HOUSING: "住房和城乡建设局",
    DepartmentKind.MARKET: "市场监督管理局",
    DepartmentKind.EMERGENCY: "应急管理局",
    DepartmentKind.ENVIRONMENT: "生态环境局",
    DepartmentKind.FIRE: "消防救援大队",
    DepartmentKind.TRANSPORT: "交通运输局",
    DepartmentKind.WATER: "水利局",
    DepartmentKind.CIVIL: "民政局",
    DepartmentKind.HEALTH: "卫生健康局",
    DepartmentKind.POWER: "供电公司",
    DepartmentKind.WATERWORKS: "自来水公司",
    DepartmentKind.JUSTICE: "司法局",
    DepartmentKind.LANDSCAPE: "园林绿化中心",
    DepartmentKind.NATURAL_RESOURCES: "自然资源局",
    DepartmentKind.POLICE: "公安局",
}


@transaction.atomic
def create_departments(county: Area) -> dict[str, Department]:
    """Create (or keep) the demo departments; returns them by code."""
    prefix = county.name.removesuffix("市").removesuffix("县").removesuffix("区")
    wanted = []
    for kind, name in COUNTY_BUREAUS.items():
        wanted.append((f"{kind}-{county.code[:6]}", f"{prefix}{name}", kind, county))
    for township in Area.objects.filter(parent=county, level=Level.TOWNSHIP).order_by("code"):
        short = township.name.removesuffix("街道").removesuffix("镇").removesuffix("乡")
        wanted.append((f"police-{township.code[:9]}", f"{short}派出所", DepartmentKind.POLICE,
                       township))
        office = "办事处" if township.name.endswith("街道") else "人民政府"
        wanted.append((f"office-{township.code[:9]}", f"{township.name}{office}",
                       DepartmentKind.STREET_OFFICE, township))
    existing = set(Department.objects.filter(code__in=[w[0] for w in wanted])
                   .values_list("code", flat=True))
    Department.objects.bulk_create([
        Department(code=code, name=name, kind=kind, area=area)
        for code, name, kind, area in wanted if code not in existing])
    return {d.code: d for d in Department.objects.filter(code__in=[w[0] for w in wanted])}


def create_department_handlers(departments: dict[str, Department], password_hash: str) -> int:
    """One handler account per demo department (``dept-<code>``), sharing the demo password."""
    from wangge.accounts.choices import Role
    from wangge.accounts.models import User

    existing = set(User.objects.filter(username__startswith="dept-")
                   .values_list("username", flat=True))
    users = [User(username=f"dept-{code}", display_name=f"{department.name}处置员",
                  role=Role.DEPARTMENT, jurisdiction=department.area, department=department,
                  organisation=department.name, password=password_hash)
             for code, department in departments.items() if f"dept-{code}" not in existing]
    User.objects.bulk_create(users, batch_size=500)
    return len(users)
