"""Dead letters: one sender's flood of the same failure is one counted row, and rows past the
retention are pruned (SpatiaLite and PostGIS)."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gridhub.db import transaction
from gridhub.ingest.pipeline import Pipeline
from gridhub.ingest.service import BatchRunner
from gridhub.mqtt.deadletters import prune_dead_letters
from gridhub.mqtt.inbound import Received
from gridhub.mqtt.models import DeadLetter
from tests.ingest.conftest import message

T0 = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)


def flood(n: int, at: datetime, sender: str = "W9") -> list[Received]:
    """A phone that is not on the roster, sending every 2 s."""
    return [
        message(
            f"gridhub/v1/patrol/{sender}/checkin",
            {"id": f"m{i}", "ts": T0.isoformat(), "lon": 113.305, "lat": 23.105},
            received_at=(at + timedelta(seconds=2 * i)).timestamp(),
        )
        for i in range(n)
    ]


def run(pipeline: Pipeline, sessions: sessionmaker[Session], batch: list[Received]) -> None:
    with transaction(sessions) as session:
        pipeline.run(session, batch)


def test_a_flood_from_one_sender_is_one_counted_row(
    pipeline: Pipeline, town: sessionmaker[Session]
) -> None:
    run(pipeline, town, flood(300, T0))
    run(pipeline, town, flood(200, T0 + timedelta(minutes=10)))  # a later batch, same hour
    run(pipeline, town, flood(1, T0, sender="W8"))  # another sender: its own row
    run(pipeline, town, flood(1, T0 + timedelta(hours=2)))  # past the window: a new row
    with town() as session:
        rows = session.scalars(select(DeadLetter).order_by(DeadLetter.id)).all()
    assert [(r.sender, r.repeats) for r in rows] == [("W9", 500), ("W8", 1), ("W9", 1)]
    first = rows[0]
    assert first.reason == "unknown worker 'W9': not on the roster"
    assert first.received_at == T0
    assert first.last_at == T0 + timedelta(minutes=10, seconds=2 * 199)


def test_dead_letters_past_their_retention_are_pruned(
    pipeline: Pipeline, town: sessionmaker[Session]
) -> None:
    now = T0 + timedelta(days=40)
    run(pipeline, town, flood(1, T0))  # 40 days old
    run(pipeline, town, flood(2, now - timedelta(days=1), sender="W8"))
    with transaction(town) as session:
        assert prune_dead_letters(session, timedelta(days=30), now) == 1
    with town() as session:
        assert session.scalars(select(DeadLetter.sender)).all() == ["W8"]


def test_the_runner_prunes_after_a_batch(pipeline: Pipeline, town: sessionmaker[Session]) -> None:
    old = datetime.now(UTC) - timedelta(days=31)
    runner = BatchRunner(pipeline, town, lambda batch: len(batch))
    runner(flood(1, old))
    with town() as session:  # stored, then pruned by the same runner's first prune
        assert session.scalars(select(DeadLetter)).all() == []
    runner(flood(1, datetime.now(UTC)))
    with town() as session:
        assert len(session.scalars(select(DeadLetter)).all()) == 1
