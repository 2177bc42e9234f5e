"""The web dashboard: the map page at ``/``, its static files, and ``/api/v1/map``."""

from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, status
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from gridhub.api.dashboard import OverlayError, map_config
from gridhub.api.deps import API_PREFIX, CurrentUser, SettingsDep

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(tags=["dashboard"])


@router.get("/", include_in_schema=False)
def index() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


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
