"""Response models and paging shared by the API's resources."""

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import Depends, Path, Query
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict

MAX_LIMIT = 1000
DEFAULT_LIMIT = 50
MAX_ROW_ID = 2**63 - 1
"""The largest integer both stores hold (a 64-bit signed column): ids and offsets past it are
refused with 422 before a query is built."""

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="The row's id.")]
Offset = Annotated[int, Query(ge=0, le=MAX_ROW_ID, description="Items to skip.")]


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+14:00 has no UTC time
        raise ValueError("the time has no UTC equivalent (out of range)") from None


UtcTime = Annotated[AwareDatetime, AfterValidator(_in_utc)]
"""A time the API is given, with its zone, read in UTC: a naive time or one beyond UTC's
range is refused with 422 before a query is built."""


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: ``items`` from ``offset``, and the ``total`` matching."""

    items: list[T]
    total: int


class PageParams(BaseModel):
    limit: int
    offset: int


async def page_params(  # async: no I/O, so no thread-pool hop (see api.deps)
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


Paging = Annotated[PageParams, Depends(page_params)]


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class TokenOut(Schema):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class MeOut(Schema):
    username: str
    role: str
    scope: str | None


class RegionOut(Schema):
    code: str
    name: str
    level: str
    parent: str | None
    path: list[str]
    has_geometry: bool
    properties: dict[str, Any]


class MemberOut(Schema):
    """A member; notification URLs carry secrets (bot tokens), so only their kinds are shown."""

    code: str
    name: str
    role: str
    areas: list[str]
    phone: str | None
    mqtt_client_id: str | None
    notify_channels: list[str]
    duty: str
    language: str | None


class ResponsibleOut(Schema):
    member_code: str
    name: str
    role: str
    region_code: str
    level_rank: int
    phone: str | None
    mqtt_client_id: str | None
    duty: str
    on_duty: bool


class GridFeature(Schema):
    type: Literal["Feature"] = "Feature"
    id: str
    geometry: dict[str, Any] | None
    properties: dict[str, Any]


class GridDetail(GridFeature):
    members: list[ResponsibleOut]


class GridCollection(Schema):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[GridFeature]


class LocationOut(Schema):
    lon: float
    lat: float
    grid: str | None
    path: list[str]
    nearest: str | None
    distance_m: float | None
