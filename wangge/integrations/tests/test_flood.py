"""A burst of alarms from several threads: one open case per device and type, none lost."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from wangge.cases.models import Case
from wangge.integrations.alarms import AlarmData, receive
from wangge.integrations.models import Alarm, AlarmSlot, Device, Outcome

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DEVICES, TYPES, PER_PAIR, THREADS = 20, ("smoke", "gas"), 50, 4


def test_flood_makes_one_case_per_device_and_type(iot):
    devices = [Device.objects.create(device_id=f"FLOOD-{i:03d}", kind="smoke",
                                     lon=118.01 + 0.017 * i, lat=24.81 + 0.008 * i)
               for i in range(DEVICES)]
    work = [(device, kind) for _n in range(PER_PAIR) for device in devices for kind in TYPES]
    errors = []
    start = threading.Barrier(THREADS)

    def run(part):
        try:
            start.wait()
            for device, kind in part:
                receive(AlarmData(device_id=device.device_id, alarm_type=kind, level="1"),
                        device=device, raw={"n": 1})
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(work[i::THREADS],)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Alarm.objects.count() == DEVICES * len(TYPES) * PER_PAIR
    pairs = DEVICES * len(TYPES)
    assert Case.objects.count() == pairs
    assert Case.objects.exclude(status="reported").count() == 0
    assert AlarmSlot.objects.count() == pairs
    assert Alarm.objects.filter(outcome=Outcome.OPENED).count() == pairs
    for device in devices:
        for kind in TYPES:
            cases = set(Alarm.objects.filter(device=device, alarm_type=kind)
                        .values_list("case_id", flat=True))
            assert len(cases) == 1 and None not in cases
