"""Handling alerts: the actions of people (API, pages) and of members' devices.

Every change leaves an event row (who, when, from, to, why) and a live event.
"""

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session

from gridhub.alerts import lifecycle
from gridhub.alerts.context import AlertContext
from gridhub.alerts.deliveries import notify_members, publish_change, record_event
from gridhub.alerts.escalation import Policy
from gridhub.alerts.lifecycle import EVENT_OF_ACTION, next_state
from gridhub.alerts.messages import snapshot
from gridhub.alerts.models import Alert, AlertTimer, Delivery
from gridhub.alerts.notify import arm_timer, members
from gridhub.alerts.queries import covered
from gridhub.alerts.routing import Recipient
from gridhub.geo.models import Member
from gridhub.geo.roster import member_in_scope
from gridhub.scope import EVERYTHING, OutOfScope, Scope

DEVICE_ACTIONS = {"acknowledged": "ack", "in_progress": "progress", "resolved": "resolve"}


class UnknownAlert(LookupError):
    """No alert with that id."""


class NotARecipient(PermissionError):
    """A member tried to act on an alert that was never sent to them."""


def act(
    session: Session,
    alert_id: int,
    action: str,
    actor: str,
    now: datetime,
    *,
    note: str | None = None,
    channel: str = "api",
    assignee: str | None = None,
    ctx: AlertContext | None = None,
    scope: Scope = EVERYTHING,
) -> Alert:
    """Apply ``action`` (ack, assign, progress, resolve, cancel) by ``actor``.

    Only on an alert wholly under ``scope``, and only assigning a member responsible under
    it. Raises UnknownAlert, OutOfScope, IllegalTransition (with the current state), or
    ValueError; nothing is changed then.
    """
    ctx = ctx or AlertContext()
    alert = session.get(Alert, alert_id, with_for_update=True)
    if alert is None:
        raise UnknownAlert(f"no alert {alert_id}")
    if not covered(scope, alert):
        raise OutOfScope(f"alert {alert_id} reaches beyond your scope")
    old = alert.status
    new = next_state(old, action)
    before = snapshot(alert)
    recipients: list[Recipient] = []
    if action == "assign":
        if assignee is None:
            raise ValueError("assign needs a member code")
        check_assignees(session, scope, [assignee])
        recipients = members(session, [assignee])
        alert.assignees = [assignee]
    alert.status = new
    alert.updated_at = now
    if action in ("ack", "progress") and alert.acked_at is None:
        alert.acked_by, alert.acked_at, alert.ack_channel = actor, now, channel
        _mark_received(session, alert, actor, now)
    if action in ("ack", "progress") or new in lifecycle.CLOSED_STATES:
        session.execute(delete(AlertTimer).where(AlertTimer.alert_id == alert.id))
    if new in lifecycle.CLOSED_STATES:
        alert.is_open = False
        alert.closed_at = now
        session.execute(
            update(Delivery)
            .where(
                Delivery.alert_id == alert.id,
                Delivery.status == "pending",
                Delivery.member_code.is_not(None),
            )
            .values(status="cancelled", last_error=f"alert {new}")
        )
    record_event(
        session,
        alert,
        EVENT_OF_ACTION[action],
        actor,
        now,
        from_status=old,
        to_status=new,
        note=note,
        channel=channel,
    )
    if recipients:
        notify_members(session, ctx, alert, recipients, now, level=alert.level)
        timeout = Policy.from_dict(alert.policy).levels[alert.level].ack_timeout_s
        arm_timer(session, alert, now + timedelta(seconds=timeout), new_alert=False)
    kind = "end" if not alert.is_open else "update"
    publish_change(session, ctx, alert, kind, before, now, actor=actor, note=note)
    return alert


def device_ack(
    session: Session,
    member_code: str,
    alert_id: int,
    status: str,
    now: datetime,
    note: str | None = None,
    ctx: AlertContext | None = None,
    *,
    channel: str = "mqtt",
    scope: Scope = EVERYTHING,
) -> Alert:
    """A member's device answered on ``members/{code}/ack`` (or their phone page, on
    ``channel``). A repeat acknowledgement, or one after someone else's, records that this
    member has it too, without a state change. Acknowledging what one was sent needs nothing
    more; taking it on or resolving it needs the whole alert under ``scope``."""
    action = DEVICE_ACTIONS.get(status)
    if action is None:
        raise ValueError(f"unknown ack status {status!r}; use acknowledged, in_progress, resolved")
    alert = session.get(Alert, alert_id, with_for_update=True)
    if alert is None:
        raise UnknownAlert(f"no alert {alert_id}")
    sent_to = session.scalar(
        select(Delivery.id)
        .where(Delivery.alert_id == alert_id, Delivery.member_code == member_code)
        .limit(1)
    )
    if sent_to is None and member_code not in (alert.assignees or []):
        raise NotARecipient(f"alert {alert_id} was not sent to member {member_code}")
    if action == "ack" and alert.status in (lifecycle.ACKNOWLEDGED, lifecycle.IN_PROGRESS):
        if _mark_received(session, alert, member_code, now):
            record_event(session, alert, "received", member_code, now, note=note, channel=channel)
        return alert
    if action == "ack":
        scope = EVERYTHING
    return act(
        session,
        alert_id,
        action,
        member_code,
        now,
        note=note,
        channel=channel,
        ctx=ctx,
        scope=scope,
    )


def _mark_received(session: Session, alert: Alert, member_code: str, now: datetime) -> int:
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.alert_id == alert.id,
            Delivery.member_code == member_code,
            Delivery.acked_at.is_(None),
        )
        .values(acked_at=now)
    )
    # An UPDATE gives a CursorResult (with rowcount); Session.execute is typed as Result.
    return cast(CursorResult[Any], result).rowcount or 0


def check_assignees(session: Session, scope: Scope, codes: list[str]) -> None:
    """OutOfScope unless every member ``codes`` is responsible for a region under ``scope``
    (an unknown code is a ValueError)."""
    for code in codes:
        if session.scalar(select(Member.id).where(Member.code == code)) is None:
            raise ValueError(f"no member {code!r}")
        if not scope.unrestricted:
            query = select(Member.id).where(Member.code == code, member_in_scope(scope))
            if session.scalar(query) is None:
                raise OutOfScope(f"member {code!r} is not responsible within your scope")
