"""Alert states and the legal transitions between them (pure)."""

from typing import Final

NEW: Final = "new"
DISPATCHED: Final = "dispatched"
ACKNOWLEDGED: Final = "acknowledged"
IN_PROGRESS: Final = "in_progress"
RESOLVED: Final = "resolved"
CANCELLED: Final = "cancelled"

STATES = (NEW, DISPATCHED, ACKNOWLEDGED, IN_PROGRESS, RESOLVED, CANCELLED)
OPEN_STATES = frozenset({NEW, DISPATCHED, ACKNOWLEDGED, IN_PROGRESS})
CLOSED_STATES = frozenset({RESOLVED, CANCELLED})

# action -> (states it may start from, state it leads to)
TRANSITIONS: Final[dict[str, tuple[frozenset[str], str]]] = {
    "dispatch": (frozenset({NEW}), DISPATCHED),
    "ack": (frozenset({NEW, DISPATCHED}), ACKNOWLEDGED),
    # A new assignee must acknowledge again, so assigning goes back to dispatched.
    "assign": (frozenset(OPEN_STATES), DISPATCHED),
    # Taking it on implies having seen it; repeating it records a progress note.
    "progress": (frozenset(OPEN_STATES), IN_PROGRESS),
    "resolve": (frozenset(OPEN_STATES), RESOLVED),
    "cancel": (frozenset(OPEN_STATES), CANCELLED),
}
ACTIONS = tuple(TRANSITIONS)
EVENT_OF_ACTION = {
    "dispatch": "dispatched",
    "ack": "acknowledged",
    "assign": "assigned",
    "progress": "in_progress",
    "resolve": "resolved",
    "cancel": "cancelled",
}
"""The audit event each action records."""
SYSTEM = "system"
"""The actor of what the hub does itself (dispatch, escalation, clearing at the source)."""


class IllegalTransition(Exception):
    """The action is not allowed from the alert's current state."""

    def __init__(self, action: str, state: str) -> None:
        super().__init__(f"cannot {action} an alert that is {state}")
        self.action = action
        self.state = state


def next_state(state: str, action: str) -> str:
    """The state ``action`` leads to from ``state``; IllegalTransition if it may not."""
    if action not in TRANSITIONS:
        raise ValueError(f"unknown action {action!r}; use one of {', '.join(ACTIONS)}")
    sources, target = TRANSITIONS[action]
    if state not in sources:
        raise IllegalTransition(action, state)
    return target
