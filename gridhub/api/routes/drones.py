"""``/api/v1/drones``: each drone's latest telemetry over the caller's scope."""

from datetime import datetime

from fastapi import APIRouter

from gridhub.api.deps import API_PREFIX, CurrentScope, SessionDep
from gridhub.api.schemas import Schema
from gridhub.ingest.drone_states import drones_in_scope

router = APIRouter(prefix=f"{API_PREFIX}/drones", tags=["drones"])


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


@router.get("")
def get_drones(scope: CurrentScope, session: SessionDep) -> list[DroneOut]:
    """Drones over grids of the caller's scope, with position, altitude, heading, battery and
    flight state."""
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
        )
        for drone in drones_in_scope(session, scope)
    ]
