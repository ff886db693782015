"""The MQTT bridge against a real mosquitto on loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time

import pytest
from django.db import close_old_connections

from wangge.integrations.models import Alarm
from wangge.integrations.mqtt import handle, parse_broker, run_bridge
from wangge.integrations.tests.conftest import free_port

MOSQUITTO = "/usr/sbin/mosquitto"
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_parse_broker():
    assert parse_broker("127.0.0.1:1884") == ("127.0.0.1", 1884)
    assert parse_broker("broker.local") == ("broker.local", 1883)
    assert parse_broker("[::1]:1883") == ("::1", 1883)


def test_bad_messages_are_dropped(iot):
    assert handle("wangge/alarms/SMK-001", b"not json") is None
    assert handle("wangge/alarms/SMK-001", b'{"device_id": "CAM-001", "type": "x"}') is None
    assert handle("wangge/alarms/NOPE", b'{"type": "smoke"}') is None
    assert Alarm.objects.count() == 0


@pytest.fixture
def broker(tmp_path):
    if not os.path.exists(MOSQUITTO):
        pytest.skip(f"{MOSQUITTO} is missing (apt-get install mosquitto)")
    port = free_port()
    config = tmp_path / "mosquitto.conf"
    config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    process = subprocess.Popen([MOSQUITTO, "-c", str(config)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("mosquitto did not start: "
                                   + process.stderr.read().decode(errors="replace")) from None
            time.sleep(0.05)
    yield f"127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


def test_bridge_feeds_alarms_into_cases(iot, broker):
    import paho.mqtt.client as mqtt

    stop, ready = threading.Event(), threading.Event()
    bridge = threading.Thread(target=run_bridge, kwargs={
        "broker": broker, "topic": "wangge/alarms/#", "stop": stop, "ready": ready,
        "client_id": "wangge-test-bridge"}, daemon=True)
    bridge.start()
    try:
        assert ready.wait(10), "the bridge did not subscribe"
        host, port = broker.split(":")
        publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="test-publisher")
        publisher.connect(host, int(port))
        publisher.loop_start()
        messages = [("SMK-001", {"type": "smoke", "level": "3"}),
                    ("SMK-001", {"type": "smoke", "level": "3"}),
                    ("CAM-001", {"type": "garbage", "picture_url": "https://c.example/1.jpg"}),
                    ("SMK-001", {"type": "gas"}),
                    ("SMK-001", {"type": "smoke", "state": "cleared"})]
        for device_id, body in messages:
            publisher.publish(f"wangge/alarms/{device_id}", json.dumps(body),
                              qos=1).wait_for_publish(5)
        publisher.loop_stop()
        publisher.disconnect()
        deadline = time.monotonic() + 15
        while Alarm.objects.count() < len(messages) and time.monotonic() < deadline:
            time.sleep(0.1)
        alarms = list(Alarm.objects.order_by("id"))
        assert [a.outcome for a in alarms] == ["opened", "attached", "opened", "opened",
                                               "voided"]
        assert {a.channel for a in alarms} == {"mqtt"}
        assert alarms[0].case_id == alarms[1].case_id == alarms[4].case_id
        assert alarms[0].case.source == "iot" and alarms[2].case.source == "video"
        alarms[4].case.refresh_from_db()
        assert alarms[4].case.status == "voided"
    finally:
        stop.set()
        bridge.join(10)
        close_old_connections()
    assert not bridge.is_alive()
