"""Acknowledgements from members' devices on ``members/{code}/ack``.

Each is applied in its own transaction and acknowledged to the broker only after the commit;
one that cannot be used becomes a dead letter with its reason (and is acknowledged, so the
broker does not offer it again).
"""

import logging
from typing import Literal

from pydantic import Field, ValidationError
from sqlalchemy.orm import Session, sessionmaker

from gridhub.alerts.actions import NotARecipient, UnknownAlert, device_ack
from gridhub.alerts.context import AlertContext
from gridhub.alerts.lifecycle import IllegalTransition
from gridhub.db import transaction, utcnow
from gridhub.mqtt.deadletters import DeadLetterRow, store_dead_letters
from gridhub.mqtt.inbound import Inbound, Received
from gridhub.mqtt.topics import Kind
from gridhub.reasons import describe

log = logging.getLogger(__name__)


class AckPayload(Inbound):
    alert_id: int = Field(ge=1)
    status: Literal["acknowledged", "in_progress", "resolved"] = "acknowledged"
    note: str | None = Field(None, max_length=1000)


def handle_ack(sessions: sessionmaker[Session], ctx: AlertContext, received: Received) -> str:
    """Apply one ack message; returns "ok" or the reason it went to the dead letters."""
    topic = ctx.topics.parse(received.topic)
    if topic is None or topic.kind is not Kind.MEMBER_ACK or topic.sender is None:
        return _dead(sessions, received, None, "topic is not members/{code}/ack")
    try:
        payload = AckPayload.model_validate_json(received.payload)
    except ValidationError as exc:
        return _dead(sessions, received, topic.sender, f"invalid member_ack: {describe(exc)}")
    try:
        with transaction(sessions) as session:
            device_ack(
                session, topic.sender, payload.alert_id, payload.status, utcnow(), payload.note, ctx
            )
    except (UnknownAlert, NotARecipient, IllegalTransition, ValueError) as exc:
        return _dead(sessions, received, topic.sender, str(exc), payload.id)
    return "ok"


def _dead(
    sessions: sessionmaker[Session],
    received: Received,
    sender: str | None,
    reason: str,
    msg_id: str | None = None,
) -> str:
    log.info("ack from %s refused: %s", sender, reason)
    with transaction(sessions) as session:
        store_dead_letters(session, [DeadLetterRow.of(received, reason, sender, msg_id)])
    return reason
