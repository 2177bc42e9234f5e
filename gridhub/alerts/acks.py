"""Acknowledgements from members' devices on ``members/{code}/ack``.

Each is applied in its own transaction and acknowledged to the broker only after the commit;
one that cannot be used becomes a dead letter with its reason (and is acknowledged, so the
broker does not offer it again).
"""

import logging
from typing import Literal

from pydantic import Field, ValidationError, model_validator
from sqlalchemy.orm import Session, sessionmaker

from gridhub.alerts.actions import NotARecipient, UnknownAlert, device_ack
from gridhub.alerts.context import AlertContext
from gridhub.alerts.lifecycle import IllegalTransition
from gridhub.alerts.receipts import ANSWERS, Answer, NoReceipt, answer, answer_many
from gridhub.db import transaction, utcnow
from gridhub.mqtt.deadletters import DeadLetterRow, store_dead_letters
from gridhub.mqtt.inbound import Inbound, Received
from gridhub.mqtt.topics import Kind
from gridhub.reasons import describe

log = logging.getLogger(__name__)


class AckPayload(Inbound):
    """An alert's acknowledgement (``alert_id``), or an area warning's receipt
    (``warning_id`` with ``received``, ``read`` or ``confirmed``)."""

    alert_id: int | None = Field(None, ge=1)
    warning_id: int | None = Field(None, ge=1)
    status: Literal["acknowledged", "in_progress", "resolved", "received", "read", "confirmed"] = (
        "acknowledged"
    )
    note: str | None = Field(None, max_length=1000)

    @model_validator(mode="after")
    def _one_subject(self) -> "AckPayload":
        if (self.alert_id is None) == (self.warning_id is None):
            raise ValueError("give alert_id or warning_id, not both or neither")
        if self.warning_id is not None and self.status not in ANSWERS:
            raise ValueError(f"a warning's status is one of {', '.join(ANSWERS)}")
        if self.alert_id is not None and self.status in ANSWERS:
            raise ValueError("received, read and confirmed answer a warning_id")
        return self


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
            if payload.warning_id is not None:
                answer(session, topic.sender, payload.warning_id, payload.status, utcnow(), "mqtt")
            else:
                assert payload.alert_id is not None  # _one_subject
                device_ack(session, topic.sender, payload.alert_id, payload.status, utcnow(),
                           payload.note, ctx)  # fmt: skip
    except (UnknownAlert, NotARecipient, IllegalTransition, ValueError) as exc:
        return _dead(sessions, received, topic.sender, str(exc), payload.id)
    return "ok"


def handle_acks(
    sessions: sessionmaker[Session], ctx: AlertContext, batch: list[Received]
) -> list[str]:
    """Apply a batch of ack messages: the warnings' receipts together in one transaction (a
    flood warning's members all answer within seconds), alerts' acks one by one. Returns
    each message's outcome, "ok" or the reason it went to the dead letters."""
    outcomes: dict[int, str] = {}
    answers: list[tuple[int, Received, str, AckPayload]] = []
    for index, received in enumerate(batch):
        topic = ctx.topics.parse(received.topic)
        try:
            payload = AckPayload.model_validate_json(received.payload)
        except ValidationError:
            payload = None
        if topic is None or topic.sender is None or payload is None or payload.warning_id is None:
            outcomes[index] = handle_ack(sessions, ctx, received)
        else:
            answers.append((index, received, topic.sender, payload))
    if answers:
        now = utcnow()
        with transaction(sessions) as session:
            done = answer_many(
                session,
                [
                    Answer(code, p.warning_id or 0, p.status, now, "mqtt")
                    for _i, _r, code, p in answers
                ],
            )
            dead = []
            for (index, received, code, payload), outcome in zip(answers, done, strict=True):
                if isinstance(outcome, NoReceipt):
                    dead.append(DeadLetterRow.of(received, str(outcome), code, payload.id))
                    outcomes[index] = str(outcome)
                else:
                    outcomes[index] = "ok"
            if dead:
                store_dead_letters(session, dead)
    return [outcomes[index] for index in range(len(batch))]


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
