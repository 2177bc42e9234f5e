"""Kill -9 the hub in the middle of a stream, start it again: every check-in stored exactly once."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from gridhub.ingest.models import Checkin
from tests.ingest.conftest import IN_G1
from tests.support.mosquitto import Mosquitto

TOTAL = 4000
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
