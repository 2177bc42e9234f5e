"""The ingest pipeline: an ordered tuple of steps run over one batch inside one transaction.

decode → validate → dedup → locate → store → emit. A step drops a message by rejecting it
(it becomes a dead letter with the reason); the rest of the batch goes on.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import shapely
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from gridhub.events import DomainEvent
from gridhub.mqtt.deadletters import DeadLetterRow, store_dead_letters
from gridhub.mqtt.inbound import Received
from gridhub.mqtt.topics import Kind


class Locator(Protocol):
    """What ingest needs of the spatial index (``gridhub.geo.locator.GridLocator``)."""

    def locate_many(self, lons: NDArray[Any], lats: NDArray[Any]) -> list[str | None]: ...

    def grids_intersecting(self, geometry: shapely.Geometry) -> list[str]: ...

    def refresh(self) -> None:
        """Build (or rebuild) the index now rather than on the first lookup."""


@dataclass(slots=True)
class Item:
    """A message on its way through the steps."""

    received: Received
    kind: Kind
    sender: str | None
    data: Any = None
    payload: Any = None
    lon: float | None = None
    lat: float | None = None
    grid: str | None = None

    def position(self) -> tuple[float, float]:
        """(lon, lat) of a message that has a place (check-ins, drone telemetry)."""
        if self.lon is None or self.lat is None:
            raise ValueError(f"a {self.kind.value} message without a position")
        return self.lon, self.lat


@dataclass
class BatchContext:
    session: Session
    now: datetime
    items: list[Item] = field(default_factory=list)
    dead: list[DeadLetterRow] = field(default_factory=list)
    events: list[DomainEvent] = field(default_factory=list)
    duplicates: int = 0
    stored: dict[str, int] = field(default_factory=dict)

    def reject(self, item: Item, reason: str) -> None:
        """Turn ``item`` into a dead letter; the caller drops it from ``items``."""
        self.dead.append(DeadLetterRow.of(item.received, reason, item.sender, _msg_id(item)))

    def keep(self, accepted: Sequence[Item]) -> None:
        self.items = list(accepted)

    def count(self, what: str, n: int = 1) -> None:
        self.stored[what] = self.stored.get(what, 0) + n


def _msg_id(item: Item) -> str | None:
    if item.payload is not None:
        return getattr(item.payload, "id", None)
    if isinstance(item.data, dict):
        value = item.data.get("id", item.data.get("tid"))
        return value[:128] if isinstance(value, str) else None
    return None


Step = Callable[[BatchContext], None]


@dataclass(frozen=True)
class BatchOutcome:
    accepted: int
    dead_letters: int
    duplicates: int
    stored: dict[str, int]
    events: int
    reasons: tuple[str, ...] = ()
    """Why each dead letter was refused, in order (HTTP answers a check-in with its own)."""


class Pipeline:
    """Runs its steps in order over a batch; the caller owns the transaction and the acks."""

    def __init__(self, steps: Sequence[Step]) -> None:
        self.steps = tuple(steps)

    def run(self, session: Session, batch: Sequence[Received]) -> BatchOutcome:
        ctx = BatchContext(session=session, now=datetime.now(UTC))
        ctx.items = [Item(received=received, kind=Kind.CHECKIN, sender=None) for received in batch]
        for step in self.steps:
            if not ctx.items:
                break
            step(ctx)
        store_dead_letters(session, ctx.dead)
        return BatchOutcome(
            accepted=len(ctx.items),
            dead_letters=len(ctx.dead),
            duplicates=ctx.duplicates,
            stored=ctx.stored,
            events=len(ctx.events),
            reasons=tuple(row.reason for row in ctx.dead),
        )
