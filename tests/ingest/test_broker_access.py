"""The hub against a Mosquitto that asks for a password, one that speaks only TLS, and two hubs
splitting one shared subscription."""

import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy.orm import Session, sessionmaker

from gridhub.cameras.registry import registered_drones
from gridhub.config import Settings
from gridhub.ingest.models import Checkin
from gridhub.ingest.service import IngestService
from gridhub.mqtt.topics import Topics
from tests.ingest.conftest import GRIDS, IndexLocator, Recorder
from tests.ingest.mqtt_helpers import (
    checkin,
    count,
    hub_settings,
    publish,
    start_service,
    wait_for,
)
from tests.support.mosquitto import Mosquitto, mosquitto_binary, mosquitto_passwd_binary
from tests.support.services import unavailable
from tests.support.tls import ServerPki, make_server_pki

USER, PASSWORD = "hub", "s3cret:/@pass"  # characters that must be quoted in a URL
PUBLISHER, PUBLISHER_PASSWORD = "phones", "phones-pass"
QUIET_S = 0.5
"""How long a refused hub is watched for anything arriving."""

StartBroker = Callable[..., Mosquitto]


@pytest.fixture
def start_broker(tmp_path: Path) -> Iterator[StartBroker]:
    """Starts a Mosquitto with the given users and/or TLS; all are stopped after the test."""
    binary = mosquitto_binary()
    if binary is None:
        unavailable("mosquitto is not installed")
    brokers: list[Mosquitto] = []

    def start(users: dict[str, str] | None = None, tls: ServerPki | None = None) -> Mosquitto:
        if users and mosquitto_passwd_binary() is None:
            unavailable("mosquitto_passwd is not installed")
        broker = Mosquitto(tmp_path / f"mosquitto{len(brokers)}", binary, users=users, tls=tls)
        brokers.append(broker)
        broker.start()
        return broker

    yield start
    for broker in brokers:
        broker.stop()


@pytest.fixture
def pki(tmp_path: Path) -> ServerPki:
    return make_server_pki(tmp_path / "pki")


def publisher(
    broker: Mosquitto, username: str = "", password: str = "", ca_file: Path | None = None
) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{time.monotonic_ns()}")
    client.max_inflight_messages_set(1000)
    if username:
        client.username_pw_set(username, password)
    if ca_file:
        client.tls_set(ca_certs=str(ca_file), cert_reqs=ssl.CERT_REQUIRED)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    return client


def publish_checkins(client: mqtt.Client, numbers: range) -> None:
    for n in numbers:
        publish(client, *checkin(n))
    client.loop_stop()
    client.disconnect()


@contextmanager
def refused_hub(settings: Settings, town: sessionmaker[Session]) -> Iterator[dict[str, object]]:
    """A hub the broker does not let in: its health once it names an error; afterwards it is
    checked to have stayed out and received nothing."""
    service = IngestService(
        settings,
        town,
        Topics(settings.mqtt.prefix),
        IndexLocator(GRIDS),
        registered_drones,
        [Recorder()],
    )
    service.start()
    try:
        wait_for(lambda: "error" in service.health(), timeout=10)
        yield service.health()
        time.sleep(QUIET_S)
        assert service.health()["state"] == "waiting for broker"
        assert service.health()["messages"] == 0
    finally:
        service.stop()


# username / password


@pytest.fixture
def password_broker(start_broker: StartBroker) -> Mosquitto:
    return start_broker(users={USER: PASSWORD, PUBLISHER: PUBLISHER_PASSWORD})


def url_with_credentials(broker: Mosquitto, username: str, password: str) -> str:
    return broker.url.replace("://", f"://{quote(username, safe='')}:{quote(password, safe='')}@")


@pytest.mark.parametrize("where", ["url", "settings"])
def test_hub_with_the_right_password_stores_checkins(
    tmp_path: Path, password_broker: Mosquitto, town: sessionmaker[Session], where: str
) -> None:
    if where == "url":
        settings = hub_settings(tmp_path, url_with_credentials(password_broker, USER, PASSWORD))
    else:
        settings = hub_settings(tmp_path, password_broker.url, username=USER, password=PASSWORD)
    service = start_service(settings, town)
    try:
        publish_checkins(publisher(password_broker, PUBLISHER, PUBLISHER_PASSWORD), range(20))
        wait_for(lambda: count(town, Checkin) == 20)
    finally:
        service.stop()


@pytest.mark.parametrize("protocol", ["auto", "3.1.1"])
def test_hub_with_a_wrong_password_stays_out_and_its_health_says_why(
    tmp_path: Path, password_broker: Mosquitto, town: sessionmaker[Session], protocol: str
) -> None:
    settings = hub_settings(
        tmp_path, password_broker.url, username=USER, password="wrong", protocol=protocol
    )
    with refused_hub(settings, town) as health:
        assert health["ok"] is False
        assert "refused" in str(health["error"])
        assert "password" in str(health["error"]).lower() or "authori" in str(health["error"])
        publish_checkins(publisher(password_broker, PUBLISHER, PUBLISHER_PASSWORD), range(5))
    assert count(town, Checkin) == 0


def test_hub_without_credentials_is_refused_by_a_broker_that_wants_them(
    tmp_path: Path, password_broker: Mosquitto, town: sessionmaker[Session]
) -> None:
    with refused_hub(hub_settings(tmp_path, password_broker.url), town) as health:
        assert "refused" in str(health["error"])
    assert count(town, Checkin) == 0


# TLS


def test_hub_over_tls_with_the_test_ca_stores_checkins(
    tmp_path: Path, start_broker: StartBroker, pki: ServerPki, town: sessionmaker[Session]
) -> None:
    broker = start_broker(tls=pki)
    assert broker.url.startswith("mqtts://")
    service = start_service(hub_settings(tmp_path, broker.url, ca_file=pki.ca_file), town)
    try:
        publish_checkins(publisher(broker, ca_file=pki.ca_file), range(20))
        wait_for(lambda: count(town, Checkin) == 20)
    finally:
        service.stop()


def test_hub_over_tls_with_password_from_settings_stores_checkins(
    tmp_path: Path, start_broker: StartBroker, pki: ServerPki, town: sessionmaker[Session]
) -> None:
    users = {USER: PASSWORD, PUBLISHER: PUBLISHER_PASSWORD}
    broker = start_broker(users=users, tls=pki)
    plain_url = broker.url.replace("mqtts://", "mqtt://")  # TLS from settings.mqtt.tls instead
    settings = hub_settings(
        tmp_path, plain_url, tls=True, ca_file=pki.ca_file, username=USER, password=PASSWORD
    )
    service = start_service(settings, town)
    try:
        client = publisher(broker, PUBLISHER, PUBLISHER_PASSWORD, ca_file=pki.ca_file)
        publish_checkins(client, range(10))
        wait_for(lambda: count(town, Checkin) == 10)
    finally:
        service.stop()


@pytest.mark.parametrize("trust", ["system CAs", "another CA"])
def test_hub_over_tls_refuses_a_broker_it_cannot_verify_and_says_so(
    tmp_path: Path,
    start_broker: StartBroker,
    pki: ServerPki,
    town: sessionmaker[Session],
    trust: str,
) -> None:
    broker = start_broker(tls=pki)
    ca_file = None if trust == "system CAs" else make_server_pki(tmp_path / "other").ca_file
    settings = hub_settings(tmp_path, broker.url, ca_file=ca_file, reconnect_max_s=1.0)
    with refused_hub(settings, town) as health:
        assert health["ok"] is False
        assert "certificate verify failed" in str(health["error"])
        publish_checkins(publisher(broker, ca_file=pki.ca_file), range(5))
    assert count(town, Checkin) == 0


# Shared subscription


def test_two_hubs_in_a_shared_group_split_the_checkins_and_store_each_once(
    tmp_path: Path, start_broker: StartBroker, town: sessionmaker[Session]
) -> None:
    broker = start_broker()
    hubs = [
        start_service(
            hub_settings(tmp_path / name, broker.url, client_id=name, shared_group="hubs"),
            town,
        )
        for name in ("hub-a", "hub-b")
    ]
    try:
        publish_checkins(publisher(broker), range(400))
        wait_for(lambda: count(town, Checkin) == 400)
        wait_for(lambda: sum(hub.runner.totals["messages"] for hub in hubs) == 400)
        shares = [hub.runner.totals["messages"] for hub in hubs]
        assert all(share > 0 for share in shares), shares
        assert sum(hub.runner.totals["duplicates"] for hub in hubs) == 0
        assert sum(hub.runner.totals["dead_letters"] for hub in hubs) == 0
    finally:
        for hub in hubs:
            hub.stop()
    assert count(town, Checkin) == 400
