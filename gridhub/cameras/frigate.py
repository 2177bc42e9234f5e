"""Frigate detections → ``DetectionSeen`` events in the detecting camera's grid.

Reads ``{prefix}/events`` (per tracked object) and ``{prefix}/reviews`` (per incident,
Frigate 0.14+). Frigate sends ``new``, many ``update`` and an ``end`` per id: each is an
event of the same incident, which the alerts sink merges into one alert.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.orm import Session

from gridhub.cameras.registry import get_camera
from gridhub.config.cameras import FrigateConfig
from gridhub.events import DetectionSeen, EventSink

log = logging.getLogger(__name__)


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class TrackedObject(_Loose):
    id: str
    camera: str
    label: str
    score: float | None = None
    top_score: float | None = None
    current_zones: list[str] = []
    entered_zones: list[str] = []
    start_time: float
    end_time: float | None = None
    has_snapshot: bool = False


class ReviewData(_Loose):
    objects: list[str] = []
    zones: list[str] = []
    detections: list[str] = []


class ReviewItem(_Loose):
    id: str
    camera: str
    start_time: float
    end_time: float | None = None
    severity: Literal["alert", "detection"]
    data: ReviewData


class EventMessage(_Loose):
    type: Literal["new", "update", "end"]
    after: TrackedObject


class ReviewMessage(_Loose):
    type: Literal["new", "update", "end"]
    after: ReviewItem


@dataclass(frozen=True, slots=True)
class Detection:
    """What both topics say, reduced to what decides an alert."""

    frigate_id: str
    camera: str
    labels: tuple[str, ...]
    zones: tuple[str, ...]
    started: datetime
    update: str
    score: float | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """The event a message made (None if unwanted), and why."""

    event: DetectionSeen | None
    reason: str


def parse(topic_kind: str, payload: bytes) -> Detection:
    """A ``events`` or ``reviews`` payload as a Detection; ValueError when malformed."""
    item: ReviewItem | TrackedObject
    try:
        data = orjson.loads(payload)
        if topic_kind == "reviews":
            review = ReviewMessage.model_validate(data)
            item = review.after
            labels, zones, kind = item.data.objects, item.data.zones, review.type
            score = None
        else:
            event = EventMessage.model_validate(data)
            item = event.after
            labels, kind = [item.label], event.type
            zones, score = sorted({*item.entered_zones, *item.current_zones}), item.top_score
    except (orjson.JSONDecodeError, ValidationError) as exc:
        raise ValueError(f"not a Frigate {topic_kind} message: {exc}".splitlines()[0]) from None
    started = datetime.fromtimestamp(item.start_time, UTC)
    return Detection(item.id, item.camera, tuple(labels), tuple(zones), started, kind, score)


def is_night(when: datetime, config: FrigateConfig) -> bool:
    hour = (when + timedelta(hours=config.utc_offset_hours)).hour
    if config.night_start_hour > config.night_end_hour:
        return hour >= config.night_start_hour or hour < config.night_end_hour
    return config.night_start_hour <= hour < config.night_end_hour


def wanted(detection: Detection, config: FrigateConfig) -> str | None:
    """None if the detection should alert, else why not."""
    labels = [label for label in detection.labels if label in config.labels]
    if not labels:
        return f"labels {list(detection.labels)} not configured"
    if config.zones and not set(detection.zones) & set(config.zones):
        return f"zones {list(detection.zones)} not configured"
    if config.night_only and not is_night(detection.started, config):
        return "daytime"
    return None


def handle(
    session: Session,
    topic_kind: str,
    payload: bytes,
    config: FrigateConfig,
    now: datetime,
    sink: EventSink | None = None,
) -> Outcome:
    """The event of one Frigate message, handed to ``sink``; the caller commits."""
    detection = parse(topic_kind, payload)
    refusal = wanted(detection, config)
    if refusal is not None:
        return Outcome(None, refusal)
    code = config.camera_map.get(detection.camera, detection.camera)
    camera = get_camera(session, code)
    if camera is None:
        log.warning("Frigate camera %r is not registered (as %r)", detection.camera, code)
        return Outcome(None, f"Frigate camera {detection.camera!r} is not registered")
    point = camera.point()
    event = DetectionSeen(
        incident=detection.frigate_id,
        camera=camera.code,
        camera_name=camera.name,
        labels=tuple(label for label in detection.labels if label in config.labels),
        zones=detection.zones,
        severity=config.severity,
        lon=point.x if point is not None else None,
        lat=point.y if point is not None else None,
        grid=camera.grid.code if camera.grid else None,
        ts=now,
        detail=f"Frigate {topic_kind} {detection.frigate_id} ({detection.update})",
        score=detection.score,
    )
    if sink is not None:
        sink(session, [event])
    return Outcome(event, "alerted")
