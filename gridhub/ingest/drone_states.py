"""Where each registered drone is and how it flies now (``GET /api/v1/drones``), in a scope."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridhub.geo.models import Region
from gridhub.ingest.models import Drone
from gridhub.scope import EVERYTHING, Scope


def drones_in_scope(session: Session, scope: Scope = EVERYTHING) -> list[Drone]:
    """Drones with a position, those over a grid of ``scope`` (all of them when unrestricted,
    also those over no grid); by code."""
    query = select(Drone).where(Drone.last_ts.is_not(None)).order_by(Drone.code)
    if not scope.unrestricted:
        query = query.join(Region, Region.code == Drone.grid_code).where(scope.sql(Region.path))
    return list(session.scalars(query))
