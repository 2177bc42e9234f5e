"""``/api/v1/members``: the roster within the caller's scope."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from gridhub.api import catalog
from gridhub.api.deps import API_PREFIX, CurrentScope, HubDep, SessionDep
from gridhub.api.routes.checkins import MemberDetailOut
from gridhub.api.schemas import MemberOut, Page, Paging
from gridhub.ingest.checkins import last_checkin

router = APIRouter(prefix=f"{API_PREFIX}/members", tags=["members"])


@router.get("")
def list_members(
    scope: CurrentScope,
    session: SessionDep,
    hub: HubDep,
    paging: Paging,
    role: Annotated[str | None, Query(description="Only members with this role.")] = None,
) -> Page[MemberOut]:
    """Members assigned to a grid or region in the caller's scope, by code."""
    return catalog.members_page(session, scope, hub.secret_box, paging, role)


@router.get("/{code}")
def get_member(code: str, scope: CurrentScope, session: SessionDep, hub: HubDep) -> MemberDetailOut:
    """A member, with the last known position and patrol state (``last_checkin``)."""
    member = catalog.member_detail(session, scope, hub.secret_box, code)
    if member is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no member {code!r} in your scope")
    last = last_checkin(session, code)
    # A shared member's position in a grid outside the scope is not the caller's to see.
    if last is not None and not scope.unrestricted:
        grid = last["grid"]
        if not isinstance(grid, str) or catalog.region_path(session, scope, grid) is None:
            last = None
    return MemberDetailOut(**member.model_dump(), last_checkin=last)
