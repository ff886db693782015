"""Synthetic IoT devices for the demo county (``wangge demo-data --devices N --cameras M``).

- Sensors (smoke, gas, heat, electrical safety) are installed at organisations (linked through
  ``OrganisationDevice``, at the organisation's position: gas detectors mostly in restaurants,
  electrical ones in enterprises and workshops …) or in residential buildings (``building`` is
  the building's name, the position a point in its grid). Their IDs read ``YG3505830000001``
  (烟感 YG, 燃气 RQ, 温感 WG, 电气 DQ, the county, a serial per kind).
- Cameras hang on city components (surveillance poles, street lamps, traffic lights: the
  camera names the component by its code and stands where it stands) or watch a road junction
  or a village entrance (a point in the grid). Their IDs are 20-digit GB/T 28181 codes (the
  county + 00, industry 00, type 132 network camera, network 0, a serial) and each has a
  ``stream_url``: RTSP from the camera on the private video network, or HLS from the platform.

Record *i* depends only on the seed, *i* and the organisations, buildings and components
there are (wangge/territory/synthetic.py); a device whose ID exists is skipped, so running again
creates nothing. Rows go in with ``bulk_create``.
"""

from __future__ import annotations

import numpy as np
from django.db import transaction

from wangge.integrations.models import Device, DeviceKind
from wangge.territory import synthetic as syn

SENSOR_STREAM = 3
CAMERA_STREAM = 4

SENSORS = {  # kind → (ID prefix, label, share, organisation kinds it is mostly found at)
    DeviceKind.SMOKE: ("YG", "烟感探测器", 45, None),
    DeviceKind.GAS: ("RQ", "可燃气体探测器", 20, ("small_restaurant", "small_venue",
                                                  "enterprise")),
    DeviceKind.HEAT: ("WG", "温感探测器", 10, ("enterprise", "small_workshop", "small_venue")),
    DeviceKind.POWER: ("DQ", "电气火灾监控探测器", 25, ("enterprise", "small_workshop",
                                                       "shop", "small_shop")),
}
AT_ORGANISATION = 0.6  # the other sensors are in residential buildings
ON_COMPONENT = 0.6  # the other cameras watch a road or a village entrance
CAMERA_COMPONENTS = ("5602", "5105", "5106", "5203")  # poles, lamps, traffic lights
CAMERA_TYPES = ["枪机", "球机", "半球"]
ACTIVE = 0.97


def _pools(sampler: syn.GridSampler):
    """What devices can be installed at: organisations, buildings and camera-carrying
    components in the sampler's grids, in a fixed order."""
    from wangge.organisations.models import Organisation
    from wangge.places.models import Building
    from wangge.things.models import Component

    grid_index = {int(pk): i for i, pk in enumerate(sampler.grid_ids.tolist())}
    orgs = [row for row in Organisation.objects.filter(lon__isnull=False).order_by("pk")
            .values_list("pk", "kind", "name", "grid_id", "lon", "lat")
            if row[3] in grid_index]
    buildings = [row for row in Building.objects.order_by("pk")
                 .values_list("pk", "name", "grid_id", "lon", "lat") if row[2] in grid_index]
    components = [row for row in Component.objects.filter(
        category__code__in=CAMERA_COMPONENTS).order_by("code")
        .values_list("code", "name", "grid_id", "lon", "lat") if row[2] in grid_index]
    return grid_index, orgs, buildings, components


def generate_sensors(count: int, seed: int, sampler: syn.GridSampler, pools) -> list[dict]:
    grid_index, orgs, buildings, _components = pools
    kinds = list(SENSORS)
    shares = np.array([SENSORS[k][2] for k in kinds], dtype=float)
    shares /= shares.sum()
    by_kind = {}
    for kind in kinds:
        wanted = SENSORS[kind][3]
        chosen = [i for i, row in enumerate(orgs) if wanted is None or row[1] in wanted]
        by_kind[kind] = np.array(chosen or range(len(orgs)), dtype=np.int64)
    county = sampler.county_code
    serials: dict[str, int] = {}
    records = []
    for block, _start, n in syn.blocks(count):
        rng = syn.block_rng(seed, SENSOR_STREAM, block)
        kind_idx = rng.choice(len(kinds), n, p=shares).tolist()
        place_draw = rng.random(n)
        pick = rng.integers(0, 2**62, n)
        units = rng.integers(1, 4, n).tolist()
        floors = rng.integers(1, 12, n).tolist()
        active = (rng.random(n) < ACTIVE).tolist()
        free_grids = sampler.pick(rng, n)
        wanted_grid = np.empty(n, dtype=np.int64)
        fixed: list[tuple | None] = []
        for i in range(n):
            kind = kinds[kind_idx[i]]
            if orgs and (place_draw[i] < AT_ORGANISATION or not buildings):
                pool = by_kind[kind]
                pk, _kind, name, grid_id, lon, lat = orgs[int(pool[pick[i] % len(pool)])]
                fixed.append(("org", pk, name, grid_id, lon, lat))
                wanted_grid[i] = grid_index[grid_id]
            elif buildings:
                pk, name, grid_id, lon, lat = buildings[int(pick[i] % len(buildings))]
                fixed.append(("building", pk, name, grid_id, lon, lat))
                wanted_grid[i] = grid_index[grid_id]
            else:
                fixed.append(None)
                wanted_grid[i] = free_grids[i]
        lons, lats = sampler.points(wanted_grid, rng)
        for i in range(n):
            kind = kinds[kind_idx[i]]
            prefix, label, _share, _orgs = SENSORS[kind]
            serial = serials.get(prefix, 0) + 1
            serials[prefix] = serial
            where = fixed[i]
            g = int(wanted_grid[i])
            lon, lat = float(lons[i]), float(lats[i])
            organisation = None
            if where is None:
                building, name = "", f"{sampler.places[g].village}{label}"
            elif where[0] == "org":
                organisation = where[1]
                building, name = where[2], f"{where[2]}{label}"
                lon, lat = where[4], where[5]
            else:
                building = f"{where[2]}{units[i]}单元"
                name = f"{building}{floors[i]}层{label}"
                if where[4] is not None and where[5] is not None:
                    lon, lat = where[4], where[5]
            records.append({
                "device_id": f"{prefix}{county}{serial:07d}", "kind": str(kind),
                "name": name[:100], "building": building[:200], "lon": lon, "lat": lat,
                "grid_id": sampler.places[g].grid_id, "active": active[i],
                "organisation_id": organisation})
    return records[:count]


def generate_cameras(count: int, seed: int, sampler: syn.GridSampler, pools) -> list[dict]:
    if count > 999_999:
        raise RuntimeError("at most 999,999 synthetic cameras (a 6-digit serial)")
    grid_index, _orgs, _buildings, components = pools
    county = sampler.county_code
    # surveillance poles first, then lamps and traffic lights, each in a random order: one
    # camera per component until they run out
    shuffle = syn.block_rng(seed, CAMERA_STREAM, 10**6)
    poles = [k for k, row in enumerate(components) if row[0][6:10] == "5602"]
    others = [k for k, row in enumerate(components) if row[0][6:10] != "5602"]
    order = [poles[k] for k in shuffle.permutation(len(poles))] + \
        [others[k] for k in shuffle.permutation(len(others))]
    used = 0
    records = []
    for block, start, n in syn.blocks(count):
        rng = syn.block_rng(seed, CAMERA_STREAM, block)
        on_component = (rng.random(n) < ON_COMPONENT).tolist()
        grids = sampler.pick(rng, n)
        lons, lats = sampler.points(grids, rng)
        types = rng.choice(CAMERA_TYPES, n).tolist()
        roads = rng.choice(syn.ROADS, n).tolist()
        doors = rng.integers(1, 400, n).tolist()
        hls = (rng.random(n) < 0.2).tolist()
        active = (rng.random(n) < ACTIVE).tolist()
        for i in range(n):
            serial = start + i + 1
            device_id = f"{county}00001320{serial:06d}"
            component = ""
            if components and on_component[i]:
                component, comp_name, grid_id, lon, lat = components[order[used % len(order)]]
                used += 1
                g = grid_index[grid_id]
                name = f"{comp_name}{types[i]}"
            else:
                g = int(grids[i])
                lon, lat = float(lons[i]), float(lats[i])
                place = sampler.places[g]
                name = (f"{place.village}村口{types[i]}" if not place.urban and doors[i] % 3 == 0
                        else f"{roads[i]}{doors[i]}号路口{types[i]}")
            if hls[i]:
                stream = f"http://10.35.0.{10 + serial % 8}:8080/live/{device_id}.m3u8"
            else:
                stream = (f"rtsp://10.{36 + serial // 64516}.{serial // 254 % 254 + 1}."
                          f"{serial % 254 + 1}:554/Streaming/Channels/101")
            records.append({
                "device_id": device_id, "kind": str(DeviceKind.CAMERA), "name": name[:100],
                "component": component, "stream_url": stream, "lon": float(lon),
                "lat": float(lat), "grid_id": sampler.places[g].grid_id, "active": active[i]})
    return records[:count]


@transaction.atomic
def create_devices(sensors: int, cameras: int, seed: int,
                   sampler: syn.GridSampler | None = None) -> dict:
    """Makes sure the first ``sensors`` synthetic sensors and ``cameras`` cameras exist (at
    the organisations, buildings and components there are now); returns the counts."""
    from wangge.organisations.models import OrganisationDevice

    sampler = sampler or syn.GridSampler()
    pools = _pools(sampler)
    records = generate_sensors(sensors, seed, sampler, pools) + \
        generate_cameras(cameras, seed, sampler, pools)
    existing = set(Device.objects.values_list("device_id", flat=True))
    fresh = [r for r in records if r["device_id"] not in existing]
    columns = ("device_id", "kind", "name", "lon", "lat", "grid_id", "building", "component",
               "stream_url", "active")
    before = syn.bulk_insert(Device, [
        {"building": "", "component": "", "stream_url": "", "platform_id": None,
         "key_digest": "", **{k: r[k] for k in columns if k in r}} for r in fresh])
    linked = [r for r in fresh if r.get("organisation_id")]
    if linked:
        ids = dict(Device.objects.filter(pk__gt=before).values_list("device_id", "pk"))
        syn.bulk_insert(OrganisationDevice, [
            {"organisation_id": r["organisation_id"], "device_id": ids[r["device_id"]]}
            for r in linked])
    made_cameras = sum(1 for r in fresh if r["kind"] == DeviceKind.CAMERA)
    return {"sensors": len(fresh) - made_cameras, "cameras": made_cameras,
            "linked": len(linked), "existing": len(records) - len(fresh)}
