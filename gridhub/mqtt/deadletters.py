"""Dead letters: messages that could not be used, stored with their reason, and listed."""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Select, func, insert, select
from sqlalchemy.orm import Session

from gridhub.mqtt.inbound import Received
from gridhub.mqtt.models import DeadLetter

EXCERPT_BYTES = 500


def readable(payload: bytes) -> str:
    """``payload`` as text any store can hold: bytes that are not UTF-8 and NUL (which
    PostgreSQL text refuses) are written as ``\\xNN`` escapes, so nothing is hidden."""
    return storable(payload.decode("utf-8", errors="backslashreplace"))


def storable(text: str) -> str:
    """``text`` without NUL characters, each written as ``\\x00``."""
    return text.replace("\0", "\\x00")


@dataclass(frozen=True, slots=True)
class DeadLetterRow:
    received_at: datetime
    topic: str
    sender: str | None
    msg_id: str | None
    reason: str
    payload_excerpt: str
    size: int

    @classmethod
    def of(
        cls, received: Received, reason: str, sender: str | None = None, msg_id: str | None = None
    ) -> "DeadLetterRow":
        return cls(
            received_at=datetime.fromtimestamp(received.received_at, UTC)
            if received.received_at
            else datetime.now(UTC),
            topic=storable(received.topic)[:512],
            sender=storable(sender)[:128] if sender else None,
            msg_id=storable(msg_id)[:128] if msg_id else None,
            reason=storable(reason)[:1000],
            payload_excerpt=readable(received.payload[:EXCERPT_BYTES]),
            size=len(received.payload),
        )


def store_dead_letters(session: Session, rows: list[DeadLetterRow]) -> None:
    if rows:
        session.execute(
            insert(DeadLetter),
            [
                {
                    "received_at": row.received_at,
                    "topic": row.topic,
                    "sender": row.sender,
                    "msg_id": row.msg_id,
                    "reason": row.reason,
                    "payload_excerpt": row.payload_excerpt,
                    "size": row.size,
                }
                for row in rows
            ],
        )


def list_dead_letters(
    session: Session,
    limit: int = 50,
    offset: int = 0,
    since: datetime | None = None,
    topic_prefix: str | None = None,
    senders: Select[str] | None = None,
) -> tuple[list[DeadLetter], int]:
    """The newest dead letters first, and how many match in all; with ``senders`` (a query
    of sender codes), only theirs."""
    query = select(DeadLetter)
    if senders is not None:
        query = query.where(DeadLetter.sender.in_(senders))
    if since is not None:
        query = query.where(DeadLetter.received_at >= since)
    if topic_prefix:
        query = query.where(DeadLetter.topic.startswith(topic_prefix, autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(DeadLetter.received_at.desc(), DeadLetter.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total
