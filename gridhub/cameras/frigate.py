"""Frigate detections → ``DetectionSeen`` events in the detecting camera's grid.

Reads ``{prefix}/events`` (per tracked object) and ``{prefix}/reviews`` (per incident,
Frigate 0.14+), as Frigate's ``docs/docs/integrations/mqtt.md`` describes them. Frigate sends
``new``, some ``update`` and one ``end`` per id. A review names its tracked objects in
``data.detections``: both streams of one incident are one alert (the alerts area correlates
them by these ids). A camera Frigate names that gridhub does not know is refused, so that
the caller dead-letters it.
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
    sub_label: str | tuple[str, float] | None = None
    """Face or plate recognition: a name, or ``[name, score]`` since Frigate 0.14."""
    score: float | None = None
    top_score: float | None = None
    current_zones: list[str] = []
    entered_zones: list[str] = []
    start_time: float
    end_time: float | None = None
    has_snapshot: bool = False
    has_clip: bool = False


class ReviewData(_Loose):
    objects: list[str] = []
    zones: list[str] = []
    detections: list[str] = []
    sub_labels: list[str] = []


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


class UnknownCamera(ValueError):
    """Frigate named a camera that is not registered: the message is dead-lettered."""


@dataclass(frozen=True, slots=True)
class Detection:
    """What both topics say, reduced to what decides an alert."""

    frigate_id: str
    camera: str
    labels: tuple[str, ...]
    zones: tuple[str, ...]
    """Zones the object entered (a review: its zones); what a guarded zone is checked on."""
    started: datetime
    update: str
    score: float | None = None
    related: tuple[str, ...] = ()
    """The incident's other Frigate ids: a review's tracked objects."""
    severity: str = "alert"
    sub_labels: tuple[str, ...] = ()
    ended: datetime | None = None
    has_snapshot: bool | None = None
    """A tracked object's (``events``); None for a review, which has no media of its own."""
    has_clip: bool | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """The event a message made (None if unwanted), and why."""

    event: DetectionSeen | None
    reason: str


def parse(topic_kind: str, payload: bytes) -> Detection:
    """A ``events`` or ``reviews`` payload as a Detection; ValueError when malformed."""
    try:
        data = orjson.loads(payload)
        if topic_kind == "reviews":
            review = ReviewMessage.model_validate(data).after
            detection = Detection(
                review.id,
                review.camera,
                tuple(review.data.objects),
                tuple(review.data.zones),
                _time(review.start_time),
                ReviewMessage.model_validate(data).type,
                related=tuple(review.data.detections),
                severity=review.severity,
                sub_labels=tuple(review.data.sub_labels),
                ended=_time(review.end_time) if review.end_time else None,
            )
        else:
            message = EventMessage.model_validate(data)
            item = message.after
            sub_label = item.sub_label[0] if isinstance(item.sub_label, tuple) else item.sub_label
            detection = Detection(
                item.id,
                item.camera,
                (item.label,),
                tuple(item.entered_zones),
                _time(item.start_time),
                message.type,
                score=item.top_score,
                sub_labels=(sub_label,) if sub_label else (),
                ended=_time(item.end_time) if item.end_time else None,
                has_snapshot=item.has_snapshot,
                has_clip=item.has_clip,
            )
    except (orjson.JSONDecodeError, ValidationError) as exc:
        raise ValueError(f"not a Frigate {topic_kind} message: {exc}".splitlines()[0]) from None
    return detection


def _time(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, UTC)


def is_night(when: datetime, config: FrigateConfig) -> bool:
    hour = (when + timedelta(hours=config.utc_offset_hours)).hour
    if config.night_start_hour > config.night_end_hour:
        return hour >= config.night_start_hour or hour < config.night_end_hour
    return config.night_start_hour <= hour < config.night_end_hour


def wanted(detection: Detection, config: FrigateConfig) -> str | None:
    """None if the detection should alert, else why not."""
    if detection.severity == "detection" and not config.review_detections:
        return "review severity 'detection' not configured"
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
    """The event of one Frigate message, handed to ``sink``; the caller commits.

    ValueError (UnknownCamera among them) when the message cannot be used.
    """
    detection = parse(topic_kind, payload)
    code = config.camera_map.get(detection.camera, detection.camera)
    camera = get_camera(session, code)
    if camera is None:
        raise UnknownCamera(f"Frigate camera {detection.camera!r} is not registered (as {code!r})")
    refusal = wanted(detection, config)
    if refusal is not None:
        return Outcome(None, refusal)
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
        phase=detection.update,
        related=detection.related,
        sub_labels=detection.sub_labels,
        started=detection.started,
        ended=detection.ended,
        auto_resolve=camera.code in config.auto_resolve_cameras,
        has_snapshot=detection.has_snapshot,
        has_clip=detection.has_clip,
    )
    if sink is not None:
        sink(session, [event])
    return Outcome(event, "alerted")
