"""Dispatch channels: each sends a batch of (target, payload) and reports each one's result."""

from collections.abc import Sequence
from typing import Any, Protocol

Outgoing = tuple[str, dict[str, Any]]
"""Where to (topic, URL) and what."""


class Channel(Protocol):
    """One way of reaching people or systems. ``send_many`` blocks until every item is
    done and returns, per item, None (sent) or why it failed; it never raises."""

    name: str
    chunk: int
    """Items handed to one ``send_many`` call (1 for slow, per-request channels)."""
    workers: int
    """Calls that may run at once, each in its own thread."""

    def send_many(self, items: Sequence[Outgoing]) -> list[str | None]: ...


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__
