"""Who must hear about an alert: its place → grid(s) → the members responsible there now."""

import time
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
PATHS_TTL_S = 60.0
"""Without a locator's revision to say when grids changed, paths are kept this long."""
IN_LIST = 1000
"""Codes or paths per IN list: few round trips, well inside parameter limits."""


class Locator(Protocol):
    """What routing needs of the geo area's spatial index (``hub.locator``)."""

    def locate(self, lon: float, lat: float, crs: str = "wgs84") -> Any: ...

    def grids_intersecting(self, geometry: shapely.Geometry) -> list[str]: ...

    @property
    def revision(self) -> int | None:
        """The grid revision its index was built from: it moves when grids change."""
        ...


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


def place_of(
    session: Session, grids: Sequence[str], paths: Mapping[str, str] | None = None
) -> Place:
    """Region paths of ``grids`` (unknown codes are dropped) and their common ancestor path;
    ``paths``: the grids' paths known already (``PathCache``), else asked of the store."""
    paths = region_paths(session, grids) if paths is None else paths
    known = tuple(code for code in grids if code in paths)
    return Place(known, {code: paths[code] for code in known}, common_path(paths[c] for c in known))


def region_paths(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """The region path of each known code, asked of the store."""
    wanted = list(dict.fromkeys(codes))
    paths: dict[str, str] = {}
    for start in range(0, len(wanted), IN_LIST):
        chunk = wanted[start : start + IN_LIST]
        rows = session.execute(select(Region.code, Region.path).where(Region.code.in_(chunk)))
        paths.update({code: path for code, path in rows})
    return paths


class PathCache:
    """Region paths of codes, asked of the store once and kept while the locator's grid
    revision holds (an import that changes grids moves it), and PATHS_TTL_S at most: an alert
    and a batch of check-ins would otherwise each ask for the same few paths."""

    def __init__(self, ttl_s: float = PATHS_TTL_S) -> None:
        self._ttl_s = ttl_s
        self._known: dict[str, str] = {}
        self._key: tuple[int | None, float] | None = None

    def paths(self, session: Session, codes: Iterable[str], revision: int | None) -> dict[str, str]:
        """``{code: path}`` for the known ones of ``codes`` (the cache's whole content), as of
        the locator's grid ``revision``."""
        clock = time.monotonic()
        if self._key is None or self._key[0] != revision or clock > self._key[1]:
            # A new dict, not a cleared one: another thread may be reading the old one.
            self._known, self._key = {}, (revision, clock + self._ttl_s)
        known = self._known
        missing = [code for code in codes if code not in known]
        if missing:
            known.update(region_paths(session, missing))
        return known


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
    common = common_path(paths.values())
    found = session.execute(
        _assigned().where(
            or_(
                Region.path.startswith(common, autoescape=True),
                Region.path.in_(ancestors(common)),
            )
        )
    )
    wanted = {ancestor for path in paths.values() for ancestor in ancestors(path)}
    rows = [tuple(row) for row in found if row[-1] in wanted]  # the subtree's other grids
    return _Roster(rows, at, timezone, off_duty_too).under(paths.values())


def responsible_many(
    session: Session, places: Sequence[Mapping[str, str]], at: datetime, timezone: str
) -> list[list[Recipient]]:
    """``responsible`` for each of several alerts' places (their grids' paths), with one
    query for all: the members assigned to their grids or to the regions above them."""
    wanted = sorted({a for paths in places for path in paths.values() for a in ancestors(path)})
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(wanted), IN_LIST):
        chunk = wanted[start : start + IN_LIST]
        found = session.execute(_assigned().where(Region.path.in_(chunk)))
        rows.extend(tuple(row) for row in found)
    roster = _Roster(rows, at, timezone)
    return [roster.under(paths.values()) for paths in places]


def _assigned() -> Any:
    """Members on the escalation ladder with the path of each region they are assigned to."""
    return (
        select(Member.code, Member.role, Member.notify, Member.duty, Member.language, Region.path)
        .join(MemberArea, MemberArea.member_id == Member.id)
        .join(Region, Region.id == MemberArea.region_id)
        .where(Member.role.in_(ESCALATION))
    )


class _Roster:
    """Rows of ``_assigned``, each member's duty read once, answered per place."""

    def __init__(
        self, rows: Sequence[tuple[Any, ...]], at: datetime, timezone: str, everyone: bool = False
    ) -> None:
        self._by_path: dict[str, list[Recipient]] = {}
        duty_of: dict[str, bool] = {}
        for code, role, notify, duty, language, path in rows:
            if code not in duty_of:
                duty_of[code] = everyone or on_duty(duty or ALWAYS, at, timezone)
            if duty_of[code]:
                person = Recipient(code, role, tuple(notify or ()), language)
                self._by_path.setdefault(path, []).append(person)

    def under(self, paths: Iterable[str]) -> list[Recipient]:
        """Who is assigned to one of ``paths`` or above it, each once, in escalation order."""
        wanted = {ancestor for path in paths for ancestor in ancestors(path)}
        found = {p.member_code: p for path in wanted for p in self._by_path.get(path, ())}
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
