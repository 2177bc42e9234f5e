"""What a caller may see of the registry: lookups within their scope, behind the API."""

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridhub.cameras.health import region_health
from gridhub.cameras.models import Camera
from gridhub.cameras.registry import camera_feature, get_camera, grid_feeds, list_cameras
from gridhub.geo.models import Region
from gridhub.scope import Scope


class NotVisible(LookupError):
    """Unknown, or outside the user's scope (the API does not tell the two apart)."""


def _visible(scope: Scope, camera: Camera) -> bool:
    return scope.unrestricted or (camera.grid is not None and scope.contains(camera.grid.path))


def _region(session: Session, scope: Scope, code: str) -> Region:
    region = session.scalars(select(Region).where(Region.code == code)).first()
    if region is None or not scope.contains(region.path):
        raise NotVisible(f"no region {code!r} in your scope")
    return region


def collection(cameras: list[Camera]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [camera_feature(c) for c in cameras]}


def cameras_in_scope(session: Session, scope: Scope, under: str | None = None) -> dict[str, Any]:
    """Every feed in ``scope`` (optionally under a region) as a FeatureCollection."""
    path = _region(session, scope, under).path if under else None
    return collection([c for c in list_cameras(session, path) if _visible(scope, c)])


def feeds_of_grid(session: Session, scope: Scope, grid_code: str, now: datetime) -> dict[str, Any]:
    """Fixed cameras in the grid and drones over it now, as a FeatureCollection."""
    region = _region(session, scope, grid_code)
    if region.level != "grid":
        raise NotVisible(f"{grid_code!r} is a {region.level}, not a grid")
    return collection(grid_feeds(session, grid_code, now))


def visible_camera(session: Session, scope: Scope, code: str) -> Camera:
    camera = get_camera(session, code)
    if camera is None or not _visible(scope, camera):
        raise NotVisible(f"no camera {code!r} in your scope")
    return camera


def health_in_scope(
    session: Session, scope: Scope, region_code: str | None, now: datetime
) -> list[dict[str, Any]]:
    """Online shares for the region (default: the scope's own region, or everything)."""
    if region_code is not None:
        region = _region(session, scope, region_code)
    elif scope.empty:
        raise NotVisible("your scope holds no region")
    elif scope.root is not None:
        region = session.scalars(select(Region).where(Region.path == scope.root)).one()
    else:
        region = None
    return [asdict(row) for row in region_health(session, region, now)]
