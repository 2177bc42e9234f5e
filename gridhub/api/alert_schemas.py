"""API shapes of alerts: what the routes accept and return."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from gridhub.geo.validation import polygonal_area
from gridhub.severity import Severity


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class AlertOut(_Out):
    id: int
    source_type: str
    source_id: str
    kind: str
    severity: str
    title: str
    """In the hub's language; pages render ``title_key`` with ``title_args`` in theirs."""
    title_key: str | None
    title_args: dict[str, Any] | None
    detail: str | None
    status: str
    lon: float | None
    lat: float | None
    grid: str | None
    grids: list[str]
    region_path: str
    count: int
    last_value: float | None
    assignees: list[str]
    level: int
    acked_by: str | None
    acked_at: datetime | None
    ack_channel: str | None
    opened_at: datetime
    updated_at: datetime
    last_seen_at: datetime
    closed_at: datetime | None


class AlertEventOut(_Out):
    id: int
    at: datetime
    kind: str
    actor: str
    from_status: str | None
    to_status: str | None
    note: str | None
    channel: str | None


class AttemptOut(_Out):
    at: datetime
    ok: bool
    error: str | None
    duration_ms: float


class DeliveryOut(_Out):
    """One message to one recipient; ``target`` is the MQTT topic, or the URL as stored:
    with its secrets redacted (the sealed URL itself is never read out)."""

    id: int
    member_code: str | None
    role: str | None
    level: int | None
    channel: str
    target: str
    status: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    acked_at: datetime | None
    last_error: str | None
    attempt_log: list[AttemptOut]


class AlertLinks(BaseModel):
    """Where the hub serves more of the alert: Frigate's snapshot and clip of it, through the
    hub (null when Frigate keeps none, or the hub is not given Frigate's API)."""

    snapshot: str | None = None
    clip: str | None = None


class AlertDetailOut(AlertOut):
    area: dict[str, Any] | None
    events: list[AlertEventOut]
    deliveries: list[DeliveryOut]
    actions: list[str] = Field(
        default_factory=list,
        description="What the caller may do now (ack, assign, progress, resolve, cancel).",
    )
    links: AlertLinks = Field(default_factory=AlertLinks)


class AlertCreate(BaseModel):
    """An operator-created alert: a point, an area or explicit grids."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(min_length=1, max_length=64)
    severity: Severity
    title: str = Field(min_length=1, max_length=200)
    detail: str | None = Field(None, max_length=4000)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    area: Annotated[dict[str, Any], AfterValidator(polygonal_area)] | None = Field(
        None, description="A GeoJSON Polygon or MultiPolygon, valid, in WGS84 lon/lat."
    )
    grids: list[str] = Field(default_factory=list, max_length=10000)
    assignee: str | None = None

    @model_validator(mode="after")
    def _somewhere(self) -> "AlertCreate":
        if (self.lon is None) != (self.lat is None):
            raise ValueError("give both lon and lat, or neither")
        if self.lon is None and self.area is None and not self.grids:
            raise ValueError("say where: lon/lat, an area (GeoJSON) or grids")
        return self


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(None, max_length=4000)
    assignee: str | None = Field(None, description="Member code (assign only).")
