"""API benchmark: ``GET /api/v1/alerts?status=open`` with 1,000,000 alerts stored, paced.

Fills a throwaway PostGIS database with N alerts (1 in 1,000 open by default: a county's
thousand open alerts among a million handled, spread over a town's grids),
serves the API as ``gridhub serve`` does in its own process, and sends requests at a fixed
rate from this one as a town operator (scoped to the town, so the roll-up is exercised).
Latency runs from each request's scheduled time, so a slow answer also delays the count of
those queued behind it. The baseline, in the same run and at the same rate: ``GET /healthz``
(the same server, framework and one store round trip). Target: p99 ≤ 50 ms at 200 requests/s;
printed at 100, 200 and 400 requests/s.

    .venv/bin/python -m bench.api [--alerts 1000000] [--rates 100,200,400] [--seconds 20]
"""

import argparse
import multiprocessing
import statistics
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import text

from bench.ingest import cpu_seconds
from gridhub.api.users import create_api_token, create_user
from gridhub.db import make_engine, make_session_factory, transaction, upgrade
from tests.ingest.conftest import seed_town
from tests.support import databases
from tests.support.services import free_port

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


def serve(url: str, port: int, data_dir: str) -> None:
    """The API over a hub built from settings, without its MQTT services (not measured)."""
    import uvicorn

    from gridhub.api.app import create_app
    from gridhub.config import load_settings
    from gridhub.hub import build_hub

    settings = load_settings(database_url=url, data_dir=data_dir)
    hub = build_hub(settings)
    uvicorn.run(create_app(hub, manage_services=False), port=port, log_level="warning")


def wait_until_up(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/healthz", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("the API did not come up within 60 s")


def paced(
    client: httpx.Client, path: str, rate: float, seconds: float, expected: frozenset[int]
) -> tuple[list, int]:
    """Latencies (ms, from each request's scheduled time) of the answers with an ``expected``
    status, and the count of the others."""
    count = int(rate * seconds)
    latencies: list[float] = []
    failed = 0
    lock = threading.Lock()
    started = time.perf_counter() + 0.1

    def one(scheduled: float) -> None:
        nonlocal failed
        response = client.get(path)
        elapsed = (time.perf_counter() - scheduled) * 1000
        with lock:
            if response.status_code in expected:
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


def measure(client: httpx.Client, pid: int, rate: float, seconds: float) -> None:
    """The open-alerts list at ``rate`` beside ``/healthz`` at the same rate, just before."""
    print(f"{rate:g} requests/s for {seconds:g} s each …")
    # 503 here: the hub's MQTT services are not started. The work is the same.
    health = paced(client, "/healthz", rate, seconds, frozenset({200, 503}))
    raw = summary("  baseline GET /healthz", *health)
    path = "/api/v1/alerts?status=open"
    cpu = cpu_seconds(pid)
    listed = paced(client, path, rate, seconds, frozenset({200}))
    cpu = (cpu_seconds(pid) - cpu) / max(1, len(listed[0]))
    alerts = summary(f"  GET {path}", *listed)
    print(f"  server CPU per request: {cpu * 1000:.1f} ms; p99 alerts/healthz {alerts / raw:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1_000_000)
    parser.add_argument("--open-every", type=int, default=1000, help="1 alert in N is open")
    parser.add_argument(
        "--rates", default="100,200,400", help="requests per second, comma-separated"
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="per endpoint")
    args = parser.parse_args()
    name = f"bench_api_{uuid.uuid4().hex[:8]}"
    url = databases.create_postgis(name)
    server = None
    try:
        opened = args.alerts // args.open_every
        print(f"storing {args.alerts:,} alerts ({opened:,} open) in PostGIS …")
        started = time.monotonic()
        token = fill(url, args.alerts, args.open_every)
        print(f"  stored in {time.monotonic() - started:.1f} s")
        port = free_port()
        data_dir = tempfile.mkdtemp(prefix="bench-api-")
        server = multiprocessing.Process(target=serve, args=(url, port, data_dir), daemon=True)
        server.start()
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base)
        headers = {"Authorization": f"Bearer {token}"}
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        with httpx.Client(base_url=base, headers=headers, limits=limits, timeout=30) as client:
            first = client.get("/api/v1/alerts?status=open").json()
            print(f"open alerts in the operator's town: {first['total']:,}")
            for path in ("/healthz", "/api/v1/alerts?status=open"):
                client.get(path)  # warm the connection pool and the server's caches
            for rate in (float(r) for r in args.rates.split(",")):
                measure(client, server.pid, rate, args.seconds)
    finally:
        if server is not None:
            server.terminate()
            server.join(10)
        databases.drop_postgres(name)


if __name__ == "__main__":
    main()
