"""Ingest benchmark: MQTT check-ins → grid → committed rows in PostGIS, next to a no-op baseline.

Starts a Mosquitto on a free port and a throwaway PostGIS database, runs the hub's ingest in
its own process, and publishes from another process with a raw-socket MQTT 3.1.1 QoS 1
publisher (pre-encoded frames; paho's publisher tops out near 4,800 msg/s). It counts what
arrived rather than trusting the publisher.

    .venv/bin/python -m bench.ingest [-n 200000] [--paced 2000 --paced-seconds 10]
    .venv/bin/python -m bench.ingest --burst 50000 [--repeat 3] [--compare /work/main]

``--burst N`` times a fresh hub process from the first publish of N check-ins to the last
commit, beside a no-op paho subscriber on the same broker (bench/burst.py), and draws both
curves into bench/figures/; ``--compare`` runs another checkout's hub in turn (before/after).
"""

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import text

from bench import burst as bursts
from bench.burst import cpu_seconds, load, start_hub
from bench.rawmqtt import noop_subscriber, publish
from gridhub.db import make_engine, make_session_factory, upgrade
from tests.ingest.conftest import seed_town
from tests.support import databases
from tests.support.mosquitto import Mosquitto, mosquitto_binary


def baseline(port: int, count: int) -> float:
    """Receive rate of a no-op paho QoS 1 subscriber on the same broker."""
    received = 0
    first = last = 0.0
    finished = threading.Event()

    def on_message(_c: object, _u: object, _m: object) -> None:
        nonlocal received, first, last
        received += 1
        last = time.monotonic()
        if received == 1:
            first = last
        if received == count:
            finished.set()

    client = noop_subscriber(port, "bench-noop", on_message)
    process = multiprocessing.Process(target=publish, args=(port, count, "base", None))
    process.start()
    finished.wait(max(60, count / 1000))
    process.join()
    client.loop_stop()
    client.disconnect()
    return (received - 1) / (last - first) if received > 1 else 0.0


def progress(label: str, engine: object, target: int, start_count: int) -> tuple[float, int]:
    """Wait until ``target`` rows are committed; print progress; return (seconds, rows)."""
    started = time.monotonic()
    last_seen, last_change = start_count, started
    rows = start_count
    while rows < target:
        time.sleep(0.5)
        with engine.connect() as connection:  # type: ignore[attr-defined]
            rows = connection.execute(text("SELECT count(*) FROM checkins")).scalar_one()
        now = time.monotonic()
        if rows != last_seen:
            last_seen, last_change = rows, now
        elif now - last_change > 30:
            print(f"  {label}: stalled at {rows - start_count:,} rows", flush=True)
            break
        print(
            f"  {label}: {rows - start_count:,}/{target - start_count:,} committed",
            end="\r",
            flush=True,
        )
    print()
    return time.monotonic() - started, rows - start_count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200_000, help="check-ins in the throughput run")
    parser.add_argument("--paced", type=float, default=2000, help="msg/s of the latency run")
    parser.add_argument("--paced-seconds", type=float, default=10)
    parser.add_argument("--burst", type=int, default=0, help="check-ins of a burst run instead")
    parser.add_argument("--repeat", type=int, default=3, help="hub runs of the burst")
    parser.add_argument(
        "--compare", type=Path, help="with --burst: also run the hub of this checkout (e.g. main)"
    )
    args = parser.parse_args()
    binary = mosquitto_binary()
    if binary is None:
        sys.exit("mosquitto is not installed")
    workdir = Path(tempfile.mkdtemp(prefix="gridhub-bench-"))
    broker = Mosquitto(workdir, binary)
    broker.start()
    name = f"gridhub_bench_{uuid.uuid4().hex[:8]}"
    url = databases.create_postgis(name)
    engine = make_engine(url)
    hub = None
    try:
        upgrade(engine)
        with make_session_factory(engine)() as session:
            seed_town(session)
        env = {
            **os.environ,
            "GRIDHUB_DATABASE_URL": url,
            "GRIDHUB_MQTT_URL": broker.url,
            "GRIDHUB_DATA_DIR": str(workdir),
            "GRIDHUB_MQTT__CLIENT_ID": "bench-hub",
        }
        print(f"  machine: {load()} on {os.cpu_count()} cores", flush=True)
        if args.burst:
            bursts.run(env, engine, broker.port, args.burst, args.repeat, args.compare)
            return
        print(f"baseline: no-op paho subscriber, {args.n:,} QoS 1 messages …", flush=True)
        base = baseline(broker.port, args.n)
        print(f"  no-op paho subscriber: {base:,.0f} msg/s")
        hub = start_hub(env)
        print(f"hub: {args.n:,} check-ins as fast as the broker takes them …", flush=True)
        print(f"  machine before: {load()} on {os.cpu_count()} cores", flush=True)
        cpu_before = cpu_seconds(hub.pid)
        publisher = multiprocessing.Process(target=publish, args=(broker.port, args.n, "t", None))
        publisher.start()
        seconds, rows = progress("hub", engine, args.n, 0)
        hub_cpu = cpu_seconds(hub.pid) - cpu_before
        publisher.join()
        rate = rows / seconds
        print(
            f"  hub sustained: {rate:,.0f} msg/s to committed rows"
            f" ({rows:,} rows in {seconds:.1f} s)"
        )
        print(
            f"  hub CPU: {hub_cpu / max(rows, 1) * 1e6:.0f} µs per message"
            f" ({hub_cpu / seconds:.0%} of a core); machine after: {load()}"
        )
        print(f"  ratio hub / no-op subscriber: {rate / base:.2f}")
        latency(engine, broker.port, args.paced, args.paced_seconds, rows)
    finally:
        if hub is not None:
            hub.kill()
            hub.wait()
        engine.dispose()
        broker.stop()
        databases.drop_postgres(name)


def latency(engine: object, port: int, rate: float, seconds: float, start: int) -> None:
    """Publish at ``rate``; observe each row's commit by polling; report publish→commit."""
    count = int(rate * seconds)
    print(f"latency: {count:,} check-ins paced at {rate:,.0f} msg/s …", flush=True)
    publisher = multiprocessing.Process(target=publish, args=(port, count, "p", rate))
    publisher.start()
    seen: list[float] = []
    last_id = 0
    deadline = time.monotonic() + seconds + 30
    while len(seen) < count and time.monotonic() < deadline:
        with engine.connect() as connection:  # type: ignore[attr-defined]
            rows = connection.execute(
                text(
                    "SELECT id, ts FROM checkins WHERE msg_id LIKE 'p%' AND id > :last ORDER BY id"
                ),
                {"last": last_id},
            ).all()
        now = time.time()
        for row_id, ts in rows:
            last_id = max(last_id, row_id)
            seen.append((now - ts.timestamp()) * 1000)
        time.sleep(0.002)
    publisher.join()
    if not seen:
        print("  no rows observed")
        return
    p50 = statistics.median(seen)
    p99 = statistics.quantiles(seen, n=100, method="inclusive")[98]
    print(
        f"  publish→commit (commit seen by polling every ~2 ms): p50 {p50:.1f} ms,"
        f" p99 {p99:.1f} ms over {len(seen):,} rows"
    )


if __name__ == "__main__":
    main()
