"""The resident-facing states of a report (我要说事 → 已派单 → 正在办理 → 已完成, or 不予受理),
how its work order's states read to the resident, and how Open311 sees them (pure)."""

from typing import Final, Literal

RECEIVED: Final = "received"
"""已受理: filed, waiting to be sent to someone."""
DISPATCHED: Final = "dispatched"
"""已派单: sent to its handlers."""
IN_PROGRESS: Final = "in_progress"
"""正在办理: a handler has taken it on."""
DONE: Final = "done"
"""已完成: handled; the handler's reply is public."""
REJECTED: Final = "rejected"
"""不予受理: not taken on, with the reason as the public reply."""

STATES = (RECEIVED, DISPATCHED, IN_PROGRESS, DONE, REJECTED)
CLOSED_STATES = frozenset({DONE, REJECTED})

OF_ORDER: Final[dict[str, str]] = {
    "dispatched": DISPATCHED,
    "acknowledged": IN_PROGRESS,
    "in_progress": IN_PROGRESS,
    "resolved": DONE,
    "cancelled": REJECTED,
}
"""A work order's (alert's) state → the report's; a state not here leaves the report as it is."""

Rating = Literal["satisfied", "fair", "dissatisfied"]
RATINGS: tuple[str, ...] = ("satisfied", "fair", "dissatisfied")
"""满意 / 基本满意 / 不满意."""


def open311_status(state: str) -> str:
    """GeoReport v2's ``status``: ``open`` or ``closed``."""
    return "closed" if state in CLOSED_STATES else "open"
