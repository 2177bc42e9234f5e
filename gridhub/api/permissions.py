"""Who may handle alerts: the user roles behind each action of ``/api/v1/alerts/{id}/{action}``,
in one place for the route that enforces them, ``/api/v1/meta`` and the alert detail that
tell the pages which buttons to show."""

from gridhub.alerts.lifecycle import TRANSITIONS

HANDLERS = frozenset({"admin", "operator", "dispatcher"})
ACTION_ROLES: dict[str, frozenset[str]] = {
    "ack": HANDLERS | {"grid_worker"},
    "progress": HANDLERS | {"grid_worker"},
    "resolve": HANDLERS | {"grid_worker"},
    "assign": HANDLERS,
    "cancel": HANDLERS,
}
"""The actions people take through the API (``dispatch`` is the hub's own)."""


def allowed_actions(role: str, status: str, covered: bool) -> list[str]:
    """The actions ``role`` may take now on an alert in ``status``; none on an alert that
    reaches beyond the caller's scope (acting on it would answer 403)."""
    if not covered:
        return []
    return [
        action
        for action, roles in ACTION_ROLES.items()
        if role in roles and status in TRANSITIONS[action][0]
    ]
