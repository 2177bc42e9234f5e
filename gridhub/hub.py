"""The hub: settings, store and the running services, built once and passed to every area.

This is where the areas are wired together: the alerts sink takes the events ingest,
cameras and reports publish, reports follow the alerts of their work orders, and ingest asks
the cameras registry which drones exist. The areas
themselves never import one another.
"""

import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from gridhub.alerts.context import AlertContext
from gridhub.alerts.service import AlertsService
from gridhub.alerts.sink import AlertsSink
from gridhub.cameras.drone_alarms import DroneFeeds
from gridhub.cameras.frigate_listener import FrigateListener
from gridhub.cameras.registry import registered_drones
from gridhub.cameras.service import CamerasService
from gridhub.config import Settings
from gridhub.db import open_store
from gridhub.events import EventSink
from gridhub.geo.locator import GridLocator
from gridhub.ingest.cap_feeds import CapFeedService
from gridhub.ingest.pipeline import Pipeline
from gridhub.ingest.service import IngestService, build_pipeline
from gridhub.mqtt.broker import embedded_broker
from gridhub.mqtt.topics import Topics
from gridhub.reports.catalogue import Catalogue
from gridhub.reports.context import ReportsContext
from gridhub.reports.limits import RateLimits
from gridhub.reports.orders import follow
from gridhub.secrets import SecretBox

log = logging.getLogger(__name__)

HEALTH_FILE = "hub-health.json"
"""In the data dir: the hub process's services' health, for API processes to answer with."""
HEALTH_EVERY_S = 1.0
"""How often the hub process writes it; a probe polls every few seconds at most."""
HEALTH_STALE_S = 5.0
"""Older than this, the hub process is taken to be stuck or gone: /healthz answers 503."""


class Service(Protocol):
    """Something the hub starts and stops in order, and asks for its health."""

    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def health(self) -> dict[str, Any]: ...


@dataclass
class Hub:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    services: list[Service] = field(default_factory=list)
    cameras: CamerasService | None = None
    """The cameras service, for the API's pictures and PTZ (None: not running here)."""
    mqtt_url: str = ""
    """The broker the services use, signed in as the hub (the demo's town publishes there)."""
    # The one point → grid index of the process; built lazily from the store on first use.
    locator: GridLocator = field(init=False)
    secret_box: SecretBox = field(init=False)
    """Opens the store's sealed secrets (camera URLs, notification URLs)."""
    topics: Topics = field(init=False)
    alert_context: AlertContext = field(init=False)
    """What alert actions need; the alerts service's own when it runs here (it wakes its
    dispatcher), else one whose deliveries the dispatcher finds on its next poll."""
    reports: ReportsContext = field(init=False)
    """What intake and the console need; its events open and cancel work orders through the
    alerts sink, and it follows its orders as the alerts' listener."""
    ingest_sinks: list[EventSink] = field(init=False)
    """Where the events of check-ins sent over HTTP go: the alerts sink, the drones'."""
    _http_pipeline: Pipeline | None = field(init=False, default=None)
    services_health: Path | None = None
    """In an API process: the file where the hub process publishes its services' health."""

    def __post_init__(self) -> None:
        self.locator = GridLocator(self.sessions)
        self.secret_box = SecretBox.for_settings(self.settings)
        self.topics = Topics.of(self.settings)
        self.alert_context = AlertContext(
            config=self.settings.alerts,
            timezone=self.settings.timezone,
            language=self.settings.language,
            locator=self.locator,
            topics=self.topics,
            box=self.secret_box,
        )
        secret = self.settings.secret()
        self.reports = ReportsContext(
            config=self.settings.reports,
            catalogue=Catalogue.of(self.settings.reports),
            locator=self.locator,
            secret=secret,
            limits=RateLimits(self.settings.reports.limits, self.sessions, secret),
            language=self.settings.language,
            timezone=self.settings.timezone,
        )
        sink = AlertsSink(self.alert_context)
        self.wire_reports(self.alert_context, sink)
        self.ingest_sinks = [sink, DroneFeeds(self.settings.cameras, sink)]

    def http_pipeline(self) -> Pipeline:
        """The ingest pipeline for check-ins sent over HTTP: MQTT's steps, these sinks."""
        if self._http_pipeline is None:
            self._http_pipeline = build_pipeline(
                self.settings, self.topics, self.locator, self.ingest_sinks, registered_drones
            )
        return self._http_pipeline

    def wire_reports(self, alerts: AlertContext, sink: AlertsSink) -> None:
        """Reports' events go to ``sink``; the alerts of ``alerts`` tell reports how orders go."""
        self.reports.sinks = [sink]
        alerts.listeners.append(follow)

    def start(self) -> None:
        for service in self.services:
            log.info("starting %s", service.name)
            service.start()

    def stop(self) -> None:
        for service in reversed(self.services):
            log.info("stopping %s", service.name)
            try:
                service.stop()
            except Exception:
                log.exception("stopping %s failed", service.name)

    def health(self) -> dict[str, Any]:
        """The state of the store and of every service; ``ok`` only if all are."""
        checks: dict[str, Any] = {"store": _store_health(self.engine)}
        if self.services_health is not None:
            checks.update(_published(self.services_health))
        for service in self.services:
            checks[service.name] = service.health()
        return {"ok": all(check.get("ok", False) for check in checks.values()), **checks}


def _store_health(engine: Engine) -> dict[str, Any]:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        return {"ok": False, "backend": engine.dialect.name, "error": str(exc).splitlines()[0]}
    return {"ok": True, "backend": engine.dialect.name}


def _published(path: Path) -> dict[str, Any]:
    """The services' health as the hub process last wrote it; not ok if stale or missing."""
    try:
        published = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        return {"hub": {"ok": False, "error": f"no health from the hub process ({exc})"}}
    age = time.time() - published.pop("at", 0.0)
    if age > HEALTH_STALE_S:
        return {"hub": {"ok": False, "error": f"the hub process last reported {age:.0f} s ago"}}
    return published


class HealthPublisher:
    """Writes the hub process's services' health to ``path`` every second, for API processes
    in other processes; replaced atomically, so a reader never sees half a file."""

    def __init__(self, hub: Hub, path: Path) -> None:
        self.hub, self.path = hub, path
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="health", daemon=True)

    def start(self) -> None:
        self._write()  # before the first API process answers
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=HEALTH_EVERY_S * 3)
        self.path.unlink(missing_ok=True)

    def _write(self) -> None:
        report = {service.name: service.health() for service in self.hub.services}
        partial = self.path.with_suffix(".tmp")
        partial.write_text(json.dumps({"at": time.time(), **report}, default=str))
        os.replace(partial, self.path)

    def _run(self) -> None:
        while not self._stop.wait(HEALTH_EVERY_S):
            try:
                self._write()
            except Exception:  # a full disk must not stop the hub; readers then say stale
                log.exception("publishing the hub's health failed")


def build_api_hub(settings: Settings) -> Hub:
    """A hub for an API process beside the hub process: the store (migrated by the hub
    process), cameras on demand (no probe rounds), the services' health read from the data
    dir. Alert actions here have no dispatcher to wake: it finds their deliveries on its
    next poll (``alerts.poll_interval_s``)."""
    engine, sessions = open_store(settings, migrate=False)
    hub = Hub(
        settings=settings,
        engine=engine,
        sessions=sessions,
        services_health=settings.data_dir / HEALTH_FILE,
    )
    hub.cameras = CamerasService(settings, sessions)
    return hub


def build_hub(settings: Settings) -> Hub:
    """A hub with its store migrated and every service added, in the order they start."""
    engine, sessions = open_store(settings)
    hub = Hub(settings=settings, engine=engine, sessions=sessions)
    mqtt_url = settings.mqtt_url
    embedded = settings.uses_embedded_broker
    if embedded:
        broker = embedded_broker(settings, sessions, hub.topics)
        hub.services.append(broker)  # first: every MQTT client below connects to it
        mqtt_url = broker.url  # signs them in as the hub's own broker user
    hub.mqtt_url = mqtt_url
    # Alerts before ingest and cameras: their events go to ``alerts.sink``, which must be
    # dispatching before the first message arrives.
    alerts = AlertsService(
        settings, sessions, hub.topics, hub.locator, mqtt_url=mqtt_url, embedded=embedded
    )
    hub.alert_context = alerts.context
    hub.wire_reports(alerts.context, alerts.sink)
    hub.ingest_sinks = [alerts.sink, DroneFeeds(settings.cameras, alerts.sink)]
    hub.services.append(alerts)
    hub.services.append(
        IngestService(
            settings,
            sessions,
            hub.topics,
            hub.locator,
            registered_drones,
            hub.ingest_sinks,
            mqtt_url=mqtt_url,
            embedded=embedded,
        )
    )
    if settings.warnings.feeds:  # CAP feeds of the weather and water authorities
        hub.services.append(CapFeedService(settings.warnings, sessions, hub.locator, [alerts.sink]))
    frigate = None
    if settings.cameras.frigate.enabled:
        frigate = FrigateListener(
            settings, sessions, mqtt_url, hub.topics, alerts.sink, embedded=embedded
        )
    hub.cameras = CamerasService(settings, sessions, alerts.sink, frigate)
    hub.services.append(hub.cameras)
    return hub
