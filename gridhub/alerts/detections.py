"""Video-analytics incidents (Frigate) → one alert each, never reopened once closed.

Frigate tells of one incident on two topics: each tracked object's ``new``/``update``/``end``
on ``events``, and the review that groups them (``data.detections``) on ``reviews``. Every id
an incident is known by is kept as an alias of its alert, so whichever message comes first
opens it and the others merge into it. An ``end`` is recorded with the detection's duration
(not counted as a repeat) and resolves the alert where the camera is set to; any message of
an incident whose alert is closed is recorded nowhere and opens nothing.

Whether Frigate keeps a tracked object's snapshot and clip is kept on its alias, from every
``events`` message, the closed incident's too: Frigate sets ``has_clip`` once the recording
is kept, often late, and a resolved alert's clip is still worth watching.
"""

from dataclasses import dataclass, replace

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gridhub.alerts.actions import act
from gridhub.alerts.context import AlertContext
from gridhub.alerts.deliveries import record_event
from gridhub.alerts.lifecycle import SYSTEM
from gridhub.alerts.models import Alert, AlertAlias
from gridhub.alerts.raising import raise_alert, retitle
from gridhub.alerts.rules.events import ANALYTICS, FRIGATE, detection
from gridhub.events import DetectionSeen


def on_detection(session: Session, ctx: AlertContext, event: DetectionSeen) -> Alert | None:
    """The incident's alert after ``event``; None when it is closed or the end of nothing."""
    names = [f"{FRIGATE}{incident}" for incident in (event.incident, *event.related)]
    alert = _known(session, names)
    if alert is not None and not alert.is_open:
        _media(session, event)
        return None
    if event.phase == "end":
        if alert is not None:
            _media(session, event)
            _ended(session, ctx, alert, event)
        return alert
    spec = detection(event)
    if alert is not None:
        before = alert.title_args
        alert = raise_alert(session, replace(spec, source_id=alert.source_id), event.ts, ctx)
        if (spec.title_args or None) != before:  # it entered a zone, or was recognised
            retitle(ctx, alert, spec)
    else:
        alert = raise_alert(session, spec, event.started or event.ts, ctx)
    _alias(session, alert, names)
    _media(session, event)
    return alert


@dataclass(frozen=True, slots=True)
class FrigateMedia:
    """The Frigate event ids whose snapshot and clip show an alert (None: none kept)."""

    snapshot: str | None = None
    clip: str | None = None


def frigate_media(session: Session, alert_id: int) -> FrigateMedia:
    """Of the alert's tracked objects, the earliest with a snapshot and the earliest with a
    clip (Frigate's ids begin with the object's start time)."""
    rows = session.execute(
        select(AlertAlias.source_id, AlertAlias.has_snapshot, AlertAlias.has_clip)
        .where(AlertAlias.alert_id == alert_id, AlertAlias.source_type == ANALYTICS)
        .where(AlertAlias.has_snapshot | AlertAlias.has_clip)
        .order_by(AlertAlias.source_id)
    ).all()
    snapshot = next((name for name, has, _ in rows if has), None)
    clip = next((name for name, _, has in rows if has), None)
    return FrigateMedia(
        snapshot and snapshot.removeprefix(FRIGATE), clip and clip.removeprefix(FRIGATE)
    )


def _media(session: Session, event: DetectionSeen) -> None:
    if event.has_snapshot is None or event.has_clip is None:  # a review: its objects' say
        return
    session.execute(
        update(AlertAlias)
        .where(AlertAlias.source_type == ANALYTICS)
        .where(AlertAlias.source_id == f"{FRIGATE}{event.incident}")
        .values(has_snapshot=event.has_snapshot, has_clip=event.has_clip)
    )


def _known(session: Session, names: list[str]) -> Alert | None:
    alert_id = session.scalar(
        select(AlertAlias.alert_id)
        .where(AlertAlias.source_type == ANALYTICS, AlertAlias.source_id.in_(names))
        .limit(1)
    )
    return None if alert_id is None else session.get(Alert, alert_id)


def _alias(session: Session, alert: Alert, names: list[str]) -> None:
    known = set(
        session.scalars(
            select(AlertAlias.source_id).where(
                AlertAlias.source_type == ANALYTICS, AlertAlias.source_id.in_(names)
            )
        )
    )
    session.add_all(
        AlertAlias(source_type=ANALYTICS, source_id=name, alert_id=alert.id)
        for name in dict.fromkeys(names)
        if name not in known
    )
    session.flush()


def _ended(session: Session, ctx: AlertContext, alert: Alert, event: DetectionSeen) -> None:
    seconds = (
        (event.ended - event.started).total_seconds()
        if event.ended is not None and event.started is not None
        else None
    )
    note = f"{event.detail}: detection ended" + (
        f" after {seconds:.0f} s" if seconds is not None else ""
    )
    record_event(session, alert, "detection_ended", SYSTEM, event.ts, note=note)
    if event.auto_resolve:
        act(session, alert.id, "resolve", SYSTEM, event.ts, note=note, channel=SYSTEM, ctx=ctx)
