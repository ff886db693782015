"""Reading the early warnings (scoped to the viewer) and the hot-spot layer."""

from __future__ import annotations

from collections import Counter

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.analytics import rules
from wangge.analytics.choices import WarningKind
from wangge.analytics.models import EarlyWarning
from wangge.analytics.services import recent_points


def listed(user, *, kind: str = "", resolved: bool = False, limit: int = 100) -> list:
    """Open (or resolved) warnings the user may see: the most serious kind first, then the
    newest. Each gets a ``title`` line."""
    rows = (EarlyWarning.objects.visible_to(user).filter(resolved_at__isnull=not resolved)
            .select_related("area", "category"))
    if kind:
        rows = rows.filter(kind=kind)
    order = ["-resolved_at"] if resolved else ["-created_at", "-score"]
    items = list(rows.order_by(*order, "-id")[:limit])
    for item in items:
        item.title = title(item)
    return items


def open_counts(user) -> dict:
    counts = dict(EarlyWarning.objects.visible_to(user).filter(resolved_at=None)
                  .values("kind").annotate(n=Count("pk")).order_by().values_list("kind", "n"))
    return {kind: counts.get(kind, 0) for kind in WarningKind.values} | {
        "total": sum(counts.values())}


def title(warning: EarlyWarning) -> str:
    e = warning.evidence
    category = warning.category.name if warning.category_id else ""
    if warning.kind == WarningKind.SPIKE:
        return _("%(category)s in %(area)s: %(count)s in 7 days, usually %(mean)s a week") % {
            "category": category, "area": warning.area.name, "count": warning.count,
            "mean": f"{e.get('mean', 0):.1f}"}
    if warning.kind == WarningKind.REPEAT:
        return _("%(category)s reported %(count)s× again at the place of closed case "
                 "%(number)s") % {"category": category, "count": warning.count,
                                  "number": e.get("closed_case", "")}
    return _("Hot spot in %(area)s: %(count)s cases in %(days)s days") % {
        "area": warning.area.name, "count": warning.count, "days": e.get("days", "")}


def as_json(warning: EarlyWarning) -> dict:
    return {
        "id": warning.pk, "kind": warning.kind, "kind_label": str(warning.get_kind_display()),
        "title": getattr(warning, "title", "") or title(warning),
        "area": {"code": warning.area.code, "name": warning.area.name,
                 "level": warning.area.level},
        "category": ({"code": warning.category.code, "name": warning.category.name}
                     if warning.category_id else None),
        "cell": warning.cell or None,
        "window": {"from": warning.window_start.isoformat(),
                   "to": warning.window_end.isoformat()},
        "count": warning.count, "score": warning.score, "evidence": warning.evidence,
        "created": timezone.localtime(warning.created_at).isoformat(timespec="seconds"),
        "updated": timezone.localtime(warning.updated_at).isoformat(timespec="seconds"),
        "resolved": (timezone.localtime(warning.resolved_at).isoformat(timespec="seconds")
                     if warning.resolved_at else None),
        "url": reverse("analytics:warnings") + f"#w{warning.pk}",
    }


def cell_layer(cases, now, days: int = rules.HOT_DAYS, resolution: int = rules.H3_RESOLUTION,
               limit: int = 400) -> list[dict]:
    """The map's hexagons: cases of the last ``days`` days per H3 cell (of the cases the
    viewer may see), the busiest ``limit`` cells, each with its outline and whether a hot-spot
    warning is open for it."""
    import h3

    counts = Counter(h3.latlng_to_cell(lat, lon, resolution)
                     for lat, lon, _, _ in recent_points(cases, now, days))
    hot = set(EarlyWarning.objects.filter(kind=WarningKind.HOTSPOT, resolved_at=None)
              .values_list("cell", flat=True)) if resolution == rules.H3_RESOLUTION else set()
    top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [{"cell": cell, "count": n, "hot": cell in hot, "ring": rules.cell_boundary(cell)}
            for cell, n in top]
