"""``/api/v1/checkins``: patrol check-ins within the caller's scope, newest first."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status

from gridhub.api import catalog
from gridhub.api.deps import (
    API_PREFIX,
    CurrentScope,
    CurrentUser,
    HubDep,
    SessionDep,
    SettingsDep,
)
from gridhub.api.schemas import MemberOut, Page, Paging, RowId, Schema, UtcTime
from gridhub.api.users import linked_member
from gridhub.ingest.checkins import is_late, list_checkins, visible_checkin
from gridhub.ingest.models import Checkin, CheckinPhoto
from gridhub.ingest.payloads import CheckinPayload
from gridhub.ingest.photos import attach_photo, photos_of
from gridhub.ingest.steps import too_large
from gridhub.ingest.submit import CheckinRefused, NotTheSender, submit_checkin
from gridhub.photos import FORMATS, BadPhoto, clean_photo

router = APIRouter(prefix=f"{API_PREFIX}/checkins", tags=["checkins"])

Since = Annotated[UtcTime | None, Query(description="From this time on (ISO 8601, zone).")]
Until = Annotated[UtcTime | None, Query(description="Before this time (ISO 8601, zone).")]


class PhotoOut(Schema):
    url: str
    content_type: str
    width: int
    height: int
    exif: dict[str, Any] | None
    """Where and when the original's EXIF says it was taken (lat, lon, taken); the served
    file carries no metadata."""


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
    late: bool
    """Received minutes after it was made: kept on the phone with no signal, sent later."""
    photo: PhotoOut | None = None


def checkin_out(row: Checkin, photo: CheckinPhoto | None = None) -> CheckinOut:
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
        battery_pct=row.battery_pct,
        grid=row.grid_code,
        in_assigned_grid=row.in_assigned_grid,
        checkpoint_id=row.checkpoint_id,
        note=row.note,
        late=is_late(row.ts, row.received_at),
        photo=None
        if photo is None
        else PhotoOut(
            url=f"{router.prefix}/{row.id}/photo",
            content_type=photo.content_type,
            width=photo.width,
            height=photo.height,
            exif=photo.exif,
        ),
    )


def checkins_out(session: SessionDep, rows: list[Checkin]) -> list[CheckinOut]:
    """Check-ins with their photos (one query for all)."""
    photos = photos_of(session, [row.id for row in rows])
    return [checkin_out(row, photos.get(row.id)) for row in rows]


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
    return Page(items=checkins_out(session, rows), total=total)


async def _read(request: Request, limit: int) -> tuple[bytes, int]:
    """The body and its size; past ``limit`` bytes it is counted but not held in memory."""
    kept, size = bytearray(), 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= limit:
            kept += chunk
    return bytes(kept), size


async def checkin_body(request: Request, settings: SettingsDep) -> bytes:
    """The body as sent, for the pipeline to decode as it decodes an MQTT payload; one over
    the payload limit is refused here, with the pipeline's reason."""
    limit = settings.ingest.max_payload_bytes
    body, size = await _read(request, limit)
    if size > limit:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, too_large(size, limit))
    return body


async def photo_body(request: Request, settings: SettingsDep) -> bytes:
    limit = settings.ingest.max_photo_bytes
    body, size = await _read(request, limit)
    if size > limit:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE, f"the photo is {size} bytes; at most {limit}"
        )
    return body


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
    body: Annotated[bytes, Depends(checkin_body)],
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
    return checkins_out(session, [submitted.checkin])[0]


PHOTO_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            kind: {"schema": {"type": "string", "format": "binary"}} for kind in FORMATS.values()
        },
    }
}


@router.put(
    "/{checkin_id}/photo",
    openapi_extra=PHOTO_BODY,
    responses={
        403: {"description": "Not a check-in of the signed-in user's member."},
        413: {"description": "Larger than ingest.max_photo_bytes."},
        422: {"description": "Not a readable JPEG or PNG."},
    },
)
def put_photo(
    checkin_id: RowId,
    body: Annotated[bytes, Depends(photo_body)],
    user: CurrentUser,
    session: SessionDep,
    hub: HubDep,
) -> CheckinOut:
    """Attach a photo (JPEG or PNG) to one of my check-ins, or replace it: scaled down and
    re-encoded without metadata; its EXIF place and time are kept as data."""
    member = linked_member(session, user)
    checkin = session.get(Checkin, checkin_id)
    if member is None or checkin is None or checkin.worker_code != member.code:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"check-in {checkin_id} is not one of yours")
    limits = hub.settings.ingest
    try:
        photo = clean_photo(body, "the photo", limits.max_photo_bytes, limits.photo_max_side)
    except BadPhoto as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    row = attach_photo(session, checkin, photo)
    session.commit()
    return checkin_out(checkin, row)


@router.get(
    "/{checkin_id}/photo",
    response_class=Response,
    responses={200: {"content": {kind: {} for kind in FORMATS.values()}}},
)
def get_photo(checkin_id: RowId, scope: CurrentScope, session: SessionDep) -> Response:
    """The photo of a check-in in my scope: the re-encoded file, with no metadata."""
    checkin = visible_checkin(session, checkin_id, scope)
    photo = None if checkin is None else session.get(CheckinPhoto, checkin_id)
    if photo is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no photo of check-in {checkin_id}")
    return Response(photo.data, media_type=photo.content_type, headers={"Cache-Control": "private"})
