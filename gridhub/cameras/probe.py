"""Stream health probes with OpenCV: open, read a few frames, judge the picture.

Each probe runs in a worker process with open/read timeouts; a round runs at most
``concurrency`` at once and gives up on a probe past its deadline, so one hung
stream cannot stall the round.
"""

import itertools
import multiprocessing
import os
import queue
import statistics
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial

import cv2
import numpy as np

from gridhub.cameras.logins import Login, login_problem, with_login
from gridhub.config.cameras import CamerasConfig

# FFmpeg's RTSP defaults probe the stream for seconds and try UDP first; TCP and a short
# probe bring opening from ~2.5 s to ~0.6 s. Only set if the operator has not chosen otherwise.
FFMPEG_OPTIONS_ENV = "OPENCV_FFMPEG_CAPTURE_OPTIONS"
FFMPEG_OPTIONS = "rtsp_transport;tcp|analyzeduration;500000|probesize;32768"
# A dead camera is recorded with its reason; FFmpeg and OpenCV printing it too, for every
# camera in every round, would bury the hub's own log.
FFMPEG_LOGLEVEL_ENV = "OPENCV_FFMPEG_LOGLEVEL"
FFMPEG_QUIET = "-8"
WARM_UP_S = 0.05
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
    capture = open_capture(target.url, config, target.login)
    try:
        if not capture.isOpened():
            refused = login_problem(target.url, target.login, config.open_timeout_ms / 1000)
            return _result(target, "offline", refused or "stream cannot be opened", started)
        thumbs, stamps, shape = [], [], None
        for _ in range(config.probe_frames):
            ok, frame = capture.read()
            if not ok:
                break
            shape = frame.shape
            grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
            thumbs.append(cv2.resize(grey, THUMB_SIZE, interpolation=cv2.INTER_AREA))
            stamps.append((capture.get(cv2.CAP_PROP_POS_MSEC), time.monotonic()))
    finally:
        capture.release()
    if not thumbs or shape is None:
        return _result(target, "offline", "no frames received", started)
    fps = _fps(stamps)
    height, width = shape[:2]
    status, reason = judge(thumbs, fps, config)
    return _result(target, status, reason, started, fps, width, height)


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


def probe_pool(config: CamerasConfig, streams: int) -> Executor:
    """Worker processes for probes: OpenCV's FFmpeg backend opens one stream at a time
    per process (a global lock), so threads alone would serialise every open.

    As many workers as ``streams`` (at most ``config.probe_concurrency``) are started now;
    more start only when a round has more streams than idle workers.
    """
    # Never fork the threaded hub itself: workers fork from a clean server process that has
    # imported OpenCV once, which starts dozens of workers in seconds (spawn: ~4 s each).
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", __name__])  # children skip both imports
    pool = ProcessPoolExecutor(
        max_workers=config.probe_concurrency,
        mp_context=context,
        initializer=configure_opencv,
    )
    # Start every worker now: a cold start (importing OpenCV) must not eat probe deadlines.
    count = min(streams, config.probe_concurrency)
    for started in [pool.submit(time.sleep, WARM_UP_S) for _ in range(count)]:
        started.result()
    return pool


def run_round(
    targets: Sequence[ProbeTarget],
    config: CamerasConfig,
    pool: Executor,
    on_result: Callable[[ProbeResult], None] | None = None,
) -> list[ProbeResult]:
    """Probe every target, ``config.probe_concurrency`` at a time; results in target order.

    A probe still running after ``config.probe_deadline_s`` is reported offline and no
    longer waited for (its worker ends on OpenCV's own timeouts), so the round goes on.
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
