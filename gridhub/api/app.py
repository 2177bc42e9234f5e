"""The FastAPI application: built from a hub, whose services it starts and stops."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from gridhub import __version__
from gridhub.api import errors
from gridhub.api.headers import protect, tile_sources
from gridhub.api.live_signal import LiveSignal
from gridhub.api.routes import (
    alert_media,
    alerts,
    auth,
    cameras,
    checkins,
    dashboard,
    deadletters,
    docs,
    drones,
    events,
    grids,
    health,
    i18n,
    members,
    meta,
    open311,
    phone,
    regions,
    report_page,
    reports,
    sensors,
)
from gridhub.api.routes import warnings as warning_routes
from gridhub.cameras.frigate_media import FrigateClient
from gridhub.hub import Hub


def create_app(hub: Hub, manage_services: bool = True) -> FastAPI:
    """The API over ``hub``; with ``manage_services`` its lifespan starts and stops the hub."""

    live = LiveSignal(hub.engine)

    frigate = hub.settings.cameras.frigate

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if manage_services:
            hub.start()
        live.start(asyncio.get_running_loop())
        # Opened on the serving loop: its pooled connections belong to that loop.
        app.state.frigate = FrigateClient(frigate) if frigate.api_url else None
        try:
            yield
        finally:
            if app.state.frigate is not None:
                await app.state.frigate.aclose()
            live.stop()
            if manage_services:
                hub.stop()

    # The docs pages are added by ``docs.mount``, with the hub's own copies of their assets.
    app = FastAPI(
        title="gridhub", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None
    )
    app.state.hub = hub
    app.state.live = live
    app.include_router(health.router)
    for resource in (auth, meta, i18n, grids, regions, members, cameras, alerts, events):
        app.include_router(resource.router)
    app.include_router(alert_media.router)
    for resource in (checkins, sensors, deadletters, reports, open311, report_page):
        app.include_router(resource.router)
    app.include_router(drones.router)
    app.include_router(phone.router)
    app.include_router(warning_routes.router)
    app.include_router(warning_routes.page)
    dashboard.mount(app)
    docs.mount(app)
    errors.document(app)
    errors.refuse_unstorable(app)
    protect(app, tile_sources(hub.settings.dashboard.tile_url))
    return app
