"""Device-side MQTT clients for the broker tests: sign in, subscribe, publish, and see what
arrives (with MQTT 3.1.1 a refused publish still gets its PUBACK: only arrival tells)."""

import queue
import threading
import time
import uuid

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

CONNECT_TIMEOUT_S = 5.0
QUIET_S = 0.3
"""After a marker arrived, how long to go on watching for what must not arrive."""


class Device:
    """One MQTT 3.1.1 client; ``refused`` holds the CONNACK's reason if it was not let in."""

    def __init__(
        self,
        port: int,
        username: str | None = None,
        password: str | None = None,
        client_id: str | None = None,
        clean_session: bool = True,
    ) -> None:
        self.messages: queue.Queue[tuple[str, bytes, bool]] = queue.Queue()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"dev-{uuid.uuid4().hex[:10]}",
            protocol=mqtt.MQTTv311,
            clean_session=clean_session,
        )
        if username is not None:
            self.client.username_pw_set(username, password)
        self.client.reconnect_delay_set(60, 60)  # a refused device must not retry meanwhile
        answered = threading.Event()
        self.refused: str | None = None
        self.granted: list[int] = []
        self._subscribed = threading.Event()

        def on_connect(_c: mqtt.Client, _u: object, _f: object, reason: object, _p: object):
            self.refused = str(reason) if reason.is_failure else None  # type: ignore[attr-defined]
            answered.set()

        def on_subscribe(_c: mqtt.Client, _u: object, _m: int, reasons: list, _p: object):
            self.granted = [reason.value for reason in reasons]
            self._subscribed.set()

        self.client.on_connect = on_connect
        self.client.on_subscribe = on_subscribe
        self.client.on_message = lambda _c, _u, m: self.messages.put((m.topic, m.payload, m.retain))
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert answered.wait(CONNECT_TIMEOUT_S), "no CONNACK"

    def subscribe(self, *filters: str) -> list[int]:
        """Subscribe and wait for the SUBACK; its granted QoS (128 = refused) per filter."""
        self._subscribed.clear()
        self.client.subscribe([(topic_filter, 1) for topic_filter in filters])
        assert self._subscribed.wait(CONNECT_TIMEOUT_S), "no SUBACK"
        return self.granted

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> None:
        """QoS 1, waiting for the PUBACK (which says nothing about whether it was allowed)."""
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def until(self, topic: str, payload: bytes, timeout: float = 5.0) -> list[tuple[str, bytes]]:
        """Everything that arrived up to and including ``payload`` on ``topic``, plus what
        arrives in the next QUIET_S; fails if that marker never comes."""
        seen: list[tuple[str, bytes]] = []
        deadline = time.monotonic() + timeout
        while (topic, payload) not in seen:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{payload!r} never arrived on {topic}; got {seen}")
            try:
                got_topic, got_payload, _retain = self.messages.get(timeout=remaining)
            except queue.Empty:
                continue
            seen.append((got_topic, got_payload))
        return seen + self.drain(QUIET_S)

    def drain(self, seconds: float) -> list[tuple[str, bytes]]:
        """What arrives within ``seconds``."""
        seen: list[tuple[str, bytes]] = []
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                got_topic, got_payload, _retain = self.messages.get(timeout=remaining)
            except queue.Empty:
                break
            seen.append((got_topic, got_payload))
        return seen

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
