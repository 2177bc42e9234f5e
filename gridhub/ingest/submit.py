"""Check-ins sent over HTTP (the phone page): one message through the MQTT pipeline itself.

The same steps decide (validation, dedup by ``(sender, id)``, grid, events, SOS alerts), so a
rule lives once. The caller owns the transaction: a refused check-in is rolled back, and the
sender gets the reason a dead letter would have held, instead of a dead letter.
"""

import time
from dataclasses import dataclass

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridhub.ingest.models import Checkin
from gridhub.ingest.pipeline import Pipeline
from gridhub.ingest.steps import SENDER_MISMATCH
from gridhub.mqtt.inbound import Received
from gridhub.mqtt.topics import Kind, Topics


class CheckinRefused(ValueError):
    """The check-in cannot be used; the message is the pipeline's reason."""


class NotTheSender(PermissionError):
    """The check-in names another worker than the one sending it."""


@dataclass(frozen=True, slots=True)
class Submitted:
    checkin: Checkin
    created: bool
    """False: this id was stored before (a repeat), and ``checkin`` is that one."""


def submit_checkin(
    session: Session,
    pipeline: Pipeline,
    topics: Topics,
    worker: str,
    body: bytes,
    received_at: float | None = None,
) -> Submitted:
    """Run ``body`` (a check-in payload as JSON) from ``worker`` through ``pipeline``; the
    stored check-in, or CheckinRefused / NotTheSender (then roll back: nothing is kept)."""
    try:
        topic = topics.build(Kind.CHECKIN, worker)
    except ValueError:
        raise CheckinRefused(f"worker code {worker!r} cannot name a check-in topic") from None
    received = Received(topic, body, received_at=received_at or time.time())
    outcome = pipeline.run(session, [received])
    if outcome.reasons:
        reason = outcome.reasons[0]
        if reason.startswith(SENDER_MISMATCH):
            raise NotTheSender(reason)
        raise CheckinRefused(reason)
    msg_id = orjson.loads(body)["id"]  # valid by now: the pipeline accepted it
    checkin = session.scalar(
        select(Checkin).where(Checkin.worker_code == worker, Checkin.msg_id == msg_id)
    )
    if checkin is None:  # accepted means stored, or stored before: never neither
        raise RuntimeError(f"check-in {worker}/{msg_id} accepted but not found")
    return Submitted(checkin, created=outcome.accepted == 1)
