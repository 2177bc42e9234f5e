"""``/api/v1/checkins``: patrol check-ins within the caller's scope, newest first."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from pydantic import AwareDatetime

from gridhub.api import catalog
from gridhub.api.deps import API_PREFIX, CurrentScope, CurrentUser, HubDep, SessionDep
from gridhub.api.schemas import MemberOut, Page, Paging, Schema
from gridhub.api.users import linked_member
from gridhub.ingest.checkins import is_late, list_checkins
from gridhub.ingest.models import Checkin
from gridhub.ingest.payloads import CheckinPayload
from gridhub.ingest.submit import CheckinRefused, NotTheSender, submit_checkin

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
    grid: str | None
    in_assigned_grid: bool
    checkpoint_id: str | None
    note: str | None
    late: bool
    """Received minutes after it was made: kept on the phone with no signal, sent later."""


def checkin_out(row: Checkin) -> CheckinOut:
    return CheckinOut(
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
        grid=row.grid_code,
        in_assigned_grid=row.in_assigned_grid,
        checkpoint_id=row.checkpoint_id,
        note=row.note,
        late=is_late(row.ts, row.received_at),
    )


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
    return Page(items=[checkin_out(row) for row in rows], total=total)


async def raw_body(request: Request) -> bytes:
    """The body as sent: the pipeline decodes it, as it decodes an MQTT payload."""
    return await request.body()


CHECKIN_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": CheckinPayload.model_json_schema()}},
    }
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    openapi_extra=CHECKIN_BODY,
    responses={
        200: {"description": "This id was stored before: the stored check-in, unchanged."},
        403: {"description": "The user is linked to no member, or names another worker."},
        422: {"description": "Refused, with the reason MQTT's dead letters give."},
    },
)
def post_checkin(
    body: Annotated[bytes, Depends(raw_body)],
    user: CurrentUser,
    session: SessionDep,
    hub: HubDep,
    response: Response,
) -> CheckinOut:
    """A check-in by the signed-in user's member, with the MQTT payload (``id``, ``ts``,
    ``lat``, ``lon``, ``crs``, ``accuracy_m``, ``kind``, ``checkpoint_id``, ``note``), through
    the same pipeline: answered once committed; a repeat of an id answers 200 with the
    stored check-in. A phone that kept it offline sends its original ``ts``."""
    member = linked_member(session, user)
    if member is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"user {user.username!r} is linked to no member"
        )
    try:
        submitted = submit_checkin(session, hub.http_pipeline(), hub.topics, member.code, body)
    except NotTheSender as exc:
        session.rollback()
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from None
    except CheckinRefused as exc:
        session.rollback()
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    session.commit()
    if not submitted.created:
        response.status_code = status.HTTP_200_OK
    return checkin_out(submitted.checkin)
