"""Area warnings (e.g. floods), from MQTT, the API or CAP 1.2: each message is stored with the
grids its area covers and handed on as an event, one model for every way in."""

from datetime import datetime

from geoalchemy2.shape import from_shape
from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridhub.events import AreaWarning, AreaWarningCancelled, DomainEvent
from gridhub.ingest.cap import CapError, CapWarning, warning_key
from gridhub.ingest.models import AreaWarningRecord
from gridhub.ingest.payloads import AreaWarningPayload
from gridhub.ingest.pipeline import BatchContext, Item, Locator
from gridhub.ingest.steps import AREA_ISSUER

MAX_ISSUER = 64
MAX_MSG_ID = 128


class AreaWarningStore:
    """The store handler for ``warnings/area``: affected grids come from the spatial index."""

    def __init__(self, locator: Locator) -> None:
        self.locator = locator

    def __call__(self, ctx: BatchContext, items: list[Item]) -> list[Item]:
        for item in items:
            issuer = item.sender or AREA_ISSUER
            events = take_payload(ctx.session, self.locator, issuer, item.payload, ctx.now)
            ctx.events.extend(events)
        ctx.count("area_warnings", len(items))
        return items


def take_payload(
    session: Session, locator: Locator, issuer: str, warning: AreaWarningPayload, now: datetime
) -> list[DomainEvent]:
    """A GeoJSON warning (MQTT ``warnings/area`` or ``POST /api/v1/warnings``)."""
    record = _record(
        session, locator, issuer, warning.id, warning.ts, now, warning.kind, warning.level,
        warning.area, warning.valid_until, warning.message,
    )  # fmt: skip
    if record is None:
        return []  # a repeat of a message stored before: the same warning
    return [
        AreaWarning(
            record.id,
            warning.kind,
            warning.level,
            warning.area,
            tuple(record.grids),
            warning.ts,
            warning.valid_until,
            warning.message,
            key=warning_key(issuer, warning.id),
            headline=warning.message,
            sender=issuer,
        )
    ]


def take_cap(
    session: Session, locator: Locator, warning: CapWarning, now: datetime
) -> list[DomainEvent]:
    """A CAP message: an Alert or Update with its area, or a Cancel (CapError if the store
    cannot hold its sender or identifier)."""
    if len(warning.sender) > MAX_ISSUER or len(warning.identifier) > MAX_MSG_ID:
        raise CapError(
            [f"sender is at most {MAX_ISSUER} and identifier {MAX_MSG_ID} characters here"]
        )
    if warning.msg_type == "cancel":
        note = warning.headline or warning.description
        return [AreaWarningCancelled(warning.key, warning.references, warning.sent, note)]
    assert warning.area is not None  # parse_cap refuses an Alert or Update without one
    record = _record(
        session, locator, warning.sender, warning.identifier, warning.sent, now, warning.kind,
        warning.level, warning.area, warning.expires, warning.headline,
    )  # fmt: skip
    if record is None:
        return []
    return [
        AreaWarning(
            record.id,
            warning.kind,
            warning.level,
            warning.area,
            tuple(record.grids),
            warning.sent,
            warning.expires,
            warning.description,
            key=warning.key,
            msg_type=warning.msg_type,
            references=warning.references,
            headline=warning.headline,
            description=warning.description,
            instruction=warning.instruction,
            area_desc=warning.area_desc,
            sender=warning.sender,
        )
    ]


def _record(
    session: Session,
    locator: Locator,
    issuer: str,
    msg_id: str,
    ts: datetime,
    now: datetime,
    kind: str,
    level: str,
    area: dict,
    valid_until: datetime | None,
    message: str | None,
) -> AreaWarningRecord | None:
    """Store the message with the grids its area touches; None if it was stored before."""
    seen = select(AreaWarningRecord.id).where(
        AreaWarningRecord.issuer == issuer, AreaWarningRecord.msg_id == msg_id
    )
    if session.scalar(seen) is not None:
        return None
    geometry = shape(area)
    record = AreaWarningRecord(
        issuer=issuer,
        msg_id=msg_id,
        ts=ts,
        received_at=now,
        kind=kind,
        level=level,
        area=area,
        geom=from_shape(geometry, srid=4326),
        grids=sorted(locator.grids_intersecting(geometry)),
        valid_until=valid_until,
        message=message,
    )
    session.add(record)
    session.flush()
    return record
