"""What arrives over MQTT: the raw message, and the fields every inbound payload carries."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

MAX_ID_LENGTH = 128


@dataclass(slots=True)
class Received:
    """One MQTT message as it came off the wire (``generation`` = connection it came on)."""

    topic: str
    payload: bytes
    mid: int = 0
    qos: int = 1
    received_at: float = 0.0
    generation: int = 0


def _timestamp(value: Any) -> Any:
    """Epoch milliseconds or ISO 8601 with a zone → aware UTC datetime."""
    if isinstance(value, bool):
        raise ValueError("must be ISO 8601 or epoch milliseconds")
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError("epoch milliseconds out of range") from None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("must be ISO 8601 or epoch milliseconds") from None
        if parsed.tzinfo is None:
            raise ValueError("ISO 8601 time must carry its zone (Z or +08:00)")
        return parsed.astimezone(UTC)
    return value


Timestamp = Annotated[datetime, BeforeValidator(_timestamp)]
MessageId = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH)]


class Inbound(BaseModel):
    """Every inbound message: a sender-chosen ``id`` and its time ``ts``."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: MessageId
    ts: Timestamp
