"""``/api/v1/alerts/{id}/frigate/…``: Frigate's snapshot and clip of an alert, through the hub.

The caller sees them exactly when they see the alert (the same 404 otherwise). The alert's
Frigate event is looked up in a worker thread, whose transaction ends before Frigate is
asked; the medium then streams from Frigate to the client without being held whole.
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import Response, StreamingResponse

from gridhub.alerts import queries
from gridhub.api.alert_views import frigate_media
from gridhub.api.deps import API_PREFIX, CurrentScope, SessionDep, SettingsDep
from gridhub.api.errors import error_responses
from gridhub.api.routes.alerts import not_in_scope
from gridhub.api.schemas import RowId
from gridhub.cameras.frigate_media import (
    CLIP,
    MEDIA_TYPES,
    SNAPSHOT,
    WHAT,
    FrigateClient,
    FrigateError,
    FrigateGone,
    FrigateTimeout,
)

router = APIRouter(prefix=f"{API_PREFIX}/alerts", tags=["alerts"])


def _event_of(file: str) -> Callable[..., str]:
    def event_of(
        alert_id: RowId, scope: CurrentScope, session: SessionDep, settings: SettingsDep
    ) -> str:
        if not queries.can_see(session, scope, alert_id):
            raise not_in_scope(alert_id)
        media = frigate_media(session, settings.cameras.frigate, alert_id)
        session.commit()  # the connection back before Frigate is waited for
        event_id = media.snapshot if file == SNAPSHOT else media.clip
        if event_id is None:
            why = "" if settings.cameras.frigate.api_url else " (cameras.frigate.api_url unset)"
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, f"alert {alert_id} has no Frigate {WHAT[file]}{why}"
            )
        return event_id

    return event_of


async def frigate_client(request: Request) -> FrigateClient:
    client: FrigateClient | None = getattr(request.app.state, "frigate", None)
    if client is None:  # served without the lifespan that opens it
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Frigate's API is not configured")
    return client


Frigate = Annotated[FrigateClient, Depends(frigate_client)]


def _documented(file: str) -> dict[int | str, dict[str, Any]]:
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {
        200: {"content": {MEDIA_TYPES[file]: binary}, "description": f"Frigate's {WHAT[file]}."},
        **error_responses(502, 504),
    }


async def _stream(client: FrigateClient, event_id: str, file: str) -> StreamingResponse:
    try:
        medium = await client.open(event_id, file)
    except FrigateGone as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    except FrigateTimeout as exc:
        raise HTTPException(status.HTTP_504_GATEWAY_TIMEOUT, str(exc)) from None
    except FrigateError as exc:
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, str(exc)) from None
    headers = {**medium.headers, "Cache-Control": "private, max-age=60"}
    return StreamingResponse(medium.body, media_type=medium.media_type, headers=headers)


@router.get(
    f"/{{alert_id}}/frigate/{SNAPSHOT}", response_class=Response, responses=_documented(SNAPSHOT)
)
async def frigate_snapshot(
    event_id: Annotated[str, Depends(_event_of(SNAPSHOT))], client: Frigate
) -> StreamingResponse:
    """Frigate's snapshot (JPEG) of the alert's tracked object; 404 when it keeps none."""
    return await _stream(client, event_id, SNAPSHOT)


@router.get(f"/{{alert_id}}/frigate/{CLIP}", response_class=Response, responses=_documented(CLIP))
async def frigate_clip(
    event_id: Annotated[str, Depends(_event_of(CLIP))], client: Frigate
) -> StreamingResponse:
    """Frigate's clip (MP4) of the alert's tracked object; 404 when it keeps none."""
    return await _stream(client, event_id, CLIP)
