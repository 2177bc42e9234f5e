"""Check-ins: store a batch in one statement, keep each worker's last position and patrol state."""

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

import orjson
from sqlalchemy import Select, func, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from gridhub.events import CheckinStored, DomainEvent, SosRaised
from gridhub.geo.models import Member, Region
from gridhub.ingest.models import Checkin, WorkerStatus
from gridhub.ingest.payloads import CheckinPayload
from gridhub.ingest.pipeline import BatchContext, Item
from gridhub.ingest.status import update_status
from gridhub.scope import EVERYTHING, Scope

LATE_AFTER_S = 300.0
"""A check-in received this long after it was made was kept on the phone with no signal (a
phone's clock and a slow network account for seconds, not minutes)."""


def is_late(ts: datetime, received_at: datetime) -> bool:
    """Whether a check-in made at ``ts`` arrived late (queued offline, sent afterwards)."""
    return (received_at - ts).total_seconds() >= LATE_AFTER_S


class CheckinRow(NamedTuple):
    """A check-in as inserted: a plain tuple (fast to build by the thousand), typed."""

    worker_code: str
    msg_id: str
    kind: str
    ts: datetime
    received_at: datetime
    lon: float
    lat: float
    crs: str
    accuracy_m: float | None
    grid_code: str | None
    in_assigned_grid: bool
    checkpoint_id: str | None
    note: str | None
    battery_pct: float | None


COLUMNS = CheckinRow._fields
PG_TYPES = (
    "text",
    "text",
    "text",
    "timestamptz",
    "timestamptz",
    "float8",
    "float8",
    "text",
    "float8",
    "text",
    "bool",
    "text",
    "text",
    "float8",
)
# One statement per batch. The rows travel as one JSON document (orjson encodes a batch far
# faster than psycopg adapts per-column arrays), and the unique (worker_code, msg_id) key
# drops redeliveries already stored, without a lookup beforehand.
PG_INSERT = (
    f"INSERT INTO checkins ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} "
    "FROM json_to_recordset(%s::json) AS r("
    + ", ".join(f"{name} {pg_type}" for name, pg_type in zip(COLUMNS, PG_TYPES, strict=True))
    + ") ON CONFLICT (worker_code, msg_id) DO NOTHING RETURNING id, worker_code, msg_id"
)


@dataclass
class RosterCache:
    """Each worker's assigned grids, cached for ``ttl_s`` so the hot path never asks per message."""

    grid_codes: Callable[[Session, str], set[str]]
    ttl_s: float = 30.0
    _entries: dict[str, tuple[float, set[str] | None]] = field(default_factory=dict)

    def lookup(self, session: Session, workers: Iterable[str]) -> dict[str, set[str] | None]:
        """Assigned grids per worker; None for a code not on the roster."""
        now = time.monotonic()
        result: dict[str, set[str] | None] = {}
        misses = []
        for worker in workers:
            entry = self._entries.get(worker)
            if entry is not None and now - entry[0] < self.ttl_s:
                result[worker] = entry[1]
            else:
                misses.append(worker)
        if misses:
            known = set(session.scalars(select(Member.code).where(Member.code.in_(misses))))
            for worker in misses:
                grids = self.grid_codes(session, worker) if worker in known else None
                self._entries[worker] = (now, grids)
                result[worker] = grids
        return result


class CheckinStore:
    """The store handler for check-ins; it also drops redeliveries, by the unique key."""

    def __init__(self, roster: RosterCache) -> None:
        self.roster = roster

    def __call__(self, ctx: BatchContext, items: list[Item]) -> list[Item]:
        workers = {item.sender for item in items if item.sender is not None}
        assigned = self.roster.lookup(ctx.session, workers)
        known: list[tuple[Item, str, set[str]]] = []
        for item in items:
            worker = item.sender
            grids = None if worker is None else assigned.get(worker)
            if worker is None or grids is None:
                ctx.reject(item, f"unknown worker {item.sender!r}: not on the roster")
            else:
                known.append((item, worker, grids))
        if not known:
            return []
        received_at = datetime.fromtimestamp(known[0][0].received.received_at or time.time(), UTC)
        rows = [_row(item, worker, grids, received_at) for item, worker, grids in known]
        ids = _insert(ctx.session, rows)
        stored: list[tuple[object, ...]] = []
        accepted: list[Item] = []
        events: list[DomainEvent] = []
        for row, (item, _, _) in zip(rows, known, strict=True):
            checkin_id = ids.get((row.worker_code, row.msg_id))
            if checkin_id is None:
                ctx.duplicates += 1  # stored by an earlier batch (a redelivery)
                continue
            stored.append((checkin_id, *row))
            accepted.append(item)
            events.append(
                CheckinStored(
                    checkin_id,
                    row.worker_code,
                    row.kind,
                    row.lon,
                    row.lat,
                    row.grid_code,
                    row.in_assigned_grid,
                    row.ts,
                )
            )
            if row.kind == "sos":
                events.append(
                    SosRaised(
                        checkin_id,
                        row.worker_code,
                        row.lon,
                        row.lat,
                        row.grid_code,
                        row.ts,
                        row.note,
                    )
                )
        ctx.count("checkins", len(stored))
        update_status(ctx.session, stored, ctx.now)
        ctx.events.extend(events)
        return accepted


def _insert(session: Session, rows: list[CheckinRow]) -> dict[tuple[str, str], int]:
    """Insert the rows not stored yet; the id of each inserted (worker_code, msg_id)."""
    params = [dict(zip(COLUMNS, row, strict=True)) for row in rows]
    if session.get_bind().dialect.name == "postgresql":
        raw = session.connection().connection.driver_connection
        if raw is None:
            raise RuntimeError("the session's database connection is closed")
        with raw.cursor() as cursor:
            cursor.execute(PG_INSERT, (orjson.dumps(params).decode(),))
            returned = cursor.fetchall()
    else:
        query = (
            sqlite_insert(Checkin)
            .on_conflict_do_nothing(index_elements=["worker_code", "msg_id"])
            .returning(Checkin.id, Checkin.worker_code, Checkin.msg_id)
        )
        returned = session.execute(query, params).all()
    return {(worker, msg_id): checkin_id for checkin_id, worker, msg_id in returned}


def _row(item: Item, worker: str, grids: set[str], received_at: datetime) -> CheckinRow:
    payload: CheckinPayload = item.payload
    lon, lat = item.position()
    return CheckinRow(
        worker,
        payload.id,
        payload.kind,
        payload.ts,
        received_at,
        lon,
        lat,
        payload.crs,
        payload.accuracy_m,
        item.grid,
        item.grid is not None and item.grid in grids,
        payload.checkpoint_id,
        payload.note,
        payload.battery_pct,
    )


def last_checkin(session: Session, worker_code: str) -> dict[str, object] | None:
    """A worker's last known position and patrol state, for ``GET /api/v1/members/{code}``."""
    status = session.get(WorkerStatus, worker_code)
    if status is None:
        return None
    return {
        "checkin_id": status.last_checkin_id,
        "ts": status.last_ts,
        "kind": status.last_kind,
        "lon": status.lon,
        "lat": status.lat,
        "grid": status.grid_code,
        "in_assigned_grid": status.in_assigned_grid,
        "on_patrol": status.on_patrol,
        "patrol_changed_at": status.patrol_changed_at,
    }


def list_checkins(
    session: Session,
    worker: str | None = None,
    grid: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
    scope: Scope = EVERYTHING,
) -> tuple[list[Checkin], int]:
    """Check-ins newest first by their own timestamps, and how many match in all.

    A restricted ``scope`` keeps those whose grid lies under it; check-ins outside every
    grid are then left out.
    """
    query = select(Checkin)
    if worker is not None:
        query = query.where(Checkin.worker_code == worker)
    if grid is not None:
        query = query.where(Checkin.grid_code == grid)
    if since is not None:
        query = query.where(Checkin.ts >= since)
    if until is not None:
        query = query.where(Checkin.ts < until)
    query = _in_scope(query, scope)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Checkin.ts.desc(), Checkin.id.desc()).limit(limit).offset(offset)
    ).all()
    return list(rows), total


def visible_checkin(session: Session, checkin_id: int, scope: Scope) -> Checkin | None:
    """The check-in with this id if ``scope`` sees it (as ``list_checkins`` would)."""
    return session.scalar(_in_scope(select(Checkin).where(Checkin.id == checkin_id), scope))


def _in_scope(query: Select[Checkin], scope: Scope) -> Select[Checkin]:
    """Check-ins whose grid lies under ``scope``; outside every grid, only for everything."""
    if scope.unrestricted:
        return query
    return query.join(Region, Region.code == Checkin.grid_code).where(scope.sql(Region.path))
