"""``/api/v1/warnings``: area warnings (flood, 三防) from GeoJSON or CAP 1.2, and who has
confirmed them. Creating answers 201 with the id; a repeat, Update or Cancel of a known
warning answers 200 with the same id."""

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from gridhub.alerts import queries, receipts
from gridhub.alerts.models import Alert, AreaAlertKey
from gridhub.alerts.routing import place_of
from gridhub.alerts.sink import AlertsSink
from gridhub.api import warning_views as views
from gridhub.api.deps import API_PREFIX, CurrentScope, CurrentUser, HubDep, SessionDep
from gridhub.api.errors import error_responses
from gridhub.api.models import User
from gridhub.api.routes.dashboard import STATIC_DIR
from gridhub.api.routes.report_page import PAGE_HEADERS
from gridhub.api.schemas import Page, Paging, RowId
from gridhub.db import utcnow
from gridhub.events import AreaWarning, AreaWarningCancelled, DomainEvent
from gridhub.geo.models import Member
from gridhub.hub import Hub
from gridhub.ingest.cap import CapError, parse_cap, warning_key
from gridhub.ingest.payloads import AreaWarningPayload
from gridhub.ingest.warnings import take_cap, take_payload
from gridhub.reasons import describe
from gridhub.scope import OutOfScope, Scope

router = APIRouter(prefix=f"{API_PREFIX}/warnings", tags=["warnings"])
page = APIRouter(tags=["dashboard"])

ISSUERS = frozenset({"admin", "operator", "dispatcher"})
CAP_TYPES = ("application/cap+xml", "application/xml", "text/xml")
API_ISSUER = "api"
"""The sender of warnings posted as GeoJSON without an ``issuer``."""


class Created(BaseModel):
    id: int


class ReceiptIn(BaseModel):
    status: Literal["received", "read", "confirmed"] = "confirmed"
    channel: Literal["api", "phone"] = "api"
    """Where the member answered: the phone page says so (the dispatcher's roll shows it)."""


class Receipts(BaseModel):
    total: int
    delivered: int
    read: int
    confirmed: int


class WarningOut(BaseModel):
    id: int
    status: Literal["active", "lifted"]
    level: str
    kind: str
    headline: str | None
    opened_at: str | None
    valid_until: str | None
    lifted_at: str | None
    grid_count: int
    receipts: Receipts


class WarningDetailOut(WarningOut):
    description: str | None
    instruction: str | None
    area_desc: str | None
    sender: str | None
    lifted_reason: str | None
    area: dict[str, Any] | None
    bbox: list[float] | None
    grids: list[str]
    grid_progress: dict[str, dict[str, int]]
    grid_shares: dict[str, float]
    members: list[dict[str, Any]] = Field(description="One entry per member: code, state, …")
    cameras: list[dict[str, Any]]
    sensors: list[dict[str, Any]]


@page.get("/console/flood", include_in_schema=False)
def flood_page() -> FileResponse:
    """The dispatcher's flood view: the area, the grids by progress, who has confirmed."""
    return FileResponse(STATIC_DIR / "flood.html", headers=PAGE_HEADERS)


@router.get("")
def list_warnings(scope: CurrentScope, session: SessionDep, paging: Paging) -> Page[WarningOut]:
    """Area warnings in the caller's scope, newest first."""
    query = select(Alert).where(Alert.source_type == receipts.AREA_WARNING, queries.visible(scope))
    alerts = list(session.scalars(query.order_by(Alert.id.desc())))
    shown = alerts[paging.offset : paging.offset + paging.limit]
    items = [WarningOut.model_validate(views.summary(session, scope, a)) for a in shown]
    return Page[WarningOut](items=items, total=len(alerts))


@router.get("/{warning_id}")
def get_warning(warning_id: RowId, scope: CurrentScope, session: SessionDep) -> WarningDetailOut:
    """The warning, its grids, cameras and sensors inside, and every member's receipt."""
    alert = _visible(session, scope, warning_id)
    return WarningDetailOut.model_validate(views.detail(session, scope, alert))


@router.get("/{warning_id}/receipts.csv")
def roll_csv(warning_id: RowId, scope: CurrentScope, session: SessionDep) -> Response:
    """The roll of receipts as CSV (UTF-8 with BOM: Excel opens it as it is)."""
    alert = _visible(session, scope, warning_id)
    rows = views.detail(session, scope, alert)["members"]
    return Response(
        views.roll_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="warning-{warning_id}.csv"'},
    )


KNOWN: dict[int | str, dict[str, Any]] = {
    200: {"description": "A repeat, Update or Cancel of a known warning: its id."}
}


@router.post("", status_code=status.HTTP_201_CREATED, responses=KNOWN)
def post_geojson(
    body: dict[str, Any],
    response: Response,
    user: CurrentUser,
    scope: CurrentScope,
    session: SessionDep,
    hub: HubDep,
) -> Created:
    """A warning as JSON: ``id``, ``kind``, ``level``, ``area`` (GeoJSON Polygon or
    MultiPolygon), optional ``ts``, ``valid_until``, ``message``, ``issuer``."""
    _require(user)
    body = {"ts": utcnow().isoformat(), **body}
    try:
        payload = AreaWarningPayload.model_validate(body)
    except ValidationError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, describe(exc)) from None
    issuer = payload.issuer or API_ISSUER
    events = take_payload(session, hub.locator, issuer, payload, utcnow())
    return _apply(session, hub, scope, events, warning_key(issuer, payload.id), response)


@router.post(
    "/cap",
    status_code=status.HTTP_201_CREATED,
    responses={**KNOWN, **error_responses(415)},
    openapi_extra={
        "requestBody": {"content": {t: {"schema": {"type": "string"}} for t in CAP_TYPES}}
    },
)
async def post_cap(
    request: Request,
    response: Response,
    user: CurrentUser,
    scope: CurrentScope,
    hub: HubDep,
) -> Created:
    """A CAP 1.2 message (Alert, Update or Cancel). One that fails validation is refused
    (422) with every reason, and changes nothing."""
    _require(user)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in CAP_TYPES:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, f"send CAP XML as {' or '.join(CAP_TYPES)}"
        )
    body = await request.body()
    # The store is synchronous: run it in the thread pool, like FastAPI's plain routes.
    return await run_in_threadpool(_take_cap, hub, scope, body, response)


@router.post("/{warning_id}/receipt")
def post_receipt(
    warning_id: RowId, body: ReceiptIn, user: CurrentUser, scope: CurrentScope, session: SessionDep
) -> dict[str, str]:
    """The signed-in member (a user linked to the roster) says received, read or confirmed."""
    _visible(session, scope, warning_id)
    code = session.scalar(select(Member.code).where(Member.id == user.member_id))
    if code is None:  # not a refusal of scope: there is nobody to answer for
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "your user is not linked to a roster member"
        )
    try:
        receipt = receipts.answer(session, code, warning_id, body.status, utcnow(), body.channel)
    except receipts.NoReceipt as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from None
    session.commit()
    return {"member": code, "state": receipt.state}


def _take_cap(hub: Hub, scope: Scope, body: bytes, response: Response) -> Created:
    try:
        warning = parse_cap(body)
    except CapError as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, {"message": str(exc), "reasons": exc.reasons}
        ) from None
    with hub.sessions() as session:
        try:
            events = take_cap(session, hub.locator, warning, utcnow())
        except CapError as exc:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT, {"message": str(exc), "reasons": exc.reasons}
            ) from None
        return _apply(session, hub, scope, events, warning.key, response)


def _apply(
    session: Session,
    hub: Hub,
    scope: Scope,
    events: list[DomainEvent],
    key: str,
    response: Response,
) -> Created:
    """Check the caller may issue it, hand the events to the alerts sink, commit; the id is
    the warning's alert (201 when this opened it)."""
    try:
        for event in events:
            _check_scope(session, scope, event)
        AlertsSink(hub.alert_context)(session, events)
    except OutOfScope as exc:
        session.rollback()
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from None
    created = session.scalar(select(AreaAlertKey).where(AreaAlertKey.key == key))
    if created is None:
        session.rollback()
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, "no known warning is named by this message's references"
        )
    opened = created.msg_type != "cancel" and _first_key(session, created.alert_id) == key
    session.commit()
    if not opened or not events:
        response.status_code = status.HTTP_200_OK
    return Created(id=created.alert_id)


def _first_key(session: Session, alert_id: int) -> str | None:
    query = select(AreaAlertKey.key).where(AreaAlertKey.alert_id == alert_id)
    return session.scalars(query.order_by(AreaAlertKey.at, AreaAlertKey.key)).first()


def _check_scope(session: Session, scope: Scope, event: DomainEvent) -> None:
    """A warning, an Update or a Cancel must lie wholly under the caller's scope."""
    if scope.unrestricted:
        return
    if isinstance(event, AreaWarning):
        paths = place_of(session, event.grids).paths.values()
        scope.check(paths, "the warning's area")
        if not event.grids:
            raise OutOfScope("the warning's area covers no grid of your scope")
    elif isinstance(event, AreaWarningCancelled):
        known = session.scalars(
            select(AreaAlertKey).where(AreaAlertKey.key.in_(event.references))
        ).first()
        alert = session.get(Alert, known.alert_id) if known else None
        if alert is not None and not queries.covered(scope, alert):
            raise OutOfScope("the warning reaches beyond your scope")


def _visible(session: Session, scope: Scope, warning_id: int) -> Alert:
    alert = session.get(Alert, warning_id)
    if (
        alert is None
        or alert.source_type != receipts.AREA_WARNING
        or not queries.can_see(session, scope, warning_id)
    ):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no warning {warning_id} in your scope")
    return alert


def _require(user: User) -> None:
    if user.role not in ISSUERS:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"role {user.role!r} may not issue warnings (needs {', '.join(sorted(ISSUERS))})",
        )
