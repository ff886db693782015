"""Read-only queries over the territory."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from wangge.territory.choices import Level

# A sub-grid has four ancestors (grid, village, township, county): the deepest chain.
_MAX_DEPTH = 4


def _valid_q(day, path: str = "") -> Q:
    """Q for "the area at ``path`` (``""`` for the area itself) is valid on ``day``"."""
    at = f"{path}__" if path else ""
    return (
        (Q(**{f"{at}valid_from__isnull": True}) | Q(**{f"{at}valid_from__lte": day}))
        & (Q(**{f"{at}valid_to__isnull": True}) | Q(**{f"{at}valid_to__gte": day}))
    )


def valid_on(queryset, day=None):
    day = day or timezone.localdate()
    return queryset.filter(_valid_q(day))


def ancestors_valid_on(queryset, day=None):
    """Areas whose every ancestor (parent, its parent, ...) is valid on ``day``."""
    day = day or timezone.localdate()
    condition = Q()
    for depth in range(1, _MAX_DEPTH + 1):
        path = "__".join(["parent"] * depth)
        condition &= Q(**{f"{path}__isnull": True}) | _valid_q(day, path)
    return queryset.filter(condition)


def unit_grids(queryset, day=None):
    """Grids without valid second-level grids, and second-level grids, valid on ``day``.

    A grid counts only when its whole chain is valid too: the grid of an expired community or
    township (or the sub-grid of an expired grid) is not a unit grid any more.
    """
    from wangge.territory.models import Area

    day = day or timezone.localdate()
    sub = valid_on(Area.objects.filter(parent=OuterRef("pk"), level=Level.SUBGRID), day)
    return ancestors_valid_on(valid_on(queryset, day), day).filter(
        Q(level=Level.SUBGRID) | Q(level=Level.GRID) & ~Exists(sub)
    )
