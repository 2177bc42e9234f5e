"""MQTT channel: QoS 1 publishes, all of a chunk in flight at once, each confirmed by the broker."""

import time
from collections.abc import Sequence
from typing import Any, Protocol

import orjson

from gridhub.alerts.channels import Outgoing, first_line

QOS = 1


class Publisher(Protocol):
    """The hub's MQTT connection (``gridhub.mqtt.client.MqttClient``); ``publish`` returns
    paho's MQTTMessageInfo."""

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> Any: ...


class MqttChannel:
    name = "mqtt"
    chunk = 500
    workers = 2

    def __init__(self, publisher: Publisher, timeout_s: float = 10.0) -> None:
        self.publisher = publisher
        self.timeout_s = timeout_s

    def send_many(self, items: Sequence[Outgoing]) -> list[str | None]:
        results: list[str | None] = [None] * len(items)
        pending = []
        for index, (topic, payload) in enumerate(items):
            try:
                info = self.publisher.publish(topic, orjson.dumps(payload), qos=QOS)
            except Exception as exc:  # a closed connection, a bad topic: this item only
                results[index] = first_line(exc)
                continue
            pending.append((index, info))
        deadline = time.monotonic() + self.timeout_s
        for index, info in pending:
            results[index] = _confirmed(info, deadline)
        return results


def _confirmed(info: Any, deadline: float) -> str | None:
    """None once the broker acknowledged the publish, else why not."""
    if info is None:
        return None  # a publisher without confirmations: handed over is all we can know
    if info.rc != 0:
        return f"publish refused (paho rc {info.rc})"
    try:
        info.wait_for_publish(max(0.0, deadline - time.monotonic()))
    except (RuntimeError, ValueError) as exc:
        return first_line(exc)
    return None if info.is_published() else "no PUBACK from the broker in time"
