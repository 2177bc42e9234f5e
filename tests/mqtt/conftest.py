"""Broker fixtures: the ingest tests' town with broker users, and each broker under test (the
embedded Mosquitto child, the amqtt fallback, an external Mosquitto on the files that
``gridhub broker mosquitto-config`` wrote)."""

import getpass
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from gridhub.cli import app
from gridhub.config import Settings, load_settings
from gridhub.db import make_engine, make_session_factory, transaction
from gridhub.mqtt.access import Role
from gridhub.mqtt.broker import embedded_broker
from gridhub.mqtt.credentials import Credentials, embedded_credentials
from gridhub.mqtt.mosquitto_broker import find_mosquitto
from gridhub.mqtt.topics import Topics
from gridhub.mqtt.users import set_password
from tests.ingest.conftest import seed_town
from tests.support import databases
from tests.support.mosquitto import Mosquitto
from tests.support.services import free_port, unavailable

USERS = {
    "W1": (Role.MEMBER, "w1-secret-pass"),
    "W2": (Role.MEMBER, "w2-secret-pass"),
    "S1": (Role.SENSOR, "s1-secret-pass"),
    "D1": (Role.DRONE, "d1-secret-pass"),
    "frigate": (Role.FRIGATE, "frigate-secret-pass"),
    "dji-dock": (Role.DJI, "dji-secret-pass"),
}
EXTERNAL_HUB = Credentials("hub-external", "hub:external/pass@1")
BROKERS = ("mosquitto", "amqtt", "mosquitto-config")


def password(username: str) -> str:
    return USERS[username][1]


def seed_users(sessions: sessionmaker[Session], hub_username: str = "gridhub-hub") -> None:
    with transaction(sessions) as session:
        for username, (role, secret) in USERS.items():
            set_password(session, username, role, secret, hub_username)


@pytest.fixture
def store_url(spatialite_template: Path, tmp_path: Path) -> str:
    """One SpatiaLite store: here the broker is under test, not the store."""
    return databases.spatialite_copy(spatialite_template, tmp_path)


@pytest.fixture
def town(store_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(store_url)
    sessions = make_session_factory(engine)
    with sessions() as session:
        seed_town(session)
    seed_users(sessions)
    yield sessions
    engine.dispose()


def mosquitto_or_skip() -> str:
    binary = find_mosquitto()
    if binary is None:
        unavailable("mosquitto is not installed")
    return binary  # type: ignore[return-value]


def embedded_settings(tmp_path: Path, store_url: str, backend: str, **mqtt: Any) -> Settings:
    return load_settings(
        data_dir=tmp_path / "data",
        database_url=store_url,
        mqtt={"embedded_port": free_port(), "embedded_broker": backend, **mqtt},
    )


@dataclass
class RunningBroker:
    kind: str
    port: int
    hub: Credentials
    health: Callable[[], dict[str, Any]]


def cli(
    store_url: str,
    data_dir: Path,
    *args: str,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
) -> Any:
    """``gridhub ARGS`` on the test store, with ``stdin`` and extra environment."""
    base = {"GRIDHUB_DATABASE_URL": store_url, "GRIDHUB_DATA_DIR": str(data_dir)}
    return CliRunner().invoke(app, list(args), env={**base, **(env or {})}, input=stdin)


@pytest.fixture(params=BROKERS)
def broker(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    store_url: str,
    town: sessionmaker[Session],
) -> Iterator[RunningBroker]:
    """Each broker, with the town's users loaded from the store."""
    kind = request.param
    if kind != "amqtt":
        binary = mosquitto_or_skip()
    if kind == "mosquitto-config":
        port = free_port()
        directory = tmp_path / "external"
        result = cli(
            store_url,
            tmp_path / "data",
            *("broker", "mosquitto-config", str(directory)),
            *("--host", "127.0.0.1", "--port", str(port), "--user", getpass.getuser()),
            env={
                "GRIDHUB_MQTT__USERNAME": EXTERNAL_HUB.username,
                "GRIDHUB_MQTT__PASSWORD": EXTERNAL_HUB.password,
            },
        )
        assert result.exit_code == 0, result.output
        external = Mosquitto(
            tmp_path / "run", binary, port=port, config=directory / "mosquitto.conf"
        )
        external.start()
        yield RunningBroker(kind, port, EXTERNAL_HUB, lambda: {"ok": True})
        external.stop()
        return
    settings = embedded_settings(tmp_path, store_url, kind)
    service = embedded_broker(settings, town, Topics())
    service.start()
    yield RunningBroker(
        kind, settings.mqtt.embedded_port, embedded_credentials(settings), service.health
    )
    service.stop()
