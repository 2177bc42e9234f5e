"""The typed events areas publish, and the one seam between them.

Ingest publishes what messages caused (a check-in stored, a sensor warning, an area warning,
a drone moved), cameras what their probes and video analytics saw (a camera's status
changed, a detection), reports what residents' reports need done (dispatched, withdrawn), and
alerts how their alerts changed (for the reports area's orders). The hub wires sinks to
publishers; the alerts sink turns events into alerts and live events. Sinks are called
inside the transaction that stores what caused the event, so an event is never lost between
a commit and the acknowledgement that follows it.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from gridhub.config.alerts import EscalationPolicy
from gridhub.severity import Severity


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
    name: str | None = None
    """The sensor's name as people call it (柳湾河3号水位站)."""


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
    key: str | None = None
    """``sender/identifier`` of the message: the same key twice is one warning."""
    msg_type: str = "alert"
    """``alert``, or ``update`` of the warnings named in ``references`` (CAP's msgType)."""
    references: tuple[str, ...] = ()
    headline: str | None = None
    description: str | None = None
    instruction: str | None = None
    area_desc: str | None = None
    sender: str | None = None


@dataclass(frozen=True, slots=True)
class AreaWarningCancelled:
    """A warning's issuer cancelled it (CAP ``Cancel``): ``references`` name its messages."""

    key: str
    references: tuple[str, ...]
    ts: datetime
    note: str | None = None


@dataclass(frozen=True, slots=True)
class DroneMoved:
    drone: str
    lon: float
    lat: float
    grid: str | None
    ts: datetime
    alt_m: float | None = None
    battery_pct: float | None = None
    heading: float | None = None
    mode_code: int | None = None
    """DJI's flight state (9: returning home)."""


@dataclass(frozen=True, slots=True)
class DroneAlarm:
    """A registered drone's telemetry says it is returning home or low on battery (``active``),
    or no longer so (not ``active``: its alert clears). Published by the cameras area, which
    knows the drone's name and maintainer."""

    drone: str
    name: str
    kind: str
    """``drone_return_home`` or ``drone_low_battery``."""
    active: bool
    battery_pct: float | None
    lon: float
    lat: float
    grid: str | None
    maintainer: str | None
    severity: Severity
    ts: datetime


@dataclass(frozen=True, slots=True)
class CameraStatusChanged:
    """A camera's probed status changed (after hysteresis): online, degraded or offline.

    ``severity`` is what the cameras area asks an alert to have, None for no alert (a camera
    back online, or degraded when that is configured not to alert).
    """

    camera: str
    name: str
    before: str
    after: str
    reason: str | None
    lon: float | None
    lat: float | None
    grid: str | None
    grid_path: str | None
    maintainer: str | None
    severity: Severity | None
    ts: datetime


@dataclass(frozen=True, slots=True)
class DetectionSeen:
    """Video analytics (Frigate) saw something wanted at a camera; one ``incident`` per
    tracked object or review, its messages merging into one alert. ``related`` are the
    incident's other ids (a review's tracked objects): a review and its objects are one
    alert. ``phase`` is Frigate's ``new``/``update``/``end``: an end is no repeat, and
    nothing reopens a closed incident."""

    incident: str
    camera: str
    camera_name: str
    labels: tuple[str, ...]
    zones: tuple[str, ...]
    severity: Severity
    lon: float | None
    lat: float | None
    grid: str | None
    ts: datetime
    detail: str
    score: float | None = None
    phase: str = "new"
    related: tuple[str, ...] = ()
    sub_labels: tuple[str, ...] = ()
    """Who or what recognition named (a face, a plate)."""
    started: datetime | None = None
    """When the detection itself began (Frigate's start_time), not when it was heard of."""
    ended: datetime | None = None
    auto_resolve: bool = False
    """Resolve the alert when the detection ends (a per-camera option)."""
    has_snapshot: bool | None = None
    """Whether Frigate keeps a snapshot / a clip of the tracked object ``incident``; None
    when the message does not say (a review, whose media are its objects')."""
    has_clip: bool | None = None


@dataclass(frozen=True, slots=True)
class ReportDispatched:
    """A resident's report is sent to its handlers (by its type's routing, or by an operator's
    派单): the alerts area opens its work order, told first to ``handlers`` and escalated up
    ``policy`` when nobody takes it on in time."""

    report_id: str
    """The Open311 ``service_request_id``; the order's source id."""
    service: str
    service_name: dict[str, str]
    """The report type's name in each language (``{"zh-CN": "环境卫生", "en": …}``)."""
    severity: Severity
    description: str
    lon: float
    lat: float
    grid: str
    handlers: tuple[str, ...]
    policy: EscalationPolicy
    ts: datetime
    actor: str


@dataclass(frozen=True, slots=True)
class ReportWithdrawn:
    """A dispatched report is not to be handled any more (不予受理, or merged into another):
    its open work order is cancelled with ``reason``."""

    report_id: str
    reason: str
    ts: datetime
    actor: str


@dataclass(frozen=True, slots=True)
class AlertChanged:
    """An alert changed state, or someone acted on it with a note: published by the alerts
    area for areas that follow alerts they caused (a resident's report follows its order)."""

    alert_id: int
    source_type: str
    source_id: str
    status: str
    before: str | None
    """The state before the change; None for a new alert."""
    ts: datetime
    actor: str | None = None
    """Who acted (a user, a member's code); None for what the hub did itself."""
    note: str | None = None


DomainEvent = (
    CheckinStored
    | SosRaised
    | SensorWarning
    | SensorCleared
    | AreaWarning
    | DroneMoved
    | DroneAlarm
    | CameraStatusChanged
    | DetectionSeen
    | ReportDispatched
    | ReportWithdrawn
    | AlertChanged
    | AreaWarningCancelled
)

EventSink = Callable[[Session, Sequence[DomainEvent]], None]
"""Receives a batch's events inside its transaction, before the commit."""
