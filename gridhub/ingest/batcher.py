"""Batches: filled from the MQTT thread, flushed by size or a short wait, urgent ones first."""

import logging
import queue
import threading
import time
from collections.abc import Callable

from gridhub.mqtt.inbound import Received

log = logging.getLogger(__name__)

IDLE_POLL_S = 0.2
"""How often an idle batcher looks whether it was asked to stop."""
NO_LIMIT = 0
_WAKE = None
"""Put in the routine queue beside each urgent message, to wake a batcher waiting there."""


def is_urgent(received: Received) -> bool:
    """SOS check-ins and warnings must not wait for a batch to fill."""
    topic = received.topic
    if topic.endswith("/warning") or topic.endswith("/warnings/area"):
        return True
    return topic.endswith("/checkin") and b'"sos"' in received.payload


class Batcher:
    """Collects messages into batches and hands each to ``handle`` on its own thread.

    Urgent messages have their own queue, taken before the routine one: when check-ins pile
    up faster than the store takes them, an SOS or a warning waits for the batch in hand,
    never for the queue behind it.

    ``max_pending`` bounds what waits (NO_LIMIT: nothing does): the MQTT client asks
    :meth:`wait_for_room` before it reads more from the broker, which keeps what it has not
    yet read (and not acknowledged) until the batcher catches up. ``prepare`` runs on the
    batcher's thread before the first batch (messages wait for it in the queue).
    """

    def __init__(
        self,
        handle: Callable[[list[Received]], None],
        max_size: int,
        max_wait_s: float,
        urgent: Callable[[Received], bool] = is_urgent,
        max_pending: int = NO_LIMIT,
        prepare: Callable[[], None] | None = None,
    ) -> None:
        self._handle = handle
        self._max_size = max_size
        self._max_wait_s = max_wait_s
        self._urgent = urgent
        self._queue: queue.SimpleQueue[Received | None] = queue.SimpleQueue()
        self._urgent_queue: queue.SimpleQueue[Received] = queue.SimpleQueue()
        self._max_pending = max_pending
        self._prepare = prepare
        self._room = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def put(self, received: Received) -> None:
        """Called from the MQTT network thread: never blocks."""
        if self._urgent(received):
            self._urgent_queue.put(received)
            self._queue.put(_WAKE)
        else:
            self._queue.put(received)

    def pending(self) -> int:
        return self._queue.qsize()

    def wait_for_room(self, timeout: float) -> bool:
        """Whether fewer than ``max_pending`` messages wait, waiting up to ``timeout`` for it."""
        if not self._max_pending or self._queue.qsize() < self._max_pending:
            return True
        self._room.clear()
        # Checked again after clear(): a batch taken in between set the event before it.
        if self._queue.qsize() < self._max_pending:
            return True
        return self._room.wait(timeout)

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="ingest-batcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._room.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        if self._prepare is not None:
            try:
                self._prepare()
            except Exception:  # the first batch does it again; the loop must run regardless
                log.exception("ingest batcher could not prepare; going on")
        while not self._stop.is_set():
            batch = self._take_urgent()
            if not batch:
                try:
                    first = self._queue.get(timeout=IDLE_POLL_S)
                except queue.Empty:
                    continue
                if first is _WAKE:
                    continue  # an urgent message: taken at the top of the loop
                batch = self._fill(first)
            if self._queue.qsize() < self._max_pending:
                self._room.set()  # the client reads on while this batch is stored
            try:
                self._handle(batch)
            except Exception:  # the handler retries itself; this only keeps the loop alive
                log.exception("ingest batch handler failed; messages stay unacknowledged")

    def _take_urgent(self) -> list[Received]:
        """What urgent messages are waiting (no waiting), up to the batch size."""
        batch: list[Received] = []
        while len(batch) < self._max_size:
            try:
                batch.append(self._urgent_queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _fill(self, first: Received) -> list[Received]:
        """Routine messages until the batch is full, the wait is over or an urgent one came."""
        batch = [first]
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
            if received is _WAKE:
                break  # hand in what is here, then the urgent message
            batch.append(received)
        return batch
