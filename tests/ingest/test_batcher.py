"""The batcher: routine messages in batches, urgent ones ahead of the queue."""

import threading
import time

from gridhub.ingest.batcher import Batcher
from gridhub.mqtt.inbound import Received


def checkin(n: int) -> Received:
    return Received("gridhub/v1/patrol/W1/checkin", b'{"id": "c%d"}' % n, mid=n)


SOS = Received("gridhub/v1/patrol/W2/checkin", b'{"id": "s1", "kind": "sos"}', mid=9001)
WARNING = Received("gridhub/v1/sensors/S1/warning", b'{"id": "w1"}', mid=9002)


class SlowStore:
    """A handler whose first batch takes until ``release`` (a store falling behind)."""

    def __init__(self) -> None:
        self.batches: list[list[Received]] = []
        self.first_taken = threading.Event()
        self.release = threading.Event()

    def __call__(self, batch: list[Received]) -> None:
        if not self.batches:
            self.first_taken.set()
            self.release.wait(10)
        self.batches.append(batch)

    def wait_for(self, messages: int) -> None:
        deadline = time.monotonic() + 10
        while sum(len(b) for b in self.batches) < messages:
            assert time.monotonic() < deadline, "batches did not arrive"
            time.sleep(0.01)


def test_urgent_messages_overtake_a_backlog_of_checkins() -> None:
    store = SlowStore()
    batcher = Batcher(store, max_size=100, max_wait_s=0.01)
    batcher.start()
    try:
        batcher.put(checkin(0))
        assert store.first_taken.wait(5)  # the store is busy with check-in 0
        for n in range(1, 401):
            batcher.put(checkin(n))
        batcher.put(SOS)
        batcher.put(WARNING)
        store.release.set()
        store.wait_for(403)
    finally:
        batcher.stop()
    assert store.batches[0] == [checkin(0)]
    assert store.batches[1] == [SOS, WARNING]  # next, ahead of the 400 queued before them
    routine = [m for batch in store.batches[2:] for m in batch]
    assert routine == [checkin(n) for n in range(1, 401)]  # then the rest, in order, once
    assert max(len(batch) for batch in store.batches) == 100


def test_a_quiet_stream_is_flushed_after_the_wait() -> None:
    store = SlowStore()
    store.release.set()
    batcher = Batcher(store, max_size=100, max_wait_s=0.05)
    batcher.start()
    try:
        started = time.monotonic()
        batcher.put(checkin(1))
        batcher.put(checkin(2))
        store.wait_for(2)
        waited = time.monotonic() - started
    finally:
        batcher.stop()
    assert store.batches == [[checkin(1), checkin(2)]]
    assert waited < 1.0


def test_the_client_is_told_to_stop_reading_while_max_pending_messages_wait() -> None:
    store = SlowStore()
    batcher = Batcher(store, max_size=100, max_wait_s=0.01, max_pending=300)
    batcher.start()
    try:
        batcher.put(checkin(0))
        assert store.first_taken.wait(5)
        for n in range(1, 300):
            batcher.put(checkin(n))
        assert batcher.wait_for_room(0.05)  # 299 wait: room for one more
        batcher.put(checkin(300))
        started = time.monotonic()
        assert not batcher.wait_for_room(0.1)  # 300 wait, the store is stuck
        assert time.monotonic() - started >= 0.1
        store.release.set()
        assert batcher.wait_for_room(5)  # the next batch is taken: room again
        store.wait_for(301)
    finally:
        batcher.stop()
    assert [m for batch in store.batches for m in batch] == [checkin(n) for n in range(301)]


def test_prepare_runs_before_the_first_batch() -> None:
    order: list[str] = []
    prepared = threading.Event()

    def prepare() -> None:
        time.sleep(0.1)  # an index being built while a message already waits
        order.append("prepare")
        prepared.set()

    batcher = Batcher(lambda batch: order.append("batch"), 10, 0.01, prepare=prepare)
    batcher.put(checkin(0))
    batcher.start()
    try:
        assert prepared.wait(5)
        deadline = time.monotonic() + 5
        while len(order) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        batcher.stop()
    assert order == ["prepare", "batch"]
