"""``/api/v1/deadletters``: MQTT messages that could not be used, for admins and operators.

A scoped operator sees the dead letters of senders in their scope: members responsible
there, sensors and feeds in its grids. What came from nobody known stays with the
unscoped.
"""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import Select, select, union

from gridhub.api.deps import API_PREFIX, CurrentScope, SessionDep, require_roles
from gridhub.api.schemas import Page, Paging, Schema, UtcTime
from gridhub.cameras.models import Camera
from gridhub.geo.models import Member, Region
from gridhub.geo.roster import member_in_scope
from gridhub.ingest.models import Sensor
from gridhub.mqtt.deadletters import list_dead_letters
from gridhub.scope import Scope

router = APIRouter(
    prefix=f"{API_PREFIX}/deadletters",
    tags=["deadletters"],
    dependencies=[Depends(require_roles("operator"))],
)


class DeadLetterOut(Schema):
    id: int
    received_at: datetime
    topic: str
    sender: str | None
    msg_id: str | None
    reason: str
    payload_excerpt: str
    size: int
    repeats: int = 1
    """How often this sender failed this way in a row (this one: the first)."""
    last_at: datetime | None = None


def senders_in(scope: Scope) -> Select[str] | None:
    """The codes of everyone who may send in ``scope`` (None: no restriction)."""
    if scope.unrestricted:
        return None
    sensors = select(Sensor.code).join(Region, Region.code == Sensor.grid_code)
    feeds = select(Camera.code).join(Region, Region.id == Camera.grid_id)
    return (
        union(
            select(Member.code).where(member_in_scope(scope)),
            sensors.where(scope.sql(Region.path)),
            feeds.where(scope.sql(Region.path)),
        )
        .subquery()
        .select()
    )


@router.get("")
def get_dead_letters(
    scope: CurrentScope,
    session: SessionDep,
    paging: Paging,
    since: Annotated[
        UtcTime | None, Query(description="Received at or after (ISO 8601, zone).")
    ] = None,
    topic: Annotated[str | None, Query(description="Only topics starting with this.")] = None,
) -> Page[DeadLetterOut]:
    """Dead letters newest first, each with its reason and the start of its payload."""
    rows, total = list_dead_letters(
        session, paging.limit, paging.offset, since, topic, senders_in(scope)
    )
    return Page(items=[DeadLetterOut.model_validate(row) for row in rows], total=total)
