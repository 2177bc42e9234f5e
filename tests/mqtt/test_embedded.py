"""The embedded broker's life: users changed while it runs, an earlier Mosquitto left behind,
a Mosquitto that dies, the hub's own credentials."""

import os
import signal
import socket
import stat
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from gridhub.mqtt.broker import EmbeddedBroker, embedded_broker
from gridhub.mqtt.credentials import embedded_credentials
from gridhub.mqtt.mosquitto_broker import MosquittoBroker
from gridhub.mqtt.topics import Topics
from tests.mqtt.conftest import cli, embedded_settings, mosquitto_or_skip, password
from tests.mqtt.devices import Device

CHECKIN = "gridhub/v1/patrol/{}/checkin"
NEW_PASSWORD = "w1-changed-pass"


def eventually(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


class Brokers:
    """Starts embedded brokers on the test store; stops them and their devices afterwards."""

    def __init__(self, tmp_path: Path, store_url: str, town: sessionmaker[Session]) -> None:
        self.tmp_path, self.store_url, self.town = tmp_path, store_url, town
        self.started: list[EmbeddedBroker] = []
        self.devices: list[Device] = []
        self.hub_credentials = embedded_credentials(embedded_settings(tmp_path, store_url, "auto"))

    def start(self, backend: str) -> tuple[EmbeddedBroker, int]:
        settings = embedded_settings(self.tmp_path, self.store_url, backend)
        broker = embedded_broker(settings, self.town, Topics())
        broker.start()
        self.started.append(broker)
        return broker, settings.mqtt.embedded_port

    def device(self, port: int, username: str | None, secret: str | None) -> Device:
        device = Device(port, username, secret)
        self.devices.append(device)
        return device

    def hub(self, port: int) -> Device:
        """The hub's own user (its password kept in the data dir all brokers here share)."""
        credentials = self.hub_credentials
        return self.device(port, credentials.username, credentials.password)

    def session(self, port: int, subscribe: str | None = None) -> Device:
        """The hub's user on a persistent session (one fixed client id)."""
        credentials = self.hub_credentials
        device = Device(
            port, credentials.username, credentials.password, "hub-session", clean_session=False
        )
        if subscribe:
            device.subscribe(subscribe)
        self.devices.append(device)
        return device

    def close(self) -> None:
        for device in self.devices:
            device.close()
        for broker in reversed(self.started):
            broker.stop()


@pytest.fixture
def brokers(tmp_path: Path, store_url: str, town: sessionmaker[Session]) -> Iterator[Brokers]:
    started = Brokers(tmp_path, store_url, town)
    yield started
    started.close()


@pytest.mark.parametrize("backend", ["mosquitto", "amqtt"])
def test_users_changed_from_the_cli_while_the_broker_runs_take_effect(
    brokers: Brokers, backend: str
) -> None:
    if backend == "mosquitto":
        mosquitto_or_skip()
    broker, port = brokers.start(backend)
    observer = brokers.hub(port)
    observer.subscribe("#")
    data = brokers.tmp_path / "data"

    result = cli(brokers.store_url, data, "members", "mqtt-password", "W1", stdin=NEW_PASSWORD)
    assert result.exit_code == 0, result.output
    eventually(lambda: brokers.device(port, "W1", NEW_PASSWORD).refused is None)
    assert brokers.device(port, "W1", password("W1")).refused is not None
    w1 = brokers.device(port, "W1", NEW_PASSWORD)
    w1.publish(CHECKIN.format("W1"), b"before")
    assert observer.until(CHECKIN.format("W1"), b"before")

    # Removed: a connection it still has (amqtt keeps it; Mosquitto drops it on reload) may
    # no longer publish as W1.
    assert cli(brokers.store_url, data, "broker", "user", "remove", "W1").exit_code == 0
    eventually(lambda: brokers.device(port, "W1", NEW_PASSWORD).refused is not None)
    w1.client.publish(CHECKIN.format("W1"), b"after removal", qos=1)
    w2 = brokers.device(port, "W2", password("W2"))
    w2.publish(CHECKIN.format("W2"), b"marker")
    assert (CHECKIN.format("W1"), b"after removal") not in observer.until(
        CHECKIN.format("W2"), b"marker"
    )
    assert broker.health()["users_revision"] == 2 + 6  # six seeded users, two changes


def test_auto_prefers_mosquitto_which_keeps_what_it_acknowledged(brokers: Brokers) -> None:
    mosquitto_or_skip()
    broker, _port = brokers.start("auto")
    assert isinstance(broker, MosquittoBroker)
    health = broker.health()
    assert (health["ok"], health["backend"], health["durable"]) == (True, "mosquitto", True)


def test_an_earlier_mosquitto_left_running_is_stopped_and_its_queue_kept(
    brokers: Brokers,
) -> None:
    binary = mosquitto_or_skip()
    broker, port = brokers.start("mosquitto")
    assert isinstance(broker, MosquittoBroker)
    hub = brokers.session(port, subscribe=CHECKIN.format("W1"))  # a persistent session, away
    hub.close()
    broker.stop()
    # What a killed hub may leave behind: its Mosquitto, still running on the hub's files.
    stray = subprocess.Popen(
        [binary, "-c", str(broker.setup.conf_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    broker.pid_file.write_text(f"{stray.pid}\n")
    try:
        eventually(lambda: listening(port))
        w1 = brokers.device(port, "W1", password("W1"))
        for n in range(20):
            w1.publish(CHECKIN.format("W1"), f"queued {n}".encode())

        broker.start()  # stops the stray, which saves its queue as it exits; then loads it
        assert stray.wait(5) == 0
    finally:
        if stray.poll() is None:
            stray.terminate()
            stray.wait(10)
    back = brokers.session(port)
    got = back.until(CHECKIN.format("W1"), b"queued 19")
    assert [payload for _topic, payload in got] == [f"queued {n}".encode() for n in range(20)]


def test_a_mosquitto_that_dies_is_started_again(brokers: Brokers) -> None:
    mosquitto_or_skip()
    broker, port = brokers.start("mosquitto")
    assert isinstance(broker, MosquittoBroker) and broker.process is not None
    os.kill(broker.process.pid, signal.SIGKILL)
    eventually(lambda: broker.health()["restarts"] == 1 and broker.health()["ok"])
    assert brokers.device(port, "W1", password("W1")).refused is None


def test_the_hubs_own_password_is_made_once_and_kept_private(tmp_path: Path, store_url) -> None:
    settings = embedded_settings(tmp_path, store_url, "auto")
    first = embedded_credentials(settings)
    assert embedded_credentials(settings) == first and len(first.password) >= 32
    path = tmp_path / "data" / "mqtt" / "hub-password"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    configured = embedded_settings(tmp_path, store_url, "auto", username="me", password="mine-1")
    assert embedded_credentials(configured).username == "me"
    assert embedded_credentials(configured).password == "mine-1"


def test_a_busy_port_stops_the_start_with_mosquittos_reason(
    tmp_path: Path, store_url: str, town: sessionmaker[Session]
) -> None:
    mosquitto_or_skip()
    settings = embedded_settings(tmp_path, store_url, "mosquitto")
    with socket.create_server(("127.0.0.1", settings.mqtt.embedded_port)):
        broker = embedded_broker(settings, town, Topics())
        with pytest.raises(RuntimeError) as refused:
            broker.start()
    message = str(refused.value)
    assert f"did not start on 127.0.0.1:{settings.mqtt.embedded_port}" in message
    assert "Address already in use" in message
    assert not broker.pid_file.exists()
