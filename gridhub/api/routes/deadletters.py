"""``/api/v1/deadletters``: MQTT messages that could not be used, for admins and operators."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime

from gridhub.api.deps import API_PREFIX, SessionDep, require_roles
from gridhub.api.schemas import Page, Paging, Schema
from gridhub.mqtt.deadletters import list_dead_letters

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


@router.get("")
def get_dead_letters(
    session: SessionDep,
    paging: Paging,
    since: Annotated[
        AwareDatetime | None, Query(description="Received at or after (ISO 8601, zone).")
    ] = None,
    topic: Annotated[str | None, Query(description="Only topics starting with this.")] = None,
) -> Page[DeadLetterOut]:
    """Dead letters newest first, each with its reason and the start of its payload."""
    rows, total = list_dead_letters(session, paging.limit, paging.offset, since, topic)
    return Page(items=[DeadLetterOut.model_validate(row) for row in rows], total=total)
