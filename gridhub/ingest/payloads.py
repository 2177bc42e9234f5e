"""Payload schemas of the inbound topics (pydantic): what a message must hold to be used."""

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
)

from gridhub.geo.validation import polygonal_area
from gridhub.mqtt.inbound import Inbound, MessageId, Timestamp
from gridhub.mqtt.topics import Kind
from gridhub.severity import Severity

CRS_NAMES = ("wgs84", "gcj02", "bd09")
CHECKIN_KINDS = ("start", "checkpoint", "end", "sos")
Code = Annotated[str, Field(min_length=1, max_length=64)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


class CheckinPayload(Inbound):
    lat: Latitude
    lon: Longitude
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"
    accuracy_m: float | None = Field(None, ge=0, allow_inf_nan=False)
    kind: Literal["start", "checkpoint", "end", "sos"] = "checkpoint"
    battery_pct: float | None = Field(None, ge=0, le=100)
    checkpoint_id: Code | None = None
    note: str | None = Field(None, max_length=1000)
    worker: Code | None = Field(None, description="If given, must match the topic's worker.")


class SensorReadingPayload(Inbound):
    kind: Code
    value: float = Field(allow_inf_nan=False)
    unit: str | None = Field(None, max_length=32)
    sensor: Code | None = None


class SensorWarningPayload(Inbound):
    kind: Code
    level: Severity
    value: float | None = Field(None, allow_inf_nan=False)
    unit: str | None = Field(None, max_length=32)
    message: str | None = Field(None, max_length=2000)
    sensor: Code | None = None


class DroneTelemetryPayload(Inbound):
    lat: Latitude
    lon: Longitude
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"
    alt_m: float | None = Field(None, allow_inf_nan=False, description="Above take-off.")
    alt_wgs84_m: float | None = Field(None, allow_inf_nan=False, description="Ellipsoid height.")
    heading: float | None = Field(None, ge=-360, le=360, description="Stored as 0–360°.")
    battery_pct: float | None = Field(None, ge=0, le=100)
    mode_code: int | None = Field(None, ge=0, description="DJI's flight state (mode_code).")
    drone: Code | None = None

    @field_validator("heading")
    @classmethod
    def _compass(cls, value: float | None) -> float | None:
        """0–360° clockwise from north, whatever the sender's range (DJI: −180…180)."""
        return None if value is None else value % 360


class AreaWarningPayload(Inbound):
    kind: Code
    level: Severity
    area: dict[str, Any]
    valid_until: Timestamp | None = None
    message: str | None = Field(None, max_length=4000)
    issuer: Code | None = Field(None, description="Who issued it; the dedup sender.")

    @field_validator("area")
    @classmethod
    def _valid_polygon(cls, area: dict[str, Any]) -> dict[str, Any]:
        return polygonal_area(area)


DOCK_PROPERTIES = frozenset(
    {
        "drone_in_dock",
        "drone_charge_state",
        "network_state",
        "sub_device",
        "cover_state",
        "putter_state",
        "job_number",
        "maintain_status",
        "backup_battery",
        "flighttask_step_code",
        "wireless_link",
    }
)
"""Properties only a dock reports on its ``osd`` (DJI Cloud API, dock properties): a dock
sends them in parts, so any one of them marks the message as the dock's own."""


class DjiOsdData(BaseModel):
    """The part of an ``osd`` gridhub uses, aircraft's and dock's (DJI Cloud API properties;
    the same names as DJI-Cloud-API-Demo's ``OsdDockDrone`` and ``OsdDock``)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    latitude: Latitude | None = None
    longitude: Longitude | None = None
    height: float | None = Field(None, allow_inf_nan=False, description="WGS84 ellipsoid.")
    elevation: float | None = Field(None, allow_inf_nan=False, description="Above take-off.")
    attitude_head: float | None = Field(None, ge=-360, le=360)
    battery: dict[str, Any] | None = None
    mode_code: int | None = Field(None, ge=0)
    drone_in_dock: int | None = None
    drone_charge_state: dict[str, Any] | None = None


class DjiOsdPayload(BaseModel):
    """DJI Cloud API ``thing/product/{sn}/osd``: ``tid`` is the message id, ``timestamp`` ms."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    tid: MessageId
    bid: str | None = None
    timestamp: Timestamp
    data: DjiOsdData

    @property
    def id(self) -> str:
        """The message id every pipeline step dedups on: DJI's transaction id."""
        return self.tid

    def is_dock(self) -> bool:
        return not DOCK_PROPERTIES.isdisjoint((self.data.model_extra or {}).keys()) or (
            self.data.drone_in_dock is not None or self.data.drone_charge_state is not None
        )

    def has_fix(self) -> bool:
        """A position to use: DJI sends 0, 0 while the aircraft has no GPS fix (in the dock)."""
        lat, lon = self.data.latitude, self.data.longitude
        return lat is not None and lon is not None and (lat, lon) != (0, 0)

    def as_telemetry(self) -> DroneTelemetryPayload:
        """The aircraft's telemetry; only for a message with a fix (``has_fix``)."""
        battery = (self.data.battery or {}).get("capacity_percent")
        return DroneTelemetryPayload(
            id=self.tid,
            ts=self.timestamp,
            lat=self.data.latitude,
            lon=self.data.longitude,
            alt_m=self.data.elevation,
            alt_wgs84_m=self.data.height,
            heading=self.data.attitude_head,
            battery_pct=battery if isinstance(battery, int | float) else None,
            mode_code=self.data.mode_code,
        )


class OwnTracksLocation(BaseModel):
    """OwnTracks' ``_type: location`` (its booklet, "JSON"): ``tst`` is the fix's epoch
    seconds, ``created_at`` when the phone built the message, ``tid`` the tracker id."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    type: Literal["location"] = Field(alias="_type")
    lat: Latitude
    lon: Longitude
    tst: int = Field(ge=0)
    acc: float | None = Field(None, ge=0, allow_inf_nan=False)
    batt: float | None = Field(None, ge=0, le=100)
    tid: str | None = Field(None, max_length=32)
    created_at: int | None = Field(None, ge=0)

    def as_checkin(self) -> CheckinPayload:
        """A check-in whose id is stable across redeliveries: the tracker id and the time the
        phone built the message (the fix's time when it sends none)."""
        stamp = self.created_at if self.created_at is not None else self.tst
        return CheckinPayload(
            id=f"{self.tid or ''}:{stamp}",
            ts=self.tst * 1000,
            lat=self.lat,
            lon=self.lon,
            accuracy_m=self.acc,
            battery_pct=self.batt,
        )


Payload = (
    CheckinPayload
    | SensorReadingPayload
    | SensorWarningPayload
    | DroneTelemetryPayload
    | AreaWarningPayload
)

MODELS: dict[Kind, type[Inbound | DjiOsdPayload | OwnTracksLocation]] = {
    Kind.CHECKIN: CheckinPayload,
    Kind.SENSOR_READING: SensorReadingPayload,
    Kind.SENSOR_WARNING: SensorWarningPayload,
    Kind.DRONE_TELEMETRY: DroneTelemetryPayload,
    Kind.AREA_WARNING: AreaWarningPayload,
    Kind.DJI_OSD: DjiOsdPayload,
    Kind.OWNTRACKS: OwnTracksLocation,
}

# The payload field that may repeat the topic's sender, per kind.
SENDER_FIELDS: dict[Kind, str] = {
    Kind.CHECKIN: "worker",
    Kind.SENSOR_READING: "sensor",
    Kind.SENSOR_WARNING: "sensor",
    Kind.DRONE_TELEMETRY: "drone",
}
