"""The live event stream's store: rows appended in the transaction of the change they show,
read back by id (``Last-Event-ID``) and filtered by region path. On PostgreSQL the same
transaction sends a NOTIFY on ``LIVE_CHANNEL``, delivered when it commits, so readers wake
at once instead of polling."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from gridhub.alerts.models import LiveEvent
from gridhub.db import is_sqlite

LIVE_CHANNEL = "gridhub_live"
_NOTIFIED = "gridhub.live.notified"


def publish_live(
    session: Session, kind: str, region_path: str, data: dict[str, Any], now: datetime
) -> None:
    """Append one event (``alert.new``, ``checkins``, ``camera.status``…) for the live stream."""
    session.add(LiveEvent(at=now, type=kind, region_path=region_path, data=data))
    transaction = session.get_transaction()
    if is_sqlite(session.get_bind()) or session.info.get(_NOTIFIED) is transaction:
        return
    # One NOTIFY per transaction is enough: it only says "look", readers fetch by id.
    session.info[_NOTIFIED] = transaction
    session.execute(select(func.pg_notify(LIVE_CHANNEL, "")))


CHECKINS = "checkins"
"""One event per ingest batch: ``{"items": [check-in, …]}``, each item with its grid path."""
CAMERA_STATUS = "camera.status"
"""A camera's status changed: ``{"code", "name", "grid", "status", "before", "reason"}``."""


@dataclass(frozen=True, slots=True)
class Live:
    """An event as one client sees it (a check-in batch cut down to the client's scope)."""

    id: int
    at: datetime
    type: str
    data: dict[str, Any]


class LiveReader:
    """Reads the stream for one client from ``last_id`` on, in id order, within a scope.

    On PostgreSQL ids are taken at insert and become visible at commit, so a higher id can
    show up before a lower one: a gap is waited for ``GAP_WAIT`` (a rolled-back id never
    fills it), so a client never skips an event that was merely late.
    """

    GAP_WAIT = timedelta(seconds=2)

    def __init__(self, last_id: int, scope_path: str | None, batch: int = 2000) -> None:
        self.last_id = last_id
        self.scope_path = scope_path
        self.batch = batch

    def poll(self, session: Session, now: datetime) -> list[Live]:
        """The next events the client may see; advances past what it may not."""
        rows = session.scalars(
            select(LiveEvent)
            .where(LiveEvent.id > self.last_id)
            .order_by(LiveEvent.id)
            .limit(self.batch)
        ).all()
        shown: list[Live] = []
        for row in rows:
            if row.id != self.last_id + 1 and now - row.at < self.GAP_WAIT:
                break  # an earlier id may still commit: wait for it
            self.last_id = row.id
            if not self._in_scope(row.region_path):
                continue
            data = row.data
            if row.type == CHECKINS and self.scope_path is not None:
                items = [i for i in data["items"] if i["path"].startswith(self.scope_path)]
                if not items:
                    continue
                data = {"items": items}
            shown.append(Live(row.id, row.at, row.type, data))
        return shown

    def _in_scope(self, region_path: str) -> bool:
        """Under the scope, or an event over several grids whose common path is above it."""
        scope = self.scope_path
        return (
            scope is None
            or region_path.startswith(scope)
            or (region_path != "/" and scope.startswith(region_path))
        )


def latest_id(session: Session) -> int:
    return session.scalar(select(LiveEvent.id).order_by(LiveEvent.id.desc()).limit(1)) or 0


def prune(session: Session, now: datetime, keep_hours: int) -> int:
    result = session.execute(
        delete(LiveEvent).where(LiveEvent.at < now - timedelta(hours=keep_hours))
    )
    return result.rowcount or 0
