"""The hub's MQTT connection: paho-mqtt 2, QoS 1, persistent session, manual ack after commit."""

import logging
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from gridhub.config.mqtt import MqttConfig
from gridhub.mqtt.inbound import Received
from gridhub.mqtt.reader import BufferedReadClient, always_room

log = logging.getLogger(__name__)

UNSUPPORTED_PROTOCOL = 132  # MQTT 5 CONNACK reason "Unsupported protocol version"
CONNACK_TIMEOUT_S = 3.0
"""In auto mode, an MQTT 5 CONNECT left unanswered this long means a 3.1.1-only broker
(amqtt does not answer a CONNECT carrying MQTT 5 properties)."""


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool
    username: str
    password: str

    @classmethod
    def parse(cls, url: str, config: MqttConfig) -> "BrokerAddress":
        parts = urlsplit(url)
        tls = parts.scheme in ("mqtts", "ssl") or config.tls
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or (8883 if tls else 1883),
            tls=tls,
            username=unquote(parts.username) if parts.username else config.username,
            password=unquote(parts.password)
            if parts.password
            else config.password.get_secret_value(),
        )


class MqttClient:
    """Subscribes to ``subscriptions`` and hands every message to ``deliver`` without blocking.

    Messages are acknowledged only through :meth:`ack`, after their batch is committed.
    ``wait_for_room(timeout)`` says whether to read more (see ``BufferedReadClient``).
    ``generation`` counts connections: a message id from an earlier connection must not be
    acknowledged on a later one (the broker redelivers it instead, and dedup drops it).
    """

    def __init__(
        self,
        config: MqttConfig,
        address: BrokerAddress,
        subscriptions: Sequence[str],
        deliver: Callable[[Received], None],
        protocol: str | None = None,
        status_topic: str | None = None,
        wait_for_room: Callable[[float], bool] = always_room,
    ) -> None:
        self.config = config
        self._wait_for_room = wait_for_room
        self.address = address
        self.subscriptions = list(subscriptions)
        self._deliver = deliver
        self.protocol = protocol or config.protocol
        self._status_topic = status_topic
        self.generation = 0
        self.connected = False
        self.last_error: str | None = None
        self._refused = False
        self._lock = threading.Lock()
        self._client = self._make_client()

    def _make_client(self) -> BufferedReadClient:
        version = mqtt.MQTTv311 if self.protocol == "3.1.1" else mqtt.MQTTv5
        client = BufferedReadClient(
            CallbackAPIVersion.VERSION2,
            client_id=self.config.client_id,
            protocol=version,
            clean_session=False if version == mqtt.MQTTv311 else None,
            manual_ack=True,
            wait_for_room=self._wait_for_room,
            on_publish_received=self._on_publish,
        )
        # No paho limit on our QoS 1 publishes in flight: with one, paho walks every pending
        # message on each PUBACK (quadratic in a flood fan-out). The alerts MQTT channel bounds
        # what it has in flight itself (its chunk size times its workers).
        client.max_inflight_messages_set(0)
        client.max_queued_messages_set(0)
        client.reconnect_delay_set(
            # paho annotates int, but only adds the delays to a monotonic time: 0.5 s works.
            self.config.reconnect_min_s,  # type: ignore[arg-type]
            self.config.reconnect_max_s,  # type: ignore[arg-type]
        )
        if self.address.username:
            client.username_pw_set(self.address.username, self.address.password or None)
        if self.address.tls:
            client.tls_set(
                ca_certs=str(self.config.ca_file) if self.config.ca_file else None,
                cert_reqs=ssl.CERT_REQUIRED,
            )
        if self._status_topic:
            client.will_set(self._status_topic, b"offline", qos=1, retain=True)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        return client

    @property
    def mqtt_version(self) -> str:
        return "3.1.1" if self.protocol == "3.1.1" else "5"

    def start(self) -> None:
        """Connect in the background; paho reconnects with backoff after any loss."""
        self._connack_seen = False
        self._connect_async()
        self._client.loop_start()
        if self.protocol == "auto":
            timer = threading.Timer(CONNACK_TIMEOUT_S, self._check_connack)
            timer.daemon = True
            timer.start()

    def _check_connack(self) -> None:
        if not self._connack_seen and self._client.socket() is not None:
            log.info("no answer to an MQTT 5 CONNECT; falling back to 3.1.1")
            self._fall_back()

    def _connect_async(self) -> None:
        host, port, keepalive = self.address.host, self.address.port, self.config.keepalive_s
        if self.mqtt_version == "5":
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = self.config.session_expiry_s
            properties.ReceiveMaximum = self.config.receive_maximum
            self._client.connect_async(
                host, port, keepalive, clean_start=False, properties=properties
            )
        else:
            self._client.connect_async(host, port, keepalive)

    def stop(self) -> None:
        if self._status_topic and self.connected:
            self._client.publish(
                self._status_topic, b"offline", qos=1, retain=True
            ).wait_for_publish(2)
        self._client.disconnect()
        self._client.loop_stop()
        self.connected = False

    def ack(self, messages: Sequence[Received]) -> int:
        """Acknowledge messages of the current connection; returns how many were acknowledged."""
        with self._lock:
            generation = self.generation
            current = [m for m in messages if m.qos > 0 and m.generation == generation]
            self._client.ack_many([m.mid for m in current if m.qos == 1])
            for received in current:
                if received.qos == 2:
                    self._client.ack(received.mid, received.qos)
        return len(current)

    def publish(
        self, topic: str, payload: bytes, qos: int = 1, retain: bool = False
    ) -> mqtt.MQTTMessageInfo:
        """Queue a publish; the returned info says when the broker has it (alerts wait on it)."""
        return self._client.publish(topic, payload, qos=qos, retain=retain)

    def _on_connect(
        self,
        client: mqtt.Client,
        _userdata: object,
        flags: mqtt.ConnectFlags,
        reason: ReasonCode,
        _properties: Properties | None,
    ) -> None:
        self._connack_seen = True
        self._refused = reason.is_failure
        if reason.is_failure:
            self.last_error = f"broker refused connection: {reason}"
            if self.protocol == "auto" and reason.value == UNSUPPORTED_PROTOCOL:
                log.info("broker does not speak MQTT 5; falling back to 3.1.1")
                threading.Thread(target=self._fall_back, daemon=True).start()
            else:
                log.warning(self.last_error)
            return
        with self._lock:
            self.generation += 1
        self.last_error = None
        log.info(
            "connected to %s:%s (MQTT %s, session present: %s)",
            self.address.host,
            self.address.port,
            self.mqtt_version,
            flags.session_present,
        )
        # Subscribing again is harmless with a present session, and needed without one;
        # the hub counts as connected once the broker confirmed the subscriptions.
        client.subscribe([(topic, 1) for topic in self.subscriptions])
        if self._status_topic:
            client.publish(self._status_topic, b"online", qos=1, retain=True)

    def _on_connect_fail(self, client: mqtt.Client, _userdata: object) -> None:
        error = getattr(client, "connect_error", None)
        self.last_error = f"cannot connect: {error or 'unknown error'}"
        log.warning("%s; retrying with backoff", self.last_error)

    def _on_subscribe(
        self,
        _client: mqtt.Client,
        _userdata: object,
        _mid: int,
        reasons: list[ReasonCode],
        _properties: Properties | None,
    ) -> None:
        refused = [str(reason) for reason in reasons if reason.is_failure]
        if refused:
            self.last_error = f"broker refused subscriptions: {', '.join(refused)}"
            log.error(self.last_error)
            return
        with self._lock:
            self.connected = True

    def _fall_back(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
        with self._lock:
            if self.protocol != "auto":
                return
            self.protocol = "3.1.1"
            self._client = self._make_client()
        self.start()

    def _on_disconnect(
        self,
        _client: mqtt.Client,
        _userdata: object,
        _flags: mqtt.DisconnectFlags,
        reason: ReasonCode,
        _properties: Properties | None,
    ) -> None:
        with self._lock:
            self.connected = False
        if reason.is_failure and not self._refused:  # a refusal keeps its own, clearer reason
            self.last_error = f"disconnected: {reason}"
            log.warning("broker connection lost (%s); reconnecting with backoff", reason)

    def _on_message(
        self, _client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage
    ) -> None:
        # PUBLISH packets that BufferedReadClient leaves to paho (with properties, QoS 2).
        self._on_publish(message.topic, bytes(message.payload), message.mid, message.qos)

    def _on_publish(self, topic: str, payload: bytes, mid: int, qos: int) -> None:
        self._deliver(
            Received(
                topic=topic,
                payload=payload,
                mid=mid,
                qos=qos,
                received_at=time.time(),
                generation=self.generation,
            )
        )
