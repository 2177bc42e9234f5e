"""A fresh hub under a burst: the grid index is ready before the first check-in, a burst larger
than the hub may hold is stored whole, and every kind of PUBLISH still arrives."""

import time
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from gridhub.cameras.registry import registered_drones
from gridhub.config import Settings, load_settings
from gridhub.geo.locator import GridLocator
from gridhub.ingest.models import Checkin
from gridhub.ingest.service import IngestService
from gridhub.mqtt.topics import Topics
from tests.ingest.conftest import Recorder
from tests.ingest.mqtt_helpers import checkin, count, hub_settings, publisher, wait_for
from tests.support.mosquitto import Mosquitto


def ingest_service(settings: Settings, town: sessionmaker[Session]) -> IngestService:
    """The hub's ingest over ``town``, its events recorded."""
    return IngestService(
        settings,
        town,
        Topics(settings.mqtt.prefix),
        GridLocator(town),
        registered_drones,
        [Recorder()],
    )


def test_grid_index_is_built_at_start_not_by_the_first_checkin(
    tmp_path: Path, mosquitto: Mosquitto, town: sessionmaker[Session]
) -> None:
    settings = hub_settings(tmp_path, mosquitto.url)
    locator = GridLocator(town)
    service = IngestService(
        settings, town, Topics(settings.mqtt.prefix), locator, registered_drones, [Recorder()]
    )
    service.start()
    try:
        wait_for(lambda: service.health()["state"] == "connected")
        wait_for(lambda: locator.revision is not None, timeout=5)  # nothing was sent yet
        client = publisher(mosquitto.port)
        topic, payload = checkin(1)
        client.publish(topic, orjson.dumps(payload), qos=1).wait_for_publish(5)
        wait_for(lambda: count(town, Checkin) == 1)
        client.disconnect()
    finally:
        service.stop()
    with town() as session:
        assert session.scalar(select(Checkin.grid_code)) == "G1"


def test_a_burst_beyond_what_the_hub_holds_is_stored_whole_once(
    tmp_path: Path, mosquitto: Mosquitto, town: sessionmaker[Session]
) -> None:
    settings = load_settings(
        data_dir=tmp_path,
        mqtt_url=mosquitto.url,
        mqtt={"client_id": "hub-test", "receive_maximum": 20},
        ingest={"batch_size": 10},
    )
    service = ingest_service(settings, town)
    service.start()
    try:
        wait_for(lambda: service.health()["state"] == "connected")
        client = publisher(mosquitto.port)
        for n in range(3000):
            topic, payload = checkin(n)
            client.publish(topic, orjson.dumps(payload), qos=1)
        wait_for(lambda: count(town, Checkin) == 3000, timeout=60)
        time.sleep(0.2)  # nothing more arrives: each stored once
        assert service.health()["messages"] == 3000
        client.disconnect()
    finally:
        service.stop()
    with town() as session:
        assert session.scalar(select(func.count(func.distinct(Checkin.msg_id)))) == 3000


def test_publishes_with_properties_and_at_qos_0_arrive_too(
    tmp_path: Path, mosquitto: Mosquitto, town: sessionmaker[Session]
) -> None:
    settings = hub_settings(tmp_path, mosquitto.url)
    service = ingest_service(settings, town)
    service.start()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, "pub-v5", protocol=mqtt.MQTTv5)
    try:
        wait_for(lambda: service.health()["state"] == "connected")
        client.connect("127.0.0.1", mosquitto.port)
        client.loop_start()
        properties = Properties(PacketTypes.PUBLISH)
        properties.ContentType = "application/json"
        properties.UserProperty = [("app", "patrol")]
        topic, payload = checkin(1)
        client.publish(topic, orjson.dumps(payload), qos=1, properties=properties).wait_for_publish(
            5
        )
        topic, payload = checkin(2)
        client.publish(topic, orjson.dumps(payload), qos=0).wait_for_publish(5)
        topic, payload = checkin(3)
        client.publish(topic, orjson.dumps(payload), qos=1).wait_for_publish(5)
        wait_for(lambda: count(town, Checkin) == 3)
    finally:
        client.loop_stop()
        client.disconnect()
        service.stop()
    with town() as session:
        assert sorted(session.scalars(select(Checkin.msg_id))) == ["c1", "c2", "c3"]
