"""``gridhub members|sensors|drones mqtt-password``, ``gridhub broker user …`` and
``gridhub broker mosquitto-config``, through typer's runner, on both stores."""

import stat
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gridhub.cameras.models import Camera
from gridhub.db import transaction
from gridhub.mqtt.models import MqttUser
from gridhub.mqtt.passwords import verify_password
from tests.ingest.conftest import seed_town
from tests.mqtt.conftest import cli

SECRET = "field-phone-pass-1"
HUB = {"GRIDHUB_MQTT__USERNAME": "hub-ext", "GRIDHUB_MQTT__PASSWORD": "hub-ext-pass"}


@pytest.fixture
def town(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """Workers W1, W2, sensor S1 (the ingest town), drone D1 and fixed camera C1."""
    with sessions() as session:
        seed_town(session)
    with transaction(sessions) as session:
        session.add(Camera(code="D1", name="Drone 1", kind="drone"))
        session.add(Camera(code="C1", name="Gate", kind="fixed"))
    return sessions


def stored(sessions: sessionmaker[Session]) -> dict[str, tuple[str, str]]:
    with sessions() as session:
        rows = session.scalars(select(MqttUser))
        return {row.username: (row.role, row.password_hash) for row in rows}


@pytest.mark.parametrize(
    ("command", "code", "role"),
    [("members", "W1", "member"), ("sensors", "S1", "sensor"), ("drones", "D1", "drone")],
)
def test_mqtt_password_keeps_only_a_hash(
    database_url: str, town, tmp_path: Path, command: str, code: str, role: str
) -> None:
    result = cli(database_url, tmp_path, command, "mqtt-password", code, stdin=SECRET + "\n")
    assert result.exit_code == 0, result.output
    assert f"MQTT password set for {role} {code}" in result.stdout
    users = stored(town)
    assert list(users) == [code]
    kept_role, kept_hash = users[code]
    assert kept_role == role
    assert kept_hash.startswith("$7$") and SECRET not in kept_hash
    assert verify_password(SECRET, kept_hash) and not verify_password("other-pass", kept_hash)


@pytest.mark.parametrize(
    ("command", "code", "why"),
    [
        ("members", "W9", "no member 'W9'"),
        ("sensors", "S9", "no sensor 'S9'"),
        ("drones", "C1", "no drone 'C1'"),  # a fixed camera is no drone
    ],
)
def test_mqtt_password_for_what_the_registry_does_not_hold_is_refused(
    database_url: str, town, tmp_path: Path, command: str, code: str, why: str
) -> None:
    result = cli(database_url, tmp_path, command, "mqtt-password", code, stdin=SECRET + "\n")
    assert result.exit_code == 1
    assert why in result.stderr
    assert stored(town) == {}


@pytest.mark.parametrize(
    ("args", "stdin", "why"),
    [
        (("members", "mqtt-password", "W1"), "short\n", "password too short"),
        (("members", "mqtt-password", "W1"), "        \n", "password must not be blank"),
        (("broker", "user", "add", "gridhub-hub", "--role", "frigate"), SECRET, "hub's own"),
        (("broker", "user", "add", "bad:name", "--role", "dji"), SECRET, "cannot be an MQTT"),
    ],
)
def test_bad_passwords_and_names_are_refused(
    database_url: str, town, tmp_path: Path, args: tuple[str, ...], stdin: str, why: str
) -> None:
    result = cli(database_url, tmp_path, *args, stdin=stdin)
    assert result.exit_code == 1
    assert why in result.stderr
    assert stored(town) == {}


def test_a_name_belongs_to_one_role(database_url: str, town, tmp_path: Path) -> None:
    assert (
        cli(database_url, tmp_path, "members", "mqtt-password", "W1", stdin=SECRET).exit_code == 0
    )
    before = stored(town)
    result = cli(
        database_url, tmp_path, "broker", "user", "add", "W1", "--role", "frigate", stdin=SECRET
    )
    assert result.exit_code == 1
    assert "MQTT user 'W1' already exists as a member" in result.stderr
    assert stored(town) == before


def test_integration_users_are_added_listed_and_removed(
    database_url: str, town, tmp_path: Path
) -> None:
    for name, role in (("frigate", "frigate"), ("dock-1", "dji"), ("cma", "warnings")):
        result = cli(
            database_url, tmp_path, "broker", "user", "add", name, "--role", role, stdin=SECRET
        )
        assert result.exit_code == 0, result.output
    result = cli(
        database_url, tmp_path, "broker", "user", "add", "x", "--role", "member", stdin=SECRET
    )
    assert result.exit_code == 2 and "--role must be one of frigate, dji, warnings" in result.stderr
    listed = cli(database_url, tmp_path, "broker", "user", "list").stdout.splitlines()
    assert [line.split("\t")[:2] for line in listed] == [
        ["dock-1", "dji"],
        ["frigate", "frigate"],
        ["cma", "warnings"],
    ]
    result = cli(database_url, tmp_path, "broker", "user", "remove", "frigate")
    assert result.exit_code == 0 and "MQTT user frigate (frigate) removed" in result.stdout
    assert set(stored(town)) == {"dock-1", "cma"}
    result = cli(database_url, tmp_path, "broker", "user", "remove", "frigate")
    assert result.exit_code == 1 and "no MQTT user 'frigate'" in result.stderr


def test_mosquitto_config_needs_the_hubs_own_credentials(
    database_url: str, town, tmp_path: Path
) -> None:
    result = cli(database_url, tmp_path, "broker", "mosquitto-config", str(tmp_path / "conf"))
    assert result.exit_code == 2
    assert "GRIDHUB_MQTT__USERNAME and GRIDHUB_MQTT__PASSWORD" in result.stderr
    assert not (tmp_path / "conf").exists()


def test_mosquitto_config_writes_private_files_of_the_stored_users(
    database_url: str, town, tmp_path: Path
) -> None:
    assert (
        cli(database_url, tmp_path, "members", "mqtt-password", "W1", stdin=SECRET).exit_code == 0
    )
    directory = tmp_path / "conf"
    result = cli(database_url, tmp_path, "broker", "mosquitto-config", str(directory), env=HUB)
    assert result.exit_code == 0, result.output
    assert (
        "2 users" in result.stdout and f"mosquitto -c {directory}/mosquitto.conf" in result.stdout
    )
    for name in ("mosquitto.conf", "gridhub.passwd", "gridhub.acl"):
        assert stat.S_IMODE((directory / name).stat().st_mode) == 0o600, name
    names = [line.split(":")[0] for line in (directory / "gridhub.passwd").read_text().splitlines()]
    assert names == ["hub-ext", "W1"]
    assert SECRET not in (directory / "gridhub.passwd").read_text()
    acl = (directory / "gridhub.acl").read_text()
    assert "user hub-ext\ntopic readwrite #\n" in acl
    assert (
        "user W1\ntopic write gridhub/v1/patrol/W1/checkin\ntopic write gridhub/v1/members/W1/ack\n"
        "topic write owntracks/W1/+\ntopic read gridhub/v1/members/W1/alerts\n"
    ) in acl
    conf = (directory / "mosquitto.conf").read_text().splitlines()
    for line in (
        "allow_anonymous false",
        "persistence true",
        "listener 1883 0.0.0.0",
        "max_inflight_messages 2000",
        "user mosquitto",
    ):
        assert line in conf
