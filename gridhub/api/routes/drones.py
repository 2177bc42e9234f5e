"""``/api/v1/drones``: each drone's latest telemetry over the caller's scope."""

from datetime import datetime

from fastapi import APIRouter

from gridhub.api.deps import API_PREFIX, CurrentScope, SessionDep
from gridhub.api.schemas import Schema
from gridhub.ingest.drone_states import docks_of, drones_in_scope
from gridhub.ingest.models import DjiDock

router = APIRouter(prefix=f"{API_PREFIX}/drones", tags=["drones"])


class DockOut(Schema):
    """The DJI dock the drone last reported from, as the dock's own ``osd`` says."""

    serial: str
    mode_code: int | None
    """DJI's dock state (0 idle, 1 on-site debugging, 2 remote debugging, 3 upgrading,
    4 working)."""
    drone_in_dock: bool | None
    drone_charging: bool | None
    drone_battery_pct: float | None
    ts: datetime


class DroneOut(Schema):
    code: str
    lon: float | None
    lat: float | None
    grid: str | None
    alt_m: float | None
    """Above take-off (DJI: elevation)."""
    alt_wgs84_m: float | None
    heading: float | None
    """0–360° clockwise from north."""
    battery_pct: float | None
    mode_code: int | None
    """DJI's flight state (0 standby … 9 returning home …)."""
    ts: datetime | None
    dock: DockOut | None


@router.get("")
def get_drones(scope: CurrentScope, session: SessionDep) -> list[DroneOut]:
    """Drones over grids of the caller's scope, with position, altitude, heading, battery,
    flight state and their dock's state."""
    drones = drones_in_scope(session, scope)
    docks = docks_of(session, drones)
    return [
        DroneOut(
            code=drone.code,
            lon=drone.lon,
            lat=drone.lat,
            grid=drone.grid_code,
            alt_m=drone.alt_m,
            alt_wgs84_m=drone.alt_wgs84_m,
            heading=drone.heading,
            battery_pct=drone.battery_pct,
            mode_code=drone.mode_code,
            ts=drone.last_ts,
            dock=_dock(docks.get(drone.code)),
        )
        for drone in drones
    ]


def _dock(dock: DjiDock | None) -> DockOut | None:
    if dock is None:
        return None
    return DockOut(
        serial=dock.serial_number,
        mode_code=dock.mode_code,
        drone_in_dock=dock.drone_in_dock,
        drone_charging=dock.drone_charging,
        drone_battery_pct=dock.drone_battery_pct,
        ts=dock.last_ts,
    )
