"""Tables of the cameras area: feeds (cameras and drones) and their status history."""

from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from geoalchemy2.shape import to_shape
from shapely import Point
from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridhub.db import Base, UtcDateTime, utcnow
from gridhub.geo.models import Region
from gridhub.secrets import SEALED

KINDS = ("fixed", "ptz", "dome", "body", "drone")


class Camera(Base):
    """A video feed: a fixed/PTZ/dome/body camera, or a drone whose place follows telemetry."""

    __tablename__ = "cameras"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), index=True)
    geom: Mapped[WKBElement | None] = mapped_column(
        Geometry("POINT", srid=4326, spatial_index=True), nullable=True
    )
    position_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, doc="When the location was last reported (drones)."
    )
    grid_id: Mapped[int | None] = mapped_column(
        ForeignKey("regions.id", ondelete="SET NULL"), index=True
    )
    grid_override: Mapped[bool] = mapped_column(
        Boolean, default=False, doc="The grid was set explicitly and is kept when the place moves."
    )
    # URLs may carry user:password: each is stored sealed (gridhub.secrets), never in clear.
    stream_url: Mapped[str | None] = mapped_column(Text, info=SEALED)
    sub_stream_url: Mapped[str | None] = mapped_column(Text, info=SEALED)
    snapshot_url: Mapped[str | None] = mapped_column(Text, info=SEALED)
    onvif_url: Mapped[str | None] = mapped_column(Text, info=SEALED)
    onvif_user: Mapped[str | None] = mapped_column(String(200))
    onvif_secret: Mapped[str | None] = mapped_column(
        Text, info=SEALED, doc="Fernet token; never exposed."
    )
    onvif_profile: Mapped[str | None] = mapped_column(String(200))
    ptz: Mapped[bool] = mapped_column(Boolean, default=False)
    maintainer: Mapped[str | None] = mapped_column(String(64), doc="Member code.")
    device: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="unknown", index=True)
    status_reason: Mapped[str | None] = mapped_column(String(200))
    status_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    candidate_status: Mapped[str | None] = mapped_column(
        String(16), doc="A differing probe result not yet seen often enough to switch to."
    )
    candidate_count: Mapped[int] = mapped_column(Integer, default=0)
    last_probe_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    fps: Mapped[float | None] = mapped_column(Float)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    grid: Mapped[Region | None] = relationship()

    def point(self) -> Point | None:
        """Where the feed is (WGS84), or None when it has no place."""
        if self.geom is None:
            return None
        shape = to_shape(self.geom)
        if not isinstance(shape, Point):  # the column is a POINT: anything else is a broken row
            raise ValueError(
                f"camera {self.code}: stored place is a {shape.geom_type}, not a Point"
            )
        return shape


class CameraStatusChange(Base):
    """A camera entered ``status`` at ``at``: the history health shares are computed from."""

    __tablename__ = "camera_status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
