"""Read-only queries over the territory."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from wangge.territory.choices import Level


def valid_on(queryset, day=None):
    day = day or timezone.localdate()
    return queryset.filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=day),
        Q(valid_to__isnull=True) | Q(valid_to__gte=day),
    )


def unit_grids(queryset, day=None):
    """Grids without valid second-level grids, and second-level grids, valid on ``day``."""
    from wangge.territory.models import Area

    day = day or timezone.localdate()
    sub = valid_on(Area.objects.filter(parent=OuterRef("pk"), level=Level.SUBGRID), day)
    return valid_on(queryset, day).filter(
        Q(level=Level.SUBGRID) | Q(level=Level.GRID) & ~Exists(sub)
    )
