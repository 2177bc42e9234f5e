"""``/api/v1/meta``: the rules the pages draw by (severities, alert states and actions,
roles), served from the modules that own them so that no page keeps a second copy."""

from fastapi import APIRouter

from gridhub.alerts.lifecycle import CLOSED_STATES, STATES, TRANSITIONS
from gridhub.api.deps import API_PREFIX, CurrentUser
from gridhub.api.models import USER_ROLES
from gridhub.api.permissions import ACTION_ROLES
from gridhub.api.schemas import Schema
from gridhub.geo.roles import ROLES
from gridhub.i18n import TRANSLATED_ARGS
from gridhub.severity import COLOURS, SEVERITIES

router = APIRouter(prefix=API_PREFIX, tags=["meta"])


class SeverityOut(Schema):
    name: str
    rank: int
    colour: str


class StateOut(Schema):
    name: str
    open: bool


class ActionOut(Schema):
    name: str
    from_states: list[str]
    to_state: str
    roles: list[str]
    """User roles that may take it through the API (none: the hub's own, e.g. dispatch)."""


class RoleOut(Schema):
    name: str
    rank: int | None
    title: str


class MetaOut(Schema):
    severities: list[SeverityOut]
    """Lowest first."""
    alert_states: list[StateOut]
    alert_actions: list[ActionOut]
    roles: list[RoleOut]
    """Escalation order first; roles outside the chain have no rank."""
    user_roles: list[str]
    """Roles of the hub's users (what they may do), as ``user_role.<name>`` in the catalogues."""
    translated_args: dict[str, str]
    """Title arguments that are words themselves: argument → catalogue group."""


@router.get("/meta")
def meta(_user: CurrentUser) -> MetaOut:
    """Severities with their colours, alert states and the actions between them, roles."""
    return MetaOut(
        severities=[
            SeverityOut(name=name, rank=rank, colour=COLOURS[name])
            for rank, name in enumerate(SEVERITIES)
        ],
        alert_states=[StateOut(name=state, open=state not in CLOSED_STATES) for state in STATES],
        alert_actions=[
            ActionOut(
                name=action,
                from_states=sorted(sources),
                to_state=target,
                roles=sorted(ACTION_ROLES.get(action, ())),
            )
            for action, (sources, target) in TRANSITIONS.items()
        ],
        roles=[RoleOut(name=r.name, rank=r.rank, title=r.title) for r in ROLES],
        user_roles=list(USER_ROLES),
        translated_args=TRANSLATED_ARGS,
    )
