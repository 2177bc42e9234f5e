"""Flood fan-out benchmark: one area warning over N grids with two members each → every
member's alert message received on its MQTT topic (target ≤ 1.5 s for 10,000 grids / 20,000
members, on PostGIS); then every member's device confirms within about a second, timed until
the dispatcher's progress reads 20,000 / 20,000.

The warning is handed to the alerts sink inside a transaction, as ingest does; the clock
runs from that call to the broker's last PUBACK (every delivery sent) and to the last member
message arriving at a subscriber in another process (the members' devices). The baseline, in
the same run: one paho client publishing as many QoS 1 messages of the same size to the same
subscriber.

    .venv/bin/python -m bench.flood [--grids 10000]
"""

import argparse
import multiprocessing
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Text, func, insert, select

from gridhub.alerts import receipts
from gridhub.alerts.models import AreaAlertKey, Delivery
from gridhub.alerts.service import AlertsService
from gridhub.config import load_settings
from gridhub.db import make_engine, make_session_factory, transaction, upgrade
from gridhub.events import AreaWarning
from gridhub.geo.models import Member, MemberArea, Region
from gridhub.mqtt.topics import Topics
from tests.support import databases
from tests.support.mosquitto import Mosquitto, mosquitto_binary


def seed(sessions: object, grids: int) -> list[str]:
    """County › town › villages of 100 grids; a worker and a leader per grid."""
    codes = [f"G{i}" for i in range(grids)]
    with transaction(sessions) as session:  # type: ignore[arg-type]
        session.execute(
            insert(Region),
            [
                {"code": "C", "name": "C", "level": "county", "path": "/C/", "properties": {}},
                {"code": "T", "name": "T", "level": "town", "path": "/C/T/", "properties": {}},
            ]
            + [
                {
                    "code": f"V{v}",
                    "name": f"V{v}",
                    "level": "village",
                    "path": f"/C/T/V{v}/",
                    "properties": {},
                }
                for v in range(grids // 100 + 1)
            ],
        )
        session.execute(
            insert(Region),
            [
                {
                    "code": code,
                    "name": code,
                    "level": "grid",
                    "path": f"/C/T/V{i // 100}/{code}/",
                    "properties": {},
                }
                for i, code in enumerate(codes)
            ],
        )
        members = [
            {
                "code": f"{role[5].upper()}{i}",  # W… workers, L… leaders
                "name": f"{role} {i}",
                "role": role,
                "notify": [],
                "duty": "always",
                "properties": {},
            }
            for i in range(grids)
            for role in ("grid_worker", "grid_leader")
        ]
        session.execute(insert(Member), members)
        member_ids = dict(session.execute(select(Member.code, Member.id)).all())
        region_ids = dict(session.execute(select(Region.code, Region.id)).all())
        session.execute(
            insert(MemberArea),
            [
                {"member_id": member_id, "region_id": region_ids[f"G{code[1:]}"], "position": 0}
                for code, member_id in member_ids.items()
            ],
        )
    return codes


def devices(port: int, topic: str, expected: int, ready: object, report: object) -> None:
    """The members' devices: one subscriber; reports (count, wall time of the last arrival)."""
    received = 0
    last = 0.0
    done = threading.Event()

    def on_message(_c: object, _u: object, _m: object) -> None:
        nonlocal received, last
        received += 1
        last = time.time()
        if received >= expected:
            done.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-devices-{topic[:8]}")
    client.on_subscribe = lambda *_: ready.set()  # type: ignore[attr-defined]
    client.on_message = on_message
    client.connect("127.0.0.1", port)
    client.subscribe(topic, qos=1)
    client.loop_start()
    done.wait(120)
    client.loop_stop()
    report.put((received, last))  # type: ignore[attr-defined]


def listen(port: int, topic: str, expected: int) -> tuple[multiprocessing.Process, object]:
    ready, report = multiprocessing.Event(), multiprocessing.Queue()
    process = multiprocessing.Process(
        target=devices, args=(port, topic, expected, ready, report), daemon=True
    )
    process.start()
    ready.wait(10)
    return process, report


def baseline(port: int, count: int, size: int) -> float:
    """Seconds for one paho client's ``count`` QoS 1 publishes to reach a subscriber."""
    _process, report = listen(port, "bench/baseline/+", count)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-baseline")
    client.max_inflight_messages_set(0)
    client.connect("127.0.0.1", port)
    client.loop_start()
    payload = b"x" * size
    started = time.time()
    infos = [client.publish(f"bench/baseline/{i % 1000}", payload, qos=1) for i in range(count)]
    for info in infos:
        info.wait_for_publish(60)
    received, last = report.get(timeout=120)  # type: ignore[attr-defined]
    client.loop_stop()
    return last - started if received == count else float("nan")


def confirm_all(port: int, prefix: str, warning_id: int, codes: list[str]) -> float:
    """Every member's device says ``confirmed`` on its ack topic at once; seconds to publish."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-confirm")
    client.max_inflight_messages_set(0)
    client.connect("127.0.0.1", port)
    client.loop_start()
    started = time.time()
    infos = [
        client.publish(
            f"{prefix}/members/{code}/ack",
            orjson.dumps(
                {
                    "id": f"c-{code}",
                    "ts": int(started * 1000),
                    "warning_id": warning_id,
                    "status": "confirmed",
                }
            ),
            qos=1,
        )
        for code in codes
    ]
    for info in infos:
        info.wait_for_publish(60)
    elapsed = time.time() - started
    client.loop_stop()
    client.disconnect()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", type=int, default=10_000)
    args = parser.parse_args()
    binary = mosquitto_binary()
    if binary is None:
        raise SystemExit("mosquitto is not installed")
    workdir = Path(tempfile.mkdtemp(prefix="bench-flood-"))
    broker = Mosquitto(workdir / "mqtt", binary)
    broker.start()
    name = f"bench_flood_{uuid.uuid4().hex[:8]}"
    url = databases.create_postgis(name)
    engine = make_engine(url)
    service = None
    try:
        upgrade(engine)
        sessions = make_session_factory(engine)
        started = time.perf_counter()
        grids = seed(sessions, args.grids)
        print(
            f"seeded {args.grids:,} grids, {2 * args.grids:,} members in "
            f"{time.perf_counter() - started:.1f} s"
        )
        expected = 2 * args.grids
        _process, report = listen(broker.port, "gridhub/v1/members/+/alerts", expected)
        settings = load_settings(database_url=url, mqtt_url=broker.url, data_dir=workdir)
        service = AlertsService(settings, sessions, Topics(settings.mqtt.prefix))
        service.start()
        time.sleep(2)
        warning = AreaWarning(
            1,
            "flood",
            "red",
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]},
            tuple(grids),
            datetime.now(UTC),
            message="Xiu river flood",
            key="bench/flood-1",
            headline="Xiu river flood",
            instruction="Patrol the dykes",
        )
        started = started_fanout = time.time()
        with transaction(sessions) as session:
            service.sink(session, [warning])
        committed = time.time() - started
        received, last = report.get(timeout=130)  # type: ignore[attr-defined]
        with sessions() as session:
            sent, size, last_sent = session.execute(
                select(
                    func.count(Delivery.id),
                    func.max(func.length(func.cast(Delivery.payload, Text))),
                    func.max(Delivery.sent_at),
                ).where(Delivery.member_code.is_not(None), Delivery.status == "sent")
            ).one()
        print(
            f"area warning over {args.grids:,} grids: alert + {expected:,} deliveries "
            f"committed in {committed:.2f} s; {sent:,} confirmed by the broker after "
            f"{last_sent.timestamp() - started:.2f} s; {received:,}/{expected:,} member "
            f"messages received, the last after {last - started:.2f} s"
        )
        with sessions() as session:
            warning_id = session.scalar(select(AreaAlertKey.alert_id))
        codes = [f"{r}{g[1:]}" for g in grids for r in ("W", "L")]
        started = time.time()
        published = confirm_all(broker.port, settings.mqtt.prefix, warning_id, codes)
        progress = {"confirmed": 0}
        deadline = time.time() + 600
        while progress["confirmed"] < expected and time.time() < deadline:
            time.sleep(0.1)
            with sessions() as session:
                progress = receipts.counts(session, warning_id)
        confirmed_after = time.time() - started
        print(
            f"{expected:,} confirmations published in {published:.2f} s; the dispatcher's "
            f"progress read {progress['confirmed']:,} / {progress['total']:,} after "
            f"{confirmed_after:.2f} s"
        )
        raw = baseline(broker.port, expected, size)
        print(
            f"baseline: one paho client, {expected:,} QoS 1 messages of {size} bytes to the "
            f"same subscriber: the last after {raw:.2f} s; "
            f"ratio hub / baseline: fan-out {(last - started_fanout) / raw:.1f}, "
            f"confirmations {confirmed_after / raw:.1f}"
        )
    finally:
        if service is not None:
            service.stop()
        engine.dispose()
        broker.stop()
        databases.drop_postgres(name)


if __name__ == "__main__":
    main()
