"""Test factories: a small region tree with grids, members, users and their auth headers.

The tree made by ``make_grid_tree`` (each grid a 0.01° square near 118.8°E 32.0°N)::

    C1 county
    ├── T1 town
    │   ├── V1 village: G11, G12
    │   └── V2 village: G21
    └── T2 town
        └── V3 village: G31
"""

from datetime import UTC, datetime
from functools import cache
from typing import Any

from geoalchemy2.shape import from_shape
from shapely import Polygon, box
from sqlalchemy.orm import Session

from gridhub.api.models import ApiToken, User
from gridhub.api.security import create_access_token, hash_password, new_api_token, token_digest
from gridhub.api.users import access_claims
from gridhub.config import Settings
from gridhub.geo.models import Member, MemberArea, Region

TREE: tuple[tuple[str, str, str | None], ...] = (
    ("C1", "county", None),
    ("T1", "town", "C1"),
    ("T2", "town", "C1"),
    ("V1", "village", "T1"),
    ("V2", "village", "T1"),
    ("V3", "village", "T2"),
    ("G11", "grid", "V1"),
    ("G12", "grid", "V1"),
    ("G21", "grid", "V2"),
    ("G31", "grid", "V3"),
)
ORIGIN = (118.8, 32.0)
CELL = 0.01
TEST_PASSWORD = "correct horse battery"


def grid_square(index: int) -> Polygon:
    """The ``index``-th grid square, side by side along the parallel."""
    lon, lat = ORIGIN[0] + index * CELL, ORIGIN[1]
    return box(lon, lat, lon + CELL, lat + CELL)


def make_region(
    session: Session,
    code: str,
    level: str,
    parent: Region | None = None,
    geometry: Polygon | None = None,
    name: str | None = None,
    properties: dict[str, Any] | None = None,
) -> Region:
    path = f"{parent.path if parent else '/'}{code}/"
    region = Region(
        code=code,
        name=name or f"{level} {code}",
        level=level,
        parent=parent,
        path=path,
        geom=None if geometry is None else from_shape(geometry, 4326),
        properties=properties or {},
    )
    session.add(region)
    session.flush()
    return region


def make_grid_tree(session: Session) -> dict[str, Region]:
    """The tree above; grids get squares in the order G11, G12, G21, G31."""
    regions: dict[str, Region] = {}
    grid_index = 0
    for code, level, parent in TREE:
        geometry = None
        if level == "grid":
            geometry, grid_index = grid_square(grid_index), grid_index + 1
        regions[code] = make_region(
            session, code, level, regions.get(parent) if parent else None, geometry
        )
    return regions


def make_member(
    session: Session,
    code: str,
    role: str,
    areas: list[str],
    duty: str = "always",
    **fields: Any,
) -> Member:
    """A member assigned to the regions with codes ``areas`` (which must exist)."""
    regions = {r.code: r for r in session.query(Region).filter(Region.code.in_(areas))}
    member = Member(
        code=code,
        name=fields.pop("name", f"member {code}"),
        role=role,
        duty=duty,
        notify=fields.pop("notify", []),
        areas=[MemberArea(region=regions[a], position=i) for i, a in enumerate(areas)],
        **fields,
    )
    session.add(member)
    session.flush()
    return member


@cache
def _test_password_hash() -> str:
    return hash_password(TEST_PASSWORD)  # argon2 is slow on purpose: hash once per run


def make_user(
    session: Session,
    username: str = "operator",
    role: str = "operator",
    scope: str | None = None,
    active: bool = True,
) -> User:
    """A user whose password is TEST_PASSWORD."""
    user = User(
        username=username,
        password_hash=_test_password_hash(),
        role=role,
        scope=scope,
        active=active,
    )
    session.add(user)
    session.flush()
    return user


def auth_header(settings: Settings, user: User, now: datetime | None = None) -> dict[str, str]:
    """An Authorization header carrying a fresh sign-in token for ``user``."""
    token, _ = create_access_token(settings, access_claims(user), now or datetime.now(UTC))
    return {"Authorization": f"Bearer {token}"}


def make_api_token(session: Session, user: User, name: str = "integration") -> tuple[ApiToken, str]:
    """An API token row for ``user`` and the token itself."""
    secret = new_api_token()
    token = ApiToken(name=name, user=user, token_hash=token_digest(secret), revoked=False)
    session.add(token)
    session.flush()
    return token, secret
