"""What arrives over MQTT: the raw message, and the fields every inbound payload carries."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

MAX_ID_LENGTH = 128
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
"""No device of the hub's reports from before this: an earlier time (0, the epoch, of a
phone whose clock was reset) is a wrong clock, not a message from the past. The latest time
allowed is the hub's clock plus ``ingest.future_tolerance_s`` (the Validate step)."""


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
    """Epoch milliseconds or ISO 8601 with a zone → aware UTC datetime, not before 2000."""
    if isinstance(value, bool):
        raise ValueError("must be ISO 8601 or epoch milliseconds")
    if isinstance(value, int | float):
        try:
            moment = datetime.fromtimestamp(value / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError("epoch milliseconds out of range") from None
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("must be ISO 8601 or epoch milliseconds") from None
        if parsed.tzinfo is None:
            raise ValueError("ISO 8601 time must carry its zone (Z or +08:00)")
        try:  # year 1 east of UTC, or 9999 west of it, has no UTC time
            moment = parsed.astimezone(UTC)
        except OverflowError:
            if parsed.year < EARLIEST.year:
                raise ValueError(f"{value} is before {EARLIEST.date().isoformat()}") from None
            raise ValueError(f"{value} is after 9999-12-31 in UTC") from None
    else:
        return value
    if moment < EARLIEST:
        raise ValueError(f"{moment.isoformat()} is before {EARLIEST.date().isoformat()}")
    return moment


Timestamp = Annotated[datetime, BeforeValidator(_timestamp)]
MessageId = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH)]


class Inbound(BaseModel):
    """Every inbound message: a sender-chosen ``id`` and its time ``ts``."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: MessageId
    ts: Timestamp
