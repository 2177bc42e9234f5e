"""The web dashboard: the map page at ``/``, its static files, and ``/api/v1/map``."""

import sqlite3
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Response, status
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from gridhub.api import tiles
from gridhub.api.dashboard import OverlayError, map_config
from gridhub.api.deps import API_PREFIX, CurrentUser, SettingsDep

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(tags=["dashboard"])
MAX_ZOOM = 24
TILE_CACHE_S = 86400
"""A base map changes with a new file, rarely: browsers may keep tiles for a day."""


@router.get("/", include_in_schema=False)
def index() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


@router.get("/tiles/{z}/{x}/{y}.{fmt}", include_in_schema=False)
def get_tile(z: int, x: int, y: int, fmt: str, settings: SettingsDep) -> Response:
    """A base-map tile from ``dashboard.mbtiles``; public like the page's other images (a
    map's <img> cannot send a token, and a base map holds nothing of the hub's)."""
    path = settings.dashboard.mbtiles
    if path is None or fmt not in tiles.FORMATS or not (0 <= z <= MAX_ZOOM):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such tile")
    try:
        data = tiles.tile(path, z, x, y)
    except (tiles.TilesError, sqlite3.Error) as exc:
        raise HTTPException(status.HTTP_500_INTERNAL_SERVER_ERROR, str(exc)) from None
    if data is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no tile {z}/{x}/{y}")
    headers = {"Cache-Control": f"public, max-age={TILE_CACHE_S}"}
    return Response(data, media_type=tiles.FORMATS[fmt], headers=headers)


@router.get(f"{API_PREFIX}/map")
def get_map(_user: CurrentUser, settings: SettingsDep) -> dict[str, Any]:
    """The map's base tile layer (null: plain background), overlays (rivers, roads), and the
    time zone in which the page shows times."""
    try:
        return {**map_config(settings.dashboard), "timezone": settings.timezone}
    except OverlayError as exc:
        raise HTTPException(status.HTTP_500_INTERNAL_SERVER_ERROR, str(exc)) from None


def mount(app: FastAPI) -> None:
    """Serve the page and its static files (Leaflet is vendored: no CDN, works offline)."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
