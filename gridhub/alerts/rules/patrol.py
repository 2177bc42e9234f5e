"""Quiet spells: a grid not patrolled within its interval during duty hours, and a worker's
device silent while on duty. Check-ins feed ``patrol_watch``; a periodic scan raises alerts,
and the next check-in resolves them."""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from gridhub.alerts.context import AlertContext
from gridhub.alerts.models import Alert, PatrolWatch
from gridhub.alerts.raising import AlertSpec, clear_alerts, raise_alert
from gridhub.events import CheckinStored
from gridhub.geo.duty import on_duty
from gridhub.geo.models import Member, Region
from gridhub.geo.roster import member_grid_codes

GRID, WORKER = "grid", "worker"
MISSED_PATROL, DEVICE_SILENT = "missed_patrol", "device_silent"
INTERVAL_PROPERTY = "patrol_interval_minutes"
"""A grid's own patrol interval, in its region properties; the config default otherwise."""


def watch_checkins(
    session: Session, ctx: AlertContext, checkins: Sequence[CheckinStored], now: datetime
) -> None:
    """Note when each grid and worker was last seen; resolve their quiet-spell alerts."""
    latest: dict[tuple[str, str], datetime] = {}
    for checkin in checkins:
        for kind, code in ((WORKER, checkin.worker), (GRID, checkin.grid)):
            if code is None:
                continue
            key = (kind, code)
            if checkin.ts > latest.get(key, checkin.ts - timedelta(1)):
                latest[key] = checkin.ts
    if not latest:
        return
    _upsert(session, [{"kind": k, "code": c, "last_seen_at": ts} for (k, c), ts in latest.items()])
    quiet = session.execute(
        select(Alert.source_id, Alert.kind).where(
            Alert.is_open,
            Alert.source_type == "patrol",
            Alert.source_id.in_({code for _, code in latest}),
        )
    ).all()
    for code, kind in quiet:
        if (kind == MISSED_PATROL and (GRID, code) in latest) or (
            kind == DEVICE_SILENT and (WORKER, code) in latest
        ):
            clear_alerts(session, "patrol", code, kind, now, note="checked in again", ctx=ctx)


def scan(session: Session, ctx: AlertContext, now: datetime) -> int:
    """Raise the missed-patrol and silent-device alerts due at ``now``; returns how many."""
    patrol = ctx.config.patrol
    seen = {(w.kind, w.code): w.last_seen_at for w in session.scalars(select(PatrolWatch))}
    already = set(
        session.execute(
            select(Alert.kind, Alert.source_id).where(Alert.is_open, Alert.source_type == "patrol")
        ).all()
    )
    specs: list[AlertSpec] = []
    fresh: list[dict[str, Any]] = []
    if on_duty(patrol.duty, now, ctx.timezone):
        grids = session.execute(
            select(Region.code, Region.name, Region.properties).where(Region.level == "grid")
        )
        for code, name, properties in grids:
            last = seen.get((GRID, code))
            if last is None:  # never seen: start counting from now
                fresh.append({"kind": GRID, "code": code, "last_seen_at": now})
                continue
            minutes = (properties or {}).get(INTERVAL_PROPERTY, patrol.interval_minutes)
            if now - last > timedelta(minutes=minutes) and (MISSED_PATROL, code) not in already:
                specs.append(_missed(code, name, last, minutes))
    silent_after = timedelta(minutes=patrol.device_silent_minutes)
    workers = {c for kind, c in seen if kind == WORKER}
    if workers:
        members = session.execute(
            select(Member.code, Member.name, Member.duty).where(Member.code.in_(workers))
        )
        for code, name, duty in members:
            last = seen[(WORKER, code)]
            if (
                now - last > silent_after
                and (DEVICE_SILENT, code) not in already
                and on_duty(duty, now, ctx.timezone)
                and on_duty(duty, last, ctx.timezone)
            ):
                specs.append(_silent(session, code, name, last))
    if fresh:
        _upsert(session, fresh)
    for spec in specs:
        raise_alert(session, spec, now, ctx)
    return len(specs)


def _missed(grid: str, name: str, last: datetime, minutes: int) -> AlertSpec:
    return AlertSpec(
        source_type="patrol",
        source_id=grid,
        kind=MISSED_PATROL,
        severity="yellow",
        title_key="alert.missed_patrol",
        title_args={"grid": name},
        detail=f"no check-in for over {minutes} minutes (last {last.isoformat()})",
        grids=(grid,),
        first_role="grid_leader",
    )


def _silent(session: Session, worker: str, name: str, last: datetime) -> AlertSpec:
    return AlertSpec(
        source_type="patrol",
        source_id=worker,
        kind=DEVICE_SILENT,
        severity="yellow",
        title_key="alert.device_silent",
        title_args={"worker": name, "code": worker},
        detail=f"nothing heard since {last.isoformat()} while on duty",
        grids=tuple(sorted(member_grid_codes(session, worker))),
        first_role="grid_leader",
    )


def _upsert(session: Session, rows: Iterable[dict[str, Any]]) -> None:
    """Insert or move forward: a check-in from a phone that was offline for hours arrives
    after newer ones, and must not turn the clock back (that raised false silent alerts)."""
    rows = list(rows)
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(PatrolWatch).values(rows)
    new, old = statement.excluded.last_seen_at, PatrolWatch.__table__.c.last_seen_at
    statement = statement.on_conflict_do_update(
        index_elements=["kind", "code"], set_={"last_seen_at": case((new > old, new), else_=old)}
    )
    session.execute(statement)
