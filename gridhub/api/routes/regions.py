"""``/api/v1/regions``: the county › town › village › grid hierarchy, paged."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from gridhub.api import catalog
from gridhub.api.deps import API_PREFIX, CurrentScope, SessionDep
from gridhub.api.schemas import Page, Paging, RegionOut

router = APIRouter(prefix=f"{API_PREFIX}/regions", tags=["regions"])


@router.get("")
def list_regions(
    scope: CurrentScope,
    session: SessionDep,
    paging: Paging,
    level: Annotated[Literal["county", "town", "village", "grid"] | None, Query()] = None,
) -> Page[RegionOut]:
    """Regions in the caller's scope, parents before children."""
    return catalog.regions_page(session, scope, paging, level)
