"""``/api/v1/grids``: grids as GeoJSON, a grid with its members, point → grid."""

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, status

from gridhub.api import catalog
from gridhub.api.deps import API_PREFIX, CurrentScope, HubDep, SessionDep, SettingsDep
from gridhub.api.schemas import GridCollection, GridDetail, LocationOut
from gridhub.db import utcnow

router = APIRouter(prefix=f"{API_PREFIX}/grids", tags=["grids"])


@router.get("")
def list_grids(
    scope: CurrentScope,
    session: SessionDep,
    under: Annotated[str | None, Query(description="Only grids under this region code.")] = None,
) -> GridCollection:
    """Every grid in the caller's scope as a GeoJSON FeatureCollection."""
    return GridCollection(features=catalog.grid_features(session, scope, under))


@router.get("/locate")
def locate(
    scope: CurrentScope,
    session: SessionDep,
    hub: HubDep,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84",
) -> LocationOut:
    """The grid containing a point; outside every grid, the nearest one and its distance."""
    location = hub.locator.locate(lon, lat, crs)
    if location.grid is not None and not scope.contains(location.region_path):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no grid in your scope at this point")
    nearest, distance = location.nearest, location.distance_m
    if nearest is not None and catalog.region_path(session, scope, nearest) is None:
        nearest, distance = None, None
    return LocationOut(
        lon=location.lon,
        lat=location.lat,
        grid=location.grid,
        path=list(location.path),
        nearest=nearest,
        distance_m=distance,
    )


@router.get("/{code}")
def get_grid(
    code: str, scope: CurrentScope, session: SessionDep, settings: SettingsDep
) -> GridDetail:
    """One grid as a GeoJSON Feature, with everyone responsible in escalation order."""
    grid = catalog.grid_detail(session, scope, code, utcnow(), settings.timezone)
    if grid is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no grid {code!r} in your scope")
    return grid
