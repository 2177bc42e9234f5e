"""The grid worker's phone: the page ``/m/`` (an installable app that works with no signal),
its manifest and service worker, and what it reads and does as the signed-in member: my
grids and today's patrol, my alerts, and answering them."""

from dataclasses import asdict
from datetime import datetime, time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select

from gridhub.alerts.actions import device_ack
from gridhub.alerts.mine import member_alerts
from gridhub.alerts.queries import can_see
from gridhub.api.alert_refusals import refused_as_http
from gridhub.api.alert_schemas import ActionIn, AlertOut
from gridhub.api.deps import API_PREFIX, CurrentScope, CurrentUser, HubDep, SessionDep
from gridhub.api.routes.checkins import CheckinOut, checkin_out
from gridhub.api.routes.dashboard import STATIC_DIR
from gridhub.api.schemas import RowId
from gridhub.api.users import linked_member
from gridhub.db import utcnow
from gridhub.geo.models import Region
from gridhub.geo.repository import feature_collection
from gridhub.geo.roster import member_grid_codes
from gridhub.ingest.checkins import list_checkins

router = APIRouter(tags=["phone"])
PHONE_DIR = STATIC_DIR / "m"
NO_CACHE = {"Cache-Control": "no-cache"}
TODAY_LIMIT = 500
"""More check-ins than a worker makes in a day."""

Answer = Literal["acknowledged", "in_progress", "resolved"]


@router.get("/m/", include_in_schema=False)
def phone_page() -> FileResponse:
    return FileResponse(PHONE_DIR / "index.html", headers=NO_CACHE)


@router.get("/m/manifest.webmanifest", include_in_schema=False)
def manifest() -> FileResponse:
    return FileResponse(PHONE_DIR / "manifest.webmanifest", media_type="application/manifest+json")


@router.get("/m/sw.js", include_in_schema=False)
def service_worker() -> FileResponse:
    """Served from ``/m/`` so that it controls the page there; always asked for afresh, so a
    new release of the hub reaches phones at their next visit."""
    return FileResponse(PHONE_DIR / "sw.js", media_type="text/javascript", headers=NO_CACHE)


class Checkpoint(BaseModel):
    """A place on the patrol route, from the grid's ``checkpoints`` property."""

    id: str = Field(min_length=1, max_length=64)
    name: str = Field(max_length=200)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    grid: str


class MemberRef(BaseModel):
    code: str
    name: str
    role: str


class PatrolOut(BaseModel):
    member: MemberRef | None
    """None: the user is linked to no member (``gridhub users add --member``)."""
    grids: dict[str, Any]
    """My grids within my scope, as GeoJSON."""
    checkpoints: list[Checkpoint]
    today: list[CheckinOut]
    """My check-ins since midnight (the hub's time zone), newest first."""


@router.get(f"{API_PREFIX}/me/patrol")
def my_patrol(
    user: CurrentUser, scope: CurrentScope, session: SessionDep, hub: HubDep
) -> PatrolOut:
    """What the phone shows of my patrol: my grids, their checkpoints, my check-ins today."""
    member = linked_member(session, user)
    if member is None:
        return PatrolOut(member=None, grids=feature_collection([]), checkpoints=[], today=[])
    codes = member_grid_codes(session, member.code)
    grids = session.scalars(
        select(Region).where(Region.code.in_(codes), scope.sql(Region.path)).order_by(Region.code)
    ).all()
    zone = ZoneInfo(hub.settings.timezone)
    midnight = datetime.combine(utcnow().astimezone(zone).date(), time(), zone)
    rows, _ = list_checkins(
        session, worker=member.code, since=midnight, limit=TODAY_LIMIT, scope=scope
    )
    return PatrolOut(
        member=MemberRef(code=member.code, name=member.name, role=member.role),
        grids=feature_collection(grids),
        checkpoints=[point for grid in grids for point in _checkpoints(grid)],
        today=[checkin_out(row) for row in rows],
    )


def _checkpoints(grid: Region) -> list[Checkpoint]:
    """The grid's checkpoints; entries that are not checkpoints are left out."""
    found = []
    for entry in (grid.properties or {}).get("checkpoints") or []:
        try:
            found.append(Checkpoint.model_validate({**entry, "grid": grid.code}))
        except (ValidationError, TypeError):
            continue
    return found


class MyWarningOut(BaseModel):
    """An area warning as I was told it, and my receipt: answered with
    ``POST /api/v1/warnings/{id}/receipt``."""

    headline: str | None
    instruction: str | None
    valid_until: datetime | None
    grids: list[dict[str, str]]
    """My grids inside the area, ``{"code", "name"}``."""
    state: Literal["sent", "delivered", "read", "confirmed"]
    released: bool
    """The area no longer reaches me: nothing to answer."""


class MyAlertOut(AlertOut):
    received_at: datetime | None
    """When I said I have it; None: not yet."""
    warning: MyWarningOut | None = None
    """For an area warning: what it says and where my receipt stands."""


@router.get(f"{API_PREFIX}/me/alerts")
def my_alerts(
    user: CurrentUser,
    scope: CurrentScope,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[MyAlertOut]:
    """The alerts sent to me (area warnings included), newest first."""
    member = linked_member(session, user)
    if member is None:
        return []
    return [
        MyAlertOut.model_validate(
            {
                **AlertOut.model_validate(m.alert).model_dump(),
                "received_at": m.received_at,
                "warning": asdict(m.warning) if m.warning else None,
            }
        )
        for m in member_alerts(session, scope, member.code, limit)
    ]


@router.post(f"{API_PREFIX}/me/alerts/{{alert_id}}/{{action}}")
def answer_alert(
    alert_id: RowId,
    action: Answer,
    user: CurrentUser,
    scope: CurrentScope,
    session: SessionDep,
    hub: HubDep,
    body: ActionIn | None = None,
) -> AlertOut:
    """I have it (acknowledged), I am on it (in_progress), done (resolved), with a note: as
    my device answers over MQTT. Only an alert sent to me (403 otherwise)."""
    if not can_see(session, scope, alert_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no alert {alert_id} in your scope")
    member = linked_member(session, user)
    if member is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"user {user.username!r} is linked to no member"
        )
    note = body.note if body else None
    with refused_as_http(session, alert_id):
        alert = device_ack(
            session,
            member.code,
            alert_id,
            action,
            utcnow(),
            note=note,
            ctx=hub.alert_context,
            channel="phone",
            scope=scope,
        )
    session.commit()
    return AlertOut.model_validate(alert)
