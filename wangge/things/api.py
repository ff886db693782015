"""Things endpoints (物): city components and IoT devices, scoped to the caller's jurisdiction.
A component's status (正常/损坏/丢失/占用/废弃) and details change through
``wangge.things.services``; a stale ``updated_at`` is refused with 409 ``conflict``."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from ninja import Field, Query, Router, Schema

from wangge.core.api import (
    ChangeOut,
    Page,
    PageQuery,
    changes_out,
    check_fresh,
    choice,
    page_of,
    require_editor,
    within,
)
from wangge.core.scope import get_scoped_or_404, scoped
from wangge.things import services
from wangge.things.models import Component, ComponentStatus

router = Router(tags=["things"])


class DeviceOut(Schema):
    device_id: str
    kind: str
    kind_label: str
    name: str
    grid_code: str | None
    lon: float | None
    lat: float | None
    building: str
    component: str
    active: bool
    stream_url: str


class ComponentOut(Schema):
    code: str
    name: str
    category_code: str
    category_name: str
    status: str
    status_label: str
    owner: str
    maintainer: str
    address: str
    lon: float
    lat: float
    grid_code: str
    note: str
    updated_at: dt.datetime


class ComponentDetail(ComponentOut):
    devices: list[DeviceOut]


class ComponentFilter(PageQuery):
    q: str | None = Field(None, description="Name contains, or code starts with")
    status: str | None = Field(None, description="normal, damaged, missing, occupied, abandoned")
    major: str | None = Field(None, description="Component 大类 code (2 digits)")
    category: str | None = Field(None, description="Component 小类 code (4 digits)")
    area: str | None = Field(None, description="Area code (its subtree)")


class ComponentPatch(Schema):
    status: str | None = None
    name: str | None = None
    address: str | None = None
    note: str | None = None
    lon: float | None = None
    lat: float | None = None
    owner_unit: str | None = None
    maintainer_unit: str | None = None
    updated_at: dt.datetime | None = Field(
        None, description="The updated_at you read; a stale one is refused with 409")


class DeviceFilter(PageQuery):
    kind: str | None = Field(None, description="smoke, gas, heat, power, camera, other")
    area: str | None = Field(None, description="Area code (its subtree)")


def _device(d) -> dict:
    return {"device_id": d.device_id, "kind": d.kind, "kind_label": str(d.get_kind_display()),
            "name": d.name, "grid_code": d.grid.code if d.grid_id else None, "lon": d.lon,
            "lat": d.lat, "building": d.building, "component": d.component,
            "active": d.active, "stream_url": d.stream_url}


def _component(c: Component) -> dict:
    return {"code": c.code, "name": c.name, "category_code": c.category.code,
            "category_name": c.category.name, "status": c.status,
            "status_label": str(c.get_status_display()), "owner": c.owner,
            "maintainer": c.maintainer, "address": c.address, "lon": c.lon, "lat": c.lat,
            "grid_code": c.grid.code, "note": c.note, "updated_at": c.updated_at}


def _components(user):
    return scoped(Component, user).select_related(
        "grid", "category", "owner_department", "maintainer_department")


def visible_devices(user):
    """Devices of the grids in the user's jurisdiction; a device with no grid (no position)
    only for the whole territory's users."""
    from wangge.integrations.models import Device
    from wangge.territory.models import Area

    devices = Device.objects.select_related("grid")
    if user.is_superuser:
        return devices
    prefix = getattr(user, "scope_prefix", None)
    if not prefix:
        return devices.none()
    root = Area.objects.filter(parent__isnull=True, prefix=prefix).exists()
    scope = Q(grid__prefix__startswith=prefix)
    return devices.filter(scope | Q(grid__isnull=True) if root else scope)


def _detail(component: Component, user) -> dict:
    devices = visible_devices(user).filter(component=component.code).order_by("device_id")
    return {**_component(component), "devices": [_device(d) for d in devices]}


@router.get("/components", response=Page[ComponentOut], summary="City components")
def list_components(request, filters: Query[ComponentFilter]):
    components = _components(request.user).order_by("code")
    if filters.q:
        q = filters.q.strip()
        components = components.filter(Q(name__icontains=q) | Q(code__startswith=q))
    if choice(filters.status, ComponentStatus, "status"):
        components = components.filter(status=filters.status)
    if filters.major:
        components = components.filter(category__parent__code=filters.major)
    if filters.category:
        components = components.filter(category__code=filters.category)
    components = within(components, request.user, filters.area, "grid__prefix")
    return page_of(components, filters, _component)


@router.get("/components/{component_code}", response=ComponentDetail, summary="One component")
def get_component(request, component_code: str):
    return _detail(get_scoped_or_404(Component, request.user, code=component_code),
                   request.user)


@router.get("/components/{component_code}/history", response=list[ChangeOut],
            summary="Every change to a component: who, when, before and after")
def component_history(request, component_code: str):
    component = get_scoped_or_404(Component, request.user, code=component_code)
    return changes_out(component.changes.all())


@router.patch("/components/{component_code}", response=ComponentDetail,
              summary="Change a component (status, name, position, units, note)")
def update_component(request, component_code: str, data: ComponentPatch):
    require_editor(request.user)
    component = get_scoped_or_404(Component, request.user, code=component_code)
    check_fresh(component, data.updated_at)
    changes = data.dict(exclude_unset=True, exclude={"updated_at"})
    choice(changes.get("status"), ComponentStatus, "status")
    services.save_component(request.user, component, source="api", **changes)
    return _detail(get_scoped_or_404(Component, request.user, code=component_code),
                   request.user)


@router.get("/devices", response=Page[DeviceOut], summary="IoT devices and cameras")
def list_devices(request, filters: Query[DeviceFilter]):
    devices = visible_devices(request.user).order_by("device_id")
    if filters.kind:
        devices = devices.filter(kind=filters.kind)
    devices = within(devices, request.user, filters.area, "grid__prefix")
    return page_of(devices, filters, _device)
