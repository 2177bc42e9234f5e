"""``/api/v1/checkins``: patrol check-ins within the caller's scope, newest first."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import AwareDatetime

from gridhub.api import catalog
from gridhub.api.deps import API_PREFIX, CurrentScope, SessionDep
from gridhub.api.schemas import MemberOut, Page, Paging, Schema
from gridhub.ingest.checkins import list_checkins

router = APIRouter(prefix=f"{API_PREFIX}/checkins", tags=["checkins"])

Since = Annotated[AwareDatetime | None, Query(description="From this time on (ISO 8601, zone).")]
Until = Annotated[AwareDatetime | None, Query(description="Before this time (ISO 8601, zone).")]


class CheckinOut(Schema):
    id: int
    worker: str
    msg_id: str
    kind: str
    ts: datetime
    received_at: datetime
    lon: float
    lat: float
    crs: str
    accuracy_m: float | None
    battery_pct: float | None = None
    grid: str | None
    in_assigned_grid: bool
    checkpoint_id: str | None
    note: str | None


class LastCheckinOut(Schema):
    """A worker's last known position (newest by timestamp) and patrol state."""

    checkin_id: int | None
    ts: datetime
    kind: str
    lon: float
    lat: float
    grid: str | None
    in_assigned_grid: bool
    on_patrol: bool
    patrol_changed_at: datetime | None


class MemberDetailOut(MemberOut):
    last_checkin: LastCheckinOut | None


@router.get("")
def get_checkins(
    scope: CurrentScope,
    session: SessionDep,
    paging: Paging,
    worker: Annotated[str | None, Query(description="Only this worker's check-ins.")] = None,
    grid: Annotated[str | None, Query(description="Only check-ins located in this grid.")] = None,
    since: Since = None,
    until: Until = None,
) -> Page[CheckinOut]:
    """Check-ins in grids of the caller's scope, newest first by their own timestamps."""
    if grid is not None and catalog.region_path(session, scope, grid) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no grid {grid!r} in your scope")
    rows, total = list_checkins(
        session, worker, grid, since, until, paging.limit, paging.offset, scope
    )
    items = [
        CheckinOut(
            id=row.id,
            worker=row.worker_code,
            msg_id=row.msg_id,
            kind=row.kind,
            ts=row.ts,
            received_at=row.received_at,
            lon=row.lon,
            lat=row.lat,
            crs=row.crs,
            accuracy_m=row.accuracy_m,
            battery_pct=row.battery_pct,
            grid=row.grid_code,
            in_assigned_grid=row.in_assigned_grid,
            checkpoint_id=row.checkpoint_id,
            note=row.note,
        )
        for row in rows
    ]
    return Page(items=items, total=total)
