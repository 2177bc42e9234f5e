"""Helpers of the MQTT service tests: a hub's settings and service, publishing, waiting."""

import time
from collections.abc import Callable
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from gridhub.cameras.registry import registered_drones
from gridhub.config import Settings, load_settings
from gridhub.ingest.service import IngestService
from gridhub.mqtt.topics import Topics
from tests.ingest.conftest import GRIDS, IN_G1, IndexLocator, Recorder


def hub_settings(tmp_path: Path, url: str, **mqtt: object) -> Settings:
    return load_settings(data_dir=tmp_path, mqtt_url=url, mqtt={"client_id": "hub-test", **mqtt})


def publisher(port: int, username: str = "", password: str = "") -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{time.monotonic_ns()}")
    client.max_inflight_messages_set(1000)
    if username:
        client.username_pw_set(username, password)
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def publish(client: mqtt.Client, topic: str, payload: dict[str, object] | bytes) -> None:
    body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    client.publish(topic, body, qos=1).wait_for_publish(5)


def checkin(n: int, worker: str = "W1") -> tuple[str, dict[str, object]]:
    payload = {"id": f"c{n}", "ts": 1782892800000 + n, "lon": IN_G1[0], "lat": IN_G1[1]}
    return f"gridhub/v1/patrol/{worker}/checkin", payload


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def start_service(
    settings: Settings, town: sessionmaker[Session], **kwargs: object
) -> IngestService:
    service = IngestService(
        settings,
        town,
        Topics(settings.mqtt.prefix),
        IndexLocator(GRIDS),
        registered_drones,
        [Recorder()],
        **kwargs,
    )
    service.start()
    wait_for(lambda: service.health()["state"] == "connected")
    return service
