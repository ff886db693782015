"""The case types a resident may choose: active 小类 of the taxonomy, minus those that are not
for residents to report (life-threatening emergencies belong on 110/119/120, and the ones that are
the staff's own work on managed people and base data).

Change the list without code: ``WANGGE["PORTAL_EXCLUDED_CATEGORIES"] = ["0404", ...]``
(codes of 小类, or of a 大类 to leave out all of its 小类).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from wangge.cases.models import Category

EXCLUDED = frozenset({
    "0404",  # 火灾: call 119
    "0410",  # 人员被困: call 119
    "1112",  # 群体性矛盾苗头: intelligence work
    "1207",  # 邪教及非法宗教活动: police intelligence
    "1210",  # 出租房屋未登记: base-data collection by grid workers
    "1606",  # 散乱污企业: an inspection finding
    "1805", "1806", "1807", "1808", "1809",  # managed special groups
    "2002",  # 耕地撂荒: an inspection finding
})

# what residents report most, offered as one-tap choices above the list
COMMON = ["0101", "0105", "0504", "0506", "5105", "5102", "5201", "0510", "1403", "1401"]


@dataclass
class Group:
    code: str
    name: str
    items: list[Category] = field(default_factory=list)


def excluded() -> frozenset[str]:
    configured = settings.WANGGE.get("PORTAL_EXCLUDED_CATEGORIES")
    return frozenset(configured) if configured is not None else EXCLUDED


def resident_categories() -> list[Category]:
    leave_out = excluded()
    rows = (Category.objects.filter(parent__isnull=False, is_active=True,
                                    parent__is_active=True)
            .select_related("parent").order_by("parent__code", "code"))
    return [c for c in rows if c.code not in leave_out and c.parent.code not in leave_out]


def grouped(categories: list[Category]) -> list[Group]:
    groups: dict[str, Group] = {}
    for category in categories:
        group = groups.setdefault(category.parent.code,
                                  Group(category.parent.code, category.parent.name))
        group.items.append(category)
    return list(groups.values())


def common(categories: list[Category]) -> list[Category]:
    by_code = {c.code: c for c in categories}
    return [by_code[code] for code in COMMON if code in by_code]
