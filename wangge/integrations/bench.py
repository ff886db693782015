"""``wangge bench alarms``: a burst of alarms from many devices through ``alarms.receive``,
from several threads at once, then the checks: one open case per device and type, every alarm
stored."""

from __future__ import annotations

import random
import threading
import time

from django.db import connection


def setup(devices: int, types: int, seed: int):
    from wangge.cases.models import Category
    from wangge.integrations.models import AlarmTypeMapping, Device
    from wangge.territory.locate import locate
    from wangge.territory.models import Area
    from wangge.territory.selectors import unit_grids

    categories = ["0404", "0403", "1303", "0408"]
    kinds = ["smoke", "gas", "heat", "power"]
    mappings = []
    for i in range(types):
        mapping, _created = AlarmTypeMapping.objects.get_or_create(
            alarm_type=f"bench-{kinds[i % len(kinds)]}-{i}",
            defaults={"category": Category.objects.get(code=categories[i % len(categories)]),
                      "auto_close_on_clear": True})
        mappings.append(mapping)
    grids = list(unit_grids(Area.objects.all()).exclude(centroid_lon=None)
                 .order_by("code").values_list("code", "centroid_lon", "centroid_lat"))
    rng = random.Random(seed)
    rng.shuffle(grids)
    made = []
    for code, lon, lat in grids:
        if len(made) == devices:
            break
        if locate(lon, lat).grid_code != code:
            continue  # a concave grid whose centroid lies outside it
        made.append(Device(device_id=f"BENCH-{len(made):05d}", kind=kinds[len(made) % 4],
                           name=f"bench device {len(made)}", lon=lon, lat=lat))
    for device in made:
        device.save()
    if len(made) < devices:
        raise RuntimeError(f"only {len(made)} grids to put devices in")
    return made, mappings


def run(*, alarms: int = 10_000, devices: int = 100, threads: int = 4, types: int = 1,
        seed: int = 1) -> dict:
    from wangge.cases.choices import FINAL_STATUSES
    from wangge.cases.models import Case
    from wangge.integrations.alarms import AlarmData, receive
    from wangge.integrations.models import Alarm, AlarmSlot

    made, mappings = setup(devices, types, seed)
    pairs = [(device, mapping.alarm_type) for device in made for mapping in mappings]
    work = [pairs[i % len(pairs)] for i in range(alarms)]  # every pair at once, again and again
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads + 1)

    def worker(part):
        try:
            barrier.wait()
            for device, alarm_type in part:
                receive(AlarmData(device_id=device.device_id, alarm_type=alarm_type,
                                  level="1"), device=device, raw={"bench": True})
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=worker, args=(work[i::threads],)) for i in range(threads)]
    for thread in pool:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in pool:
        thread.join()
    seconds = time.perf_counter() - started
    if errors:
        raise errors[0]
    stored = Alarm.objects.count()
    open_cases = Case.objects.exclude(status__in=list(FINAL_STATUSES)).count()
    per_pair = {}
    for device_id, alarm_type, case_id in Alarm.objects.values_list(
            "device_id", "alarm_type", "case_id"):
        per_pair.setdefault((device_id, alarm_type), set()).add(case_id)
    one_case_each = len(per_pair) == len(pairs) and all(
        len(cases) == 1 and None not in cases for cases in per_pair.values())
    return {
        "alarms": alarms, "devices": devices, "types": types, "threads": threads,
        "seconds": round(seconds, 3),
        "alarms_per_second": round(alarms / seconds),
        "cases_opened": Case.objects.count(),
        "open_cases": open_cases,
        "alarms_stored": stored,
        "slots": AlarmSlot.objects.count(),
        "one_open_case_per_device_and_type": one_case_each and open_cases == len(pairs),
        "none_lost": stored == alarms,
    }
