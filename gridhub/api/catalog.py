"""The read side of grids, regions and members for the API, always within a user's scope.

Anything outside the scope is reported exactly like something that does not exist.
"""

from datetime import datetime
from urllib.parse import urlsplit

from geoalchemy2.shape import to_shape
from shapely.geometry import mapping
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from gridhub.api.schemas import (
    GridDetail,
    GridFeature,
    MemberOut,
    Page,
    PageParams,
    RegionOut,
    ResponsibleOut,
)
from gridhub.geo.duty import on_duty
from gridhub.geo.models import LEVELS, Member, MemberArea, Region
from gridhub.geo.roster import grid_members, member_in_scope
from gridhub.scope import Scope
from gridhub.secrets import SecretBox

GRID = LEVELS[-1]


def grid_features(session: Session, scope: Scope, under: str | None = None) -> list[GridFeature]:
    """Every grid in ``scope`` (and under region ``under``, if given), by code."""
    query = select(Region).where(Region.level == GRID, scope.sql(Region.path))
    if under is not None:
        query = query.where(Region.path.contains(f"/{under}/", autoescape=True))
    return [_feature(region) for region in session.scalars(query.order_by(Region.code))]


def grid_detail(
    session: Session, scope: Scope, code: str, now: datetime, timezone: str
) -> GridDetail | None:
    """A grid with everyone responsible for it in escalation order; None if not visible."""
    region = _visible(session, scope, code)
    if region is None or region.level != GRID:
        return None
    members = [
        ResponsibleOut(
            member_code=person.member_code,
            name=person.name,
            role=person.role,
            region_code=person.region_code,
            level_rank=person.level_rank,
            phone=person.phone,
            mqtt_client_id=person.mqtt_client_id,
            duty=person.duty,
            on_duty=on_duty(person.duty, now, timezone),
        )
        for person in grid_members(session, code)
    ]
    return GridDetail(**_feature(region).model_dump(), members=members)


def region_path(session: Session, scope: Scope, code: str) -> str | None:
    """The path of region ``code`` if it lies in ``scope``."""
    region = _visible(session, scope, code)
    return None if region is None else region.path


def regions_page(
    session: Session, scope: Scope, paging: PageParams, level: str | None = None
) -> Page[RegionOut]:
    """Regions in scope, by path (each parent before its children)."""
    query = select(Region).where(scope.sql(Region.path))
    if level is not None:
        query = query.where(Region.level == level)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Region.path).limit(paging.limit).offset(paging.offset))
    return Page(items=[_region_out(region) for region in rows], total=total)


def members_page(
    session: Session, scope: Scope, box: SecretBox, paging: PageParams, role: str | None = None
) -> Page[MemberOut]:
    """Members assigned to at least one region in scope, by code, with only those regions."""
    query = select(Member).where(member_in_scope(scope))
    if role is not None:
        query = query.where(Member.role == role)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Member.code)
        .limit(paging.limit)
        .offset(paging.offset)
        .options(selectinload(Member.areas).selectinload(MemberArea.region))
    )
    return Page(items=[_member_out(member, scope, box) for member in rows], total=total)


def member_detail(session: Session, scope: Scope, box: SecretBox, code: str) -> MemberOut | None:
    query = (
        select(Member)
        .where(Member.code == code, member_in_scope(scope))
        .options(selectinload(Member.areas).selectinload(MemberArea.region))
    )
    member = session.scalar(query)
    return None if member is None else _member_out(member, scope, box)


def _visible(session: Session, scope: Scope, code: str) -> Region | None:
    region = session.scalar(select(Region).where(Region.code == code))
    if region is None or not scope.contains(region.path):
        return None
    return region


def _feature(region: Region) -> GridFeature:
    codes = region.path_codes
    properties = {
        **(region.properties or {}),
        "code": region.code,
        "name": region.name,
        "level": region.level,
        "parent": codes[-2] if len(codes) > 1 else None,
    }
    geometry = None if region.geom is None else mapping(to_shape(region.geom))
    return GridFeature(id=region.code, geometry=geometry, properties=properties)


def _region_out(region: Region) -> RegionOut:
    codes = region.path_codes
    return RegionOut(
        code=region.code,
        name=region.name,
        level=region.level,
        parent=codes[-2] if len(codes) > 1 else None,
        path=codes,
        has_geometry=region.geom is not None,
        properties=region.properties or {},
    )


def _member_out(member: Member, scope: Scope, box: SecretBox) -> MemberOut:
    """A member as the scope sees them: a shared member's regions outside it are left out."""
    return MemberOut(
        code=member.code,
        name=member.name,
        role=member.role,
        areas=[area.region.code for area in member.areas if scope.contains(area.region.path)],
        phone=member.phone,
        mqtt_client_id=member.mqtt_client_id,
        notify_channels=[urlsplit(box.open(url)).scheme for url in member.notify or []],
        duty=member.duty,
        language=member.language,
    )
