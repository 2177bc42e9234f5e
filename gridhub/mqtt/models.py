"""The MQTT layer's tables: dead letters, and the users the broker lets in."""

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gridhub.db import Base, BigId, UtcDateTime, utcnow


class DeadLetter(Base):
    """A message that could not be used, kept with the reason."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    topic: Mapped[str] = mapped_column(String(512))
    sender: Mapped[str | None] = mapped_column(String(128))
    msg_id: Mapped[str | None] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(String(1000))
    payload_excerpt: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    repeats: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    """How many times this sender failed this way within the summary window (this row: the
    first of them)."""
    last_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class MqttUser(Base):
    """A broker user: a member, sensor or drone by its code, or an integration by its name."""

    __tablename__ = "mqtt_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(
        String(255), doc="Mosquitto's $7$ PBKDF2-SHA512 hash; the password is never kept."
    )
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class MqttUserRevision(Base):
    """One row whose counter goes up with every change of ``mqtt_users``: a running embedded
    broker polls it to know when to rewrite its password file and ACL."""

    __tablename__ = "mqtt_user_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
