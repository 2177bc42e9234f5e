"""Domain events that ingest emits and other areas (alerts, live events) consume.

Sinks are called inside the transaction that stores what caused the event, so an event
is never lost between a commit and the MQTT acknowledgement that follows it.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class CheckinStored:
    checkin_id: int | None
    worker: str
    kind: str
    lon: float
    lat: float
    grid: str | None
    in_assigned_grid: bool
    ts: datetime


@dataclass(frozen=True, slots=True)
class SosRaised:
    checkin_id: int | None
    worker: str
    lon: float
    lat: float
    grid: str | None
    ts: datetime
    note: str | None = None


@dataclass(frozen=True, slots=True)
class SensorWarning:
    """A sensor's warning: sent explicitly, or a reading that crossed a threshold."""

    sensor: str
    kind: str
    level: str
    lon: float | None
    lat: float | None
    grid: str | None
    ts: datetime
    value: float | None = None
    unit: str | None = None
    message: str | None = None
    from_threshold: bool = False


@dataclass(frozen=True, slots=True)
class SensorCleared:
    """A sensor's reading fell back below every threshold (past the hysteresis band)."""

    sensor: str
    kind: str
    grid: str | None
    ts: datetime
    value: float | None = None


@dataclass(frozen=True, slots=True)
class AreaWarning:
    warning_id: int
    kind: str
    level: str
    area: dict[str, Any]
    grids: tuple[str, ...]
    ts: datetime
    valid_until: datetime | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class DroneMoved:
    drone: str
    lon: float
    lat: float
    grid: str | None
    ts: datetime
    alt_m: float | None = None
    battery_pct: float | None = None


DomainEvent = CheckinStored | SosRaised | SensorWarning | SensorCleared | AreaWarning | DroneMoved

EventSink = Callable[[Session, Sequence[DomainEvent]], None]
"""Receives a batch's events inside its transaction, before the commit."""
