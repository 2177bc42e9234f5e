"""Burst mode of the ingest benchmark: a fresh hub takes N check-ins published at once.

Times first publish → last commit for a hub process started just before, beside a no-op paho
subscriber taking the same burst on the same broker (measured before and after the hub), and
draws committed (or received) messages over time as an SVG chart.
"""

import multiprocessing
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from sqlalchemy import Engine, text

from bench.rawmqtt import noop_subscriber, publish

REPO = Path(__file__).resolve().parents[1]
SAMPLE_S = 0.01
"""How often the committed count is read (max(id): an index probe, cheap beside the hub)."""
STALL_S = 30.0
HEAD = 20_000
"""The first messages of a burst, reported apart: where a slow start shows."""


@dataclass
class Curve:
    """Messages done (committed or received) at seconds since the burst's first publish."""

    label: str
    times: list[float]
    counts: list[int]
    published_s: float
    """First publish → last PUBACK from the broker."""
    cpu_s: float

    @property
    def total(self) -> int:
        return self.counts[-1] if self.counts else 0

    def reached(self, n: int) -> float | None:
        """Seconds from the first publish until ``n`` messages were done."""
        return next((t for t, c in zip(self.times, self.counts, strict=True) if c >= n), None)

    def rates(self, head: int) -> tuple[float, float, float]:
        """msg/s over the whole burst, over its first ``head`` messages and over the rest."""
        end, mid = self.reached(self.total), self.reached(head)
        if not end:
            return 0.0, 0.0, 0.0
        if not mid or self.total <= head:  # a burst no larger than its head
            return self.total / end, 0.0, 0.0
        return self.total / end, head / mid, (self.total - head) / max(end - mid, 1e-9)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load() -> str:
    return "load average " + " ".join(f"{value:.1f}" for value in os.getloadavg())


def start_hub(env: dict[str, str], checkout: Path = REPO) -> subprocess.Popen[str]:
    """A hub running only ingest (tests/ingest/hub_runner.py of ``checkout``, with that
    checkout's interpreter), returned once subscribed."""
    python = checkout / ".venv" / "bin" / "python" if checkout != REPO else Path(sys.executable)
    hub = subprocess.Popen(
        [str(python), "-m", "tests.ingest.hub_runner"],
        env={**env, "PYTHONPATH": str(checkout)},
        cwd=checkout,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert hub.stdout is not None and hub.stdout.readline().strip() == "ready"
    return hub


def _publisher(port: int, count: int, tag: str) -> tuple[multiprocessing.Process, list]:
    times = [multiprocessing.Value("d", 0.0), multiprocessing.Value("d", 0.0)]
    process = multiprocessing.Process(
        target=publish, args=(port, count, tag, None, True, tuple(times))
    )
    process.start()
    return process, times


def _binned(label: str, arrivals: list[float], published_s: float, cpu_s: float) -> Curve:
    times, counts = [], []
    for n, moment in enumerate(arrivals, 1):
        if not times or moment - times[-1] >= SAMPLE_S or n == len(arrivals):
            times.append(moment)
            counts.append(n)
    return Curve(label, times, counts, published_s, cpu_s)


def noop_burst(port: int, count: int, tag: str) -> Curve:
    """A no-op paho QoS 1 subscriber (as is) takes a burst of ``count``."""
    arrivals: list[float] = []
    finished = threading.Event()

    def on_message(_c: object, _u: object, _m: object) -> None:
        arrivals.append(time.monotonic())
        if len(arrivals) == count:
            finished.set()

    client = noop_subscriber(port, f"bench-noop-{tag}", on_message)
    cpu_before = time.process_time()
    process, (first, last) = _publisher(port, count, tag)
    finished.wait(max(60, count / 1000))
    cpu = time.process_time() - cpu_before
    process.join()
    client.loop_stop()
    client.disconnect()
    start = first.value
    return _binned("no-op paho subscriber", [t - start for t in arrivals], last.value - start, cpu)


def hub_burst(
    env: dict[str, str], engine: Engine, port: int, count: int, tag: str, checkout: Path = REPO
) -> Curve:
    """A hub process started for this burst takes ``count``; committed rows over time."""
    with engine.begin() as connection:
        connection.execute(
            text("TRUNCATE checkins, worker_status, dead_letters RESTART IDENTITY CASCADE")
        )
    hub = start_hub({**env, "GRIDHUB_MQTT__CLIENT_ID": f"bench-hub-{tag}"}, checkout)
    try:
        cpu_before = cpu_seconds(hub.pid)
        samples: list[tuple[float, int]] = []
        with engine.connect() as connection:
            process, (first, last) = _publisher(port, count, tag)
            committed, changed = 0, time.monotonic()
            while committed < count and time.monotonic() - changed < STALL_S:
                # One hub commits batch after batch, so max(id) counts committed rows; the
                # total is checked with count(*) below.
                row = connection.execute(text("SELECT coalesce(max(id), 0) FROM checkins"))
                connection.commit()
                now, seen = time.monotonic(), row.scalar_one()
                samples.append((now, seen))
                if seen != committed:
                    committed, changed = seen, now
                time.sleep(SAMPLE_S)
            process.join()
            cpu = cpu_seconds(hub.pid) - cpu_before
            rows = connection.execute(text("SELECT count(DISTINCT msg_id) FROM checkins"))
            distinct = rows.scalar_one()
        if distinct != committed:
            print(f"  warning: {distinct:,} distinct check-ins, max(id) {committed:,}")
    finally:
        hub.kill()
        hub.wait()
    start = first.value
    times = [t - start for t, _ in samples if t >= start]
    counts = [n for t, n in samples if t >= start]
    label = "hub" if checkout == REPO else f"hub of {checkout}"
    return Curve(f"{label} (committed rows)", times, counts, last.value - start, cpu)


def report(curve: Curve, count: int) -> str:
    total, head, rest = curve.rates(HEAD)
    end = curve.reached(curve.total) or 0.0
    return (
        f"{curve.total:,}/{count:,} in {end:.2f} s: {total:,.0f} msg/s"
        f" (first {HEAD:,}: {head:,.0f} msg/s, rest: {rest:,.0f} msg/s);"
        f" publisher done at {curve.published_s:.2f} s;"
        f" CPU {curve.cpu_s / max(curve.total, 1) * 1e6:.0f} µs/msg"
    )


def run(
    env: dict[str, str],
    engine: Engine,
    port: int,
    count: int,
    repeat: int,
    other: Path | None = None,
) -> None:
    """``repeat`` rounds of: a no-op subscriber burst, then a burst into a fresh hub of this
    checkout (and first of ``other``'s). The shared machine's load swings within a minute,
    so each hub run is set against the no-op run of its own round; medians, and a figure of
    the median round."""
    print(f"burst: {count:,} QoS 1 check-ins at once, fresh hub process; {load()}", flush=True)
    checkouts = [REPO] if other is None else [other, REPO]
    rounds: list[tuple[Curve, dict[Path, Curve]]] = []
    for n in range(repeat):
        noop = noop_burst(port, count, f"n{n}")
        print(f"  round {n + 1} {noop.label}: {report(noop, count)}", flush=True)
        hubs = {}
        for checkout in checkouts:
            hubs[checkout] = curve = hub_burst(env, engine, port, count, f"b{n}", checkout)
            print(f"  round {n + 1} {curve.label}: {report(curve, count)}; {load()}", flush=True)
        rounds.append((noop, hubs))
    for checkout in checkouts:
        ranked = sorted(rounds, key=lambda r: r[1][checkout].rates(HEAD)[0] / _rate(r[0]))
        noop, hubs = ranked[len(ranked) // 2]
        curve = hubs[checkout]
        total, head, rest = curve.rates(HEAD)
        print(
            f"  {curve.label}: median round {total:,.0f} msg/s beside no-op {_rate(noop):,.0f};"
            f" ratio {total / _rate(noop):.2f} (rounds"
            f" {', '.join(f'{r[1][checkout].rates(HEAD)[0] / _rate(r[0]):.2f}' for r in rounds)});"
            f" first {HEAD:,} {head:,.0f} msg/s, rest {rest:,.0f} msg/s;"
            f" CPU {curve.cpu_s / count * 1e6:.0f} µs/msg (no-op {noop.cpu_s / count * 1e6:.0f})"
        )
    print(f"  {load()} on {os.cpu_count()} cores")
    ranked = sorted(rounds, key=lambda r: r[1][REPO].rates(HEAD)[0] / _rate(r[0]))
    noop, hubs = ranked[len(ranked) // 2]
    shown = [hubs[checkout] for checkout in reversed(checkouts)] + [noop]
    path = REPO / "bench" / "figures" / f"ingest-burst-{count}.svg"
    path.parent.mkdir(exist_ok=True)
    title = f"Burst of {count:,} QoS 1 check-ins into a fresh hub: first publish → done"
    path.write_text(svg_chart(title, shown, [shown[0].published_s]))
    print(f"  figure (median round of this checkout's hub): {path}")


def _rate(curve: Curve) -> float:
    return curve.rates(HEAD)[0] or 1.0


WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 760, 420, 70, 20, 40, 50
COLOURS = ("#c0392b", "#2471a3", "#7d3c98", "#229954")


def svg_chart(title: str, curves: list[Curve], marks: list[float]) -> str:
    """Messages done vs seconds, one polyline per curve; ``marks``: 'publisher done' lines."""
    x_max = max(max(c.times, default=1.0) for c in curves) * 1.05
    y_max = max(c.total for c in curves) * 1.05

    def x(t: float) -> float:
        return LEFT + t / x_max * (WIDTH - LEFT - RIGHT)

    def y(n: float) -> float:
        return HEIGHT - BOTTOM - n / y_max * (HEIGHT - TOP - BOTTOM)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}"'
        ' font-family="sans-serif" font-size="12">',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{WIDTH / 2}" y="22" text-anchor="middle" font-size="14">{escape(title)}</text>',
        f'<line x1="{LEFT}" y1="{y(0)}" x2="{WIDTH - RIGHT}" y2="{y(0)}" stroke="black"/>',
        f'<line x1="{LEFT}" y1="{y(0)}" x2="{LEFT}" y2="{TOP}" stroke="black"/>',
        f'<text x="{WIDTH / 2}" y="{HEIGHT - 12}" text-anchor="middle">'
        "seconds since the first publish</text>",
        f'<text x="16" y="{HEIGHT / 2}" transform="rotate(-90 16 {HEIGHT / 2})"'
        ' text-anchor="middle">messages</text>',
    ]
    for tick in _ticks(x_max):
        out.append(f'<text x="{x(tick):.1f}" y="{y(0) + 16}" text-anchor="middle">{tick:g}</text>')
        out.append(
            f'<line x1="{x(tick):.1f}" y1="{y(0)}" x2="{x(tick):.1f}" y2="{TOP}" stroke="#ddd"/>'
        )
    for tick in _ticks(y_max):
        out.append(
            f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:,.0f}</text>'
        )
        out.append(
            f'<line x1="{LEFT}" y1="{y(tick):.1f}" x2="{WIDTH - RIGHT}" y2="{y(tick):.1f}"'
            ' stroke="#ddd"/>'
        )
    for mark in marks:
        out.append(
            f'<line x1="{x(mark):.1f}" y1="{y(0)}" x2="{x(mark):.1f}" y2="{TOP}"'
            ' stroke="#888" stroke-dasharray="4 3"/>'
        )
        out.append(f'<text x="{x(mark) + 4:.1f}" y="{y(0) - 6}" fill="#555">publisher done</text>')
    for n, (curve, colour) in enumerate(zip(curves, COLOURS, strict=False)):
        points = " ".join(
            f"{x(t):.1f},{y(c):.1f}"
            for t, c in zip([0.0, *curve.times], [0, *curve.counts], strict=True)
        )
        out.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        total, head, rest = curve.rates(HEAD)
        legend = (
            f"{curve.label}: {total:,.0f} msg/s (first {HEAD:,}: {head:,.0f}/s, rest {rest:,.0f}/s)"
        )
        ly = TOP + 34 + 18 * n
        out.append(
            f'<line x1="{LEFT + 14}" y1="{ly - 4}" x2="{LEFT + 34}" y2="{ly - 4}"'
            f' stroke="{colour}" stroke-width="2"/>'
        )
        out.append(f'<text x="{LEFT + 40}" y="{ly}">{escape(legend)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _ticks(top: float) -> list[float]:
    """About five round steps from 0 up to ``top``."""
    raw = top / 5
    magnitude = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 0.1
    step = next(s * magnitude for s in (1, 2, 2.5, 5, 10) if s * magnitude >= raw)
    return [i * step for i in range(int(top / step) + 1)]
