"""Where each registered drone is and how it flies now (``GET /api/v1/drones``), in a scope."""

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridhub.geo.models import Region
from gridhub.ingest.models import DjiDock, Drone
from gridhub.scope import EVERYTHING, Scope


def drones_in_scope(session: Session, scope: Scope = EVERYTHING) -> list[Drone]:
    """Drones with a position, those over a grid of ``scope`` (all of them when unrestricted,
    also those over no grid); by code."""
    query = select(Drone).where(Drone.last_ts.is_not(None)).order_by(Drone.code)
    if not scope.unrestricted:
        query = query.join(Region, Region.code == Drone.grid_code).where(scope.sql(Region.path))
    return list(session.scalars(query))


def docks_of(session: Session, drones: Iterable[Drone]) -> dict[str, DjiDock]:
    """The dock each of ``drones`` last reported from (by the aircraft serial its ``osd``
    names), keyed by drone code; a drone with no linked serial or no dock is absent."""
    codes = {drone.serial_number: drone.code for drone in drones if drone.serial_number}
    if not codes:
        return {}
    docks = session.scalars(select(DjiDock).where(DjiDock.drone_serial.in_(codes)))
    return {codes[dock.drone_serial]: dock for dock in docks if dock.drone_serial}
