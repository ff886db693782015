import logging
import signal
import threading

from django.core.management.base import BaseCommand

from wangge.integrations.mqtt import run_bridge


class Command(BaseCommand):
    help = ("Feed alarms published over MQTT (topic wangge/alarms/<device_id>, JSON body as for "
            "POST /integrations/alarms/) into the alarm intake.")

    def add_arguments(self, parser):
        parser.add_argument("--broker", required=True, help="host:port of the MQTT broker")
        parser.add_argument("--topic", default="wangge/alarms/#")
        parser.add_argument("--username", default="")
        parser.add_argument("--password", default="",
                            help="or the environment variable MQTT_PASSWORD")
        parser.add_argument("--client-id", default="wangge-bridge",
                            help="fixed, so the broker keeps the session while the bridge is down")

    def handle(self, *args, broker, topic, username, password, client_id, **options):
        import os

        logging.getLogger("wangge.integrations").setLevel(logging.INFO)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write(f"bridging mqtt://{broker} {topic} → alarms (Ctrl-C stops)")
        run_bridge(broker=broker, topic=topic, username=username,
                   password=password or os.environ.get("MQTT_PASSWORD", ""),
                   client_id=client_id, stop=stop)
