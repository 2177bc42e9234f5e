"""The MQTT layer's table: dead letters, the messages that could not be used."""

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gridhub.db import Base, BigId, UtcDateTime


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
