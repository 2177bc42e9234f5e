"""The hub: settings, store and the running services, built once and passed to every area."""

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from gridhub.alerts.runner import AlertsService
from gridhub.cameras.frigate_listener import FrigateListener
from gridhub.cameras.registry import drone_sink
from gridhub.cameras.service import CamerasService
from gridhub.config import Settings
from gridhub.db import make_engine, make_session_factory, upgrade
from gridhub.geo.locator import GridLocator
from gridhub.ingest.broker import EmbeddedBroker
from gridhub.ingest.service import IngestService

log = logging.getLogger(__name__)


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
    # The one point → grid index of the process; built lazily from the store on first use.
    locator: GridLocator = field(init=False)

    def __post_init__(self) -> None:
        self.locator = GridLocator(self.sessions)

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


def open_store(settings: Settings, migrate: bool = True) -> tuple[Engine, sessionmaker[Session]]:
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    return engine, make_session_factory(engine)


def build_hub(settings: Settings) -> Hub:
    """A hub with its store migrated; services are added by the areas that run them."""
    engine, sessions = open_store(settings)
    hub = Hub(settings=settings, engine=engine, sessions=sessions)
    mqtt_url = settings.mqtt_url
    if settings.uses_embedded_broker:
        broker = EmbeddedBroker(settings.mqtt.embedded_host, settings.mqtt.embedded_port)
        hub.services.append(broker)  # first: every MQTT client below connects to it
        mqtt_url = broker.url
    # Alerts before ingest: ingest hands its events to ``alerts.sink``, which must be
    # dispatching before the first message arrives.
    alerts = AlertsService(settings, sessions, hub.locator, embedded=settings.uses_embedded_broker)
    hub.services.append(alerts)
    hub.services.append(
        IngestService(
            settings,
            sessions,
            hub.locator,
            [alerts.sink, drone_sink],
            mqtt_url=mqtt_url,
            embedded=settings.uses_embedded_broker,
        )
    )
    frigate = None
    if settings.cameras.frigate.enabled:
        frigate = FrigateListener(
            settings, sessions, mqtt_url, alerts.context, embedded=settings.uses_embedded_broker
        )
    hub.services.append(CamerasService(settings, sessions, alerts.context, frigate))
    return hub
