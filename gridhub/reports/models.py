"""Tables of the reports area: residents' reports, their photos and public timeline, Open311
API keys, used challenges and rate-limit windows."""

from datetime import datetime
from typing import Any

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
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridhub.db import Base, BigId, UtcDateTime


class Report(Base):
    """A resident's report: what, where, the resident-facing state, the public reply and the
    rating. ``region_path`` is its grid's path, for scope and roll-up. Personal data (name,
    phone, e-mail) is read only in the console, never on a public surface."""

    __tablename__ = "reports"
    __table_args__ = (
        Index(
            "ix_reports_region_path_id",
            "region_path",
            "id",
            postgresql_ops={"region_path": "varchar_pattern_ops"},
        ),
        Index("ix_reports_state_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, doc="The tracking code's.")
    service_code: Mapped[str] = mapped_column(String(32), index=True)
    description: Mapped[str] = mapped_column(Text)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    address_string: Mapped[str | None] = mapped_column(String(500))
    grid: Mapped[str] = mapped_column(String(64))
    village: Mapped[str | None] = mapped_column(String(64), index=True)
    region_path: Mapped[str] = mapped_column(String(1000))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    media_url: Mapped[str | None] = mapped_column(String(1000))
    channel: Mapped[str] = mapped_column(String(16), doc="page, open311, demo")
    api_key_id: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    public_reply: Mapped[str | None] = mapped_column(Text)
    routed_to: Mapped[str | None] = mapped_column(String(64), doc="role:… or unit:…")
    handlers: Mapped[list[str]] = mapped_column(JSON, default=list)
    order_id: Mapped[int | None] = mapped_column(BigId, doc="The work order (alert) id.")
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    rating: Mapped[str | None] = mapped_column(String(16))
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    photos: Mapped[list["ReportPhoto"]] = relationship(
        order_by="ReportPhoto.id", cascade="all, delete-orphan", lazy="selectin"
    )
    updates: Mapped[list["ReportUpdate"]] = relationship(
        order_by="ReportUpdate.id", cascade="all, delete-orphan"
    )


class ReportPhoto(Base):
    """A photo of a report, re-encoded without its metadata (no EXIF, so no GPS)."""

    __tablename__ = "report_photos"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class ReportUpdate(Base):
    """One step of a report's public timeline: its state then, and the public note."""

    __tablename__ = "report_updates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    state: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(64), doc="Kept for the console only.")


class ReportApiKey(Base):
    """An Open311 API key of a trusted client (a hotline, an app); only a hash is kept."""

    __tablename__ = "report_api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class UsedChallenge(Base):
    """A challenge already answered: each is good for one report."""

    __tablename__ = "report_used_challenges"

    challenge: Mapped[str] = mapped_column(String(128), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class RateWindow(Base):
    """One rate-limit counter (``limits`` fixed window) kept in the store, so every hub
    process counts the same reports."""

    __tablename__ = "report_rate_windows"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float, doc="Epoch seconds.")
