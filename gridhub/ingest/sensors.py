"""Sensors: readings as a time series, threshold levels with hysteresis, explicit warnings."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, func, insert, select
from sqlalchemy.orm import Session

from gridhub.events import SensorCleared, SensorWarning
from gridhub.geo.models import Region
from gridhub.ingest.models import Sensor, SensorReading, SensorWarningRecord
from gridhub.ingest.payloads import SensorReadingPayload, SensorWarningPayload
from gridhub.ingest.pipeline import BatchContext, Item
from gridhub.scope import EVERYTHING, Scope
from gridhub.severity import SEVERITIES


def threshold_level(
    thresholds: dict[str, float | None],
    current: str | None,
    value: float,
    hysteresis: float,
    band: float | None = None,
) -> str | None:
    """The level after ``value``: rises at once, falls only ``band`` below a level's threshold.

    ``band`` is absolute; without it, ``hysteresis`` × |threshold|. So a value hovering at a
    line does not flap between levels.
    """
    rank: dict[str, int] = {level: index for index, level in enumerate(SEVERITIES)}
    raised = None
    for level in SEVERITIES:
        limit = thresholds.get(level)
        if limit is not None and value >= limit:
            raised = level
    if current is None or (raised is not None and rank[raised] >= rank[current]):
        return raised
    # Falling: keep the highest level not above the current one whose lowered line still holds.
    for level in reversed(SEVERITIES[: rank[current] + 1]):
        limit = thresholds.get(level)
        if limit is None:
            continue
        margin = band if band is not None else hysteresis * abs(limit)
        if value >= limit - margin:
            return level
    return None


def _thresholds(sensor: Sensor) -> dict[str, float | None]:
    return {level: getattr(sensor, level) for level in SEVERITIES}


def _sensors(ctx: BatchContext, items: Sequence[Item]) -> dict[str, Sensor]:
    query = select(Sensor).where(Sensor.code.in_({item.sender for item in items}))
    if ctx.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return {sensor.code: sensor for sensor in ctx.session.scalars(query)}


def _known(ctx: BatchContext, items: list[Item]) -> list[tuple[Item, Sensor]]:
    """Each item of a registered sensor with its sensor; the others are rejected."""
    sensors = _sensors(ctx, items)
    accepted = []
    for item in items:
        sensor = sensors.get(item.sender) if item.sender is not None else None
        if sensor is not None:
            accepted.append((item, sensor))
        else:
            ctx.reject(item, f"unknown sensor {item.sender!r}: not in the registry")
    return accepted


class ReadingStore:
    """Store readings; a reading newer than the sensor's last that changes its level warns."""

    def __init__(self, hysteresis: float) -> None:
        self.hysteresis = hysteresis

    def __call__(self, ctx: BatchContext, items: list[Item]) -> list[Item]:
        accepted = _known(ctx, items)
        if not accepted:
            return []
        now = ctx.now
        ctx.session.execute(
            insert(SensorReading),
            [
                {
                    "sensor_code": item.sender,
                    "msg_id": item.payload.id,
                    "ts": item.payload.ts,
                    "received_at": now,
                    "kind": item.payload.kind,
                    "value": item.payload.value,
                    "unit": item.payload.unit or sensor.unit,
                }
                for item, sensor in accepted
            ],
        )
        ctx.count("sensor_readings", len(accepted))
        for item, sensor in sorted(accepted, key=lambda pair: pair[0].payload.ts):
            self._apply(ctx, sensor, item.payload)
        return [item for item, _ in accepted]

    def _apply(self, ctx: BatchContext, sensor: Sensor, reading: SensorReadingPayload) -> None:
        if sensor.last_ts is not None and reading.ts <= sensor.last_ts:
            return  # a late reading joins the series but does not rewind the sensor's state
        sensor.last_ts, sensor.last_value = reading.ts, reading.value
        level = threshold_level(
            _thresholds(sensor), sensor.level, reading.value, self.hysteresis, sensor.hysteresis
        )
        if level == sensor.level:
            return
        sensor.level = level
        unit = reading.unit or sensor.unit
        _record(
            ctx,
            sensor,
            f"reading:{reading.id}",
            reading.ts,
            reading.kind,
            level,
            reading.value,
            unit,
            None,
            True,
        )
        if level is None:
            ctx.events.append(
                SensorCleared(
                    sensor.code, reading.kind, sensor.grid_code, reading.ts, reading.value
                )
            )
        else:
            ctx.events.append(
                SensorWarning(
                    sensor.code,
                    reading.kind,
                    level,
                    sensor.lon,
                    sensor.lat,
                    sensor.grid_code,
                    reading.ts,
                    reading.value,
                    unit,
                    None,
                    from_threshold=True,
                    name=sensor.name,
                )
            )


class WarningStore:
    """Store explicit ``…/warning`` messages and hand each on as a SensorWarning event."""

    def __call__(self, ctx: BatchContext, items: list[Item]) -> list[Item]:
        accepted = _known(ctx, items)
        for item, sensor in accepted:
            warning = item.payload
            assert isinstance(warning, SensorWarningPayload)
            unit = warning.unit or sensor.unit
            _record(
                ctx,
                sensor,
                warning.id,
                warning.ts,
                warning.kind,
                warning.level,
                warning.value,
                unit,
                warning.message,
                False,
            )
            ctx.events.append(
                SensorWarning(
                    sensor.code,
                    warning.kind,
                    warning.level,
                    sensor.lon,
                    sensor.lat,
                    sensor.grid_code,
                    warning.ts,
                    warning.value,
                    unit,
                    warning.message,
                    name=sensor.name,
                )
            )
        ctx.count("sensor_warnings", len(accepted))
        return [item for item, _ in accepted]


def _record(
    ctx: BatchContext,
    sensor: Sensor,
    msg_id: str,
    ts: datetime,
    kind: str,
    level: str | None,
    value: float | None,
    unit: str | None,
    message: str | None,
    from_threshold: bool,
) -> None:
    ctx.session.add(
        SensorWarningRecord(
            sensor_code=sensor.code,
            msg_id=msg_id,
            ts=ts,
            received_at=ctx.now,
            kind=kind,
            level=level,
            value=value,
            unit=unit,
            message=message,
            grid_code=sensor.grid_code,
            from_threshold=from_threshold,
        )
    )


def list_sensors(
    session: Session, limit: int = 100, offset: int = 0, scope: Scope = EVERYTHING
) -> tuple[list[Sensor], int]:
    """Sensors by code; a restricted ``scope`` keeps those in grids under it."""
    query = _scoped(select(Sensor), scope)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Sensor.code).limit(limit).offset(offset)).all()
    return list(rows), total


def get_sensor(session: Session, code: str, scope: Scope = EVERYTHING) -> Sensor | None:
    """The sensor ``code``, or None if unknown or outside ``scope``."""
    return session.scalar(_scoped(select(Sensor).where(Sensor.code == code), scope))


def _scoped(query: Select[Sensor], scope: Scope) -> Select[Sensor]:
    if scope.unrestricted:
        return query
    return query.join(Region, Region.code == Sensor.grid_code).where(scope.sql(Region.path))


def list_readings(
    session: Session,
    code: str,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[SensorReading], int]:
    """A sensor's readings, newest first by their own timestamps."""
    query = select(SensorReading).where(SensorReading.sensor_code == code)
    if since is not None:
        query = query.where(SensorReading.ts >= since)
    if until is not None:
        query = query.where(SensorReading.ts < until)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(SensorReading.ts.desc(), SensorReading.id.desc()).limit(limit).offset(offset)
    ).all()
    return list(rows), total
