"""Dead letters: messages that could not be used, stored with their reason, and listed.

The same sender failing the same way on the same topic within ``SUMMARY_WINDOW`` is one row,
counted (``repeats``, ``last_at``): a dock that sends an unusable ``osd`` every 2 s makes
24 rows a day, not 43,200. Rows are pruned after the retention the settings give.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from gridhub.mqtt.inbound import Received
from gridhub.mqtt.models import DeadLetter

EXCERPT_BYTES = 500
SUMMARY_WINDOW = timedelta(hours=1)
"""How long one row gathers the repeats of one sender's failure (its first one is kept)."""


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
    """Store ``rows``; a failure already stored within SUMMARY_WINDOW is counted on its row."""
    if not rows:
        return
    groups: dict[tuple[str, str | None, str], list[DeadLetterRow]] = {}
    for row in rows:
        groups.setdefault((row.topic, row.sender, row.reason), []).append(row)
    since = min(row.received_at for row in rows) - SUMMARY_WINDOW
    recent = session.scalars(
        select(DeadLetter)
        .where(
            DeadLetter.received_at >= since,
            DeadLetter.topic.in_({topic for topic, _, _ in groups}),
            DeadLetter.reason.in_({reason for _, _, reason in groups}),
        )
        .order_by(DeadLetter.id)
    )
    summary = {(d.topic, d.sender, d.reason): d for d in recent}
    for key, group in groups.items():
        last = max(row.received_at for row in group)
        letter = summary.get(key)
        if letter is None:
            first = group[0]
            session.add(
                DeadLetter(
                    received_at=first.received_at,
                    topic=first.topic,
                    sender=first.sender,
                    msg_id=first.msg_id,
                    reason=first.reason,
                    payload_excerpt=first.payload_excerpt,
                    size=first.size,
                    repeats=len(group),
                    last_at=last,
                )
            )
        else:
            letter.repeats += len(group)
            letter.last_at = max(letter.last_at or letter.received_at, last)
    session.flush()


def prune_dead_letters(session: Session, retention: timedelta, now: datetime) -> int:
    """Delete the dead letters last seen more than ``retention`` ago; how many."""
    before = now - retention
    result = session.execute(
        delete(DeadLetter).where(func.coalesce(DeadLetter.last_at, DeadLetter.received_at) < before)
    )
    return int(getattr(result, "rowcount", 0) or 0)


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
