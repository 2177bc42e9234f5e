"""The ingest service: MQTT client → batcher → pipeline in one transaction → acknowledgements."""

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from gridhub.config import Settings
from gridhub.db import transaction
from gridhub.events import EventSink
from gridhub.geo.crs import to_wgs84
from gridhub.geo.roster import member_grid_codes
from gridhub.ingest.batcher import Batcher
from gridhub.ingest.checkins import CheckinStore, RosterCache
from gridhub.ingest.drones import DroneRegistry, TelemetryStore, store_dock_status
from gridhub.ingest.pipeline import BatchOutcome, Locator, Pipeline, Received
from gridhub.ingest.sensors import ReadingStore, WarningStore
from gridhub.ingest.steps import Decode, Dedup, Emit, Locate, Store, Validate
from gridhub.ingest.warnings import AreaWarningStore
from gridhub.mqtt.client import BrokerAddress, MqttClient
from gridhub.mqtt.deadletters import DeadLetterRow, prune_dead_letters, store_dead_letters
from gridhub.mqtt.topics import Kind, Topics

log = logging.getLogger(__name__)

DB_RETRY_MIN_S = 0.2
"""First pause after the store fails; doubles up to ingest.db_retry_max_s."""
PRUNE_EVERY_S = 3600.0
"""Dead-letter retention is days: pruning once an hour (after a batch) keeps the table small."""


def build_pipeline(
    settings: Settings,
    topics: Topics,
    locator: Locator,
    sinks: Sequence[EventSink],
    drones: DroneRegistry,
    grid_codes: Callable[[Session, str], set[str]] = member_grid_codes,
) -> Pipeline:
    """decode → validate → dedup → locate → store → emit, configured from the settings."""
    ingest = settings.ingest
    roster = RosterCache(grid_codes, ingest.roster_ttl_s)
    return Pipeline(
        (
            Decode(topics, ingest.max_payload_bytes),
            Validate(ingest.future_tolerance_s, ingest.owntracks_users),
            # Dock states are upserts by timestamp: a redelivery changes nothing.
            Dedup(on_insert=frozenset({Kind.CHECKIN, Kind.DJI_DOCK})),
            Locate(locator, to_wgs84),
            Store(
                {
                    Kind.CHECKIN: CheckinStore(roster),
                    Kind.SENSOR_READING: ReadingStore(ingest.sensor_hysteresis),
                    Kind.SENSOR_WARNING: WarningStore(),
                    Kind.DRONE_TELEMETRY: TelemetryStore(drones),
                    Kind.AREA_WARNING: AreaWarningStore(locator),
                    Kind.DJI_DOCK: store_dock_status,
                }
            ),
            Emit(sinks),
        )
    )


class BatchRunner:
    """Runs a batch in one transaction until it commits; then (and only then) acknowledges it.

    A store outage is waited out with backoff (the messages stay unacknowledged). A batch that
    fails for another reason is split: each message alone, and one that still fails becomes a
    dead letter, so a single bad message never stops the loop.
    """

    def __init__(
        self,
        pipeline: Pipeline,
        sessions: sessionmaker[Session],
        ack: Callable[[Sequence[Received]], int],
        retry_max_s: float = 10.0,
        dead_letter_retention: timedelta = timedelta(days=30),
    ) -> None:
        self.pipeline = pipeline
        self.sessions = sessions
        self.ack = ack
        self.retry_max_s = retry_max_s
        self.dead_letter_retention = dead_letter_retention
        self._pruned_at = -PRUNE_EVERY_S
        self.store_error: str | None = None
        self.stop_event = threading.Event()
        self.totals = {
            "messages": 0,
            "accepted": 0,
            "dead_letters": 0,
            "duplicates": 0,
            "batches": 0,
        }

    def __call__(self, batch: list[Received]) -> None:
        outcome = self._commit_with_retry(batch)
        if outcome is None:
            return  # stopping: left unacknowledged, the broker delivers them again
        self.ack(batch)
        totals = self.totals
        totals["messages"] += len(batch)
        totals["batches"] += 1
        totals["accepted"] += outcome.accepted
        totals["dead_letters"] += outcome.dead_letters
        totals["duplicates"] += outcome.duplicates
        # What the steps counted (checkins stored, owntracks_ignored, dji_no_fix, …): health
        # shows what was ignored by design, not only what was stored or refused.
        for what, n in outcome.stored.items():
            totals[what] = totals.get(what, 0) + n
        if time.monotonic() - self._pruned_at >= PRUNE_EVERY_S:
            self.prune()

    def prune(self) -> int:
        """Delete dead letters past their retention; a failure is logged and tried later."""
        self._pruned_at = time.monotonic()
        try:
            with transaction(self.sessions) as session:
                return prune_dead_letters(session, self.dead_letter_retention, datetime.now(UTC))
        except DBAPIError as exc:
            log.warning("dead letters not pruned: %s", _first_line(exc))
            return 0

    def _commit_with_retry(self, batch: list[Received]) -> BatchOutcome | None:
        pause = DB_RETRY_MIN_S
        conflicts = 0
        while not self.stop_event.is_set():
            try:
                with transaction(self.sessions) as session:
                    outcome = self.pipeline.run(session, batch)
                self.store_error = None
                return outcome
            except IntegrityError as exc:
                # Another hub process stored one of these first: run again, dedup now sees it.
                conflicts += 1
                if conflicts > 2:
                    log.warning(
                        "batch keeps conflicting (%s); isolating messages", _first_line(exc)
                    )
                    return self._one_by_one(batch)
            except DBAPIError as exc:
                if not _is_outage(exc):
                    log.exception("batch failed; isolating messages")
                    return self._one_by_one(batch)
                self.store_error = _first_line(exc)
                log.warning("store unavailable (%s); retrying in %.1f s", self.store_error, pause)
                self.stop_event.wait(pause)
                pause = min(pause * 2, self.retry_max_s)
            except Exception:
                log.exception("batch failed; isolating messages")
                return self._one_by_one(batch)
        return None

    def _one_by_one(self, batch: list[Received]) -> BatchOutcome:
        accepted = dead = duplicates = 0
        for received in batch:
            try:
                with transaction(self.sessions) as session:
                    outcome = self.pipeline.run(session, [received])
                accepted += outcome.accepted
                dead += outcome.dead_letters
                duplicates += outcome.duplicates
            except Exception as exc:
                log.exception("message on %s failed; dead-lettered", received.topic)
                with transaction(self.sessions) as session:
                    row = DeadLetterRow.of(received, unexpected_reason(exc))
                    store_dead_letters(session, [row])
                dead += 1
        return BatchOutcome(accepted, dead, duplicates, {}, 0)


def unexpected_reason(exc: Exception) -> str:
    """What a dead letter says when a message failed where no step expected it to: whether
    the store refused what the message held, or the hub could not process it."""
    if isinstance(exc, DBAPIError):
        return f"the store refused what it holds: {_first_line(exc.orig or exc)}"
    return f"the hub could not process it ({type(exc).__name__}: {_first_line(exc)})"


def _is_outage(exc: DBAPIError) -> bool:
    return exc.connection_invalidated or type(exc.orig).__name__ in {
        "OperationalError",
        "InterfaceError",
    }


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class IngestService:
    """The hub service that runs MQTT ingest; its health names what it is waiting for."""

    name = "ingest"

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        topics: Topics,
        locator: Locator,
        drones: DroneRegistry,
        sinks: Sequence[EventSink] = (),
        mqtt_url: str | None = None,
        embedded: bool = False,
    ) -> None:
        url = mqtt_url or settings.mqtt_url
        config = settings.mqtt
        self.runner = BatchRunner(
            build_pipeline(settings, topics, locator, sinks, drones),
            sessions,
            self._ack,
            settings.ingest.db_retry_max_s,
            timedelta(days=settings.ingest.dead_letter_retention_days),
        )
        # The hub holds at most its receive maximum unstored, whether or not the broker
        # keeps to it (Mosquitto 2.0 with max_queued_messages 0 sends a whole burst at once).
        # The grid index is built before the first batch, not by it: over a province's grids
        # that takes seconds, and on a fresh hub the first burst would wait for it.
        self.batcher = Batcher(
            self.runner,
            settings.ingest.batch_size,
            settings.ingest.batch_wait_ms / 1000,
            max_pending=config.receive_maximum,
            prepare=locator.refresh,
        )
        self.client = MqttClient(
            config,
            BrokerAddress.parse(url, config),
            topics.subscriptions(shared_group="" if embedded else config.shared_group),
            self.batcher.put,
            protocol="3.1.1" if embedded else None,
            status_topic=topics.build(Kind.HUB_STATUS),
            wait_for_room=self.batcher.wait_for_room,
        )

    def _ack(self, batch: Sequence[Received]) -> int:
        return self.client.ack(batch)

    def start(self) -> None:
        self.runner.stop_event.clear()
        self.batcher.start()
        self.client.start()

    def stop(self) -> None:
        self.runner.stop_event.set()
        self.client.stop()
        self.batcher.stop()

    def health(self) -> dict[str, Any]:
        client, runner = self.client, self.runner
        if runner.store_error:
            state = "waiting for database"
        elif client.connected:
            state = "connected"
        else:
            state = "waiting for broker"
        report: dict[str, Any] = {
            "ok": state == "connected",
            "state": state,
            "broker": f"{client.address.host}:{client.address.port}",
            "mqtt_version": client.mqtt_version,
            "queued": self.batcher.pending(),
            **runner.totals,
        }
        error = runner.store_error if state == "waiting for database" else client.last_error
        if error and state != "connected":
            report["error"] = error
        return report
