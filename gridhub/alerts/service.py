"""The alerts hub service: one thread that sends deliveries, fires escalation timers, applies
device acknowledgements and scans for quiet spells, woken at once by new work."""

import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from gridhub.alerts.acks import handle_acks
from gridhub.alerts.channels import Channel
from gridhub.alerts.channels.apprise_channel import AppriseChannel
from gridhub.alerts.channels.mqtt import MqttChannel
from gridhub.alerts.channels.webhook import WebhookChannel
from gridhub.alerts.context import AlertContext
from gridhub.alerts.dispatcher import Dispatcher
from gridhub.alerts.flood import expire_warnings
from gridhub.alerts.live import prune
from gridhub.alerts.routing import Locator
from gridhub.alerts.rules.patrol import scan
from gridhub.alerts.silence import chase_silent
from gridhub.alerts.sink import AlertsSink
from gridhub.alerts.timers import fire_due_timers
from gridhub.config import Settings
from gridhub.db import transaction, utcnow
from gridhub.mqtt.client import BrokerAddress, MqttClient
from gridhub.mqtt.inbound import Received
from gridhub.mqtt.topics import Kind, Topics
from gridhub.secrets import SecretBox

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 3600.0
SQLITE_BUSY_RETRY_S = 0.005
"""SQLite refuses a write whose snapshot went stale under a concurrent commit; retry soon."""
TIMER_BATCH = 200
ACK_BATCH = 2000
"""Acks applied per transaction: a flood warning's receipts arrive by the thousand."""
WARNINGS_EVERY_S = 1.0
"""Expiry and silence timeouts are minutes: looking each second is precise enough."""


class AlertsService:
    """``hub.services`` entry ``alerts``: ``sink`` takes the areas' events, ``context`` is what
    the API's alert actions need (it wakes this service's dispatcher)."""

    name = "alerts"

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        topics: Topics,
        locator: Locator | None = None,
        mqtt_url: str | None = None,
        embedded: bool = False,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.config = settings.alerts
        self.clock = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._acks: queue.SimpleQueue[Received] = queue.SimpleQueue()
        self.context = AlertContext(
            config=self.config,
            timezone=settings.timezone,
            language=settings.language,
            locator=locator,
            topics=topics,
            wake=self._wake.set,
            box=SecretBox.for_settings(settings),
        )
        self.sink = AlertsSink(self.context)
        mqtt_config = settings.mqtt.model_copy(
            update={"client_id": f"{settings.mqtt.client_id}-alerts"[:64]}
        )
        url = (
            mqtt_url
            or settings.mqtt_url
            or (f"mqtt://{mqtt_config.embedded_host}:{mqtt_config.embedded_port}")
        )
        group = "" if embedded else mqtt_config.shared_group
        self.client = MqttClient(
            mqtt_config,
            BrokerAddress.parse(url, mqtt_config),
            [topics.subscription(Kind.MEMBER_ACK, group)],
            self._on_ack,
            protocol="3.1.1" if embedded else None,
        )
        delivery = self.config.delivery
        channels: list[Channel] = [
            MqttChannel(self.client, delivery.send_timeout_s),
            WebhookChannel(self.config.webhooks, delivery.send_timeout_s),
            AppriseChannel(delivery.send_timeout_s),
        ]
        self.dispatcher = Dispatcher(sessions, channels, delivery, self.context.secrets(), clock)
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None
        self.timers_fired = 0
        self.acks_applied = 0

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._stop.clear()
        self.client.start()
        self._thread = threading.Thread(target=self._run, name="alerts", daemon=True)
        self._thread.start()
        self._wake.set()  # timers that fell due while the hub was down fire now

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
        self.dispatcher.close()
        self.client.stop()

    def health(self) -> dict[str, Any]:
        report: dict[str, Any] = {
            "ok": self.client.connected and self.last_error is None,
            "broker": "connected" if self.client.connected else "waiting for broker",
            "in_flight": self.dispatcher.in_flight,
            "sent": self.dispatcher.sent,
            "failed_attempts": self.dispatcher.failed,
            "timers_fired": self.timers_fired,
            "acks_applied": self.acks_applied,
        }
        if self.last_error:
            report["error"] = self.last_error
        return report

    def _on_ack(self, received: Received) -> None:
        self._acks.put(received)
        self._wake.set()

    def _run(self) -> None:
        next_scan = next_prune = next_warnings = 0.0
        while not self._stop.is_set():
            self._wake.wait(self.config.poll_interval_s)
            self._wake.clear()
            try:
                self._apply_acks()
                self._fire_timers()
                if time.monotonic() >= next_scan:
                    next_scan = time.monotonic() + self.config.patrol.check_every_s
                    with transaction(self.sessions) as session:
                        scan(session, self.context, self.clock())
                if time.monotonic() >= next_warnings:
                    next_warnings = time.monotonic() + WARNINGS_EVERY_S
                    with transaction(self.sessions) as session:
                        expire_warnings(session, self.context, self.clock())
                        chase_silent(session, self.context, self.clock())
                if time.monotonic() >= next_prune:
                    next_prune = time.monotonic() + PRUNE_EVERY_S
                    with transaction(self.sessions) as session:
                        prune(session, self.clock(), self.config.live_events_keep_hours)
                while self.dispatcher.run_once(self._wake.set) >= self.config.delivery.batch:
                    pass
                self.last_error = None
            except OperationalError as exc:
                if not _sqlite_busy(exc):
                    self._failed(exc)
                    continue
                # SQLite: another writer committed while this transaction waited; at once again.
                self._wake.set()
                self._stop.wait(SQLITE_BUSY_RETRY_S)
            except Exception as exc:
                self._failed(exc)

    def _failed(self, exc: Exception) -> None:
        """The store is down (or a bug): say so in health, and try again shortly."""
        self.last_error = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
        log.exception("alerts loop failed; retrying")
        self._stop.wait(self.config.poll_interval_s)

    def _apply_acks(self) -> None:
        while True:
            batch: list[Received] = []
            while len(batch) < ACK_BATCH:
                try:
                    batch.append(self._acks.get_nowait())
                except queue.Empty:
                    break
            if not batch:
                return
            try:
                outcomes = handle_acks(self.sessions, self.context, batch)
            except Exception:
                for received in batch:  # not applied, not acknowledged: try again later
                    self._acks.put(received)
                raise
            self.acks_applied += outcomes.count("ok")
            self.client.ack(batch)

    def _fire_timers(self) -> None:
        while True:
            with transaction(self.sessions) as session:
                fired = fire_due_timers(session, self.context, self.clock(), TIMER_BATCH)
            self.timers_fired += fired
            if fired < TIMER_BATCH:
                return


def _sqlite_busy(exc: OperationalError) -> bool:
    return "database is locked" in str(exc) or "database is busy" in str(exc)
