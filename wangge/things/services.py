"""Writing components: always through here, with the acting user's jurisdiction checked."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from wangge.core.history import StaleRecord, build_change, check_version
from wangge.things.models import Component, ComponentChange

EDITABLE = ["code", "name", "owner_department", "owner_unit", "maintainer_department",
            "maintainer_unit", "status", "address", "lon", "lat", "note"]


def _check_reach(actor, component: Component) -> None:
    """The component's grid must lie in the actor's jurisdiction (None: the system)."""
    if actor is None or actor.is_superuser:
        return
    prefix = getattr(actor, "scope_prefix", None)
    if not prefix or not component.grid.prefix.startswith(prefix):
        raise PermissionDenied("the component lies outside your jurisdiction")


def snapshot(component: Component) -> dict:
    """The component as its history keeps it (units by name, the grid by code)."""
    return {
        "code": component.code,
        "name": component.name,
        "status": component.status,
        "owner_department": component.owner_department.name
        if component.owner_department_id else "",
        "owner_unit": component.owner_unit,
        "maintainer_department": component.maintainer_department.name
        if component.maintainer_department_id else "",
        "maintainer_unit": component.maintainer_unit,
        "address": component.address,
        "lon": component.lon,
        "lat": component.lat,
        "grid": component.grid.code if component.grid_id else "",
        "note": component.note,
    }


def history_row(component: Component, *, actor, before: dict | None, source: str):
    """The unsaved ``ComponentChange`` from ``before`` to the component as it is now, or None
    when nothing changed (for callers that write rows in bulk, like the importer)."""
    return build_change(ComponentChange, actor=actor, before=before, after=snapshot(component),
                        source=source, area=component.grid, component=component,
                        code=component.code, at=component.updated_at or timezone.now())


@transaction.atomic
def save_component(actor, component: Component | None = None, *, source: str = "web",
                   expected_version: str | None = None, **data) -> Component:
    """Create (``component`` None) or update a component from field values; validates the code
    and locates the grid. The change is written to the history (``source``: web, api, import
    …) in the same transaction; nothing is saved or written when nothing changed. With
    ``expected_version`` (see wangge.core.history.version_of) a component changed since then
    is refused with ``StaleRecord``. Raises ValidationError or PermissionDenied."""
    before = None
    if component is not None and component.pk:
        if (actor is not None
                and not Component.objects.visible_to(actor).filter(pk=component.pk).exists()):
            raise PermissionDenied("the component lies outside your jurisdiction")
        stored = Component.objects.select_for_update(of=("self",)).select_related(
            "grid", "owner_department", "maintainer_department").get(pk=component.pk)
        check_version(stored, expected_version)
        before = snapshot(stored)
    component = component or Component()
    for key, value in data.items():
        if key not in EDITABLE:
            raise ValueError(f"unknown field {key}")
        setattr(component, key, value)
    component.full_clean(exclude=["category", "grid"])
    _check_reach(actor, component)
    if before is not None and snapshot(component) == before:
        return component
    component.save()
    change = history_row(component, actor=actor, before=before, source=source)
    if change is not None:
        change.save()
    return component


def set_status(actor, component: Component, status: str, *, source: str = "web") -> Component:
    return save_component(actor, component, status=status, source=source)


def devices_of(component: Component):
    """The IoT devices (integrations.Device) that name this component by its code."""
    from wangge.integrations.models import Device

    return Device.objects.filter(component=component.code).order_by("device_id")


__all__ = ["StaleRecord", "ValidationError", "devices_of", "save_component", "set_status",
           "snapshot"]
