"""The residents' pages: ``/report/`` (file a report from a phone), ``/report/board`` (the
public board), and what they read: the place (base map, grids and villages), the board's
list, a report by its tracking code, rating it, and its photos by signed link. No sign-in;
nothing here names who reported or shows the exact point of another's report."""

import time
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from shapely.geometry import mapping
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridhub.api.deps import HubDep, SessionDep
from gridhub.api.errors import error_responses
from gridhub.api.routes.dashboard import STATIC_DIR
from gridhub.api.schemas import Offset, RowId
from gridhub.db import utcnow
from gridhub.geo.models import Region
from gridhub.geo.repository import to_geometry
from gridhub.hub import Hub
from gridhub.reports.models import ReportPhoto
from gridhub.reports.photos import link_valid
from gridhub.reports.queries import ReportFilter, by_token, list_reports
from gridhub.reports.rating import CannotRate, rate
from gridhub.reports.states import Rating
from gridhub.reports.views import board_item, holder_view, village_names

router = APIRouter(tags=["report pages"])
Locale = Annotated[str | None, Query(description="zh-CN or en (default: the hub's).")]
PAGE_HEADERS = {"Cache-Control": "no-cache"}


class TokenIn(BaseModel):
    token: str = Field(min_length=4, max_length=40, description="The tracking code.")
    locale: str | None = None


class RatingIn(TokenIn):
    rating: Rating
    comment: str | None = Field(None, max_length=500)


@router.get("/report/", include_in_schema=False)
def report_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "report.html", headers=PAGE_HEADERS)


@router.get("/report/board", include_in_schema=False)
def board_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "board.html", headers=PAGE_HEADERS)


@router.get("/console/reports", include_in_schema=False)
def console_page() -> FileResponse:
    """The console's reports: the queue, 派单, and the monthly figures (signed in)."""
    return FileResponse(STATIC_DIR / "reports.html", headers=PAGE_HEADERS)


@router.get("/report/api/place")
def place(hub: HubDep, session: SessionDep) -> dict[str, Any]:
    """The base map, the villages and the grids' outlines (where a report can be made)."""
    regions = session.scalars(
        select(Region).where(Region.level.in_(("village", "grid"))).order_by(Region.code)
    ).all()
    villages = {r.code: r.name for r in regions if r.level == "village"}
    features = []
    for region in regions:
        shape = to_geometry(region.geom)
        if region.level != "grid" or shape is None:
            continue
        village = next((c for c in reversed(region.path_codes[:-1]) if c in villages), None)
        features.append(
            {
                "type": "Feature",
                "id": region.code,
                "geometry": mapping(shape),
                "properties": {"code": region.code, "name": region.name, "village": village},
            }
        )
    dashboard = hub.settings.dashboard
    return {
        "tile_url": dashboard.tile_url or None,
        "tile_attribution": dashboard.tile_attribution,
        "villages": [{"code": code, "name": name} for code, name in villages.items()],
        "grids": {"type": "FeatureCollection", "features": features},
        "max_photos": hub.settings.reports.max_photos,
        "max_photo_bytes": hub.settings.reports.max_photo_bytes,
    }


@router.get("/report/api/board")
def board(
    hub: HubDep,
    session: SessionDep,
    village: str | None = None,
    service_code: str | None = None,
    state: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
    locale: Locale = None,
) -> dict[str, Any]:
    """The public board, newest first: type, village, dates, state, the public reply."""
    try:
        wanted = ReportFilter(
            services=(service_code,) if service_code else (), state=state, village=village
        )
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    reports, total = list_reports(session, wanted, limit, offset)
    villages = village_names(session, reports)
    language = locale or hub.settings.language
    return {
        "items": [board_item(hub.reports, r, villages, language) for r in reports],
        "total": total,
    }


@router.post("/report/api/lookup")
def lookup(body: TokenIn, hub: HubDep, session: SessionDep) -> dict[str, Any]:
    """A report by its tracking code, for its holder: as sent, with its timeline."""
    return holder_view(hub.reports, session, _held(session, body.token), _lang(hub, body))


@router.post("/report/api/rate", responses=error_responses(409))
def rate_report(body: RatingIn, hub: HubDep, session: SessionDep) -> dict[str, Any]:
    """满意 / 基本满意 / 不满意 with a comment, once, by the holder, when it is done."""
    report = _held(session, body.token)
    try:
        rate(report, body.rating, body.comment, utcnow())
    except CannotRate as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    session.commit()
    return holder_view(hub.reports, session, report, _lang(hub, body))


@router.get("/report/photos/{photo_id}", responses=error_responses(403))
def photo(
    photo_id: RowId, expires: int, signature: str, hub: HubDep, session: SessionDep
) -> Response:
    """A report's photo (re-encoded, no metadata), through a link signed for a while."""
    if not link_valid(hub.reports.secret, photo_id, expires, signature, time.time()):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the photo link is wrong or has expired")
    row = session.get(ReportPhoto, photo_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no photo {photo_id}")
    return Response(row.data, media_type=row.content_type, headers={"Cache-Control": "private"})


def _held(session: Session, token: str) -> Any:
    report = by_token(session, token)
    if report is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no report with that tracking code")
    return report


def _lang(hub: Hub, body: TokenIn) -> str:
    return body.locale or hub.settings.language
