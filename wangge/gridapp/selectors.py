"""What the grid-worker app shows: a worker's grids, tasks, counts and usual categories.

Everything here is filtered to the requesting user (and to their jurisdiction for cases)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone

from wangge.cases.choices import Action, Status
from wangge.cases.models import Case, CaseEvent, Category
from wangge.cases.selectors import visible_cases
from wangge.territory.models import GridStaff

HELD_STATUSES = [Status.DISPATCHED, Status.IN_PROGRESS]


def my_posts(user):
    return (GridStaff.objects.filter(user=user).select_related("grid", "grid__parent")
            .order_by("grid__code", "post"))


def my_grid_ids(user) -> list[int]:
    return list(GridStaff.objects.filter(user=user).values_list("grid_id", flat=True))


def to_verify(user):
    """Cases waiting for verification in my grids, or reported by me."""
    return (visible_cases(user).filter(status=Status.TO_VERIFY)
            .filter(Q(grid_id__in=my_grid_ids(user)) | Q(reporter=user))
            .order_by("step_deadline", "id"))


def held_by_me(user):
    """Cases dispatched to me in person: to sign, or being handled."""
    return (visible_cases(user).filter(holder_user=user, status__in=HELD_STATUSES)
            .order_by("step_deadline", "id"))


def my_reports(user, limit: int = 20):
    return visible_cases(user).filter(reporter=user).order_by("-reported_at", "-id")[:limit]


def today_counts(user, now=None) -> dict:
    now = now or timezone.now()
    today = timezone.localdate(now)
    start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    mine = Case.objects.filter(reporter=user, report_date=today)
    counts = mine.aggregate(reported=Count("id"), self_handled=Count("id", filter=Q(
        self_handled=True)))
    counts["verified"] = CaseEvent.objects.filter(
        actor=user, at__gte=start, action__in=[Action.VERIFY_PASS, Action.VERIFY_FAIL]).count()
    return counts


def categories_for(user, top: int = 6) -> tuple[list[dict], list[str]]:
    """Every active 小类 (code, name, major) and the codes the user reported most, most first."""
    rows = [{"code": c.code, "name": c.name, "major": c.parent.name}
            for c in Category.objects.filter(parent__isnull=False, is_active=True)
            .select_related("parent").order_by("code")]
    since = timezone.now() - dt.timedelta(days=365)
    usual = list(Case.objects.filter(reporter=user, reported_at__gte=since)
                 .values("category__code").annotate(n=Count("id"))
                 .order_by("-n", "category__code").values_list("category__code", flat=True)[:top])
    return rows, usual
