"""Wakes the live streams when the store says something was published (PostgreSQL NOTIFY)."""

import asyncio
import contextlib
import logging
import threading

import psycopg
from sqlalchemy import Engine

from gridhub.alerts.live import LIVE_CHANNEL
from gridhub.db import is_sqlite

log = logging.getLogger(__name__)

RETRY_MAX_S = 30.0
"""Longest pause between attempts to listen again after the store went away."""
STOP_CHECK_S = 1.0
"""How long the listening thread waits for a notification before looking whether to stop."""


class LiveSignal:
    """One LISTEN connection per API process; streams await ``wait`` instead of sleeping.

    On SQLite (no NOTIFY) nothing listens and ``wait`` simply times out: streams poll.
    Take ``current()`` before reading the store and wait on it afterwards, so a
    notification that arrives in between is not missed.
    """

    def __init__(self, engine: Engine) -> None:
        self._url = (
            None
            if is_sqlite(engine)
            else engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event = asyncio.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = False

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._event = asyncio.Event()  # an Event belongs to the loop that first waits on it
        if self._url is None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._listen, args=(self._url,), name="live-listen", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=STOP_CHECK_S * 3)
            self._thread = None

    def current(self) -> asyncio.Event:
        return self._event

    async def wait(self, seen: asyncio.Event, timeout: float) -> None:
        """Until a notification newer than ``seen``, or ``timeout`` seconds."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(seen.wait(), timeout)

    def _fire(self) -> None:  # on the event loop
        fired, self._event = self._event, asyncio.Event()
        fired.set()

    def _notify(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._fire)

    def _listen(self, url: str) -> None:
        pause = STOP_CHECK_S
        while not self._stop.is_set():
            try:
                with psycopg.connect(url, autocommit=True) as connection:
                    connection.execute(f"LISTEN {LIVE_CHANNEL}")
                    self.listening, pause = True, STOP_CHECK_S
                    self._notify()  # whatever was published while nobody listened
                    while not self._stop.is_set():
                        for _notification in connection.notifies(timeout=STOP_CHECK_S):
                            self._notify()
            except psycopg.Error as exc:
                if self.listening:
                    log.warning("live events: not listening (%s); streams poll", exc)
                self.listening = False
                self._stop.wait(pause)
                pause = min(pause * 2, RETRY_MAX_S)
        self.listening = False
