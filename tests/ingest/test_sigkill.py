"""Kill -9 the hub in the middle of a stream, start it again: every check-in stored exactly once."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from gridhub.db import transaction
from gridhub.ingest.models import Checkin
from gridhub.mqtt.access import Role
from gridhub.mqtt.users import set_password
from tests.ingest.conftest import IN_G1
from tests.mqtt.conftest import mosquitto_or_skip
from tests.support.mosquitto import Mosquitto
from tests.support.services import free_port

TOTAL = 4000
TOPIC = "gridhub/v1/patrol/W1/checkin"
REPO = Path(__file__).resolve().parents[2]


def start_hub(database_url: str, mqtt_url: str, tmp_path: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "GRIDHUB_DATABASE_URL": database_url,
        "GRIDHUB_MQTT_URL": mqtt_url,
        "GRIDHUB_DATA_DIR": str(tmp_path),
        "GRIDHUB_MQTT__CLIENT_ID": "hub-sigkill",
        "PYTHONPATH": str(REPO),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.ingest.hub_runner"],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    return process


def stored(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions() as session:
        rows = session.scalar(select(func.count()).select_from(Checkin)) or 0
        distinct = session.scalar(select(func.count(func.distinct(Checkin.msg_id)))) or 0
    return rows, distinct


def test_sigkill_mid_stream_loses_nothing_and_stores_nothing_twice(
    tmp_path: Path, mosquitto: Mosquitto, town: sessionmaker[Session], database_url: str
) -> None:
    hub = start_hub(database_url, mosquitto.url, tmp_path)
    publisher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="field-phones")
    publisher.max_inflight_messages_set(1000)
    publisher.connect("127.0.0.1", mosquitto.port)
    publisher.loop_start()
    try:
        infos = []
        for n in range(TOTAL):
            payload = {"id": f"k{n}", "ts": 1782892800000 + n, "lon": IN_G1[0], "lat": IN_G1[1]}
            infos.append(
                publisher.publish("gridhub/v1/patrol/W1/checkin", orjson.dumps(payload), qos=1)
            )
            if n == TOTAL // 4:
                deadline = time.monotonic() + 20
                while stored(town)[0] == 0 and time.monotonic() < deadline:
                    time.sleep(0.01)
                hub.send_signal(signal.SIGKILL)  # in the middle: some committed, some in flight
                hub.wait()
        for info in infos:
            info.wait_for_publish(10)
        killed_at = stored(town)[0]
        assert 0 < killed_at < TOTAL
        hub = start_hub(database_url, mosquitto.url, tmp_path)
        deadline = time.monotonic() + 60
        while stored(town)[0] < TOTAL and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # anything redelivered late must still not be stored twice
        assert stored(town) == (TOTAL, TOTAL)
    finally:
        publisher.loop_stop()
        publisher.disconnect()
        hub.send_signal(signal.SIGKILL)
        hub.wait()


# The embedded default: no GRIDHUB_MQTT_URL, so the hub runs Mosquitto as its child.

EMBEDDED_TOTAL = 5000
W1_PASSWORD = "w1-secret-pass"


def serve_embedded(database_url: str, data_dir: Path, mqtt_port: int) -> subprocess.Popen[str]:
    """``gridhub serve`` on its embedded broker; returns once ingest is connected."""
    api_port = free_port()
    env = {
        **os.environ,
        "GRIDHUB_DATABASE_URL": database_url,
        "GRIDHUB_DATA_DIR": str(data_dir),
        "GRIDHUB_MQTT__EMBEDDED_BROKER": "mosquitto",
        "GRIDHUB_MQTT__EMBEDDED_PORT": str(mqtt_port),
        "GRIDHUB_MQTT__CLIENT_ID": "hub-sigkill",
        "PYTHONPATH": str(REPO),
    }
    env.pop("GRIDHUB_MQTT_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "gridhub", "serve", "--port", str(api_port)],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the hub exited"
        try:
            health = httpx.get(f"http://127.0.0.1:{api_port}/healthz", timeout=1).json()
            if health["ingest"]["ok"]:
                return process
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        time.sleep(0.1)
    process.kill()
    raise AssertionError("the hub did not come up")


def test_sigkill_of_the_hub_on_its_embedded_mosquitto_loses_nothing_acknowledged(
    tmp_path: Path, town: sessionmaker[Session], database_url: str
) -> None:
    mosquitto_or_skip()
    with transaction(town) as session:
        set_password(session, "W1", Role.MEMBER, W1_PASSWORD, "gridhub-hub")
    port = free_port()
    hub = serve_embedded(database_url, tmp_path / "data", port)
    acked: set[int] = set()
    phone = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="w1-phone")
    phone.username_pw_set("W1", W1_PASSWORD)
    phone.max_inflight_messages_set(1000)
    phone.reconnect_delay_set(0.1, 1)  # the broker goes away with the hub, and comes back
    phone.on_publish = lambda _c, _u, mid, _rc, _p: acked.add(mid)
    phone.connect("127.0.0.1", port)
    phone.loop_start()
    try:
        mids = []
        for n in range(EMBEDDED_TOTAL):
            payload = {"id": f"e{n}", "ts": 1782892800000 + n, "lon": IN_G1[0], "lat": IN_G1[1]}
            mids.append(phone.publish(TOPIC, orjson.dumps(payload), qos=1).mid)
            if n == EMBEDDED_TOTAL // 4:
                deadline = time.monotonic() + 20
                while stored(town)[0] == 0 and time.monotonic() < deadline:
                    time.sleep(0.01)
                hub.send_signal(signal.SIGKILL)  # mid-stream: some committed, some in flight
                hub.wait()
                killed_at, acked_at_kill = stored(town)[0], len(acked)
        hub = serve_embedded(database_url, tmp_path / "data", port)
        deadline = time.monotonic() + 90
        while len(acked) < EMBEDDED_TOTAL and time.monotonic() < deadline:
            time.sleep(0.1)
        acknowledged = {f"e{n}" for n, mid in enumerate(mids) if mid in acked}
        while stored(town)[0] < len(acknowledged) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)  # anything redelivered late must still not be stored twice
        rows, distinct = stored(town)
        with town() as session:
            ids = set(session.scalars(select(Checkin.msg_id)))
        print(
            f"\nSIGKILL with {killed_at} stored and {acked_at_kill} acknowledged; after restart "
            f"{len(acknowledged)} of {EMBEDDED_TOTAL} acknowledged, {rows} rows, {distinct} ids"
        )
        assert 0 < killed_at < EMBEDDED_TOTAL
        assert rows == distinct, "a check-in was stored twice"
        assert acknowledged <= ids, f"lost: {sorted(acknowledged - ids)[:10]}"
        assert len(acknowledged) == EMBEDDED_TOTAL  # the phone resent what was not acknowledged
    finally:
        phone.loop_stop()
        phone.disconnect()
        hub.send_signal(signal.SIGTERM)
        hub.wait(30)
