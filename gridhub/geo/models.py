"""Tables of the geo area: regions and grids, members and what they are responsible for."""

from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridhub.db import Base, UtcDateTime, utcnow
from gridhub.secrets import SEALED_JSON

LEVELS = ("county", "town", "village", "grid")
PATH_SEPARATOR = "/"


class Region(Base):
    """A county, town, village or grid. Grids are the regions at level ``grid``.

    ``path`` holds the codes from the root down to this region, ``/``-separated and
    ``/``-terminated (``/C1/T1/V3/G12/``), so "everything under T1" is a prefix match.
    """

    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"))
    path: Mapped[str] = mapped_column(String(1000), index=True)
    geom: Mapped[WKBElement | None] = mapped_column(
        Geometry("GEOMETRY", srid=4326, spatial_index=True), nullable=True
    )
    properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    parent: Mapped["Region | None"] = relationship(remote_side=[id])

    @property
    def path_codes(self) -> list[str]:
        return [code for code in self.path.split(PATH_SEPARATOR) if code]


class GridRevision(Base):
    """One row whose counter goes up whenever grids change, so spatial indexes know to rebuild."""

    __tablename__ = "grid_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Member(Base):
    """A person on the grid roster: grid worker, leader, police, cadre, operator…"""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    mqtt_client_id: Mapped[str | None] = mapped_column(String(128))
    notify: Mapped[list[str]] = mapped_column(
        JSON, default=list, info=SEALED_JSON, doc="Notification URLs (bot tokens), each sealed."
    )
    duty: Mapped[str] = mapped_column(String(200), default="always")
    language: Mapped[str | None] = mapped_column(
        String(16), doc="What the member reads (zh-CN, en); None: the hub's language."
    )
    properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    areas: Mapped[list["MemberArea"]] = relationship(
        back_populates="member", cascade="all, delete-orphan", order_by="MemberArea.position"
    )


class MemberArea(Base):
    """A grid or region a member is responsible for."""

    __tablename__ = "member_areas"
    __table_args__ = (UniqueConstraint("member_id", "region_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    member: Mapped[Member] = relationship(back_populates="areas")
    region: Mapped[Region] = relationship()
