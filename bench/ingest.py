"""Ingest benchmark: MQTT check-ins → grid → committed rows in PostGIS, next to a no-op baseline.

Starts a Mosquitto on a free port and a throwaway PostGIS database, runs the hub's ingest in
its own process, and publishes from another process with a raw-socket MQTT 3.1.1 QoS 1
publisher (pre-encoded frames; paho's publisher tops out near 4,800 msg/s). It counts what
arrived rather than trusting the publisher.

    .venv/bin/python -m bench.ingest [-n 200000] [--paced 2000 --paced-seconds 10]
"""

import argparse
import multiprocessing
import os
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import text

from gridhub.db import make_engine, make_session_factory, upgrade
from tests.ingest.conftest import seed_town
from tests.support import databases
from tests.support.mosquitto import Mosquitto, mosquitto_binary

REPO = Path(__file__).resolve().parents[1]
TOPIC = b"gridhub/v1/patrol/W1/checkin"


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _frame(pid: int, payload: bytes) -> bytes:
    body = struct.pack("!H", len(TOPIC)) + TOPIC + struct.pack("!H", pid) + payload
    return b"\x32" + _varint(len(body)) + body


def _payload(n: int, tag: str) -> bytes:
    return orjson.dumps(
        {"id": f"{tag}{n}", "ts": time.time() * 1000, "lon": 113.305, "lat": 23.105}
    )


def publish(port: int, count: int, tag: str, rate: float | None) -> None:
    """Raw MQTT 3.1.1 QoS 1 publisher; waits for every PUBACK before it returns."""
    sock = socket.create_connection(("127.0.0.1", port))
    client_id = f"bench-pub-{tag}".encode()
    variable = b"\x00\x04MQTT\x04\x02\x00\x3c" + struct.pack("!H", len(client_id)) + client_id
    sock.sendall(b"\x10" + _varint(len(variable)) + variable)
    assert sock.recv(4)[:2] == b"\x20\x02"
    acked = 0
    done = threading.Event()

    def read_acks() -> None:
        nonlocal acked
        buffer = b""
        while acked < count:
            chunk = sock.recv(65536)
            if not chunk:
                break
            buffer += chunk
            whole = len(buffer) // 4
            acked += whole
            buffer = buffer[whole * 4 :]
        done.set()

    threading.Thread(target=read_acks, daemon=True).start()
    started = time.monotonic()
    chunk = 200 if rate is None else max(1, int(rate / 100))
    sent = 0
    while sent < count:
        while sent - acked > 30000:  # stay inside the 16-bit packet id space
            time.sleep(0.001)
        n = min(chunk, count - sent)
        # Payloads are encoded just before sending so that ts is the publish time.
        sock.sendall(
            b"".join(_frame((sent + i) % 65535 + 1, _payload(sent + i, tag)) for i in range(n))
        )
        sent += n
        if rate is not None:
            pause = started + sent / rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)
    done.wait(600)
    sock.close()


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

    subscribed = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-noop")
    client.on_message = on_message
    client.on_subscribe = lambda *_: subscribed.set()
    client.connect("127.0.0.1", port)
    client.subscribe(TOPIC.decode(), qos=1)
    client.loop_start()
    subscribed.wait(10)
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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load() -> str:
    return "load average " + " ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200_000, help="check-ins in the throughput run")
    parser.add_argument("--paced", type=float, default=2000, help="msg/s of the latency run")
    parser.add_argument("--paced-seconds", type=float, default=10)
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
    hub: subprocess.Popen[str] | None = None
    try:
        upgrade(engine)
        with make_session_factory(engine)() as session:
            seed_town(session)
        print(f"baseline: no-op paho subscriber, {args.n:,} QoS 1 messages …", flush=True)
        print(f"  machine: {load()} on {os.cpu_count()} cores", flush=True)
        base = baseline(broker.port, args.n)
        print(f"  no-op paho subscriber: {base:,.0f} msg/s")
        env = {
            **os.environ,
            "GRIDHUB_DATABASE_URL": url,
            "GRIDHUB_MQTT_URL": broker.url,
            "GRIDHUB_DATA_DIR": str(workdir),
            "GRIDHUB_MQTT__CLIENT_ID": "bench-hub",
            "PYTHONPATH": str(REPO),
        }
        hub = subprocess.Popen(
            [sys.executable, "-m", "tests.ingest.hub_runner"],
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert hub.stdout is not None and hub.stdout.readline().strip() == "ready"
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
