"""The whole hub against a real Mosquitto: a sensor's warning published to the broker reaches
the on-duty worker of its grid; the device's ack acknowledges it; repeats merge."""

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gridhub.alerts.models import Alert, AlertEvent
from gridhub.config import load_settings
from gridhub.db import transaction
from gridhub.hub import Hub, build_hub
from gridhub.ingest.models import Sensor
from tests.alerts.conftest import Listener, Town


@pytest.fixture
def hub(
    database_url: str,
    mosquitto: str,
    sessions: sessionmaker[Session],
    town: Town,
    tmp_path: Path,
) -> Iterator[Hub]:
    lon, lat = town.g1_point
    with transaction(sessions) as session:
        session.add(
            Sensor(
                code="S1",
                name="Xiu river gauge",
                kind="water_level",
                lon=lon,
                lat=lat,
                grid_code="G1",
                unit="m",
            )
        )
    settings = load_settings(
        database_url=database_url,
        mqtt_url=mosquitto,
        data_dir=tmp_path,
        mqtt={"client_id": f"hub-{tmp_path.name[-12:]}"},
    )
    hub = build_hub(settings)
    hub.start()
    deadline = time.monotonic() + 10
    while not hub.health()["ingest"]["ok"] and time.monotonic() < deadline:
        time.sleep(0.05)
    yield hub
    hub.stop()
    hub.engine.dispose()


def _warning(msg_id: str, level: str, value: float) -> dict:
    return {
        "id": msg_id,
        "ts": int(time.time() * 1000),
        "kind": "water_level",
        "level": level,
        "value": value,
        "unit": "m",
    }


def _wait(check: Callable[[], object], timeout: float = 5.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_a_published_warning_reaches_the_worker_and_the_devices_ack_closes_the_loop(
    hub: Hub, listener_factory: Callable[[list[str]], Listener], sessions: sessionmaker[Session]
) -> None:
    device = listener_factory(["gridhub/v1/members/+/alerts"])
    sent = time.monotonic()
    device.publish("gridhub/v1/sensors/S1/warning", _warning("w-1", "orange", 3.9))
    topic, message = device.next(timeout=5)
    latency = time.monotonic() - sent
    assert topic == "gridhub/v1/members/W1/alerts"
    assert (message["severity"], message["grid_id"]) == ("orange", "G1")
    assert latency < 2.0
    device.publish("gridhub/v1/sensors/S1/warning", _warning("w-2", "orange", 4.0))
    device.publish(
        message["ack_topic"],
        {"id": "a-1", "ts": int(time.time() * 1000), "alert_id": message["alert_id"]},
    )

    def settled() -> Alert | None:
        with sessions() as session:
            alert = session.get(Alert, message["alert_id"])
            return alert if alert.status == "acknowledged" and alert.count == 2 else None

    alert = _wait(settled)
    assert (alert.acked_by, alert.ack_channel, alert.last_value) == ("W1", "mqtt", 4.0)
    with sessions() as session:
        assert session.scalar(select(Alert.id).where(Alert.id != alert.id)) is None
        kinds = session.scalars(select(AlertEvent.kind).order_by(AlertEvent.id)).all()
    assert kinds[:2] == ["opened", "dispatched"] and {"repeated", "acknowledged"} <= set(kinds)
    assert device.quiet(0.3, "gridhub/v1/members/W1/alerts")  # the repeat did not re-notify
