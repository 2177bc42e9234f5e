"""Batches: filled from the MQTT thread, flushed by size or a short wait, urgent ones at once."""

import logging
import queue
import threading
import time
from collections.abc import Callable

from gridhub.ingest.pipeline import Received

log = logging.getLogger(__name__)

IDLE_POLL_S = 0.2
"""How often an idle batcher looks whether it was asked to stop."""


def is_urgent(received: Received) -> bool:
    """SOS check-ins and warnings must not wait for a batch to fill."""
    topic = received.topic
    if topic.endswith("/warning") or topic.endswith("/warnings/area"):
        return True
    return topic.endswith("/checkin") and b'"sos"' in received.payload


class Batcher:
    """Collects messages into batches and hands each to ``handle`` on its own thread."""

    def __init__(
        self,
        handle: Callable[[list[Received]], None],
        max_size: int,
        max_wait_s: float,
        urgent: Callable[[Received], bool] = is_urgent,
    ) -> None:
        self._handle = handle
        self._max_size = max_size
        self._max_wait_s = max_wait_s
        self._urgent = urgent
        self._queue: queue.SimpleQueue[Received] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def put(self, received: Received) -> None:
        """Called from the MQTT network thread: never blocks."""
        self._queue.put(received)

    def pending(self) -> int:
        return self._queue.qsize()

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="ingest-batcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                first = self._queue.get(timeout=IDLE_POLL_S)
            except queue.Empty:
                continue
            batch = self._fill(first)
            try:
                self._handle(batch)
            except Exception:  # the handler retries itself; this only keeps the loop alive
                log.exception("ingest batch handler failed; messages stay unacknowledged")

    def _fill(self, first: Received) -> list[Received]:
        batch = [first]
        if self._urgent(first):
            return self._drain(batch)
        deadline = time.monotonic() + self._max_wait_s
        while len(batch) < self._max_size:
            try:
                received = self._queue.get_nowait()
            except queue.Empty:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    received = self._queue.get(timeout=remaining)
                except queue.Empty:
                    break
            batch.append(received)
            if self._urgent(received):
                break
        return batch

    def _drain(self, batch: list[Received]) -> list[Received]:
        """Take what is already waiting (no waiting) up to the batch size."""
        while len(batch) < self._max_size:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch
