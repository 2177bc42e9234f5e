"""API benchmark: ``GET /api/v1/alerts?status=open`` with 1,000,000 alerts stored, paced.

Fills a throwaway PostGIS database with N alerts (1 in 1,000 open by default: a county's
thousand open alerts among a million handled, spread over a town's grids),
runs ``gridhub serve --api-workers N`` over it with its services on a Mosquitto of its own,
optionally with paced QoS 1 check-ins published beside (``--ingest-rate``, bench.ingest's
raw publisher), and sends requests at a fixed rate from this process as a town operator
(scoped to the town, so the roll-up is exercised).
Latency runs from each request's scheduled time, so a slow answer also delays the count of
those queued behind it. The baseline, in the same run and at the same rate: ``GET /healthz``
(the same server, framework, one store round trip and the services' health). Target:
p99 ≤ 50 ms at 200 requests/s; printed at 100, 200 and 400 requests/s.

    .venv/bin/python -m bench.api [--alerts 1000000] [--rates 100,200,400] [--seconds 20]
        [--api-workers 2] [--ingest-rate 1000]
"""

import argparse
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
from sqlalchemy import text

from bench.ingest import REPO, load, publish
from gridhub.api.users import create_api_token, create_user
from gridhub.db import make_engine, make_session_factory, transaction, upgrade
from tests.ingest.conftest import seed_town
from tests.support import databases
from tests.support.mosquitto import Mosquitto, mosquitto_binary
from tests.support.services import free_port

ALERTS = "/api/v1/alerts?status=open"
IDLE_S = 10.0
"""Seconds without requests first: the services' and the check-ins' share of server CPU."""

CHUNK = 100_000
FILL = text(
    """
    INSERT INTO alerts (source_type, source_id, kind, severity, title, grid, grids,
        region_path, status, is_open, count, last_seen_at, opened_at, updated_at, closed_at,
        assignees, broadcast_roles, policy, level, reminders)
    SELECT 'sensor', 'S' || g, 'water_level',
        (ARRAY['blue', 'yellow', 'orange', 'red'])[1 + g % 4], 'High water at S' || g,
        grid, json_build_array(grid), '/C/T/V/' || grid || '/',
        CASE WHEN g % :every = 0 THEN 'dispatched' ELSE 'resolved' END, g % :every = 0, 1,
        at, at, at, CASE WHEN g % :every = 0 THEN NULL ELSE at END,
        '[]', '[]', '{}', 0, 0
    FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS g,
        LATERAL (SELECT CASE WHEN g % 2 = 0 THEN 'G1' ELSE 'G2' END AS grid,
                        now() - make_interval(secs => :count - g) AS at) AS row
    """
)


def fill(url: str, count: int, open_every: int = 1000) -> str:
    """Seed the town, ``count`` alerts and a town operator; the operator's API token."""
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions() as session:
        seed_town(session)
    for first in range(1, count + 1, CHUNK):
        last = min(first + CHUNK - 1, count)
        with transaction(sessions) as session:
            bounds = {"first": first, "last": last, "count": count, "every": open_every}
            session.execute(FILL, bounds)
        print(f"  {last:,}/{count:,} alerts stored", end="\r", flush=True)
    print()
    with engine.connect() as connection:
        connection.execute(text("ANALYZE alerts"))
        connection.commit()
    with transaction(sessions) as session:
        create_user(session, "op", "bench-password", "operator", scope="T")
        _row, token = create_api_token(session, "op", "bench")
    engine.dispose()
    return token


def serve(url: str, broker: str, port: int, data_dir: str, workers: int) -> subprocess.Popen:
    """``gridhub serve --api-workers N`` with its services (ingest, alerts, cameras) on
    ``broker``, as deployed; its log (uvicorn's access lines included) goes to the data dir."""
    env = {
        **os.environ,
        "GRIDHUB_DATABASE_URL": url,
        "GRIDHUB_MQTT_URL": broker,
        "GRIDHUB_DATA_DIR": data_dir,
        "GRIDHUB_MQTT__CLIENT_ID": "bench-api-hub",
        "PYTHONPATH": str(REPO),
    }
    command = [sys.executable, "-m", "gridhub", "serve", "--port", str(port)]
    log = open(Path(data_dir) / "serve.log", "wb")  # noqa: SIM115  (the child's until it exits)
    return subprocess.Popen(
        [*command, "--api-workers", str(workers)], env=env, cwd=REPO, stdout=log, stderr=log
    )


def tree_cpu(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its live children (the API processes)."""
    root = psutil.Process(pid)
    times = [p.cpu_times() for p in (root, *root.children(recursive=True))]
    return sum(t.user + t.system for t in times)


def wait_until_up(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gridhub serve exited; see serve.log in its data dir")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("the hub was not healthy within 120 s")


def paced(
    client: httpx.Client, path: str, rate: float, seconds: float, expected: frozenset[int]
) -> tuple[list, int]:
    """Latencies (ms, from each request's scheduled time) of the answers with an ``expected``
    status, and the count of the others and of requests without an answer."""
    count = int(rate * seconds)
    latencies: list[float] = []
    failed = 0
    lock = threading.Lock()
    started = time.perf_counter() + 0.1

    def one(scheduled: float) -> None:
        nonlocal failed
        try:
            status = client.get(path).status_code
        except httpx.TransportError:  # a timeout or a refused connection: failed, not lost
            status = 0
        elapsed = (time.perf_counter() - scheduled) * 1000
        with lock:
            if status in expected:
                latencies.append(elapsed)
            else:
                failed += 1

    with ThreadPoolExecutor(max_workers=64) as pool:
        for i in range(count):
            scheduled = started + i / rate
            pause = scheduled - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            pool.submit(one, scheduled)
    return sorted(latencies), failed


def summary(name: str, latencies: list[float], failed: int) -> float:
    if not latencies:
        raise SystemExit(f"{name}: no answer of the expected status ({failed} others)")
    p99 = statistics.quantiles(latencies, n=100, method="inclusive")[98]
    print(
        f"{name}: {len(latencies):,} answered, {failed} failed; p50 "
        f"{statistics.median(latencies):.1f} ms, p99 {p99:.1f} ms, max {latencies[-1]:.1f} ms"
    )
    return p99


def measure(client: httpx.Client, pid: int, rate: float, seconds: float) -> float:
    """The open-alerts list at ``rate`` beside ``/healthz`` at the same rate, just before;
    the list's p99."""
    print(f"{rate:g} requests/s for {seconds:g} s each ({load()}) …")
    cpu = tree_cpu(pid)
    health = paced(client, "/healthz", rate, seconds, frozenset({200}))
    raw = summary("  baseline GET /healthz", *health)
    health_cpu, cpu = tree_cpu(pid) - cpu, tree_cpu(pid)
    listed = paced(client, ALERTS, rate, seconds, frozenset({200}))
    alerts = summary(f"  GET {ALERTS}", *listed)
    alerts_cpu = tree_cpu(pid) - cpu
    print(
        f"  server CPU: healthz {health_cpu:.1f} s, alerts {alerts_cpu:.1f} s "
        f"({alerts_cpu / max(1, len(listed[0])) * 1000:.1f} ms per request); "
        f"p99 alerts/healthz {alerts / raw:.1f}; {load()}"
    )
    return alerts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1_000_000)
    parser.add_argument("--open-every", type=int, default=1000, help="1 alert in N is open")
    parser.add_argument(
        "--rates", default="100,200,400", help="requests per second, comma-separated"
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="per endpoint")
    parser.add_argument("--api-workers", type=int, default=1, help="as gridhub serve's")
    parser.add_argument(
        "--ingest-rate", type=float, default=0, help="paced QoS 1 check-ins/s beside the requests"
    )
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    binary = mosquitto_binary()
    if binary is None:
        sys.exit("mosquitto is not installed")
    data_dir = tempfile.mkdtemp(prefix="bench-api-")
    broker = Mosquitto(Path(data_dir), binary)
    broker.start()
    name = f"bench_api_{uuid.uuid4().hex[:8]}"
    url = databases.create_postgis(name)
    server = publisher = None
    try:
        opened = args.alerts // args.open_every
        print(f"storing {args.alerts:,} alerts ({opened:,} open) in PostGIS …")
        started = time.monotonic()
        token = fill(url, args.alerts, args.open_every)
        print(f"  stored in {time.monotonic() - started:.1f} s")
        port = free_port()
        server = serve(url, broker.url, port, data_dir, args.api_workers)
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base, server)
        print(f"gridhub serve --api-workers {args.api_workers}; {os.cpu_count()} cores")
        headers = {"Authorization": f"Bearer {token}"}
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        with httpx.Client(base_url=base, headers=headers, limits=limits, timeout=30) as client:
            first = client.get(ALERTS).json()
            print(f"open alerts in the operator's town: {first['total']:,}")
            for path in ("/healthz", ALERTS):
                client.get(path)  # warm the connection pool and the server's caches
            if args.ingest_rate:
                # Enough for every phase; stopped when they are done.
                count = int(args.ingest_rate * (len(rates) * 2 * args.seconds + 60))
                publisher = multiprocessing.Process(
                    target=publish, args=(broker.port, count, "b", args.ingest_rate), daemon=True
                )
                publisher.start()
                print(f"publishing {args.ingest_rate:,.0f} QoS 1 check-ins/s beside the requests")
            cpu = tree_cpu(server.pid)
            time.sleep(IDLE_S)
            idle = (tree_cpu(server.pid) - cpu) / IDLE_S
            print(f"server CPU without requests (services, ingest): {idle:.2f} cores")
            cpu = tree_cpu(server.pid)
            p99 = {rate: measure(client, server.pid, rate, args.seconds) for rate in rates}
            print(f"server CPU over all phases: {tree_cpu(server.pid) - cpu:.1f} s; {load()}")
        if publisher is not None:
            publisher.terminate()
            print(f"check-ins committed during the run: {committed(url):,}")
        if 200 in p99:
            verdict = "MET" if p99[200] <= 50 else "NOT MET"
            print(
                f"TARGET p99 <= 50 ms at 200 req/s (--api-workers {args.api_workers}, "
                f"ingest {args.ingest_rate:g}/s): {verdict} (p99 {p99[200]:.1f} ms)"
            )
    finally:
        if publisher is not None and publisher.is_alive():
            publisher.terminate()
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        broker.stop()
        databases.drop_postgres(name)


def committed(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT count(*) FROM checkins")).scalar_one()
    engine.dispose()
    return int(rows)


if __name__ == "__main__":
    main()
