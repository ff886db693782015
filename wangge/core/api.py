"""What the base-data API endpoints share: a page of results, the area filter and the stale-write
check. Each app's ``api.py`` stays a thin layer over its selectors and services."""

from __future__ import annotations

import datetime as dt
from typing import Generic, TypeVar

from ninja import Field, Schema

from wangge.core.editing import require_editor
from wangge.core.scope import get_scoped_or_404, scoped
from wangge.core.security import MAX_PAGE

__all__ = ["Page", "PageQuery", "area_for", "area_in_scope", "changes_out", "check_fresh", "choice",
           "page_of", "require_editor", "within"]

T = TypeVar("T")


class Page(Schema, Generic[T]):
    count: int
    page: int
    page_size: int
    results: list[T]


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(50, ge=1, le=500)


class ChangeOut(Schema):
    at: dt.datetime
    actor: str | None
    action: str
    source: str
    before: dict | None
    after: dict | None


def changes_out(changes) -> list[dict]:
    """History rows (any base-data change model) as the API shows them, newest first."""
    return [{"at": c.at, "actor": c.actor.username if c.actor_id else None,
             "action": c.action, "source": c.source, "before": c.before, "after": c.after}
            for c in changes.select_related("actor").order_by("-at", "-pk")]


def page_of(queryset, query: PageQuery, row) -> dict:
    """One page of ``queryset`` (already scoped and ordered), each object through ``row``."""
    count = queryset.count()
    start = (query.page - 1) * query.page_size
    objects = list(queryset[start:start + query.page_size])
    return {"count": count, "page": query.page, "page_size": query.page_size,
            "results": [row(obj) for obj in objects]}


def area_in_scope(user, code: str):
    """The area with this code in the user's jurisdiction (404 otherwise, as for anything that
    does not exist)."""
    from wangge.territory.models import Area

    return get_scoped_or_404(Area, user, code=code)


def area_for(user, code: str | None, field: str):
    """The area a write names by code (None without one): in the user's jurisdiction, or a
    422 on ``field``."""
    from django.core.exceptions import ValidationError

    from wangge.territory.models import Area

    if not code:
        return None
    area = scoped(Area, user).filter(code=code).first()
    if area is None:
        raise ValidationError({field: f"no area in your jurisdiction has the code {code}"})
    return area


def within(queryset, user, code: str | None, path: str):
    """``queryset`` limited to the subtree of the area ``code`` (``path`` leads to an area's
    prefix); unchanged without a code, a 404 for an area outside the user's jurisdiction."""
    if not code:
        return queryset
    return queryset.filter(**{f"{path}__startswith": area_in_scope(user, code).prefix})


def choice(value: str | None, choices, name: str) -> str | None:
    """``value`` if it is one of ``choices`` (a TextChoices class) or empty; else a 400 that
    names the field and the allowed values."""
    if value and value not in choices.values:
        raise ValueError(f"{name} must be one of {', '.join(choices.values)}")
    return value


class StaleError(Exception):
    """The client changed a record from an out-of-date copy."""

    def __init__(self, current: dt.datetime):
        self.current = current
        super().__init__(f"the record was changed at {current.isoformat()} since you loaded it; "
                         "reload it and apply your change again")


def check_fresh(obj, seen: dt.datetime | None, field: str = "updated_at") -> None:
    """Refuse a change made from a copy older than the record (``seen`` is the ``updated_at``
    the client read; None skips the check)."""
    if seen is None:
        return
    current = getattr(obj, field)
    if seen.tzinfo is None:
        raise ValueError("updated_at must carry a time zone, as the API returns it")
    # the API writes times to the millisecond: compare at that precision
    if current.replace(microsecond=current.microsecond // 1000 * 1000) != seen.replace(
            microsecond=seen.microsecond // 1000 * 1000):
        raise StaleError(current)
