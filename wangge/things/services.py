"""Writing components: always through here, with the acting user's jurisdiction checked."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from wangge.things.models import Component

EDITABLE = ["code", "name", "owner_department", "owner_unit", "maintainer_department",
            "maintainer_unit", "status", "address", "lon", "lat", "note"]


def _check_reach(actor, component: Component) -> None:
    """The component's grid must lie in the actor's jurisdiction (None: the system)."""
    if actor is None or actor.is_superuser:
        return
    prefix = getattr(actor, "scope_prefix", None)
    if not prefix or not component.grid.prefix.startswith(prefix):
        raise PermissionDenied("the component lies outside your jurisdiction")


@transaction.atomic
def save_component(actor, component: Component | None = None, **data) -> Component:
    """Create (``component`` None) or update a component from field values; validates the code
    and locates the grid. Raises ValidationError or PermissionDenied."""
    if (component is not None and component.pk and actor is not None
            and not Component.objects.visible_to(actor).filter(pk=component.pk).exists()):
        raise PermissionDenied("the component lies outside your jurisdiction")
    component = component or Component()
    for key, value in data.items():
        if key not in EDITABLE:
            raise ValueError(f"unknown field {key}")
        setattr(component, key, value)
    component.full_clean(exclude=["category", "grid"])
    _check_reach(actor, component)
    component.save()
    return component


def set_status(actor, component: Component, status: str) -> Component:
    return save_component(actor, component, status=status)


def devices_of(component: Component):
    """The IoT devices (integrations.Device) that name this component by its code."""
    from wangge.integrations.models import Device

    return Device.objects.filter(component=component.code).order_by("device_id")


__all__ = ["ValidationError", "devices_of", "save_component", "set_status"]
