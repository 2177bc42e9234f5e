"""Frigate's MQTT topics → ``frigate.handle``, one transaction per message, acked after commit."""

import logging
import queue
import threading
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from gridhub.cameras.frigate import handle
from gridhub.config import Settings
from gridhub.db import transaction, utcnow
from gridhub.ingest.client import BrokerAddress, MqttClient
from gridhub.ingest.pipeline import Received

log = logging.getLogger(__name__)
POLL_S = 0.5


class FrigateListener:
    """Subscribes to ``{prefix}/events`` and ``{prefix}/reviews`` on the hub's broker."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        mqtt_url: str,
        alert_context: Any = None,
        embedded: bool = False,
    ) -> None:
        self.config = settings.cameras.frigate
        self.sessions = sessions
        self.alert_context = alert_context
        prefix = self.config.topic_prefix.strip("/")
        mqtt_config = settings.mqtt.model_copy(
            update={"client_id": f"{settings.mqtt.client_id}-frigate"[:64]}
        )
        self._inbox: queue.SimpleQueue[Received] = queue.SimpleQueue()
        self.client = MqttClient(
            mqtt_config,
            BrokerAddress.parse(mqtt_url, mqtt_config),
            [f"{prefix}/events", f"{prefix}/reviews"],
            self._inbox.put,
            protocol="3.1.1" if embedded else None,
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.handled = 0
        self.rejected = 0

    def start(self) -> None:
        self.client.start()
        self._thread = threading.Thread(target=self._run, name="frigate", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self.client.stop()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                received = self._inbox.get(timeout=POLL_S)
            except queue.Empty:
                continue
            kind = received.topic.rsplit("/", 1)[-1]
            try:
                with transaction(self.sessions) as session:
                    handle(
                        session, kind, received.payload, self.config, utcnow(), self.alert_context
                    )
                self.handled += 1
            except ValueError as exc:  # malformed: logged and dropped, never retried forever
                self.rejected += 1
                log.warning("Frigate %s message rejected: %s", kind, exc)
            except Exception:
                log.exception("Frigate %s message failed; the broker will redeliver it", kind)
                continue
            self.client.ack([received])
