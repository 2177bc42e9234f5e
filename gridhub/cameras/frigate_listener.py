"""Frigate's MQTT topics → ``frigate.handle`` → the event sink, one transaction per message,
acknowledged after the commit. A message that cannot be used (malformed, or from a camera
gridhub does not know) is a dead letter with its reason, like any other on the hub's broker."""

import logging
import queue
import threading

from sqlalchemy.orm import Session, sessionmaker

from gridhub.cameras.frigate import handle
from gridhub.config import Settings
from gridhub.db import transaction, utcnow
from gridhub.events import EventSink
from gridhub.mqtt.client import BrokerAddress, MqttClient
from gridhub.mqtt.deadletters import DeadLetterRow, store_dead_letters
from gridhub.mqtt.inbound import Received
from gridhub.mqtt.topics import Kind, Topics

log = logging.getLogger(__name__)
POLL_S = 0.5
TOPIC_KINDS = {Kind.FRIGATE_EVENTS: "events", Kind.FRIGATE_REVIEWS: "reviews"}


class FrigateListener:
    """Subscribes to Frigate's ``{prefix}/events`` and ``{prefix}/reviews`` on the hub's broker."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        mqtt_url: str,
        topics: Topics,
        sink: EventSink | None = None,
        embedded: bool = False,
    ) -> None:
        self.config = settings.cameras.frigate
        self.sessions = sessions
        self.topics = topics
        self.sink = sink
        mqtt_config = settings.mqtt.model_copy(
            update={"client_id": f"{settings.mqtt.client_id}-frigate"[:64]}
        )
        self._inbox: queue.SimpleQueue[Received] = queue.SimpleQueue()
        self.client = MqttClient(
            mqtt_config,
            BrokerAddress.parse(mqtt_url, mqtt_config),
            topics.subscriptions(tuple(TOPIC_KINDS)),
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
            topic = self.topics.parse(received.topic)
            kind = TOPIC_KINDS.get(topic.kind) if topic else None
            try:
                if kind is None:
                    raise ValueError(f"not a Frigate topic: {received.topic}")
                with transaction(self.sessions) as session:
                    handle(session, kind, received.payload, self.config, utcnow(), self.sink)
                self.handled += 1
            except ValueError as exc:  # unusable: a dead letter, never retried forever
                self.rejected += 1
                log.warning("Frigate %s message rejected: %s", kind, exc)
                try:
                    with transaction(self.sessions) as session:
                        store_dead_letters(session, [DeadLetterRow.of(received, str(exc))])
                except Exception:
                    log.exception("Frigate dead letter not stored; the broker will redeliver it")
                    continue
            except Exception:
                log.exception("Frigate %s message failed; the broker will redeliver it", kind)
                continue
            self.client.ack([received])
