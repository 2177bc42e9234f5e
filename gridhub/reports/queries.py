"""Finding reports: by tracking code, the public list (board and Open311 GET) with its
filters, and the console's list within a scope."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, select, true
from sqlalchemy.orm import Session

from gridhub.reports import states
from gridhub.reports.intake import token_hash
from gridhub.reports.models import Report
from gridhub.scope import Scope

DEFAULT_WINDOW = timedelta(days=90)
"""GeoReport v2: without dates, a list covers the last 90 days."""
MAX_RESULTS = 1000


@dataclass(frozen=True, slots=True)
class ReportFilter:
    ids: tuple[int, ...] = ()
    services: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    status: tuple[str, ...] = ()
    """``open`` and/or ``closed`` (GeoReport v2)."""
    state: str | None = None
    village: str | None = None
    queue: bool = False
    """Only what waits for an operator (received, not merged)."""

    def __post_init__(self) -> None:
        bad = [s for s in self.status if s not in ("open", "closed")]
        if bad:
            raise ValueError(f"status must be open or closed, not {', '.join(bad)}")
        if self.state is not None and self.state not in states.STATES:
            raise ValueError(f"state must be one of {', '.join(states.STATES)}")
        if self.start and self.end and self.start > self.end:
            raise ValueError("start_date is after end_date")


def by_token(session: Session, token: str) -> Report | None:
    return session.scalar(select(Report).where(Report.token_hash == token_hash(token)))


def list_reports(
    session: Session,
    wanted: ReportFilter,
    limit: int,
    offset: int = 0,
    scope: Scope | None = None,
    now: datetime | None = None,
) -> tuple[list[Report], int]:
    """Newest first; the public list (``scope`` None) keeps to GeoReport v2's default window
    unless dates or ids are given."""
    conditions: list[ColumnElement[bool]] = []
    if scope is not None:
        conditions.append(scope.sql(Report.region_path))
    if wanted.ids:
        conditions.append(Report.id.in_(wanted.ids))
    if wanted.services:
        conditions.append(Report.service_code.in_(wanted.services))
    start = wanted.start
    if scope is None and start is None and not wanted.ids and now is not None:
        start = (wanted.end or now) - DEFAULT_WINDOW
    if start is not None:
        conditions.append(Report.requested_at >= start)
    if wanted.end is not None:
        conditions.append(Report.requested_at <= wanted.end)
    if set(wanted.status) == {"open"}:
        conditions.append(Report.state.not_in(states.CLOSED_STATES))
    elif set(wanted.status) == {"closed"}:
        conditions.append(Report.state.in_(states.CLOSED_STATES))
    if wanted.state is not None:
        conditions.append(Report.state == wanted.state)
    if wanted.village is not None:
        conditions.append(Report.village == wanted.village)
    if wanted.queue:
        conditions.append(and_(Report.state == states.RECEIVED, Report.merged_into.is_(None)))
    where = and_(true(), *conditions)
    total = session.scalar(select(func.count()).select_from(Report).where(where)) or 0
    query = select(Report).where(where).order_by(Report.id.desc())
    rows = session.scalars(query.limit(min(limit, MAX_RESULTS)).offset(offset)).all()
    return list(rows), total


def in_scope(session: Session, scope: Scope, report_id: int) -> Report | None:
    """The report if it lies under ``scope`` (None reads as "no such report")."""
    report = session.get(Report, report_id)
    if report is None or not scope.contains(report.region_path):
        return None
    return report
