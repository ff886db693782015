"""City components as a table: ``wangge export components`` and the export link of the
components list.

The columns are the importer's (code, name, status, lon, lat, owner_unit, maintainer_unit,
address, note), so a re-import of an export changes nothing: a unit that is a department is
written as the department's code (the importer takes a code or a name), any other as its text.
``filtered`` is the list page's filter, shared by the page and its export.
"""

from __future__ import annotations

from collections.abc import Iterator

from wangge.core.exporting import CHUNK, Context, ExportKind, in_area, visible
from wangge.things.importer import COLUMNS
from wangge.things.models import Component, ComponentStatus

FILTER_KEYS = ("q", "status", "major", "area")


def filtered(user, params: dict) -> tuple:
    """The list page's filters: q (name contains or code starts with), status, major (the 大类
    code), area (an area code: its subtree)."""
    components = visible(Component, user)
    if params.get("q"):
        components = components.filter(name__icontains=params["q"]) | \
            components.filter(code__startswith=params["q"])
    if params.get("status") in ComponentStatus.values:
        components = components.filter(status=params["status"])
    if params.get("major"):
        components = components.filter(category__parent__code=params["major"])
    if params.get("area"):
        return in_area(components, user, params["area"], "grid__prefix")
    return components, ""


def rows(queryset, ctx: Context) -> Iterator[list]:
    from wangge.dispatch.models import Department

    codes = dict(Department.objects.values_list("pk", "code"))
    for c in queryset.order_by("code").iterator(chunk_size=CHUNK):
        owner = codes.get(c.owner_department_id, "") if c.owner_department_id else c.owner_unit
        maintainer = codes.get(c.maintainer_department_id, "") if c.maintainer_department_id \
            else c.maintainer_unit
        yield [c.code, c.name, c.status, c.lon, c.lat, owner, maintainer, c.address, c.note]


COMPONENTS = ExportKind(name="components", columns=COLUMNS, filtered=filtered, rows=rows,
                        filter_keys=FILTER_KEYS, numeric=frozenset({"lon", "lat"}),
                        list_url="things:list")
