"""Where a report goes: its type's role at the report's grid, or its unit; and the ladder its
work order climbs when the handlers do not take it on (the reports' slower one)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridhub.config.alerts import EscalationLevel, EscalationPolicy
from gridhub.config.reports import ReportsConfig, ServiceConfig
from gridhub.geo.duty import on_duty
from gridhub.geo.models import Member
from gridhub.geo.roles import ROLES_BY_NAME
from gridhub.geo.roster import grid_members


@dataclass(frozen=True, slots=True)
class Route:
    """Who handles a report: ``routed_to`` (``role:grid_worker``, ``unit:land_office``,
    ``member:GW0101A``) and the members it is sent to, in order."""

    routed_to: str
    handlers: tuple[str, ...]
    rank: int | None
    """The handlers' escalation rank (their role's); None for a unit or a role outside it."""


def route_of(
    session: Session,
    config: ReportsConfig,
    service: ServiceConfig,
    grid: str,
    now: datetime,
    timezone: str,
) -> Route | None:
    """The route the type's routing gives at ``grid`` now; None when it is not clear (no
    routing, or nobody of the role or unit there): the report then waits for an operator."""
    if service.role:
        people = [
            p.member_code
            for p in grid_members(session, grid)
            if p.role == service.role and on_duty(p.duty, now, timezone)
        ]
        rank = ROLES_BY_NAME[service.role].rank
        return Route(f"role:{service.role}", tuple(people), rank) if people else None
    if service.unit:
        return unit_route(session, config, service.unit)
    return None


def unit_route(session: Session, config: ReportsConfig, unit: str) -> Route | None:
    """The unit's members on the roster; None if it has none (or is unknown)."""
    wanted = config.units[unit].members if unit in config.units else ()
    known = set(session.scalars(select(Member.code).where(Member.code.in_(wanted))))
    people = tuple(code for code in wanted if code in known)
    return Route(f"unit:{unit}", people, None) if people else None


def member_route(session: Session, code: str) -> Route | None:
    """One member chosen by an operator; None if there is no such member."""
    role = session.scalar(select(Member.role).where(Member.code == code))
    if role is None:
        return None
    return Route(f"member:{code}", (code,), ROLES_BY_NAME[role].rank)


def ladder(config: ReportsConfig, route: Route) -> EscalationPolicy:
    """The handlers first, then the reports' escalation levels ranked above them."""
    label = route.routed_to.split(":", 1)[1]
    first = EscalationLevel(
        role=label, ack_timeout_s=config.handler_ack_timeout_s, members=route.handlers
    )
    above = [
        level
        for level in config.escalation
        if route.rank is None or (ROLES_BY_NAME[level.role].rank or 0) > route.rank
    ]
    return EscalationPolicy(levels=(first, *above))
