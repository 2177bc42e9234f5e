"""``/api/v1/alerts``: scoped lists, one alert with its history, operator alerts, handling."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, status
from shapely.errors import GeometryTypeError

from gridhub.alerts import queries
from gridhub.alerts.actions import act
from gridhub.alerts.raising import AlertSpec, raise_alert
from gridhub.api.alert_refusals import refused_as_http
from gridhub.api.alert_schemas import ActionIn, AlertCreate, AlertDetailOut, AlertOut
from gridhub.api.alert_views import alert_detail_out, alert_out, alert_outs
from gridhub.api.deps import (
    API_PREFIX,
    CurrentScope,
    CurrentUser,
    HubDep,
    SessionDep,
    SettingsDep,
)
from gridhub.api.errors import error_responses
from gridhub.api.models import User
from gridhub.api.permissions import ACTION_ROLES, HANDLERS
from gridhub.api.schemas import Page, Paging, RowId, UtcTime
from gridhub.api.users import acting_as
from gridhub.db import utcnow
from gridhub.scope import OutOfScope

router = APIRouter(prefix=f"{API_PREFIX}/alerts", tags=["alerts"])

Action = Literal["ack", "assign", "progress", "resolve", "cancel"]


@router.get("")
def list_alerts(
    scope: CurrentScope,
    session: SessionDep,
    paging: Paging,
    status_: Annotated[
        str | None,
        Query(alias="status", description="open (not resolved/cancelled), closed, or a state."),
    ] = None,
    severity: Annotated[str | None, Query(description="blue, yellow, orange or red.")] = None,
    grid: Annotated[str | None, Query(description="Alerts touching this grid.")] = None,
    since: Annotated[
        UtcTime | None, Query(description="Opened at or after (ISO 8601, zone).")
    ] = None,
) -> Page[AlertOut]:
    """Alerts in the caller's scope (everything beneath it rolls up), newest first."""
    try:
        wanted = queries.AlertFilter(status_, severity, grid, since)
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    items, total = queries.list_alerts(session, scope, wanted, paging.limit, paging.offset)
    page = Page[AlertOut](items=alert_outs(session, scope, list(items)), total=total)
    # Hand the connection back before FastAPI waits for a worker thread to serialise the
    # answer: held across that wait, under load every worker thread ends up waiting for a
    # connection that an answer waiting for a thread holds (see api.deps.get_principal).
    session.commit()
    return page


@router.get("/{alert_id}")
def get_alert(
    alert_id: RowId,
    user: CurrentUser,
    scope: CurrentScope,
    session: SessionDep,
    settings: SettingsDep,
) -> AlertDetailOut:
    """One alert with every event (who, when, from, to, why), every delivery attempt, and
    the actions the caller may take on it now."""
    alert = queries.alert_detail(session, alert_id)
    if alert is None or not queries.can_see(session, scope, alert_id):
        raise not_in_scope(alert_id)
    return alert_detail_out(session, scope, alert, user.role, settings.cameras.frigate)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_alert(
    body: AlertCreate, user: CurrentUser, scope: CurrentScope, session: SessionDep, hub: HubDep
) -> AlertDetailOut:
    """An operator's alert, routed and escalated like any other; its place (and assignee)
    must lie within the caller's scope (403 otherwise, and nothing is sent)."""
    _require(user, HANDLERS, "create alerts")
    try:
        spec = AlertSpec(
            source_type="operator",
            source_id=f"{user.username}:{uuid.uuid4().hex[:12]}",
            kind=body.kind,
            severity=body.severity,
            title=body.title,
            detail=body.detail,
            lon=body.lon,
            lat=body.lat,
            area=body.area,
            grids=tuple(body.grids),
            assignee=body.assignee,
        )
        alert = raise_alert(session, spec, utcnow(), hub.alert_context, scope)
    except OutOfScope as exc:
        session.rollback()
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from None
    except (ValueError, GeometryTypeError, KeyError, TypeError) as exc:
        session.rollback()
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"bad alert: {exc}") from None
    session.commit()
    detail = queries.alert_detail(session, alert.id)
    assert detail is not None  # just committed
    return alert_detail_out(session, scope, detail, user.role, hub.settings.cameras.frigate)


@router.post("/{alert_id}/{action}", responses=error_responses(409))
def handle_alert(
    alert_id: RowId,
    action: Action,
    user: CurrentUser,
    scope: CurrentScope,
    session: SessionDep,
    hub: HubDep,
    body: ActionIn | None = None,
) -> AlertOut:
    """Acknowledge, assign, take on, resolve or cancel; 409 with the state if not allowed now."""
    _require(user, ACTION_ROLES[action], action)
    body = body or ActionIn()
    if not queries.can_see(session, scope, alert_id):
        raise not_in_scope(alert_id)
    with refused_as_http(session, alert_id):
        alert = act(
            session,
            alert_id,
            action,
            acting_as(session, user),
            utcnow(),
            note=body.note,
            channel="api",
            assignee=body.assignee,
            ctx=hub.alert_context,
            scope=scope,
        )
    session.commit()
    return alert_out(session, scope, alert)


def not_in_scope(alert_id: int) -> HTTPException:
    """The one answer to an alert the caller may not see, or that does not exist."""
    return HTTPException(status.HTTP_404_NOT_FOUND, f"no alert {alert_id} in your scope")


def _require(user: User, roles: frozenset[str], what: str) -> None:
    if user.role not in roles:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"role {user.role!r} may not {what} (needs {', '.join(sorted(roles))})",
        )
