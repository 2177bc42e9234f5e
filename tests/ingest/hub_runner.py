"""Runs the hub's ingest alone in a process (for the SIGKILL test and the benchmark).

Settings come from the environment (GRIDHUB_DATABASE_URL, GRIDHUB_MQTT_URL, …), as for
``gridhub serve``; it prints ``ready`` once subscribed and runs until killed.
"""

import logging
import signal
import sys
import threading
import time

from gridhub.cameras.registry import registered_drones
from gridhub.config import load_settings
from gridhub.geo.locator import GridLocator
from gridhub.hub import open_store
from gridhub.ingest.service import IngestService
from gridhub.mqtt.topics import Topics


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    settings = load_settings()
    engine, sessions = open_store(settings, migrate=False)
    service = IngestService(
        settings, sessions, Topics(settings.mqtt.prefix), GridLocator(sessions), registered_drones
    )
    service.start()
    while service.health()["state"] != "connected":
        time.sleep(0.02)
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    service.stop()
    engine.dispose()
    sys.exit(0)


if __name__ == "__main__":
    main()
