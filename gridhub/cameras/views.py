"""What a signed-in user may see of the registry: scoped lookups behind the API."""

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridhub.api.models import User
from gridhub.api.scope import in_scope
from gridhub.cameras.health import region_health
from gridhub.cameras.models import Camera
from gridhub.cameras.registry import camera_feature, get_camera, grid_feeds, list_cameras
from gridhub.geo.models import Region


class NotVisible(LookupError):
    """Unknown, or outside the user's scope (the API does not tell the two apart)."""


def _visible(user: User, camera: Camera) -> bool:
    if user.scope is None:
        return True
    return camera.grid is not None and in_scope(user, camera.grid.path)


def _region(session: Session, user: User, code: str) -> Region:
    region = session.scalars(select(Region).where(Region.code == code)).first()
    if region is None or not in_scope(user, region.path):
        raise NotVisible(f"no region {code!r} in your scope")
    return region


def collection(cameras: list[Camera]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [camera_feature(c) for c in cameras]}


def cameras_in_scope(session: Session, user: User, under: str | None = None) -> dict[str, Any]:
    """Every feed the user may see (optionally under a region) as a FeatureCollection."""
    path = _region(session, user, under).path if under else None
    return collection([c for c in list_cameras(session, path) if _visible(user, c)])


def feeds_of_grid(session: Session, user: User, grid_code: str, now: datetime) -> dict[str, Any]:
    """Fixed cameras in the grid and drones over it now, as a FeatureCollection."""
    region = _region(session, user, grid_code)
    if region.level != "grid":
        raise NotVisible(f"{grid_code!r} is a {region.level}, not a grid")
    return collection(grid_feeds(session, grid_code, now))


def visible_camera(session: Session, user: User, code: str) -> Camera:
    camera = get_camera(session, code)
    if camera is None or not _visible(user, camera):
        raise NotVisible(f"no camera {code!r} in your scope")
    return camera


def health_in_scope(
    session: Session, user: User, region_code: str | None, now: datetime
) -> list[dict[str, Any]]:
    """Online shares for the region (default: the user's scope, or everything)."""
    code = region_code or user.scope
    region = _region(session, user, code) if code else None
    return [asdict(row) for row in region_health(session, region, now)]
