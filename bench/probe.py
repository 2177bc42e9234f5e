"""Camera health probe benchmark: one RTSP server with N mount points, one round over N cameras.

    .venv/bin/python -m bench.probe --cameras 500 --concurrency 24

Prints the round's wall time (probing and recording the results in a SpatiaLite store) and
per-stream probe time p50/p99. Target: 500 streams in ≤ 30 s on 2 cores. The baseline, in the
same run: bare OpenCV opening a stream and reading the same number of frames, one at a time.
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import cv2

from gridhub.cameras.probe import ProbeResult, probe_pool
from gridhub.cameras.registry import CameraRecord, import_cameras
from gridhub.cameras.service import probe_all
from gridhub.config import load_settings
from gridhub.db import transaction
from gridhub.hub import open_store
from gridhub.secrets import SecretBox
from tests.support.rtsp import RtspServer
from tests.support.services import free_port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=24, help="probe worker processes")
    parser.add_argument("--frames", type=int, default=5, help="frames read per probe")
    parser.add_argument("--fps", type=int, default=10, help="frame rate of the served streams")
    parser.add_argument("--codec", choices=("h264", "mjpeg"), default="h264")
    parser.add_argument("--rounds", type=int, default=2, help="rounds to run (first is cold)")
    args = parser.parse_args()

    directory = Path(tempfile.mkdtemp(prefix="gridhub-bench-probe-"))
    settings = load_settings(
        data_dir=directory,
        cameras={"probe_concurrency": args.concurrency, "probe_frames": args.frames},
    )
    _engine, sessions = open_store(settings)
    box = SecretBox.for_settings(settings)
    server = RtspServer(free_port(), mounts=args.cameras, fps=args.fps, codec=args.codec)
    with server:
        records = [
            CameraRecord(code=f"cam{i:04d}", name=f"camera {i}", kind="fixed",
                         lon=118.8 + i * 1e-4, lat=32.0, stream_url=server.url(f"cam{i}"))
            for i in range(args.cameras)
        ]  # fmt: skip
        with transaction(sessions) as session:
            import_cameras(session, records, lambda _lon, _lat: None, box)
        raw = [bare_opencv(server.url(f"cam{i}"), args.frames) for i in range(10)]
        print(f"baseline: bare OpenCV open + {args.frames} frames, one stream at a time: "
              f"p50 {statistics.median(raw):.2f} s")  # fmt: skip
        started = time.monotonic()
        pool = probe_pool(settings.cameras, args.cameras)
        print(f"{args.concurrency} probe workers started in {time.monotonic() - started:.1f} s")
        try:
            for number in range(1, args.rounds + 1):
                started = time.monotonic()
                results, _changes = probe_all(sessions, settings, pool, box)
                report(number, results, time.monotonic() - started, statistics.median(raw))
        finally:
            pool.shutdown(cancel_futures=True)


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
