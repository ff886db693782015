"""Routing: who should handle a case (权责清单, with fallback to the area itself: 属地兜底)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from wangge.dispatch.models import Department, ResponsibilityRule


@dataclass(frozen=True)
class Proposal:
    department: Department | None
    reason: str


def _chain(area) -> list:
    """The area and its ancestors, most specific first."""
    chain = []
    node = area
    while node is not None:
        chain.append(node)
        node = node.parent
    return chain


def propose(case) -> Proposal:
    """The responsible unit for a case: the responsibility list first (the most specific area
    wins, a 小类 rule before a 大类 rule), then the category's department kind serving the
    grid, else the territory itself (属地兜底)."""
    chain = _chain(case.grid)
    area_ids = [a.pk for a in chain]
    categories = [case.category_id] + ([case.category.parent_id] if case.category.parent_id
                                       else [])
    rules = {(r.area_id, r.category_id): r for r in ResponsibilityRule.objects.filter(
        area_id__in=area_ids, category_id__in=categories, department__is_active=True)
        .select_related("department")}
    for area in chain:
        for category_id in categories:
            rule = rules.get((area.pk, category_id))
            if rule:
                return Proposal(rule.department, _("Responsibility list: %(category)s in "
                                                   "%(area)s") % {
                    "category": rule.category.name, "area": area.name})
    kind = case.category.department_kind
    if kind:
        departments = {d.area_id: d for d in Department.objects.filter(
            kind=kind, area_id__in=area_ids, is_active=True).order_by("-area__level", "code")}
        for area in chain:
            if area.pk in departments:
                return Proposal(departments[area.pk], _("Category default: %(kind)s serving "
                                                        "%(area)s") % {
                    "kind": departments[area.pk].get_kind_display(), "area": area.name})
    return Proposal(None, _("No responsible department found: the territory handles it "
                            "(属地兜底)."))


@transaction.atomic
def set_rule(*, actor, category, area, department, note: str = "") -> ResponsibilityRule:
    rule, _ = ResponsibilityRule.objects.update_or_create(
        category=category, area=area, defaults={"department": department, "note": note})
    return rule
