"""Live view for browsers: a camera's stream re-encoded as MJPEG (multipart/x-mixed-replace)."""

import asyncio
import time
from collections.abc import AsyncIterator

import cv2

from gridhub.cameras.logins import Login
from gridhub.cameras.probe import open_capture
from gridhub.cameras.snapshots import SnapshotError, encode_jpeg
from gridhub.config.cameras import CamerasConfig

BOUNDARY = "frame"
MEDIA_TYPE = f"multipart/x-mixed-replace; boundary={BOUNDARY}"


class TooManyViewers(Exception):
    pass


class LiveViews:
    """Counts viewers per camera and refuses more than ``config.live_max_viewers``; in this
    process's memory, so with several API processes each counts its own viewers."""

    def __init__(self, config: CamerasConfig) -> None:
        self.config = config
        self.viewers: dict[str, int] = {}

    async def start(
        self, code: str, url: str, frames: int | None = None, login: Login | None = None
    ) -> AsyncIterator[bytes]:
        """Take a viewer slot and open the stream, so refusals come before the response starts.

        Returns the MJPEG body; the slot is given back when it ends or the viewer leaves.
        """
        if self.viewers.get(code, 0) >= self.config.live_max_viewers:
            raise TooManyViewers(
                f"camera {code} already has {self.config.live_max_viewers} live viewers"
            )
        self.viewers[code] = self.viewers.get(code, 0) + 1
        try:
            capture = await asyncio.to_thread(open_capture, url, self.config, login)
            if not capture.isOpened():
                capture.release()
                raise SnapshotError("stream cannot be opened")
        except BaseException:
            self.viewers[code] -= 1
            raise
        return self._mjpeg(code, capture, frames)

    async def _mjpeg(
        self, code: str, capture: cv2.VideoCapture, frames: int | None
    ) -> AsyncIterator[bytes]:
        """Multipart JPEG parts at ``config.live_fps``; ``frames`` stops after that many."""
        period = 1.0 / self.config.live_fps
        sent = 0
        try:
            while frames is None or sent < frames:
                started = time.monotonic()
                ok, frame = await asyncio.to_thread(capture.read)
                if not ok:
                    return
                jpeg = encode_jpeg(frame)
                yield (
                    (
                        f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                        f"Content-Length: {len(jpeg)}\r\n\r\n"
                    ).encode()
                    + jpeg
                    + b"\r\n"
                )
                sent += 1
                await asyncio.sleep(max(0.0, period - (time.monotonic() - started)))
        finally:
            self.viewers[code] -= 1
            await asyncio.to_thread(capture.release)
