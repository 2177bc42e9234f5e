"""The whole hub on its embedded broker (the default without GRIDHUB_MQTT_URL): a member's
check-ins as itself are stored; as another member the broker drops them; a broker user that
is not (or no longer) on the roster is dead-lettered by the hub's own roster check."""

import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gridhub.config import load_settings
from gridhub.db import transaction
from gridhub.hub import Hub, build_hub
from gridhub.ingest.models import Checkin
from gridhub.mqtt.access import Role
from gridhub.mqtt.models import DeadLetter
from gridhub.mqtt.users import set_password
from tests.ingest.mqtt_helpers import checkin, count, wait_for
from tests.mqtt.conftest import mosquitto_or_skip
from tests.mqtt.devices import Device
from tests.support.services import free_port

PASSWORDS = {"W1": "w1-secret-pass", "W9": "w9-secret-pass"}


@pytest.fixture(params=["mosquitto", "amqtt"])
def hub(
    request: pytest.FixtureRequest,
    database_url: str,
    town: sessionmaker[Session],
    tmp_path: Path,
) -> Iterator[Hub]:
    if request.param == "mosquitto":
        mosquitto_or_skip()
    with transaction(town) as session:
        for code, secret in PASSWORDS.items():  # W9 has a broker user but no roster entry
            set_password(session, code, Role.MEMBER, secret, "gridhub-hub")
    settings = load_settings(
        database_url=database_url,
        data_dir=tmp_path,
        mqtt={"embedded_broker": request.param, "embedded_port": free_port()},
    )
    hub = build_hub(settings)
    hub.start()
    try:
        wait_for(lambda: hub.health()["ingest"]["ok"])
        assert hub.health()["mqtt-broker"]["backend"] == request.param
        yield hub
    finally:
        hub.stop()
        hub.engine.dispose()


def test_only_a_members_own_checkins_from_the_roster_are_stored(
    hub: Hub, town: sessionmaker[Session]
) -> None:
    port = hub.settings.mqtt.embedded_port
    devices = [Device(port, code, secret) for code, secret in PASSWORDS.items()]
    try:
        w1, w9 = devices
        w1.publish(*_encoded(checkin(1, worker="W2")))  # as W2: the broker drops it
        w9.publish(*_encoded(checkin(2, worker="W9")))  # itself, but not on the roster
        w1.publish(*_encoded(checkin(3, worker="W1")))
        wait_for(lambda: count(town, Checkin) == 1 and count(town, DeadLetter) == 1)
        time.sleep(0.5)  # anything that slipped through would be stored or dead-lettered now
        with town() as session:
            assert session.scalars(select(Checkin.worker_code)).all() == ["W1"]
            letter = session.scalars(select(DeadLetter)).one()
        assert (letter.topic, letter.sender) == ("gridhub/v1/patrol/W9/checkin", "W9")
        assert "unknown worker 'W9': not on the roster" in letter.reason
    finally:
        for device in devices:
            device.close()


def _encoded(message: tuple[str, dict[str, object]]) -> tuple[str, bytes]:
    return message[0], orjson.dumps(message[1])
