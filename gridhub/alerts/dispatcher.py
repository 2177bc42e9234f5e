"""The dispatcher: claims due deliveries, sends them through their channels, records each try.

Claiming moves a delivery's ``next_attempt_at`` one lease ahead inside a short transaction
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so two hub processes never send the same
delivery at once, and one that dies mid-send is retried by anyone after the lease. Sends run
in each channel's own threads: a slow webhook never holds up a worker's MQTT message.
"""

import logging
import queue
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import BigInteger, any_, bindparam, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, sessionmaker

from gridhub.alerts.channels import Channel, first_line
from gridhub.alerts.deliveries import insert_rows
from gridhub.alerts.models import Delivery, DeliveryAttempt
from gridhub.config.alerts import DeliveryConfig
from gridhub.db import is_sqlite, transaction, utcnow
from gridhub.secrets import SecretBox

log = logging.getLogger(__name__)

T = TypeVar("T")
ROWS_PER_STATEMENT = 1000
"""Rows per multi-row INSERT or IN list: few round trips, well inside parameter limits."""


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    channel: str
    target: str
    payload: dict
    attempts: int
    secret_target: str | None
    """The sealed URL to send to; None where ``target`` itself is it (an MQTT topic)."""


@dataclass(frozen=True, slots=True)
class Result:
    id: int
    attempts: int
    at: datetime
    error: str | None
    duration_ms: float


def claim_due(session: Session, now: datetime, lease_s: float, limit: int) -> list[Claimed]:
    """Take up to ``limit`` due deliveries for this process, in one statement; the caller
    commits. Each claimed delivery's next attempt moves one lease ahead."""
    if is_sqlite(session.get_bind()):
        # Write first: holds SQLite's single write lock until commit, so claims never overlap.
        session.execute(update(Delivery).where(text("0")).values(attempts=Delivery.attempts))
    else:
        _no_fsync_wait(session)
    due = (
        select(Delivery.id)
        .where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = (
        update(Delivery)
        .where(Delivery.id.in_(due.scalar_subquery()))
        .values(attempts=Delivery.attempts + 1, next_attempt_at=now + timedelta(seconds=lease_s))
        .returning(
            Delivery.id,
            Delivery.channel,
            Delivery.target,
            Delivery.payload,
            Delivery.attempts,
            Delivery.secret_target,
        )
        .execution_options(synchronize_session=False)
    )
    rows = session.execute(claimed).all()
    return sorted((Claimed(*row) for row in rows), key=lambda c: c.id)


def record_results(session: Session, results: Sequence[Result], config: DeliveryConfig) -> None:
    """Store each attempt; mark deliveries sent, or due again after a backoff, or failed."""
    if not results:
        return
    if not is_sqlite(session.get_bind()):
        _no_fsync_wait(session)
    insert_rows(
        session,
        DeliveryAttempt,
        [
            {
                "delivery_id": r.id,
                "at": r.at,
                "ok": r.error is None,
                "error": r.error,
                "duration_ms": r.duration_ms,
            }
            for r in results
        ],
    )
    sent: dict[datetime, list[int]] = {}
    retries = []
    for r in results:
        if r.error is None:
            sent.setdefault(r.at, []).append(r.id)  # a chunk shares its time: few statements
        elif r.attempts >= config.max_attempts:
            retries.append({"id": r.id, "status": "failed", "last_error": r.error})
        else:
            retries.append(
                {
                    "id": r.id,
                    "status": "pending",
                    "last_error": r.error,
                    "next_attempt_at": r.at + backoff(r.attempts, config),
                }
            )
    postgres = not is_sqlite(session.get_bind())
    for at, ids in sent.items():
        for chunk in _chunks(ids, ROWS_PER_STATEMENT):
            # One array parameter on PostgreSQL: no thousand-parameter IN list to compile.
            chosen = (
                Delivery.id == any_(bindparam("ids", list(chunk), type_=ARRAY(BigInteger)))
                if postgres
                else Delivery.id.in_(chunk)
            )
            session.execute(
                update(Delivery)
                .where(chosen)
                .values(status="sent", sent_at=at, last_error=None)
                .execution_options(synchronize_session=False)
            )
    for retry in retries:  # failures are few; each keeps its own backoff
        session.execute(
            update(Delivery)
            .where(Delivery.id == retry.pop("id"))
            .values(**retry)
            .execution_options(synchronize_session=False)
        )


def _chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def _no_fsync_wait(session: Session) -> None:
    """Commit without waiting for the WAL flush: a claim or result lost in a crash only means
    the delivery is sent again (at least once), and the alert path saves a disk sync."""
    session.execute(text("SET LOCAL synchronous_commit = off"))


def _scrub(error: str, shown: Sequence[tuple[str, str]]) -> str:
    """``error`` with each URL sent to replaced by its redacted form."""
    for address, target in shown:
        error = error.replace(address, target)
    return error


def backoff(attempts: int, config: DeliveryConfig) -> timedelta:
    """1 s, 2 s, 4 s … capped: a broken endpoint is retried ever more slowly."""
    seconds = config.backoff_initial_s * 2 ** max(0, attempts - 1)
    return timedelta(seconds=min(seconds, config.backoff_max_s))


class Dispatcher:
    """Sends due deliveries; ``wake()`` makes it look at once (called after every commit
    that queued deliveries, so an alert leaves within milliseconds)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        channels: Sequence[Channel],
        config: DeliveryConfig,
        box: SecretBox,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """``box`` opens the sealed URLs of notification and webhook deliveries."""
        self.sessions = sessions
        self.box = box
        self.channels = {channel.name: channel for channel in channels}
        self.config = config
        self.clock = clock
        self.results: queue.SimpleQueue[list[Result]] = queue.SimpleQueue()
        self.pools = {
            channel.name: ThreadPoolExecutor(channel.workers, thread_name_prefix=channel.name)
            for channel in channels
        }
        self.in_flight = 0
        self.sent = 0
        self.failed = 0

    def run_once(self, wake: Callable[[], None] | None = None) -> int:
        """Record finished sends, claim what is due and hand it to the channels."""
        self.record_finished()
        with transaction(self.sessions) as session:
            claimed = claim_due(session, self.clock(), self.config.lease_s, self.config.batch)
        by_channel: dict[str, list[Claimed]] = {}
        for item in claimed:
            by_channel.setdefault(item.channel, []).append(item)
        for name, items in by_channel.items():
            channel = self.channels.get(name)
            if channel is None:
                self.in_flight += len(items)
                self._finish(
                    [
                        Result(
                            i.id, i.attempts, self.clock(), f"channel {name} is not configured", 0.0
                        )
                        for i in items
                    ],
                    wake,
                )
                continue
            for start in range(0, len(items), channel.chunk):
                chunk = items[start : start + channel.chunk]
                self.in_flight += len(chunk)
                self.pools[name].submit(self._send, channel, chunk, wake)
        return len(claimed)

    def record_finished(self) -> int:
        finished: list[Result] = []
        while True:
            try:
                finished.extend(self.results.get_nowait())
            except queue.Empty:
                break
        if finished:
            with transaction(self.sessions) as session:
                record_results(session, finished, self.config)
            self.in_flight -= len(finished)
            self.sent += sum(1 for r in finished if r.error is None)
            self.failed += sum(1 for r in finished if r.error is not None)
        return len(finished)

    def _send(
        self, channel: Channel, chunk: list[Claimed], wake: Callable[[], None] | None
    ) -> None:
        started = time.perf_counter()
        addresses: list[str] = []
        try:
            addresses = [self._address(item) for item in chunk]  # SecretError: a bad key
            errors = channel.send_many(
                list(zip(addresses, [i.payload for i in chunk], strict=True))
            )
        except Exception as exc:  # a channel bug fails this chunk, never the dispatcher
            log.exception("channel %s failed", channel.name)
            errors = [first_line(exc)] * len(chunk)
        # An error may quote a URL (an HTTP client's message does): it is stored and shown.
        shown = list(zip(addresses, [item.target for item in chunk], strict=False))
        errors = [None if e is None else _scrub(e, shown) for e in errors]
        elapsed_ms = (time.perf_counter() - started) * 1000 / max(1, len(chunk))
        now = self.clock()
        self._finish(
            [
                Result(i.id, i.attempts, now, e, elapsed_ms)
                for i, e in zip(chunk, errors, strict=True)
            ],
            wake,
        )

    def _address(self, item: Claimed) -> str:
        """Where the delivery goes: opened only now, in memory, for the send."""
        return item.target if item.secret_target is None else self.box.open(item.secret_target)

    def _finish(self, results: list[Result], wake: Callable[[], None] | None) -> None:
        for result in results:
            if result.error is not None:
                log.warning(
                    "delivery %s failed (attempt %s): %s", result.id, result.attempts, result.error
                )
        self.results.put(results)
        if wake is not None:
            wake()

    def close(self) -> None:
        for pool in self.pools.values():
            pool.shutdown(wait=True, cancel_futures=False)
        self.record_finished()
