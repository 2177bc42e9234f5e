"""Camera health probe benchmark: one RTSP server with N mount points, one round over N cameras.

    .venv/bin/python -m bench.probe --cameras 500

Prints each round's wall time (probing and recording the results in a SpatiaLite store), the
CPU seconds of the hub's probing and of the RTSP server (both share the machine's cores), the
peak resident memory summed over the hub and any child processes it starts, and the probe
workers started. Target: 500 streams in ≤ 8 s within 1 GiB. The baseline, in the same run:
bare OpenCV opening a stream with the hub's FFmpeg options and reading the same number of
frames, one stream at a time.
"""

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

import cv2
import psutil

from gridhub.cameras.probe import ProbeResult, configure_opencv, probe_pool
from gridhub.cameras.registry import CameraRecord, import_cameras
from gridhub.cameras.service import probe_all
from gridhub.config import load_settings
from gridhub.db import transaction
from gridhub.hub import open_store
from gridhub.secrets import SecretBox
from tests.support.rtsp import RtspServer
from tests.support.services import free_port

MIB = 2**20


class HubUsage:
    """CPU seconds and peak resident memory of this process and its children, sampled every
    50 ms, leaving out the ``foreign`` process (the RTSP server, which starts none)."""

    def __init__(self, foreign: psutil.Process) -> None:
        self.me = psutil.Process()
        self.foreign = {foreign.pid}
        self.peak_rss = 0
        self.peak_processes = 0
        self.peak_threads = 0
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)

    def processes(self) -> list[psutil.Process]:
        children = self.me.children(recursive=True)
        return [self.me, *(c for c in children if c.pid not in self.foreign)]

    def cpu_s(self) -> float:
        """CPU seconds of the hub and its children so far (ended children included)."""
        times = self.me.cpu_times()
        total = times.user + times.system + times.children_user + times.children_system
        for child in self.processes()[1:]:
            try:
                child_times = child.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += child_times.user + child_times.system
        return total

    def __enter__(self) -> "HubUsage":
        self._sampler.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._sampler.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            rss = threads = 0
            processes = self.processes()
            for process in processes:
                try:
                    rss += process.memory_info().rss
                    threads += process.num_threads()
                except psutil.NoSuchProcess:
                    continue
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_processes = max(self.peak_processes, len(processes) - 1)
            self.peak_threads = max(self.peak_threads, threads)


def _cpu_s(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=None, help="probes at once")
    parser.add_argument("--frames", type=int, default=5, help="frames read per probe")
    parser.add_argument("--fps", type=int, default=10, help="frame rate of the served streams")
    parser.add_argument("--codec", choices=("h264", "mjpeg"), default="h264")
    parser.add_argument("--rounds", type=int, default=2, help="rounds to run (first is cold)")
    args = parser.parse_args()

    directory = Path(tempfile.mkdtemp(prefix="gridhub-bench-probe-"))
    cameras: dict[str, int] = {"probe_frames": args.frames}
    if args.concurrency:
        cameras["probe_concurrency"] = args.concurrency
    settings = load_settings(data_dir=directory, cameras=cameras)
    _engine, sessions = open_store(settings)
    box = SecretBox.for_settings(settings)
    server = RtspServer(free_port(), mounts=args.cameras, fps=args.fps, codec=args.codec)
    with server:
        assert server.process is not None
        rtsp = psutil.Process(server.process.pid)
        records = [
            CameraRecord(code=f"cam{i:04d}", name=f"camera {i}", kind="fixed",
                         lon=118.8 + i * 1e-4, lat=32.0, stream_url=server.url(f"cam{i}"))
            for i in range(args.cameras)
        ]  # fmt: skip
        with transaction(sessions) as session:
            import_cameras(session, records, lambda _lon, _lat: None, box)
        configure_opencv()  # the baseline opens with the hub's FFmpeg options
        before = _cpu_s(psutil.Process())
        raw = [bare_opencv(server.url(f"cam{i}"), args.frames) for i in range(10)]
        raw_cpu = (_cpu_s(psutil.Process()) - before) / len(raw)
        serial = statistics.median(raw) * args.cameras
        print(f"baseline: bare OpenCV open + {args.frames} frames, one stream at a time: "
              f"p50 {statistics.median(raw):.2f} s wall, {raw_cpu * 1000:.1f} ms CPU per stream "
              f"({args.cameras} streams so ≈ {serial:.0f} s)")  # fmt: skip
        with HubUsage(rtsp) as usage:
            started = time.monotonic()
            pool = probe_pool(settings.cameras)
            print(f"probe pool ready in {time.monotonic() - started:.1f} s")
            try:
                for number in range(1, args.rounds + 1):
                    cpu, server_cpu = usage.cpu_s(), _cpu_s(rtsp)
                    started = last = time.monotonic()

                    def seen(_result: ProbeResult) -> None:
                        nonlocal last
                        last = time.monotonic()

                    results, _changes = probe_all(sessions, settings, pool, box, on_result=seen)
                    wall = time.monotonic() - started
                    report(number, results, wall, statistics.median(raw))
                    print(f"  of which probing {last - started:.1f} s, "
                          f"recording the results {wall - (last - started):.1f} s")  # fmt: skip
                    print(f"  CPU: hub probing {usage.cpu_s() - cpu:.1f} s, "
                          f"RTSP server {_cpu_s(rtsp) - server_cpu:.1f} s "
                          f"(on {os.cpu_count()} cores)")  # fmt: skip
                    print(f"  load average {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
            finally:
                pool.shutdown(cancel_futures=True)
        print(f"peak resident memory of the hub's probing (hub + children): "
              f"{usage.peak_rss / MIB:.0f} MiB; worker processes {usage.peak_processes}, "
              f"threads {usage.peak_threads} at most")  # fmt: skip


def bare_opencv(url: str, frames: int) -> float:
    """Seconds for OpenCV alone to open ``url`` and read ``frames`` frames."""
    started = time.monotonic()
    capture = cv2.VideoCapture(url, cv2.CAP_FFMPEG)
    for _ in range(frames):
        capture.read()
    capture.release()
    return time.monotonic() - started


def report(number: int, results: list[ProbeResult], wall: float, raw_p50: float) -> None:
    times = [r.elapsed_s for r in results if r.elapsed_s]
    counts = {s: sum(r.status == s for r in results) for s in ("online", "degraded", "offline")}
    print(f"round {number}: {len(results)} streams {counts}")
    print(f"  wall time {wall:.1f} s ({len(results) / wall:.1f} streams/s)")
    if times:
        p99 = statistics.quantiles(times, n=100, method="inclusive")[98]
        print(
            f"  per-stream probe p50 {statistics.median(times):.2f} s, "
            f"p99 {p99:.2f} s, max {max(times):.2f} s; "
            f"p50 / bare OpenCV p50: {statistics.median(times) / raw_p50:.2f}"
        )
    reasons = sorted({r.reason for r in results if r.status != "online"})
    if reasons:
        print(f"  not online because: {reasons}")


if __name__ == "__main__":
    main()
