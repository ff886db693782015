"""MQTT bridge: alarms published to ``wangge/alarms/<device_id>`` (JSON, the HTTP endpoint's
body; ``device_id`` may be left out, the topic names the device) go through the same
``alarms.receive`` as the HTTP endpoint.

The broker authenticates the publishers (its ACLs decide who may publish to which device's
topic); the bridge trusts the topic and checks that the device is known and active. It keeps a
persistent session (clean_session off, a fixed client id, QoS 1), so messages published while
it is down are delivered when it reconnects, and paho reconnects by itself.
"""

from __future__ import annotations

import json
import logging
import threading

from django.db import close_old_connections

from wangge.integrations import alarms as intake

log = logging.getLogger(__name__)


def parse_broker(value: str) -> tuple[str, int]:
    host, _sep, port = value.rpartition(":")
    if not host:
        return value, 1883
    host = host.strip("[]")
    return host, int(port)


def handle(topic: str, payload: bytes) -> intake.Result | None:
    """One MQTT message → one alarm. Errors are logged and the message is dropped (a message
    that cannot be parsed would fail again on every redelivery)."""
    device_id = topic.rstrip("/").rsplit("/", 1)[-1]
    try:
        body = json.loads(payload.decode("utf-8"))
        if isinstance(body, dict):
            body.setdefault("device_id", device_id)
            if str(body["device_id"]) != device_id:
                raise intake.AlarmError("device_id differs from the topic", "forbidden",
                                        status=403, field="device_id")
        return intake.receive_payload(None, body, channel="mqtt")
    except (ValueError, UnicodeDecodeError) as exc:
        log.warning("mqtt %s: not JSON: %s", topic, exc)
    except intake.AlarmError as exc:
        log.warning("mqtt %s: refused: %s (%s)", topic, exc.message, exc.code)
    finally:
        close_old_connections()
    return None


def run_bridge(*, broker: str, topic: str = "wangge/alarms/#", username: str = "",
               password: str = "", client_id: str = "wangge-bridge",
               stop: threading.Event | None = None, ready: threading.Event | None = None,
               keepalive: int = 30) -> None:
    """Subscribe and feed alarms until ``stop`` is set (or forever)."""
    import paho.mqtt.client as mqtt

    host, port = parse_broker(broker)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                         clean_session=False, protocol=mqtt.MQTTv311)
    if username:
        client.username_pw_set(username, password or None)
    client.reconnect_delay_set(min_delay=1, max_delay=60)

    def on_connect(client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            log.error("mqtt: connection refused: %s", reason_code)
            return
        log.info("mqtt: connected to %s:%s, subscribing to %s", host, port, topic)
        client.subscribe(topic, qos=1)

    def on_subscribe(client, userdata, mid, reason_codes, properties):
        if ready is not None:
            ready.set()

    def on_message(client, userdata, message):
        handle(message.topic, message.payload)

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    client.connect_async(host, port, keepalive=keepalive)
    client.loop_start()
    try:
        (stop or threading.Event()).wait()
    finally:
        client.disconnect()
        client.loop_stop()
        close_old_connections()
