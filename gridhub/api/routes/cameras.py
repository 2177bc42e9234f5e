"""``/api/v1/cameras``: feeds as GeoJSON, per-grid feeds, health shares, PTZ, pictures."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from fastapi.responses import StreamingResponse

from gridhub.api.deps import API_PREFIX, CurrentScope, HubDep, SessionDep, require_roles
from gridhub.api.errors import error_responses
from gridhub.cameras import views
from gridhub.cameras.live import MEDIA_TYPE, TooManyViewers
from gridhub.cameras.onvif_cameras import PtzCommand, ptz
from gridhub.cameras.onvif_client import (
    DeviceAuthError,
    DeviceError,
    DeviceUnreachable,
    DeviceUnsupported,
)
from gridhub.cameras.service import CamerasService
from gridhub.cameras.snapshots import SnapshotError
from gridhub.db import utcnow

router = APIRouter(prefix=API_PREFIX, tags=["cameras"], responses=error_responses(503))
Controller = Depends(require_roles("operator", "dispatcher"))


def cameras_service(hub: HubDep) -> CamerasService:
    if hub.cameras is not None:
        return hub.cameras
    raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the cameras service is not running")


Cameras = Annotated[CamerasService, Depends(cameras_service)]


def _not_found(exc: views.NotVisible) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, str(exc))


def _device_failed(exc: DeviceError) -> HTTPException:
    if isinstance(exc, DeviceUnsupported):
        return HTTPException(status.HTTP_409_CONFLICT, str(exc))
    if isinstance(exc, DeviceUnreachable | DeviceAuthError):
        return HTTPException(status.HTTP_502_BAD_GATEWAY, str(exc))
    return HTTPException(status.HTTP_502_BAD_GATEWAY, str(exc))


@router.get("/cameras")
def list_cameras(
    scope: CurrentScope,
    session: SessionDep,
    under: Annotated[str | None, Query(description="Only feeds under this region code.")] = None,
) -> dict[str, Any]:
    """Every feed in the caller's scope as a GeoJSON FeatureCollection (no credentials)."""
    try:
        return views.cameras_in_scope(session, scope, under)
    except views.NotVisible as exc:
        raise _not_found(exc) from None


@router.get("/cameras/health")
def camera_health(
    scope: CurrentScope,
    session: SessionDep,
    region: Annotated[str | None, Query(description="Region code; default your scope.")] = None,
) -> list[dict[str, Any]]:
    """Share of cameras online now, over 24 h and 7 days, per town, village and grid."""
    try:
        return views.health_in_scope(session, scope, region, utcnow())
    except views.NotVisible as exc:
        raise _not_found(exc) from None


@router.get("/grids/{code}/feeds")
def grid_feeds(code: str, scope: CurrentScope, session: SessionDep) -> dict[str, Any]:
    """Fixed cameras in the grid and the drones over it now."""
    try:
        return views.feeds_of_grid(session, scope, code, utcnow())
    except views.NotVisible as exc:
        raise _not_found(exc) from None


@router.post(
    "/cameras/{code}/ptz",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[Controller],
    responses=error_responses(409, 502),
)
async def move_camera(
    code: str, command: PtzCommand, scope: CurrentScope, session: SessionDep, cameras: Cameras
) -> Response:
    """Continuous move, stop, or go to a preset."""
    try:
        camera = views.visible_camera(session, scope, code)
        await ptz(camera, cameras.box, command, cameras.settings.cameras.onvif_timeout_s)
    except views.NotVisible as exc:
        raise _not_found(exc) from None
    except DeviceError as exc:
        raise _device_failed(exc) from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/cameras/{code}/snapshot", response_class=Response, responses=error_responses(409, 502)
)
async def snapshot(
    code: str, scope: CurrentScope, session: SessionDep, cameras: Cameras
) -> Response:
    """The camera's picture now (JPEG), cached for a few seconds."""
    try:
        source = cameras.source(views.visible_camera(session, scope, code))
        picture = await cameras.snapshots.get(source)
    except views.NotVisible as exc:
        raise _not_found(exc) from None
    except SnapshotError as exc:
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, f"camera {code}: {exc}") from None
    headers = {"Cache-Control": f"max-age={int(cameras.settings.cameras.snapshot_cache_s)}"}
    return Response(picture, media_type="image/jpeg", headers=headers)


@router.get(
    "/cameras/{code}/live",
    response_class=StreamingResponse,
    responses=error_responses(409, 429, 502),
)
async def live(
    code: str,
    scope: CurrentScope,
    session: SessionDep,
    cameras: Cameras,
    frames: Annotated[int | None, Query(ge=1, description="Stop after this many frames.")] = None,
) -> StreamingResponse:
    """The camera's stream as MJPEG for a browser ``<img>``; a few viewers per camera."""
    try:
        camera = views.visible_camera(session, scope, code)
        url = cameras.box.open_optional(camera.sub_stream_url or camera.stream_url)
        if url is None:
            raise HTTPException(status.HTTP_409_CONFLICT, f"camera {code} has no stream")
        body = await cameras.live.start(code, url, frames, cameras.login(camera))
    except views.NotVisible as exc:
        raise _not_found(exc) from None
    except TooManyViewers as exc:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, str(exc)) from None
    except SnapshotError as exc:
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, f"camera {code}: {exc}") from None
    return StreamingResponse(body, media_type=MEDIA_TYPE)
