"""Tables of the alerts area: alerts, their audit trail, deliveries, timers and live events."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridhub.db import Base, BigId, UtcDateTime, utcnow
from gridhub.secrets import SEALED, SEALED_JSON

OPEN = text("is_open")


class Alert(Base):
    """Something that happened at a place and who must deal with it.

    ``region_path`` is the path of its grid (``/C1/T1/V3/G12/``), or the deepest path
    common to all its grids, so everything under a town is a prefix match (roll-up).
    """

    __tablename__ = "alerts"
    __table_args__ = (
        # At most one open alert per source and kind: repeats merge into it.
        Index(
            "uq_alerts_open_source",
            "source_type",
            "source_id",
            "kind",
            unique=True,
            postgresql_where=OPEN,
            sqlite_where=OPEN,
        ),
        Index("ix_alerts_open_id", "is_open", "id"),
        # varchar_pattern_ops: PostgreSQL uses the index for prefix LIKE in any collation.
        Index(
            "ix_alerts_region_path_id",
            "region_path",
            "id",
            postgresql_ops={"region_path": "varchar_pattern_ops"},
        ),
        Index("ix_alerts_grid_id", "grid", "id"),
        # The open alerts of a scope, the list everyone watches: counted from this index alone
        # (few rows, whatever the number of closed ones), not from the table.
        Index(
            "ix_alerts_open_region_path_id",
            "region_path",
            "id",
            postgresql_ops={"region_path": "varchar_pattern_ops"},
            postgresql_where=OPEN,
            sqlite_where=OPEN,
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_type: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    title_key: Mapped[str | None] = mapped_column(
        String(64), doc="Catalogue key of the title, rendered in each reader's language."
    )
    title_args: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    detail: Mapped[str | None] = mapped_column(Text)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    area: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    grid: Mapped[str | None] = mapped_column(String(64))
    grids: Mapped[list[str]] = mapped_column(JSON, default=list)
    region_path: Mapped[str] = mapped_column(String(1000), default="/")
    status: Mapped[str] = mapped_column(String(16), default="new")
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    count: Mapped[int] = mapped_column(Integer, default=1)
    last_value: Mapped[float | None] = mapped_column(Float)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    assignees: Mapped[list[str]] = mapped_column(JSON, default=list)
    broadcast_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    policy: Mapped[dict[str, Any]] = mapped_column(
        JSON, info=SEALED_JSON, doc="Escalation policy when opened; its notify URLs sealed."
    )
    level: Mapped[int] = mapped_column(Integer, default=0)
    reminders: Mapped[int] = mapped_column(Integer, default=0)
    acked_by: Mapped[str | None] = mapped_column(String(64))
    acked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ack_channel: Mapped[str | None] = mapped_column(String(16))

    events: Mapped[list["AlertEvent"]] = relationship(
        back_populates="alert", order_by="AlertEvent.id", cascade="all, delete-orphan"
    )
    deliveries: Mapped[list["Delivery"]] = relationship(
        back_populates="alert", order_by="Delivery.id", cascade="all, delete-orphan"
    )


class AlertGrid(Base):
    """A grid an alert covers, with its path: scope checks for alerts over many grids."""

    __tablename__ = "alert_grids"

    alert_id: Mapped[int] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True
    )
    grid: Mapped[str] = mapped_column(String(64), primary_key=True)
    path: Mapped[str] = mapped_column(String(1000))

    __table_args__ = (
        Index("ix_alert_grids_path", "path", postgresql_ops={"path": "varchar_pattern_ops"}),
    )


class AlertEvent(Base):
    """One change of an alert: who, when, from, to, why and through which channel."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(16))

    alert: Mapped[Alert] = relationship(back_populates="events")


class Delivery(Base):
    """One message to one recipient through one channel, retried until sent or given up."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (
        Index(
            "ix_alert_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    member_code: Mapped[str | None] = mapped_column(String(64), index=True)
    role: Mapped[str | None] = mapped_column(String(32))
    level: Mapped[int | None] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(
        String(1000), doc="Where it goes: the MQTT topic, or a URL with its secrets redacted."
    )
    secret_target: Mapped[str | None] = mapped_column(
        Text, info=SEALED, doc="The URL sent to, sealed; None for MQTT topics."
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    acked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)

    alert: Mapped[Alert] = relationship(back_populates="deliveries")
    attempt_log: Mapped[list["DeliveryAttempt"]] = relationship(
        order_by="DeliveryAttempt.id", cascade="all, delete-orphan"
    )


class DeliveryAttempt(Base):
    """One try at sending a delivery, and how it went."""

    __tablename__ = "alert_delivery_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("alert_deliveries.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[float] = mapped_column(Float)


class AlertTimer(Base):
    """The next escalation step of an open alert; claimed by exactly one hub process."""

    __tablename__ = "alert_timers"

    alert_id: Mapped[int] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True
    )
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class LiveEvent(Base):
    """An entry of the live event stream (alert changes, check-ins, camera status)."""

    __tablename__ = "live_events"
    # ids are never reused, so a Last-Event-ID always resumes at the right place
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    type: Mapped[str] = mapped_column(String(32))
    region_path: Mapped[str] = mapped_column(String(1000), default="/")
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class PatrolWatch(Base):
    """When a grid was last patrolled, or a worker's device last heard from."""

    __tablename__ = "patrol_watch"

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AlertAlias(Base):
    """Another source id one alert stands for, open or closed: a Frigate review and each of
    its tracked objects are one incident, and a late message of a closed one reopens nothing.
    A tracked object's row says whether Frigate keeps its snapshot and clip (the media are
    per tracked object: Frigate serves them by its event id)."""

    __tablename__ = "alert_aliases"

    source_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    source_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    alert_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("alerts.id", ondelete="CASCADE"), index=True
    )
    has_snapshot: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), doc="Frigate keeps its snapshot."
    )
    has_clip: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), doc="Frigate keeps its clip."
    )


class AreaAlert(Base):
    """An area warning's alert (flood, 三防): what members read besides the title, the area
    as sent to devices, and when and why it was lifted."""

    __tablename__ = "area_alerts"

    alert_id: Mapped[int] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True
    )
    sender: Mapped[str] = mapped_column(String(256))
    headline: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    instruction: Mapped[str | None] = mapped_column(Text)
    area_desc: Mapped[str | None] = mapped_column(Text)
    bbox: Mapped[list[float]] = mapped_column(JSON, doc="[west, south, east, north]")
    simple_area: Mapped[dict[str, Any]] = mapped_column(
        JSON, doc="The area simplified to a bounded size, as members' messages carry it."
    )
    valid_until: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    lifted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lifted_reason: Mapped[str | None] = mapped_column(String(16))


class AreaAlertKey(Base):
    """A message (``sender/identifier``) applied to an area warning's alert: the same key
    twice is one warning, and Updates and Cancels find their warning by the keys they name."""

    __tablename__ = "area_alert_keys"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    msg_type: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class Receipt(Base):
    """One member's receipt of an area warning: sent → delivered → read → confirmed, each
    with its time and channel; reminders and escalation when the member stays silent."""

    __tablename__ = "warning_receipts"
    __table_args__ = (UniqueConstraint("alert_id", "member_code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    member_code: Mapped[str] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(32))
    grids: Mapped[list[str]] = mapped_column(JSON, doc="The member's grids inside the area.")
    state: Mapped[str] = mapped_column(String(12))
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    channels: Mapped[dict[str, str]] = mapped_column(JSON, doc="{state: channel it came by}")
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    escalated: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    released_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, doc="The area moved away from the member: the warning no longer applies."
    )
