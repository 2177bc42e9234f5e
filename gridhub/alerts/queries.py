"""Reading alerts for people: scoped lists (roll-up by region path) and one alert in full."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select, true
from sqlalchemy.orm import Session, selectinload

from gridhub.alerts.lifecycle import STATES
from gridhub.alerts.models import Alert, AlertGrid, Delivery
from gridhub.api.models import User
from gridhub.geo.models import Region
from gridhub.severity import severity_rank

STATUS_FILTERS = ("open", "closed", *STATES)


@dataclass(frozen=True, slots=True)
class AlertFilter:
    status: str | None = None
    severity: str | None = None
    grid: str | None = None
    since: datetime | None = None

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in STATUS_FILTERS:
            raise ValueError(f"status must be one of {', '.join(STATUS_FILTERS)}")
        if self.severity is not None:
            severity_rank(self.severity)


def scope_path(session: Session, user: User) -> str | None:
    """The region path a user sees beneath (None: everything; unknown scope: nothing)."""
    if user.scope is None:
        return None
    return session.scalar(select(Region.path).where(Region.code == user.scope)) or "\x00"


def visible(path: str | None) -> ColumnElement[bool]:
    """Alerts under ``path``: in a grid beneath it, or covering one of its grids."""
    if path is None:
        return true()
    if path == "\x00":
        return false()
    covers = exists().where(
        AlertGrid.alert_id == Alert.id, AlertGrid.path.startswith(path, autoescape=True)
    )
    return or_(Alert.region_path.startswith(path, autoescape=True), covers)


def can_see(session: Session, user: User, alert: Alert) -> bool:
    path = scope_path(session, user)
    if path is None:
        return True
    query = select(Alert.id).where(Alert.id == alert.id, visible(path))
    return session.scalar(query) is not None


def list_alerts(
    session: Session, user: User, wanted: AlertFilter, limit: int, offset: int
) -> tuple[list[Alert], int]:
    """A page of alerts in the user's scope, newest first, and how many match."""
    conditions = [visible(scope_path(session, user))]
    if wanted.status == "open":
        conditions.append(Alert.is_open)
    elif wanted.status == "closed":
        conditions.append(Alert.is_open.is_(False))
    elif wanted.status is not None:
        conditions.append(Alert.status == wanted.status)
    if wanted.severity is not None:
        conditions.append(Alert.severity == wanted.severity)
    if wanted.grid is not None:
        in_grid = exists().where(AlertGrid.alert_id == Alert.id, AlertGrid.grid == wanted.grid)
        conditions.append(or_(Alert.grid == wanted.grid, in_grid))
    if wanted.since is not None:
        conditions.append(Alert.opened_at >= wanted.since)
    where = and_(*conditions)
    # The total rides along with the page (a window over every match): one round trip.
    page = (
        select(Alert, func.count().over())
        .where(where)
        .order_by(Alert.id.desc())
        .limit(limit)
        .offset(offset)
    )
    rows = session.execute(page).all()
    if rows:
        return [alert for alert, _total in rows], rows[0][1]
    if offset == 0:
        return [], 0
    # Paged past the end: the window saw no row, so count on its own.
    return [], session.scalar(select(func.count()).select_from(Alert).where(where)) or 0


def alert_detail(session: Session, alert_id: int) -> Alert | None:
    """One alert with its events, deliveries and their attempts loaded."""
    return session.scalar(
        select(Alert)
        .where(Alert.id == alert_id)
        .options(
            selectinload(Alert.events),
            selectinload(Alert.deliveries).selectinload(Delivery.attempt_log),
        )
    )
