"""Frigate messages (captured-style payload files) → one alert per Frigate event id."""

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from cryptography.fernet import Fernet
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select

from gridhub.alerts.context import AlertContext
from gridhub.alerts.messages import title_in
from gridhub.alerts.models import Alert, Delivery
from gridhub.alerts.sink import AlertsSink
from gridhub.cameras.frigate import handle
from gridhub.cameras.frigate_listener import FrigateListener
from gridhub.cameras.registry import CameraRecord, import_cameras
from gridhub.config import load_settings
from gridhub.config.cameras import FrigateConfig
from gridhub.db import transaction
from gridhub.mqtt.models import DeadLetter
from gridhub.mqtt.topics import Topics
from gridhub.secrets import SecretBox
from tests.support.mosquitto import Mosquitto, mosquitto_binary
from tests.support.services import unavailable

DATA = Path(__file__).parent / "data"
NOW = datetime(2026, 6, 1, 13, 31, tzinfo=UTC)
CONFIG = FrigateConfig(
    enabled=True,
    labels=("person",),
    zones=("riverbank", "footpath"),
    night_only=True,
    camera_map={"riverbank_cam": "CAM1"},
)


def messages(name: str) -> list[bytes]:
    data = json.loads((DATA / name).read_text())
    return [json.dumps(item).encode() for item in (data if isinstance(data, list) else [data])]


@pytest.fixture
def camera(sessions, grid_of) -> None:
    record = CameraRecord(code="CAM1", name="riverbank", kind="fixed", lon=118.805, lat=32.005)
    with transaction(sessions) as session:
        import_cameras(session, [record], grid_of, SecretBox([Fernet.generate_key()]))


def feed(sessions, kind: str, name: str) -> list:
    outcomes = []
    sink = AlertsSink(AlertContext())
    for payload in messages(name):
        with transaction(sessions) as session:
            outcomes.append(handle(session, kind, payload, CONFIG, NOW, sink))
    return outcomes


def test_event_updates_merge_into_one_alert_for_the_grid(sessions, camera):
    outcomes = feed(sessions, "events", "frigate_events_person_riverbank.json")

    assert len(outcomes) == 4 and {o.event.incident for o in outcomes} == {"1780320600.12-k3x9qz"}
    with sessions() as session:
        alert = session.scalars(select(Alert)).one()
        assert alert.source_id == "frigate:1780320600.12-k3x9qz"
        assert alert.grid == "G11" and alert.count == 3 and alert.is_open  # the end: no repeat
        # the object entered the footpath later: the title follows it
        assert title_in(alert, "en") == "person seen by riverbank in riverbank, footpath"
        assert title_in(alert, "zh-CN") == "riverbank 在 riverbank, footpath 发现 person"
        recipients = set(session.scalars(select(Delivery.member_code)))
        assert "W11" in recipients  # the grid worker of G11


def test_review_stream_alerts_once_per_review(sessions, camera):
    outcomes = feed(sessions, "reviews", "frigate_reviews_person_riverbank.json")
    assert all(o.event is not None for o in outcomes)
    with sessions() as session:
        assert session.scalars(select(Alert.source_id)).all() == ["frigate:1780320660.12-r3v1ew"]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("frigate_event_car.json", "labels ['car'] not configured"),
        ("frigate_event_daytime.json", "daytime"),
        ("frigate_event_other_zone.json", "zones ['car_park'] not configured"),
    ],
)
def test_unwanted_detections_open_nothing(sessions, camera, name, reason):
    (outcome,) = feed(sessions, "events", name)
    assert (outcome.event, outcome.reason) == (None, reason)
    with sessions() as session:
        assert session.scalars(select(Alert)).all() == []


def test_malformed_message_is_a_clear_error(sessions, camera):
    with transaction(sessions) as session, pytest.raises(ValueError, match="not a Frigate events"):
        handle(session, "events", b'{"type": "new", "after": {"camera": 3}}', CONFIG, NOW)


def test_frigate_over_mqtt_merges_into_one_alert(sessions, camera, tmp_path, database_url):
    """Frigate's own topic on a real Mosquitto → the listener → one alert, messages acked."""
    binary = mosquitto_binary()
    if binary is None:
        unavailable("mosquitto is not installed")
    broker = Mosquitto(tmp_path / "mqtt", binary)
    broker.start()
    settings = load_settings(
        database_url=database_url,
        data_dir=tmp_path,
        mqtt_url=broker.url,
        cameras={"frigate": CONFIG.model_dump()},
    )
    sink = AlertsSink(AlertContext())
    listener = FrigateListener(settings, sessions, broker.url, Topics(), sink)
    try:
        listener.start()
        deadline = time.monotonic() + 10
        while not listener.client.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        publisher = mqtt.Client(CallbackAPIVersion.VERSION2)
        publisher.connect("127.0.0.1", broker.port)
        publisher.loop_start()
        for payload in messages("frigate_events_person_riverbank.json"):
            publisher.publish("frigate/events", payload, qos=1).wait_for_publish(5)
        publisher.publish("frigate/events", b"not json", qos=1).wait_for_publish(5)
        (unknown,) = messages("frigate_event_unknown_camera.json")
        publisher.publish("frigate/events", unknown, qos=1).wait_for_publish(5)
        publisher.loop_stop()
        publisher.disconnect()
        while listener.handled + listener.rejected < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        listener.stop()
        broker.stop()
    assert (listener.handled, listener.rejected) == (4, 2)
    with sessions() as session:
        alert = session.scalars(select(Alert)).one()
        assert alert.count == 3 and alert.grid == "G11"
        dead = sorted(session.scalars(select(DeadLetter.reason)))
    assert dead[0] == "Frigate camera 'garage' is not registered (as 'garage')"
    assert dead[1].startswith("not a Frigate events message")
