"""What the reports area needs from the hub, built once and passed in."""

from dataclasses import dataclass, field
from typing import Any, Protocol

from gridhub.config.reports import ReportsConfig
from gridhub.events import DomainEvent, EventSink
from gridhub.i18n import DEFAULT_LANGUAGE
from gridhub.reports.catalogue import Catalogue
from gridhub.reports.limits import RateLimits


class Locator(Protocol):
    """What intake needs of the geo area's spatial index (``hub.locator``)."""

    def locate(self, lon: float, lat: float, crs: str = "wgs84") -> Any: ...


@dataclass
class ReportsContext:
    """Config, the report types, the point → grid index, the limits, and where the area's
    events go (the alerts sink, which opens and cancels work orders)."""

    config: ReportsConfig
    catalogue: Catalogue
    locator: Locator
    secret: str
    """Signs challenges and photo links."""
    limits: RateLimits | None = None
    """None: no rate limits (tests of other things, the demo loader)."""
    sinks: list[EventSink] = field(default_factory=list)
    language: str = DEFAULT_LANGUAGE
    timezone: str = "Asia/Shanghai"

    def publish(self, session: Any, events: list[DomainEvent]) -> None:
        for sink in self.sinks:
            sink(session, events)
