"""A report as a work order: sent to its handlers (the alerts area opens the order from the
``ReportDispatched`` event), not taken on (不予受理), merged into another, and following its
order's changes (``AlertChanged``) so that the resident sees 已派单 → 正在办理 → 已完成 and
the handler's note as the public reply."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridhub.events import AlertChanged, DomainEvent, ReportDispatched, ReportWithdrawn
from gridhub.reports import states
from gridhub.reports.context import ReportsContext
from gridhub.reports.models import Report, ReportUpdate
from gridhub.reports.routing import Route, ladder

CITIZEN = "citizen"
"""The alerts' source type of a report's work order."""
SYSTEM = "system"


class NotNow(ValueError):
    """The report is not in a state that allows this (already closed, merged…)."""


def record(
    session: Session,
    report: Report,
    state: str,
    now: datetime,
    note: str | None = None,
    actor: str | None = None,
) -> None:
    """Move the report to ``state`` with a timeline step (and its public note)."""
    report.state = state
    report.updated_at = now
    if note:
        report.public_reply = note
    if state == states.DISPATCHED and report.dispatched_at is None:
        report.dispatched_at = now
    if state in states.CLOSED_STATES:
        report.closed_at = report.closed_at or now
    elif report.closed_at is not None:  # reopened (a new assignment)
        report.closed_at = None
    session.add(ReportUpdate(report_id=report.id, at=now, state=state, note=note, actor=actor))


def dispatch(
    session: Session, ctx: ReportsContext, report: Report, route: Route, actor: str, now: datetime
) -> None:
    """Send the report to ``route``'s handlers: its work order opens (state 已派单 follows)."""
    if report.state != states.RECEIVED or report.merged_into is not None:
        raise NotNow(f"report {report.id} is {report.state}; only a received report is sent")
    report.routed_to, report.handlers = route.routed_to, list(route.handlers)
    service = ctx.catalogue.service(report.service_code)
    event = ReportDispatched(
        report_id=str(report.id),
        service=report.service_code,
        service_name=dict(service.name),
        severity=service.severity,
        description=report.description,
        lon=report.lon,
        lat=report.lat,
        grid=report.grid,
        handlers=route.handlers,
        policy=ladder(ctx.config, route),
        ts=now,
        actor=actor,
    )
    ctx.publish(session, [event])


def reject(
    session: Session, ctx: ReportsContext, report: Report, reason: str, actor: str, now: datetime
) -> None:
    """不予受理 with ``reason`` (public); an open work order is cancelled."""
    if report.state in states.CLOSED_STATES or report.merged_into is not None:
        raise NotNow(f"report {report.id} is {report.state} already")
    if not reason.strip():
        raise ValueError("give the reason the report is not taken on; residents read it")
    dispatched = report.order_id is not None
    record(session, report, states.REJECTED, now, reason.strip(), actor)
    if dispatched:
        ctx.publish(session, [ReportWithdrawn(str(report.id), reason.strip(), now, actor)])


def merge(
    session: Session,
    ctx: ReportsContext,
    duplicate: Report,
    primary: Report,
    actor: str,
    now: datetime,
) -> None:
    """``duplicate`` is handled with ``primary`` (several residents, one burst pipe): its own
    order is cancelled, and from now on it shows the primary's state and reply."""
    if duplicate.id == primary.id:
        raise ValueError("a report cannot be merged into itself")
    if primary.merged_into is not None:
        raise ValueError(f"report {primary.id} is merged into {primary.merged_into}; use that")
    if duplicate.merged_into is not None or duplicate.state in states.CLOSED_STATES:
        raise NotNow(f"report {duplicate.id} is {duplicate.state} already")
    if primary.state == states.REJECTED:
        raise NotNow(f"report {primary.id} was not taken on; merge into an open one")
    had_order = duplicate.order_id is not None
    duplicate.merged_into = primary.id
    for kept in session.scalars(select(Report).where(Report.merged_into == duplicate.id)):
        kept.merged_into = primary.id  # its own duplicates follow the primary too
    _copy(session, primary, duplicate, now, actor)
    if had_order:
        reason = f"merged into report {primary.id}"
        ctx.publish(session, [ReportWithdrawn(str(duplicate.id), reason, now, actor)])


def follow(session: Session, events: Sequence[DomainEvent]) -> None:
    """``AlertChanged`` listener: a report's order changed; so does the report (and those
    merged into it). A handler's note becomes the public reply."""
    for event in events:
        if not isinstance(event, AlertChanged) or event.source_type != CITIZEN:
            continue
        report = session.get(Report, _report_id(event.source_id))
        if report is None or report.merged_into is not None:
            continue  # a merged duplicate's own order was cancelled: it follows its primary
        report.order_id = report.order_id or event.alert_id
        state = states.OF_ORDER.get(event.status)
        note = event.note if event.actor not in (None, SYSTEM) else None
        if report.state == states.REJECTED and state == states.REJECTED:
            continue  # rejected here first; the order's cancellation only confirms it
        if state is None or (state == report.state and not note):
            continue
        record(session, report, state, event.ts, note, event.actor)
        for duplicate in session.scalars(select(Report).where(Report.merged_into == report.id)):
            _copy(session, report, duplicate, event.ts, event.actor)


def _copy(
    session: Session, primary: Report, duplicate: Report, now: datetime, actor: str | None
) -> None:
    duplicate.dispatched_at = duplicate.dispatched_at or primary.dispatched_at
    record(session, duplicate, primary.state, now, primary.public_reply, actor)


def _report_id(source_id: str) -> int:
    return int(source_id) if source_id.isdigit() else -1
