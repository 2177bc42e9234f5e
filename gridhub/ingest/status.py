"""Each worker's last known position and patrol state, kept current by one upsert per batch."""

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Insert, and_, case, or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from gridhub.ingest.models import WorkerStatus

POSITION = (
    "last_checkin_id",
    "last_ts",
    "lon",
    "lat",
    "grid_code",
    "in_assigned_grid",
    "last_kind",
)
PATROL = ("on_patrol", "patrol_changed_at")


def update_status(session: Session, rows: Sequence[tuple[Any, ...]], now: datetime) -> None:
    """Fold stored check-in rows ``(id, worker, msg_id, kind, ts, _, lon, lat, _, _, grid,
    in_assigned, …)`` into worker_status: the position is the newest by timestamp (not by
    arrival), the patrol state the newest start/end by timestamp."""
    newest: dict[str, tuple[Any, ...]] = {}
    patrol: dict[str, tuple[Any, ...]] = {}
    for row in rows:
        worker, kind, ts = row[1], row[3], row[4]
        if worker not in newest or ts > newest[worker][4]:
            newest[worker] = row
        if kind in ("start", "end") and (worker not in patrol or ts > patrol[worker][4]):
            patrol[worker] = row
    if not newest:
        return
    values = []
    for worker in sorted(newest):  # one lock order for every hub process
        row, change = newest[worker], patrol.get(worker)
        values.append(
            {
                "worker_code": worker,
                "last_checkin_id": row[0],
                "last_ts": row[4],
                "lon": row[6],
                "lat": row[7],
                "grid_code": row[10],
                "in_assigned_grid": row[11],
                "last_kind": row[3],
                "on_patrol": change is not None and change[3] == "start",
                "patrol_changed_at": None if change is None else change[4],
                "updated_at": now,
            }
        )
    session.execute(_upsert(session.get_bind().dialect.name), values)


@cache
def _upsert(dialect: str) -> Insert:
    """The upsert, built once per dialect so that SQLAlchemy compiles it once."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(WorkerStatus)
    new, old = statement.excluded, WorkerStatus.__table__.c
    newer = new.last_ts > old.last_ts
    patrol_newer = and_(
        new.patrol_changed_at.is_not(None),
        or_(old.patrol_changed_at.is_(None), new.patrol_changed_at > old.patrol_changed_at),
    )
    changes: dict[str, Any] = {name: case((newer, new[name]), else_=old[name]) for name in POSITION}
    changes.update({name: case((patrol_newer, new[name]), else_=old[name]) for name in PATROL})
    changes["updated_at"] = new.updated_at
    return statement.on_conflict_do_update(index_elements=["worker_code"], set_=changes)
