"""Stream health probes: open, read a few frames, judge the picture.

Probes run in threads of the hub through PyAV (FFmpeg's libraries), which waits on the
network and decodes without the GIL. OpenCV's capture opens one stream at a time per process
(a global lock around FFmpeg's open: 20 threads opened 20 streams no faster than one), which
took a worker process (~170 MB) per stream in flight; PyAV opens hundreds side by side in one
process. A round runs at most ``probe_concurrency`` probes at once and gives up on a probe
past its deadline, so one hung stream cannot stall the round.
"""

import itertools
import os
import queue
import statistics
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

import av
import cv2
import numpy as np
from av.container import InputContainer

from gridhub.cameras.logins import Login, login_problem, with_login
from gridhub.config.cameras import CamerasConfig

# FFmpeg's RTSP defaults probe the stream for seconds and try UDP first; TCP and a short
# probe bring opening from ~2.5 s to ~0.6 s. Only set if the operator has not chosen otherwise;
# OpenCV's captures (snapshots, live view) and the probes both follow the operator's choice.
FFMPEG_OPTIONS_ENV = "OPENCV_FFMPEG_CAPTURE_OPTIONS"
FFMPEG_OPTIONS = "rtsp_transport;tcp|analyzeduration;500000|probesize;32768"
# A dead camera is recorded with its reason; FFmpeg and OpenCV printing it too, for every
# camera in every round, would bury the hub's own log. (PyAV drops FFmpeg's log unless asked.)
FFMPEG_LOGLEVEL_ENV = "OPENCV_FFMPEG_LOGLEVEL"
FFMPEG_QUIET = "-8"
THUMB_SIZE = (64, 48)  # cheap to compare; enough to tell black, frozen and moving apart


@dataclass(frozen=True, slots=True)
class ProbeTarget:
    code: str
    url: str
    login: Login | None = None


@dataclass(frozen=True, slots=True)
class ProbeResult:
    code: str
    status: str  # online | degraded | offline
    reason: str | None
    fps: float | None = None
    width: int | None = None
    height: int | None = None
    elapsed_s: float = 0.0


def ffmpeg_options() -> dict[str, str]:
    """FFmpeg's options for opening a stream, in OpenCV's ``key;value|key;value`` form."""
    text = os.environ.get(FFMPEG_OPTIONS_ENV, FFMPEG_OPTIONS)
    return dict(pair.split(";", 1) for pair in text.split("|") if ";" in pair)


def configure_opencv() -> None:
    """Fast RTSP options and quiet logs, unless the operator has chosen otherwise."""
    os.environ.setdefault(FFMPEG_OPTIONS_ENV, FFMPEG_OPTIONS)
    os.environ.setdefault(FFMPEG_LOGLEVEL_ENV, FFMPEG_QUIET)
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)


def open_capture(url: str, config: CamerasConfig, login: Login | None = None) -> cv2.VideoCapture:
    """A capture with open and read timeouts (the backend's defaults wait ~30 s), the
    camera's login applied here only (see ``logins``)."""
    configure_opencv()
    params = [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
        config.open_timeout_ms,
        cv2.CAP_PROP_READ_TIMEOUT_MSEC,
        config.read_timeout_ms,
    ]
    return cv2.VideoCapture(with_login(url, login), cv2.CAP_FFMPEG, params)


def probe_stream(target: ProbeTarget, config: CamerasConfig) -> ProbeResult:
    """Open ``target`` and judge it; blocking, so call it from a thread."""
    started = time.monotonic()
    timeouts = (config.open_timeout_ms / 1000, config.read_timeout_ms / 1000)
    try:
        container = av.open(
            with_login(target.url, target.login),
            container_options=ffmpeg_options(),
            timeout=timeouts,
        )
    except av.FFmpegError:  # its message names the URL, login and all: never shown
        refused = login_problem(target.url, target.login, timeouts[0])
        return _result(target, "offline", refused or "stream cannot be opened", started)
    with container:
        thumbs, stamps, shape = _read(container, config.probe_frames)
    if not thumbs or shape is None:
        return _result(target, "offline", "no frames received", started)
    fps = _fps(stamps)
    height, width = shape
    status, reason = judge(thumbs, fps, config)
    return _result(target, status, reason, started, fps, width, height)


def _read(
    container: InputContainer, frames: int
) -> tuple[list[np.ndarray], list[tuple[float, float]], tuple[int, int] | None]:
    """Up to ``frames`` grey thumbnails, (stream ms, monotonic s) stamps and the frame size."""
    thumbs: list[np.ndarray] = []
    stamps: list[tuple[float, float]] = []
    shape = None
    if not container.streams.video:
        return thumbs, stamps, shape
    stream = container.streams.video[0]
    stream.thread_count = 1  # a few frames each: probes run side by side, not decoder threads
    try:
        for frame in container.decode(stream):
            shape = (frame.height, frame.width)
            # Through BGR as OpenCV's capture gave it: the same thumbnails, the same thresholds.
            grey = cv2.cvtColor(frame.to_ndarray(format="bgr24"), cv2.COLOR_BGR2GRAY)
            thumbs.append(cv2.resize(grey, THUMB_SIZE, interpolation=cv2.INTER_AREA))
            stamps.append(((frame.time or 0.0) * 1000, time.monotonic()))
            if len(thumbs) >= frames:
                break
    except av.FFmpegError:  # the stream stopped (read timeout, end, bad data): judge what came
        pass
    return thumbs, stamps, shape


def judge(
    thumbs: Sequence[np.ndarray], fps: float | None, config: CamerasConfig
) -> tuple[str, str | None]:
    """online, or degraded with why: black, frozen, or too few frames per second."""
    if all(t.mean() < config.black_mean and t.std() < config.black_std for t in thumbs):
        return "degraded", "black picture"
    if len(thumbs) >= 2:
        diffs = [float(cv2.absdiff(a, b).mean()) for a, b in itertools.pairwise(thumbs)]
        if statistics.median(diffs) < config.frozen_diff:
            return "degraded", "frozen picture"
    if fps is not None and fps < config.min_fps:
        return "degraded", f"low frame rate ({fps:.1f} fps)"
    return "online", None


def _fps(stamps: Sequence[tuple[float, float]]) -> float | None:
    """Frames per second from the stream's own timestamps (frames arrive buffered, in bursts)."""
    if len(stamps) < 2:
        return None
    span_ms = stamps[-1][0] - stamps[0][0]
    if span_ms > 0:
        return round((len(stamps) - 1) * 1000.0 / span_ms, 2)
    span_s = stamps[-1][1] - stamps[0][1]
    return round((len(stamps) - 1) / span_s, 2) if span_s > 0 else None


def _result(
    target: ProbeTarget,
    status: str,
    reason: str | None,
    started: float,
    fps: float | None = None,
    width: int | None = None,
    height: int | None = None,
) -> ProbeResult:
    elapsed = round(time.monotonic() - started, 3)
    return ProbeResult(target.code, status, reason, fps, width, height, elapsed)


def probe_pool(config: CamerasConfig) -> Executor:
    """Threads for probes, at most ``config.probe_concurrency``; each starts only when a
    round has more probes running than threads idle (a probe of 4 cameras starts 4)."""
    return ThreadPoolExecutor(config.probe_concurrency, thread_name_prefix="camera-probe")


def run_round(
    targets: Sequence[ProbeTarget],
    config: CamerasConfig,
    pool: Executor,
    on_result: Callable[[ProbeResult], None] | None = None,
) -> list[ProbeResult]:
    """Probe every target, ``config.probe_concurrency`` at a time; results in target order.

    A probe still running after ``config.probe_deadline_s`` is reported offline and no
    longer waited for (its thread ends on FFmpeg's open and read timeouts), so the round
    goes on.
    """
    done: queue.Queue[tuple[int, Future[ProbeResult]]] = queue.Queue()
    results: dict[int, ProbeResult] = {}
    running: dict[int, float] = {}
    waiting = list(range(len(targets)))[::-1]

    def report_done(index: int, future: Future[ProbeResult]) -> None:
        done.put((index, future))

    def finish(index: int, outcome: ProbeResult) -> None:
        running.pop(index, None)
        results[index] = outcome
        if on_result is not None:
            on_result(outcome)

    while waiting or running:
        while waiting and len(running) < config.probe_concurrency:
            index = waiting.pop()
            running[index] = time.monotonic()
            future = pool.submit(probe_stream, targets[index], config)
            future.add_done_callback(partial(report_done, index))
        next_deadline = min(running.values()) + config.probe_deadline_s
        try:
            index, future = done.get(timeout=max(0.0, next_deadline - time.monotonic()))
        except queue.Empty:
            now = time.monotonic()
            for index, started in list(running.items()):
                if now - started >= config.probe_deadline_s:
                    reason = f"probe hung for more than {config.probe_deadline_s:g} s"
                    finish(index, ProbeResult(targets[index].code, "offline", reason))
            continue
        if index in running:
            finish(index, _outcome(targets[index], future))
    return [results[index] for index in range(len(targets))]


def _outcome(target: ProbeTarget, future: Future[ProbeResult]) -> ProbeResult:
    try:
        return future.result()
    except Exception as exc:  # a crashed worker must not take the round down
        return ProbeResult(target.code, "offline", f"probe failed: {exc}")


@dataclass(frozen=True, slots=True)
class Transition:
    status: str
    candidate: str | None
    count: int
    changed: bool


def next_status(
    current: str, candidate: str | None, count: int, observed: str, needed: int
) -> Transition:
    """Hysteresis: the status changes only after ``needed`` consecutive equal observations.

    A camera never judged yet takes its first ``online`` at once; bad news always waits.
    """
    if observed == current:
        return Transition(current, None, 0, False)
    if current == "unknown" and observed == "online":
        return Transition(observed, None, 0, True)
    count = count + 1 if observed == candidate else 1
    if count >= needed:
        return Transition(observed, None, 0, True)
    return Transition(current, observed, count, False)
