"""``GET /api/v1/events``: the live stream (Server-Sent Events) of alert changes, check-ins
and camera status in the caller's scope, resumable with ``Last-Event-ID``."""

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

import orjson
from fastapi import APIRouter, Header, HTTPException, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session, sessionmaker

from gridhub.alerts.live import Live, LiveReader, latest_id
from gridhub.api.deps import API_PREFIX, CurrentScope, HubDep, SessionDep
from gridhub.api.live_signal import LiveSignal
from gridhub.api.schemas import MAX_ROW_ID
from gridhub.db import utcnow

router = APIRouter(prefix=f"{API_PREFIX}/events", tags=["events"])

POLL_S = 0.25
"""Without NOTIFY (SQLite), how often the store is asked: well inside a live map's patience."""
RECHECK_S = 1.0
"""With NOTIFY (PostgreSQL), how often the store is asked anyway."""
KEEPALIVE_S = 15.0
"""A comment line this often keeps proxies from closing an idle stream."""
RETRY_MS = 2000


@router.get("")
def live_events(
    request: Request,
    scope: CurrentScope,
    session: SessionDep,
    hub: HubDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    after: Annotated[
        int | None,
        Query(
            ge=0, le=MAX_ROW_ID, description="Resume after this id (for clients without headers)."
        ),
    ] = None,
) -> StreamingResponse:
    """``text/event-stream``: ``id``, ``event`` and ``data`` (JSON) per event; events are
    ``alert.new``, ``alert.update``, ``alert.end`` and ``checkins`` (one per ingest batch,
    ``{"items": [...]}``). Without a resume point the stream starts with the next event."""
    if last_event_id is not None:
        try:
            after = int(last_event_id)
            if not 0 <= after <= MAX_ROW_ID:
                raise ValueError(after)
        except ValueError:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT, "Last-Event-ID must be an event id"
            ) from None
    start = after if after is not None else latest_id(session)
    reader = LiveReader(start, scope)
    session.close()
    return StreamingResponse(
        _stream(request, hub.sessions, reader),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _stream(
    request: Request, sessions: sessionmaker[Session], reader: LiveReader
) -> AsyncIterator[bytes]:
    live: LiveSignal = request.app.state.live
    loop = asyncio.get_running_loop()
    yield f"retry: {RETRY_MS}\n\n".encode()
    last_sent = loop.time()
    while not await request.is_disconnected():
        seen = live.current()
        events = await run_in_threadpool(_poll, sessions, reader)
        if events:
            last_sent = loop.time()
            yield b"".join(_frame(event) for event in events)
            continue
        # Woken by the store's NOTIFY where it has one; the timeout still looks again for
        # a late id the reader is waiting for, and is the whole mechanism on SQLite.
        await live.wait(seen, RECHECK_S if live.listening else POLL_S)
        if loop.time() - last_sent >= KEEPALIVE_S:
            last_sent = loop.time()
            yield b": keep-alive\n\n"


def _poll(sessions: sessionmaker[Session], reader: LiveReader) -> list[Live]:
    with sessions() as session:
        return reader.poll(session, utcnow())


def _frame(event: Live) -> bytes:
    data = orjson.dumps({"type": event.type, "at": event.at, "data": event.data})
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (event.id, event.type.encode(), data)
