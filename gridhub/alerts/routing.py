"""Who must hear about an alert: its place → grid(s) → the members responsible there now."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from gridhub.geo.duty import ALWAYS, on_duty
from gridhub.geo.models import Member, MemberArea, Region
from gridhub.geo.roles import ESCALATION, role_rank
from gridhub.geo.roster import responsible_for_grids

ROOT_PATH = "/"
BULK_GRIDS = 50
"""Above this many grids, members are found by one query over the region subtree."""


class Locator(Protocol):
    """What routing needs of the geo area's spatial index (``hub.locator``)."""

    def locate(self, lon: float, lat: float, crs: str = "wgs84") -> Any: ...

    def grids_intersecting(self, geometry: shapely.Geometry) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class Place:
    """The grids an alert covers, each grid's region path, and their deepest common path."""

    grids: tuple[str, ...]
    paths: dict[str, str]
    region_path: str


@dataclass(frozen=True, slots=True)
class Recipient:
    member_code: str
    role: str
    notify: tuple[str, ...] = ()
    language: str | None = None
    """What the member reads; None: the hub's language."""


def find_grids(
    session: Session,
    locator: Locator | None,
    lon: float | None,
    lat: float | None,
    area: dict[str, Any] | None,
    grids: Sequence[str] = (),
) -> list[str]:
    """The grids of an alert: given explicitly, else its area's, else its point's."""
    if grids:
        return list(dict.fromkeys(grids))
    if area is not None:
        geometry = shapely.geometry.shape(area)
        if locator is not None:
            return locator.grids_intersecting(geometry)
        return _grids_in_store(session, func.ST_Intersects(Region.geom, _geom(geometry)))
    if lon is not None and lat is not None:
        if locator is not None:
            grid = locator.locate(lon, lat).grid
            return [grid] if grid else []
        point = _geom(shapely.Point(lon, lat))
        return _grids_in_store(session, func.ST_Contains(Region.geom, point))[:1]
    return []


def place_of(session: Session, grids: Sequence[str]) -> Place:
    """Region paths of ``grids`` (unknown codes are dropped) and their common ancestor path."""
    paths: dict[str, str] = {}
    for start in range(0, len(grids), 1000):
        chunk = list(grids[start : start + 1000])
        rows = session.execute(select(Region.code, Region.path).where(Region.code.in_(chunk)))
        paths.update({code: path for code, path in rows})
    known = tuple(code for code in grids if code in paths)
    return Place(known, paths, common_path(paths.values()))


def common_path(paths: Iterable[str]) -> str:
    """The deepest region path that every path lies under (``/`` when none is shared)."""
    split = [[code for code in path.split("/") if code] for path in paths]
    if not split:
        return ROOT_PATH
    shared: list[str] = []
    for codes in zip(*split, strict=False):
        if any(code != codes[0] for code in codes):
            break
        shared.append(codes[0])
    return ROOT_PATH + "".join(f"{code}/" for code in shared)


def responsible(
    session: Session,
    grids: Sequence[str],
    at: datetime,
    timezone: str,
    paths: Mapping[str, str] | None = None,
    off_duty_too: bool = False,
) -> list[Recipient]:
    """Everyone on duty responsible for ``grids`` now, in escalation order, each member once
    (with ``off_duty_too``, everyone responsible: a red flood warning calls everyone in).

    With the grids' ``paths`` known, one query over the region subtree replaces the roster's
    lookups (the same people: see tests/alerts/test_service.py).
    """
    if off_duty_too and not paths:
        paths = place_of(session, grids).paths
    if paths:
        return _responsible_under(session, paths, at, timezone, off_duty_too)
    people = [
        person
        for everyone in responsible_for_grids(session, grids, at, timezone).values()
        for person in everyone
    ]
    found: dict[str, Recipient] = {}
    for person in sorted(people, key=lambda p: p.level_rank):
        found.setdefault(
            person.member_code,
            Recipient(person.member_code, person.role, person.notify, person.language),
        )
    return list(found.values())


def _responsible_under(
    session: Session,
    paths: Mapping[str, str],
    at: datetime,
    timezone: str,
    off_duty_too: bool = False,
) -> list[Recipient]:
    """Members assigned to one of the grids or to a region above one of them, on duty."""
    wanted = {ancestor for path in paths.values() for ancestor in ancestors(path)}
    common = common_path(paths.values())
    rows = session.execute(
        select(Member.code, Member.role, Member.notify, Member.duty, Member.language, Region.path)
        .join(MemberArea, MemberArea.member_id == Member.id)
        .join(Region, Region.id == MemberArea.region_id)
        .where(
            or_(
                Region.path.startswith(common, autoescape=True),
                Region.path.in_(ancestors(common)),
            ),
            Member.role.in_(ESCALATION),
        )
    )
    found: dict[str, Recipient] = {}
    for code, role, notify, duty, language, path in rows:
        if path not in wanted or code in found:
            continue
        if off_duty_too or on_duty(duty or ALWAYS, at, timezone):
            found[code] = Recipient(code, role, tuple(notify or ()), language)
    return sorted(found.values(), key=lambda r: (role_rank(r.role), r.member_code))


def ancestors(path: str) -> list[str]:
    """``/C/T/V/`` → ``/C/``, ``/C/T/``, ``/C/T/V/``."""
    codes = [code for code in path.split("/") if code]
    return [ROOT_PATH + "".join(f"{c}/" for c in codes[: n + 1]) for n in range(len(codes))]


def _geom(geometry: BaseGeometry) -> Any:
    return func.ST_GeomFromText(geometry.wkt, 4326)


def _grids_in_store(session: Session, condition: Any) -> list[str]:
    query = select(Region.code).where(Region.level == "grid", condition).order_by(Region.code)
    return list(session.scalars(query))
