"""Tables of the ingest area: check-ins, worker status, sensors and readings, drones, warnings.

Each message table has a unique ``(sender, msg_id)`` key: it is how redeliveries are dropped,
and it holds across restarts and crashes because it lives in the store.
"""

from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gridhub.db import Base, BigId, UtcDateTime, utcnow


class Checkin(Base):
    """One patrol check-in as sent by a worker's phone, with its resolved grid."""

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("worker_code", "msg_id"),
        Index("ix_checkins_worker_ts", "worker_code", "ts"),
        Index("ix_checkins_grid_ts", "grid_code", "ts"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    worker_code: Mapped[str] = mapped_column(String(64))
    msg_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    ts: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    lon: Mapped[float] = mapped_column(Float, doc="WGS84, converted from crs on entry.")
    lat: Mapped[float] = mapped_column(Float)
    crs: Mapped[str] = mapped_column(String(8), doc="The coordinate system the phone reported.")
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    battery_pct: Mapped[float | None] = mapped_column(Float, doc="The phone's battery, if sent.")
    grid_code: Mapped[str | None] = mapped_column(String(64))
    in_assigned_grid: Mapped[bool] = mapped_column(Boolean)
    checkpoint_id: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)


class CheckinPhoto(Base):
    """The photo a worker attached to a check-in, re-encoded without metadata; what its
    EXIF said of place and time is kept apart, as data."""

    __tablename__ = "checkin_photos"

    checkin_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("checkins.id", ondelete="CASCADE"), primary_key=True
    )
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    exif: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class WorkerStatus(Base):
    """A worker's last known position (newest by timestamp, not arrival) and patrol state."""

    __tablename__ = "worker_status"

    worker_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_checkin_id: Mapped[int | None] = mapped_column(BigId)
    last_ts: Mapped[datetime] = mapped_column(UtcDateTime)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    grid_code: Mapped[str | None] = mapped_column(String(64))
    in_assigned_grid: Mapped[bool] = mapped_column(Boolean)
    last_kind: Mapped[str] = mapped_column(String(16))
    on_patrol: Mapped[bool] = mapped_column(Boolean, default=False)
    patrol_changed_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, doc="Timestamp of the start/end check-in that set on_patrol."
    )
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Sensor(Base):
    """A registered sensor with rising thresholds per level and its current level."""

    __tablename__ = "sensors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    grid_code: Mapped[str | None] = mapped_column(String(64), index=True)
    unit: Mapped[str | None] = mapped_column(String(32))
    blue: Mapped[float | None] = mapped_column(Float)
    yellow: Mapped[float | None] = mapped_column(Float)
    orange: Mapped[float | None] = mapped_column(Float)
    red: Mapped[float | None] = mapped_column(Float)
    hysteresis: Mapped[float | None] = mapped_column(
        Float, doc="Band below a threshold before its level clears; default from settings."
    )
    level: Mapped[str | None] = mapped_column(String(8), doc="Current threshold level, or None.")
    last_value: Mapped[float | None] = mapped_column(Float)
    last_ts: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class SensorReading(Base):
    __tablename__ = "sensor_readings"
    __table_args__ = (
        UniqueConstraint("sensor_code", "msg_id"),
        Index("ix_sensor_readings_sensor_ts", "sensor_code", "ts"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sensor_code: Mapped[str] = mapped_column(String(64))
    msg_id: Mapped[str] = mapped_column(String(128))
    ts: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(32))


class SensorWarningRecord(Base):
    """A sensor warning: sent explicitly, or raised by a reading crossing a threshold."""

    __tablename__ = "sensor_warnings"
    __table_args__ = (UniqueConstraint("sensor_code", "msg_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sensor_code: Mapped[str] = mapped_column(String(64), index=True)
    msg_id: Mapped[str] = mapped_column(String(140))
    ts: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    level: Mapped[str | None] = mapped_column(String(8), doc="None: the sensor cleared.")
    value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str | None] = mapped_column(Text)
    grid_code: Mapped[str | None] = mapped_column(String(64))
    from_threshold: Mapped[bool] = mapped_column(Boolean, default=False)


class Drone(Base):
    """A registered drone's ingest state: its DJI serial link and its current position.

    The drone itself is registered in the cameras registry (a feed of kind ``drone``).
    """

    __tablename__ = "drones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    serial_number: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    alt_m: Mapped[float | None] = mapped_column(Float, doc="Above take-off (DJI elevation).")
    alt_wgs84_m: Mapped[float | None] = mapped_column(Float, doc="Ellipsoid (DJI height).")
    heading: Mapped[float | None] = mapped_column(Float, doc="0–360° clockwise from north.")
    battery_pct: Mapped[float | None] = mapped_column(Float)
    mode_code: Mapped[int | None] = mapped_column(Integer, doc="DJI's flight state.")
    grid_code: Mapped[str | None] = mapped_column(String(64))
    last_ts: Mapped[datetime | None] = mapped_column(UtcDateTime)


class DronePosition(Base):
    """A drone's track, one row per telemetry message."""

    __tablename__ = "drone_positions"
    __table_args__ = (
        UniqueConstraint("drone_code", "msg_id"),
        Index("ix_drone_positions_drone_ts", "drone_code", "ts"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    drone_code: Mapped[str] = mapped_column(String(64))
    msg_id: Mapped[str] = mapped_column(String(128))
    ts: Mapped[datetime] = mapped_column(UtcDateTime)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    alt_m: Mapped[float | None] = mapped_column(Float)
    alt_wgs84_m: Mapped[float | None] = mapped_column(Float)
    heading: Mapped[float | None] = mapped_column(Float)
    battery_pct: Mapped[float | None] = mapped_column(Float)
    mode_code: Mapped[int | None] = mapped_column(Integer)
    grid_code: Mapped[str | None] = mapped_column(String(64))


class DjiDock(Base):
    """A DJI dock's state from its own ``osd`` (newest by its timestamp)."""

    __tablename__ = "dji_docks"

    serial_number: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_ts: Mapped[datetime] = mapped_column(UtcDateTime)
    mode_code: Mapped[int | None] = mapped_column(Integer, doc="0 idle … 4 working (DJI).")
    drone_in_dock: Mapped[bool | None] = mapped_column(Boolean)
    drone_charging: Mapped[bool | None] = mapped_column(Boolean)
    drone_battery_pct: Mapped[float | None] = mapped_column(Float)
    drone_serial: Mapped[str | None] = mapped_column(String(64))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)


class AreaWarningRecord(Base):
    """An area warning (e.g. flood) with the grids it covers."""

    __tablename__ = "area_warnings"
    __table_args__ = (UniqueConstraint("issuer", "msg_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(64))
    msg_id: Mapped[str] = mapped_column(String(128))
    ts: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(8))
    area: Mapped[dict[str, Any]] = mapped_column(JSON)
    geom: Mapped[WKBElement] = mapped_column(Geometry("GEOMETRY", srid=4326, spatial_index=True))
    grids: Mapped[list[str]] = mapped_column(JSON)
    valid_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    message: Mapped[str | None] = mapped_column(Text)
