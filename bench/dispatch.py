"""Dispatch benchmark: a sensor warning published to the broker → the alert message received
on the responsible member's topic, under a steady load of background check-ins, on PostGIS.

Starts a Mosquitto on a free port and a throwaway PostGIS database, runs the whole hub
(``build_hub``: ingest, alerts, cameras) in its own process, publishes background check-ins
from another process (raw-socket QoS 1 publisher, paced), and publishes the warnings from
this one, each from its own sensor so that each opens (and dispatches) a new alert. Latency
is publish → arrival on ``members/W1/alerts``, both clocks in this process. The baseline, in
the same run: a plain QoS 1 message's trip through the same broker to the same subscriber.

A batch's warnings are raised together (one query for their open alerts, one routing query,
a statement per table): a storm of 200 reached the member within 1 s, max 56 ms (load
average 2.1), where one alert at a time let only 62 of 200 through in 1 s. The steady rates
(``--rate 20``, ``--rate 50``) are dominated by the time a warning waits behind the check-in
batch in hand ("to rule") and the commit; on the shared 2 cores they vary with the load.

A storm (``--storm 200``): that many sensors warn within one second, beside the same
check-ins; it says how many warnings reached the member within 1 s, and the max.

    .venv/bin/python -m bench.dispatch [-n 1000] [--rate 20] [--background 2000] [--storm 200]
"""

import argparse
import multiprocessing
import os
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from bench.ingest import publish as publish_checkins
from gridhub.alerts.models import Alert, Delivery
from gridhub.db import make_engine, make_session_factory, upgrade
from gridhub.ingest.models import Sensor
from tests.ingest.conftest import IN_G1, seed_town
from tests.support import databases
from tests.support.mosquitto import Mosquitto, mosquitto_binary

MEMBER_TOPIC = "gridhub/v1/members/W1/alerts"
ECHO_TOPIC = "bench/echo"


def run_hub(database_url: str, mqtt_url: str, data_dir: str, stop: object) -> None:
    """The hub as ``gridhub serve`` builds it, without the HTTP server."""
    from gridhub.config import load_settings
    from gridhub.hub import build_hub

    settings = load_settings(database_url=database_url, mqtt_url=mqtt_url, data_dir=data_dir)
    hub = build_hub(settings)
    hub.start()
    stop.wait()  # type: ignore[attr-defined]
    hub.stop()


def seed(database_url: str, sensors: int) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    with make_session_factory(engine)() as session:
        seed_town(session)  # commits
        session.add_all(
            Sensor(
                code=f"B{i}",
                name=f"gauge {i}",
                kind="water_level",
                lon=IN_G1[0],
                lat=IN_G1[1],
                grid_code="G1",
                unit="m",
            )
            for i in range(sensors)
        )
        session.commit()
    engine.dispose()


class Receiver:
    """The member's device: notes when each warning's alert arrives."""

    def __init__(self, port: int) -> None:
        self.arrived: dict[str, float] = {}
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-device")
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.subscribe([(MEMBER_TOPIC, 1), (ECHO_TOPIC, 1)])
        self.client.loop_start()
        subscribed.wait(10)

    def _on_message(self, _c: object, _u: object, message: mqtt.MQTTMessage) -> None:
        now = time.time()
        detail = orjson.loads(message.payload).get("detail") or ""
        self.arrived.setdefault(detail, now)


def warning(tag: str) -> dict[str, object]:
    return {
        "id": tag,
        "ts": int(time.time() * 1000),
        "kind": "water_level",
        "level": "orange",
        "value": 4.2,
        "unit": "m",
        "message": tag,
    }


def publish_paced(
    publisher: mqtt.Client, messages: Iterable[tuple[str, str, dict]], rate: float
) -> dict[str, float]:
    """Publish ``(tag, topic, payload)`` at ``rate`` per second; when each tag left."""
    sent: dict[str, float] = {}
    started = time.monotonic()
    for i, (tag, topic, payload) in enumerate(messages):
        pause = started + i / rate - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        sent[tag] = time.time()
        publisher.publish(topic, orjson.dumps(payload), qos=1)
    return sent


def trips(sent: dict[str, float], arrived: dict[str, float]) -> list[float]:
    """Publish → arrival in ms of each tag that arrived, sorted."""
    return sorted((arrived[tag] - at) * 1000 for tag, at in sent.items() if tag in arrived)


def print_stages(stages: list, sent: dict[str, float], arrived: dict[str, float]) -> None:
    """Where the time goes (wall clocks): publish → the alert rule runs in ingest's batch
    (``opened_at``) → the alert is written, committed, claimed and confirmed by the broker
    (``sent_at``) → arrival on the member's device."""
    spans: dict[str, list[float]] = {"to rule": [], "to sent": [], "to device": []}
    for detail, opened_at, sent_at in stages:
        if detail not in sent or detail not in arrived or sent_at is None:
            continue
        opened, done = opened_at.timestamp(), sent_at.timestamp()
        spans["to rule"].append((opened - sent[detail]) * 1000)
        spans["to sent"].append((done - opened) * 1000)
        spans["to device"].append((arrived[detail] - done) * 1000)
    for name, values in spans.items():
        if values:
            print(
                f"  {name:>9}: p50 {statistics.median(values):7.1f} ms  p99 {p99(values):7.1f} ms"
            )


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="warnings (each a new alert)")
    parser.add_argument("--rate", type=float, default=20.0, help="warnings per second")
    parser.add_argument("--background", type=float, default=2000.0, help="check-ins per second")
    parser.add_argument("--storm", type=int, default=0, help="this many warnings within 1 s")
    args = parser.parse_args()
    if args.storm:
        args.n, args.rate = args.storm, float(args.storm)
    binary = mosquitto_binary()
    if binary is None:
        raise SystemExit("mosquitto is not installed")
    workdir = Path(tempfile.mkdtemp(prefix="bench-dispatch-"))
    broker = Mosquitto(workdir / "mqtt", binary)
    broker.start()
    name = f"bench_dispatch_{uuid.uuid4().hex[:8]}"
    url = databases.create_postgis(name)
    stop = multiprocessing.Event()
    hub = None
    try:
        seed(url, args.n)
        hub = multiprocessing.Process(target=run_hub, args=(url, broker.url, str(workdir), stop))
        hub.start()
        time.sleep(4)  # the hub connects, builds its grid index, subscribes
        receiver = Receiver(broker.port)
        publisher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-sensors")
        publisher.max_inflight_messages_set(1000)
        publisher.connect("127.0.0.1", broker.port)
        publisher.loop_start()
        echoes = min(args.n, 100)
        echoed = publish_paced(
            publisher, ((f"echo-{i}", ECHO_TOPIC, {"detail": f"echo-{i}"}) for i in range(echoes)),
            args.rate,
        )  # fmt: skip
        warmup = args.rate and 3.0
        seconds = args.n / args.rate + warmup + 5
        background = multiprocessing.Process(
            target=publish_checkins,
            args=(broker.port, int(args.background * seconds), "bg", args.background),
        )
        background.start()
        time.sleep(warmup)  # let the check-in load settle before measuring
        warnings = (
            (f"bench-{i}", f"gridhub/v1/sensors/B{i}/warning", warning(f"bench-{i}"))
            for i in range(args.n)
        )
        cpu_before, wall_before = cpu_s(hub.pid), time.monotonic()
        sent = publish_paced(publisher, warnings, args.rate)
        deadline = time.monotonic() + 15
        while len(receiver.arrived) < args.n + echoes and time.monotonic() < deadline:
            time.sleep(0.1)
        cpu_used, wall = cpu_s(hub.pid) - cpu_before, time.monotonic() - wall_before
        background.join()
        latencies = trips(sent, receiver.arrived)
        raw = trips(echoed, receiver.arrived)
        engine = make_engine(url)
        with engine.connect() as connection:
            alerts = connection.scalar(select(func.count()).select_from(Alert.__table__))
            stages = connection.execute(
                select(Alert.detail, Alert.opened_at, func.min(Delivery.sent_at))
                .join(Delivery, Delivery.alert_id == Alert.id)
                .where(Delivery.member_code == "W1", Delivery.channel == "mqtt")
                .group_by(Alert.id)
            ).all()
            checkins = connection.exec_driver_sql("SELECT count(*) FROM checkins").scalar()
        engine.dispose()
        print(
            f"warnings published: {args.n} at {args.rate:g}/s; alerts opened: {alerts}; "
            f"received on {MEMBER_TOPIC}: {len(latencies)}"
        )
        print(f"background check-ins: {args.background:g}/s paced, {checkins} stored")
        if latencies and raw:
            print(
                f"latency ms: p50 {statistics.median(latencies):.1f}  p99 {p99(latencies):.1f}  "
                f"max {latencies[-1]:.1f}  mean {statistics.fmean(latencies):.1f}"
            )
            if args.storm:
                within = sum(1 for ms in latencies if ms <= 1000)
                print(f"storm: {within} of {args.n} on the member's topic within 1 s")
            print_stages(stages, sent, receiver.arrived)
            print(
                f"baseline, a plain message through the broker ({len(raw)}): "
                f"p50 {statistics.median(raw):.1f}  p99 {p99(raw):.1f} ms; "
                f"ratio of p99s hub / baseline: {p99(latencies) / max(p99(raw), 0.001):.1f}"
            )
        print(
            f"hub CPU {cpu_used:.1f} s over {wall:.1f} s of warnings; "
            f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )
    finally:
        stop.set()
        if hub is not None:
            hub.join(30)
        broker.stop()
        databases.drop_postgres(name)


if __name__ == "__main__":
    main()
