"""Reading alerts for people: scoped lists (roll-up by region path) and one alert in full.

An alert is visible in a scope when its place lies under it, or when it covers one of the
scope's grids (a town-wide warning is seen in every village it reaches). Acting on it needs
more: the whole alert under the scope (``covered``).
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, ColumnExpressionArgument, and_, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from gridhub.alerts.lifecycle import STATES
from gridhub.alerts.models import Alert, AlertGrid, Delivery
from gridhub.scope import Scope
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


def visible(scope: Scope) -> ColumnElement[bool]:
    """Alerts seen in ``scope``: placed under it, or covering one of its grids."""
    if scope.unrestricted or scope.empty:
        return scope.sql(Alert.region_path)
    covers = exists().where(AlertGrid.alert_id == Alert.id, scope.sql(AlertGrid.path))
    return or_(scope.sql(Alert.region_path), covers)


def can_see(session: Session, scope: Scope, alert_id: int) -> bool:
    if scope.unrestricted:
        return True
    query = select(Alert.id).where(Alert.id == alert_id, visible(scope))
    return session.scalar(query) is not None


def covered(scope: Scope, alert: Alert) -> bool:
    """Whether the whole alert lies under ``scope``: every grid of it (their deepest common
    path is under the scope exactly when each of them is)."""
    return scope.unrestricted or (bool(alert.grids) and scope.contains(alert.region_path))


def grids_under(session: Session, scope: Scope, alert_id: int) -> list[str]:
    """The grids of a many-grid alert that lie under ``scope``, by code."""
    query = select(AlertGrid.grid).where(AlertGrid.alert_id == alert_id, scope.sql(AlertGrid.path))
    return list(session.scalars(query.order_by(AlertGrid.grid)))


def list_alerts(
    session: Session, scope: Scope, wanted: AlertFilter, limit: int, offset: int
) -> tuple[list[Alert], int]:
    """A page of alerts in ``scope``, newest first, and how many match."""
    conditions: list[ColumnExpressionArgument[bool]] = [visible(scope)]
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
    page = select(Alert).where(where).order_by(Alert.id.desc()).limit(limit).offset(offset)
    alerts = list(session.scalars(page))
    if (alerts or offset == 0) and len(alerts) < limit:
        # The last page: what it holds tells the total without counting.
        return alerts, offset + len(alerts)
    # Counted apart, not in a window over the page: a window fetches every matching row
    # (whole, from the table) to count them, where a count reads only an index.
    return alerts, session.scalar(select(func.count()).select_from(Alert).where(where)) or 0


def dispatched_to(session: Session, alert_ids: list[int]) -> dict[int, list[str]]:
    """Per alert, the members it was sent to, in the order they were told."""
    found: dict[int, list[str]] = {alert_id: [] for alert_id in alert_ids}
    if not alert_ids:
        return found
    rows = session.execute(
        select(Delivery.alert_id, Delivery.member_code)
        .where(Delivery.alert_id.in_(alert_ids), Delivery.member_code.is_not(None))
        .order_by(Delivery.id)
    )
    for alert_id, member_code in rows:
        if member_code is not None and member_code not in found[alert_id]:
            found[alert_id].append(member_code)
    return found


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
