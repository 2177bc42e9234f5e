"""Escalation timers: rows in the store, each due step claimed and run by exactly one process.

On PostgreSQL due rows are claimed with ``SELECT … FOR UPDATE SKIP LOCKED``, so several hub
processes share the work and none runs a step twice. SQLite has a single writer: the claim
starts with a write, which takes the database's write lock for the whole transaction. A timer
that fell due while the hub was down is simply due: it fires on the first pass after start.
"""

from datetime import datetime

from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from gridhub.alerts.context import AlertContext
from gridhub.alerts.deliveries import publish_change
from gridhub.alerts.messages import snapshot
from gridhub.alerts.models import Alert, AlertTimer
from gridhub.alerts.notify import escalate
from gridhub.db import is_sqlite


def fire_due_timers(session: Session, ctx: AlertContext, now: datetime, limit: int = 100) -> int:
    """Run every escalation step due at ``now`` (up to ``limit``); the caller commits."""
    if is_sqlite(session.get_bind()):
        # Take the write lock first, so a second process waits and then sees our work.
        session.execute(update(AlertTimer).where(text("0")).values(due_at=AlertTimer.due_at))
    due = session.scalars(
        select(AlertTimer)
        .where(AlertTimer.due_at <= now)
        .order_by(AlertTimer.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for timer in due:
        _fire(session, ctx, timer, now)
    return len(due)


def _fire(session: Session, ctx: AlertContext, timer: AlertTimer, now: datetime) -> None:
    alert = session.get(Alert, timer.alert_id)
    if alert is None or not alert.is_open or alert.acked_at is not None:
        session.execute(delete(AlertTimer).where(AlertTimer.alert_id == timer.alert_id))
        return
    before = snapshot(alert)
    escalate(session, ctx, alert, timer, now)
    alert.updated_at = now
    publish_change(session, ctx, alert, "update", before, now)
