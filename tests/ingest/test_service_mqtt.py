"""The ingest service against real brokers: Mosquitto (MQTT 5) and the embedded amqtt (3.1.1)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gridhub.config import load_settings
from gridhub.db import transaction
from gridhub.ingest.models import Checkin
from gridhub.mqtt.access import Role
from gridhub.mqtt.amqtt_broker import AmqttBroker
from gridhub.mqtt.broker import embedded_broker
from gridhub.mqtt.models import DeadLetter
from gridhub.mqtt.topics import Topics
from gridhub.mqtt.users import set_password
from tests.ingest.mqtt_helpers import (
    checkin,
    count,
    hub_settings,
    publish,
    publisher,
    start_service,
    wait_for,
)
from tests.support.mosquitto import Mosquitto
from tests.support.services import free_port

W1_PASSWORD = "w1-secret-pass"


@pytest.fixture
def amqtt_broker(tmp_path: Path, town: sessionmaker[Session]) -> Iterator[AmqttBroker]:
    """The embedded fallback, with worker W1 as a broker user."""
    with transaction(town) as session:
        set_password(session, "W1", Role.MEMBER, W1_PASSWORD, "gridhub-hub")
    settings = load_settings(
        data_dir=tmp_path / "broker",
        mqtt={"embedded_broker": "amqtt", "embedded_port": free_port()},
    )
    broker = embedded_broker(settings, town, Topics())
    assert isinstance(broker, AmqttBroker)
    broker.start()
    yield broker
    broker.stop()


def test_mosquitto_stores_each_checkin_once_and_dead_letters_bad_ones(
    tmp_path: Path, mosquitto: Mosquitto, town: sessionmaker[Session]
) -> None:
    service = start_service(hub_settings(tmp_path, mosquitto.url), town)
    try:
        assert service.health()["mqtt_version"] == "5"
        client = publisher(mosquitto.port)
        for n in range(200):
            publish(client, *checkin(n))
        for n in range(50):  # a phone that resends what it was not sure had arrived
            publish(client, *checkin(n))
        publish(client, "gridhub/v1/patrol/W1/checkin", b"{broken")
        publish(client, *checkin(999, worker="STRANGER"))
        wait_for(lambda: count(town, Checkin) == 200 and count(town, DeadLetter) == 2)
        wait_for(lambda: service.health()["duplicates"] == 50)
        client.loop_stop()
        client.disconnect()
    finally:
        service.stop()
    with town() as session:
        reasons = sorted(session.scalars(select(DeadLetter.reason)))
    assert reasons[0].startswith("not JSON") and "unknown worker 'STRANGER'" in reasons[1]


def test_reconnects_after_broker_restart_and_loses_nothing(
    tmp_path: Path, mosquitto: Mosquitto, town: sessionmaker[Session]
) -> None:
    settings = hub_settings(tmp_path, mosquitto.url, reconnect_min_s=0.1, reconnect_max_s=0.5)
    service = start_service(settings, town)
    try:
        client = publisher(mosquitto.port)
        for n in range(20):
            publish(client, *checkin(n))
        wait_for(lambda: count(town, Checkin) == 20)
        client.loop_stop()
        client.disconnect()
        mosquitto.stop()
        wait_for(lambda: service.health()["state"] == "waiting for broker")
        assert service.health()["ok"] is False
        mosquitto.start()
        wait_for(lambda: service.health()["state"] == "connected")
        client = publisher(mosquitto.port)
        for n in range(20, 40):
            publish(client, *checkin(n))
        wait_for(lambda: count(town, Checkin) == 40)
        client.loop_stop()
        client.disconnect()
    finally:
        service.stop()


def test_messages_sent_while_the_hub_is_away_arrive_from_its_persistent_session(
    tmp_path: Path, mosquitto: Mosquitto, town: sessionmaker[Session]
) -> None:
    settings = hub_settings(tmp_path, mosquitto.url)
    start_service(settings, town).stop()  # registers the session and its subscriptions
    client = publisher(mosquitto.port)
    for n in range(30):
        publish(client, *checkin(n))
    client.loop_stop()
    client.disconnect()
    mosquitto.restart()  # and the broker restarts meanwhile: its persistence keeps the queue
    service = start_service(settings, town)
    try:
        wait_for(lambda: count(town, Checkin) == 30)
    finally:
        service.stop()


def test_amqtt_fallback_basic_path_and_mqtt5_fallback(
    tmp_path: Path, amqtt_broker: AmqttBroker, town: sessionmaker[Session]
) -> None:
    # protocol "auto": the hub tries MQTT 5, amqtt refuses it, the hub falls back to 3.1.1.
    service = start_service(hub_settings(tmp_path, amqtt_broker.url), town)
    try:
        assert service.health()["mqtt_version"] == "3.1.1"
        client = publisher(amqtt_broker.port, "W1", W1_PASSWORD)
        for n in range(30):
            publish(client, *checkin(n))
        publish(client, *checkin(3))
        wait_for(lambda: count(town, Checkin) == 30)
        wait_for(lambda: service.health()["duplicates"] == 1)
        client.loop_stop()
        client.disconnect()
    finally:
        service.stop()
    assert amqtt_broker.health()["ok"] is True
