"""``/api/v1/sensors``: the sensor registry within the caller's scope, and readings."""

from datetime import datetime

from fastapi import APIRouter, HTTPException, status

from gridhub.api.deps import API_PREFIX, CurrentScope, SessionDep
from gridhub.api.routes.checkins import Since, Until
from gridhub.api.schemas import Page, Paging, Schema
from gridhub.ingest.models import Sensor
from gridhub.ingest.sensors import get_sensor, list_readings, list_sensors

router = APIRouter(prefix=f"{API_PREFIX}/sensors", tags=["sensors"])


class Thresholds(Schema):
    blue: float | None
    yellow: float | None
    orange: float | None
    red: float | None


class SensorOut(Schema):
    code: str
    name: str
    kind: str
    lon: float | None
    lat: float | None
    grid: str | None
    unit: str | None
    thresholds: Thresholds
    level: str | None
    last_value: float | None
    last_ts: datetime | None


class ReadingOut(Schema):
    msg_id: str
    ts: datetime
    received_at: datetime
    kind: str
    value: float
    unit: str | None


def _sensor_out(sensor: Sensor) -> SensorOut:
    return SensorOut(
        code=sensor.code,
        name=sensor.name,
        kind=sensor.kind,
        lon=sensor.lon,
        lat=sensor.lat,
        grid=sensor.grid_code,
        unit=sensor.unit,
        thresholds=Thresholds.model_validate(sensor),
        level=sensor.level,
        last_value=sensor.last_value,
        last_ts=sensor.last_ts,
    )


@router.get("")
def get_sensors(scope: CurrentScope, session: SessionDep, paging: Paging) -> Page[SensorOut]:
    """Sensors in grids of the caller's scope, by code, with their current level."""
    rows, total = list_sensors(session, paging.limit, paging.offset, scope)
    return Page(items=[_sensor_out(row) for row in rows], total=total)


@router.get("/{code}/readings")
def get_readings(
    code: str,
    scope: CurrentScope,
    session: SessionDep,
    paging: Paging,
    since: Since = None,
    until: Until = None,
) -> Page[ReadingOut]:
    """A sensor's readings, newest first by their own timestamps."""
    if get_sensor(session, code, scope) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no sensor {code!r} in your scope")
    rows, total = list_readings(session, code, since, until, paging.limit, paging.offset)
    return Page(items=[ReadingOut.model_validate(row) for row in rows], total=total)
