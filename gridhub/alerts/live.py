"""The live event stream's store: rows appended in the transaction of the change they show,
read back by id (``Last-Event-ID``) and filtered by region path. On PostgreSQL the same
transaction sends a NOTIFY on ``LIVE_CHANNEL``, delivered when it commits, so readers wake
at once instead of polling."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.orm import Session

from gridhub.alerts.models import LiveEvent
from gridhub.alerts.queries import grids_under
from gridhub.db import is_sqlite
from gridhub.scope import Scope

LIVE_CHANNEL = "gridhub_live"
_NOTIFIED = "gridhub.live.notified"


def publish_live(
    session: Session, kind: str, region_path: str, data: dict[str, Any], now: datetime
) -> None:
    """Append one event (``alert.new``, ``checkins``, ``camera.status``…) for the live stream."""
    session.add(LiveEvent(**live_row(kind, region_path, data, now)))
    notify_live(session)


def live_row(kind: str, region_path: str, data: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A live event as a row (inserted with others of a batch, or as an object)."""
    return {"at": now, "type": kind, "region_path": region_path, "data": data}


def notify_live(session: Session) -> None:
    """Wake the stream's readers when ``session``'s transaction commits (PostgreSQL)."""
    transaction = session.get_transaction()
    if is_sqlite(session.get_bind()) or session.info.get(_NOTIFIED) is transaction:
        return
    # One NOTIFY per transaction is enough: it only says "look", readers fetch by id.
    session.info[_NOTIFIED] = transaction
    session.execute(select(func.pg_notify(LIVE_CHANNEL, "")))


ALERT_EVENTS = "alert."
"""``alert.new``, ``alert.update``, ``alert.end``: the integration envelope of the change."""
CHECKINS = "checkins"
"""One event per ingest batch: ``{"items": [check-in, …]}``, each item with its grid path."""
DRONES = "drones"
"""Drone positions of one ingest batch: ``{"items": [{"code", "lon", "lat", "path", "alt_m",
"battery_pct", "heading", "mode_code", …}]}``."""
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
    """Reads the stream for one client from ``last_id`` on, in id order, within a scope: the
    same rule as the alerts list (``queries.visible``), so the stream never shows an alert
    that ``GET /alerts/{id}`` would not.

    On PostgreSQL ids are taken at insert and become visible at commit, so a higher id can
    show up before a lower one: a gap is waited for ``GAP_WAIT`` (a rolled-back id never
    fills it), so a client never skips an event that was merely late.
    """

    GAP_WAIT = timedelta(seconds=2)

    def __init__(self, last_id: int, scope: Scope, batch: int = 2000) -> None:
        self.last_id = last_id
        self.scope = scope
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
        seen: dict[int, list[str]] = {}  # an alert's grids in scope, asked once per poll
        for row in rows:
            if row.id != self.last_id + 1 and now - row.at < self.GAP_WAIT:
                break  # an earlier id may still commit: wait for it
            self.last_id = row.id
            data = self._visible_part(session, row, seen)
            if data is not None:
                shown.append(Live(row.id, row.at, row.type, data))
        return shown

    def _visible_part(
        self, session: Session, row: LiveEvent, seen: dict[int, list[str]]
    ) -> dict[str, Any] | None:
        """What of ``row`` the scope may see: all of it, its check-ins in scope, or nothing."""
        scope = self.scope
        if scope.unrestricted:
            return row.data
        if row.type in (CHECKINS, DRONES):
            items = [item for item in row.data["items"] if scope.contains(item["path"])]
            return {"items": items} if items else None
        if scope.contains(row.region_path):
            return row.data
        if not row.type.startswith(ALERT_EVENTS) or scope.root is None:
            return None
        # An alert over several grids, placed above the scope: seen if it covers one of them,
        # and then with only those of its grids.
        if not scope.root.startswith(row.region_path):
            return None
        alert_id = row.data["after"]["id"]
        if alert_id not in seen:
            seen[alert_id] = grids_under(session, scope, alert_id)
        grids = seen[alert_id]
        if not grids:
            return None
        view = dict(row.data)
        for side in ("before", "after"):
            if view.get(side):
                view[side] = {**view[side], "grids": grids, "grid_count": len(grids)}
        return view


def latest_id(session: Session) -> int:
    return session.scalar(select(LiveEvent.id).order_by(LiveEvent.id.desc()).limit(1)) or 0


def prune(session: Session, now: datetime, keep_hours: int) -> int:
    result = session.execute(
        delete(LiveEvent).where(LiveEvent.at < now - timedelta(hours=keep_hours))
    )
    # A DELETE gives a CursorResult (with rowcount); Session.execute is typed as Result.
    return cast(CursorResult[Any], result).rowcount or 0
