"""Who is responsible for a grid, in escalation order, and which grids a member covers.

A member assigned to a region is responsible for every grid beneath it. For a grid the
escalation chain is: its grid workers → grid leaders → village cadres → town operators
→ county operators (roles.ESCALATION); a level with nobody on duty is skipped.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from gridhub.geo.duty import ALWAYS, DEFAULT_TIMEZONE, parse_duty
from gridhub.geo.models import LEVELS, PATH_SEPARATOR, Member, MemberArea, Region
from gridhub.geo.roles import ESCALATION, ROLE_NAMES, role_rank
from gridhub.scope import Scope

CHUNK = 500
"""Codes per ``IN (…)`` list: well under every backend's bound-parameter limit."""


@dataclass(frozen=True, slots=True)
class Responsible:
    """A member responsible for a grid, through ``region_code`` (the grid or an ancestor)."""

    member_code: str
    name: str
    role: str
    region_code: str
    level_rank: int
    mqtt_client_id: str | None
    phone: str | None
    notify: tuple[str, ...]
    duty: str = ALWAYS
    language: str | None = None


@dataclass(frozen=True, slots=True)
class _Assignment:
    responsible: Responsible
    depth: int


def responsible_members(
    session: Session, grid_code: str, at: datetime, timezone: str = DEFAULT_TIMEZONE
) -> list[Responsible]:
    """Members on duty at ``at`` responsible for ``grid_code``, in escalation order.

    An unknown grid has nobody. Police and legal advisers are not in the chain.
    """
    return responsible_for_grids(session, [grid_code], at, timezone).get(grid_code, [])


def responsible_for_grids(
    session: Session, grid_codes: Iterable[str], at: datetime, timezone: str = DEFAULT_TIMEZONE
) -> dict[str, list[Responsible]]:
    """``responsible_members`` for many grids at once (an area warning), in few queries."""
    local = at.astimezone(ZoneInfo(timezone)) if at.tzinfo is not None else None
    if local is None:
        raise ValueError("responsible_for_grids needs an aware datetime")
    return _roster(session, grid_codes, ESCALATION, lambda duty: parse_duty(duty).covers(local))


def grid_members(session: Session, grid_code: str) -> list[Responsible]:
    """Everyone responsible for ``grid_code`` whatever their duty hours: the escalation
    chain first, then police and legal advisers."""
    return _roster(session, [grid_code], ROLE_NAMES, lambda _duty: True).get(grid_code, [])


def member_in_scope(scope: Scope) -> ColumnElement[bool]:
    """Members responsible for some region under ``scope`` (shared members included)."""
    return Member.areas.any(MemberArea.region.has(scope.sql(Region.path)))


def member_grid_codes(session: Session, member_code: str) -> set[str]:
    """The grids ``member_code`` is responsible for, regions expanded to their grids."""
    paths = session.scalars(
        select(Region.path)
        .join(MemberArea, MemberArea.region_id == Region.id)
        .join(Member, Member.id == MemberArea.member_id)
        .where(Member.code == member_code)
    ).all()
    codes: set[str] = set()
    for path in paths:
        query = select(Region.code).where(
            Region.level == LEVELS[-1], Region.path.startswith(path, autoescape=True)
        )
        codes.update(session.scalars(query))
    return codes


def _roster(
    session: Session,
    grid_codes: Iterable[str],
    roles: tuple[str, ...],
    on_duty_now: Callable[[str], bool],
) -> dict[str, list[Responsible]]:
    """Members with ``roles`` responsible for each known grid and on duty, in escalation order."""
    paths = _paths(session, list(dict.fromkeys(grid_codes)))
    ancestors = {code for path in paths.values() for code in path}
    duty_cache: dict[str, bool] = {}
    by_region: dict[str, list[_Assignment]] = {}
    for assignment in _assignments(session, sorted(ancestors), roles):
        duty = assignment.responsible.duty
        if duty not in duty_cache:
            duty_cache[duty] = on_duty_now(duty)
        if duty_cache[duty]:
            by_region.setdefault(assignment.responsible.region_code, []).append(assignment)
    roster: dict[str, list[Responsible]] = {}
    for grid_code, path in paths.items():
        deepest: dict[str, _Assignment] = {}
        for code in path:
            for assignment in by_region.get(code, ()):
                # Ancestors come first in the path, so a later (deeper) area wins.
                deepest[assignment.responsible.member_code] = assignment
        ordered = sorted(deepest.values(), key=_escalation_order)
        roster[grid_code] = [assignment.responsible for assignment in ordered]
    return roster


def _escalation_order(assignment: _Assignment) -> tuple[int, int, str]:
    person = assignment.responsible
    return person.level_rank, -assignment.depth, person.member_code


def _paths(session: Session, codes: list[str]) -> dict[str, list[str]]:
    paths: dict[str, list[str]] = {}
    for start in range(0, len(codes), CHUNK):
        query = select(Region.code, Region.path).where(
            Region.code.in_(codes[start : start + CHUNK])
        )
        for code, path in session.execute(query):
            paths[code] = [part for part in path.split(PATH_SEPARATOR) if part]
    return paths


def _assignments(
    session: Session, region_codes: list[str], roles: tuple[str, ...]
) -> list[_Assignment]:
    found: list[_Assignment] = []
    for start in range(0, len(region_codes), CHUNK):
        query = (
            select(
                Member.code,
                Member.name,
                Member.role,
                Member.mqtt_client_id,
                Member.phone,
                Member.notify,
                Member.duty,
                Member.language,
                Region.code,
                Region.path,
            )
            .join(MemberArea, MemberArea.member_id == Member.id)
            .join(Region, Region.id == MemberArea.region_id)
            .where(Region.code.in_(region_codes[start : start + CHUNK]), Member.role.in_(roles))
        )
        for row in session.execute(query):
            code, name, role, client_id, phone, notify, duty, language, region_code, path = row
            person = Responsible(
                member_code=code,
                name=name,
                role=role,
                region_code=region_code,
                level_rank=role_rank(role),
                mqtt_client_id=client_id,
                phone=phone,
                notify=tuple(notify or ()),
                duty=duty or ALWAYS,
                language=language,
            )
            found.append(_Assignment(person, path.count(PATH_SEPARATOR)))
    return found
