"""A camera's picture now: its snapshot URI if it has one, else a frame from its stream.

Cached for a few seconds and fetched once for many simultaneous requests, so a wall of
operators does not hammer the camera.
"""

import asyncio
import time
from dataclasses import dataclass

import aiohttp
import cv2
from cv2.typing import MatLike

from gridhub.cameras.logins import Login
from gridhub.cameras.probe import open_capture
from gridhub.config.cameras import CamerasConfig

SNAPSHOT_TIMEOUT_S = 5.0
JPEG_MAGIC = b"\xff\xd8"


class SnapshotError(Exception):
    """No picture could be had from the camera; the message says why."""


@dataclass(frozen=True, slots=True)
class Source:
    """Where a camera's picture comes from (its login already opened)."""

    code: str
    snapshot_url: str | None
    stream_url: str | None
    login: Login | None = None


def grab_frame(url: str, config: CamerasConfig, login: Login | None = None) -> bytes:
    """One frame of a stream as JPEG; blocking (OpenCV), so run it in a thread."""
    capture = open_capture(url, config, login)
    try:
        if not capture.isOpened():
            raise SnapshotError("stream cannot be opened")
        ok, frame = capture.read()
    finally:
        capture.release()
    if not ok:
        raise SnapshotError("no frame received from the stream")
    return encode_jpeg(frame)


def encode_jpeg(frame: MatLike) -> bytes:
    ok, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 80])
    if not ok:
        raise SnapshotError("frame could not be encoded as JPEG")
    return jpeg.tobytes()


async def fetch_snapshot(url: str, login: Login | None) -> bytes:
    """GET a camera's snapshot URI with its login: digest (what ONVIF asks cameras for), then
    basic when the camera answers with a basic challenge."""
    status, challenge, body = await _get(url, login, digest=True)
    if status == 401 and login is not None and challenge.lower().startswith("basic"):
        status, challenge, body = await _get(url, login, digest=False)
    if status == 401:
        raise SnapshotError(
            "snapshot URI refused the registered login"
            if login is not None
            else "snapshot URI asks for a login, none is registered"
        )
    if status >= 300:
        raise SnapshotError(f"snapshot URI answered HTTP {status}")
    if not body.startswith(JPEG_MAGIC):
        raise SnapshotError("snapshot URI did not return a JPEG")
    return body


async def _get(url: str, login: Login | None, digest: bool) -> tuple[int, str, bytes]:
    """Status, ``WWW-Authenticate`` challenge and body of one GET."""
    middlewares = (
        (aiohttp.DigestAuthMiddleware(login.user, login.password),) if login and digest else ()
    )
    auth = aiohttp.BasicAuth(login.user, login.password) if login and not digest else None
    timeout = aiohttp.ClientTimeout(total=SNAPSHOT_TIMEOUT_S)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout, middlewares=middlewares) as client,
            client.get(url, auth=auth) as response,
        ):
            challenge = response.headers.get("WWW-Authenticate", "")
            return response.status, challenge, await response.read()
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise SnapshotError(f"snapshot URI unreachable: {exc or type(exc).__name__}") from None


class SnapshotCache:
    """Pictures per camera, reused for ``config.snapshot_cache_s`` seconds."""

    def __init__(self, config: CamerasConfig) -> None:
        self.config = config
        self._pictures: dict[str, tuple[float, bytes]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.fetches = 0

    async def get(self, source: Source) -> bytes:
        lock = self._locks.setdefault(source.code, asyncio.Lock())
        async with lock:  # concurrent requests for one camera wait for a single fetch
            cached = self._pictures.get(source.code)
            if cached and time.monotonic() - cached[0] < self.config.snapshot_cache_s:
                return cached[1]
            picture = await self._fetch(source)
            self.fetches += 1
            self._pictures[source.code] = (time.monotonic(), picture)
            return picture

    async def _fetch(self, source: Source) -> bytes:
        refused: SnapshotError | None = None
        if source.snapshot_url:
            try:
                return await fetch_snapshot(source.snapshot_url, source.login)
            except SnapshotError as exc:
                if not source.stream_url:
                    raise
                refused = exc  # kept: said if the stream fails too
        if not source.stream_url:
            raise SnapshotError(f"camera {source.code} has neither snapshot URI nor stream")
        try:
            return await asyncio.to_thread(grab_frame, source.stream_url, self.config, source.login)
        except SnapshotError as exc:
            if refused is None:
                raise
            raise SnapshotError(f"{refused}; stream: {exc}") from None
