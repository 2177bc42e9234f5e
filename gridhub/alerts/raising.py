"""Opening, merging, handling and closing alerts; every change leaves an event row."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridhub.alerts import lifecycle
from gridhub.alerts.context import AlertContext
from gridhub.alerts.deliveries import insert_rows, notify_members, publish_change, record_event
from gridhub.alerts.escalation import Level, Policy, begin
from gridhub.alerts.lifecycle import IllegalTransition, next_state
from gridhub.alerts.messages import snapshot
from gridhub.alerts.models import Alert, AlertGrid, AlertTimer, Delivery
from gridhub.alerts.routing import BULK_GRIDS, Recipient, find_grids, place_of, responsible
from gridhub.geo.models import Member
from gridhub.severity import severity_rank

SOURCE_TYPES = (
    "sensor",
    "sos",
    "camera",
    "analytics",
    "area_warning",
    "operator",
    "citizen",
    "patrol",
)
SYSTEM = "system"
EVENT_OF_ACTION = {
    "dispatch": "dispatched",
    "ack": "acknowledged",
    "assign": "assigned",
    "progress": "in_progress",
    "resolve": "resolved",
    "cancel": "cancelled",
}


@dataclass(frozen=True, slots=True)
class AlertSpec:
    """What a rule, an area or an operator asks to alert about."""

    source_type: str
    source_id: str
    kind: str
    severity: str
    title: str
    detail: str | None = None
    lon: float | None = None
    lat: float | None = None
    area: dict[str, Any] | None = None
    grids: tuple[str, ...] = ()
    assignee: str | None = None
    value: float | None = None
    broadcast_roles: tuple[str, ...] = field(default=())
    """Roles told at once, besides the first escalation level (SOS: leader and town)."""
    first_role: str | None = None
    """Start the ladder at this role's level (missed patrol: the grid leader)."""

    def __post_init__(self) -> None:
        if self.source_type not in SOURCE_TYPES:
            raise ValueError(f"unknown source_type {self.source_type!r}; use {SOURCE_TYPES}")
        severity_rank(self.severity)
        if not self.source_id or not self.kind or not self.title:
            raise ValueError("source_id, kind and title must not be empty")
        if (self.lon is None) != (self.lat is None):
            raise ValueError("give both lon and lat, or neither")
        if self.lon is not None and not (-180 <= self.lon <= 180 and -90 <= self.lat <= 90):
            raise ValueError(f"coordinates out of range: lon={self.lon} lat={self.lat}")


class UnknownAlert(LookupError):
    """No alert with that id."""


class NotARecipient(PermissionError):
    """A member tried to act on an alert that was never sent to them."""


def raise_alert(
    session: Session, spec: AlertSpec, now: datetime, ctx: AlertContext | None = None
) -> Alert:
    """Open an alert and dispatch it, or merge a repeat into the open one from the same
    source and kind (a rise in severity re-dispatches)."""
    ctx = ctx or AlertContext()
    existing = _open_alert(session, spec)
    if existing is not None:
        return _merge(session, ctx, existing, spec, now)
    place = place_of(
        session, find_grids(session, ctx.locator, spec.lon, spec.lat, spec.area, spec.grids)
    )
    alert = Alert(
        source_type=spec.source_type,
        source_id=spec.source_id,
        kind=spec.kind,
        severity=spec.severity,
        title=spec.title,
        detail=spec.detail,
        lon=spec.lon,
        lat=spec.lat,
        area=spec.area,
        grid=place.grids[0] if len(place.grids) == 1 else None,
        grids=list(place.grids),
        region_path=place.region_path,
        status=lifecycle.NEW,
        is_open=True,
        count=1,
        last_value=spec.value,
        last_seen_at=now,
        opened_at=now,
        updated_at=now,
        assignees=[spec.assignee] if spec.assignee else [],
        broadcast_roles=list(spec.broadcast_roles),
        level=_level_of(ctx, spec),
        policy=Policy.from_config(ctx.config.policies[spec.severity]).to_dict(),
        reminders=0,
    )
    try:
        with session.begin_nested():
            session.add(alert)
            session.flush()
    except IntegrityError:  # another process opened it a moment ago: merge into that one
        existing = _open_alert(session, spec)
        if existing is None:
            raise
        return _merge(session, ctx, existing, spec, now)
    if len(place.grids) > 1:
        insert_rows(
            session,
            AlertGrid,
            [
                {"alert_id": alert.id, "grid": code, "path": place.paths[code]}
                for code in place.grids
            ],
        )
    # The queries below do not read the rows added here: one flush at the end writes the
    # events together with the alert's new state, saving round trips on the alert path.
    with session.no_autoflush:
        record_event(
            session, alert, "opened", SYSTEM, now, to_status=lifecycle.NEW, note=spec.detail
        )
        start_dispatch(session, ctx, alert, now, place.paths)
        publish_change(session, ctx, alert, "new", None, now)
    return alert


def clear_alerts(
    session: Session,
    source_type: str,
    source_id: str,
    kind: str,
    now: datetime,
    note: str | None = None,
    ctx: AlertContext | None = None,
) -> int:
    """Resolve the open alerts of a source and kind (e.g. a sensor back to normal)."""
    query = select(Alert.id).where(
        Alert.is_open,
        Alert.source_type == source_type,
        Alert.source_id == source_id,
        Alert.kind == kind,
    )
    ids = list(session.scalars(query))
    for alert_id in ids:
        act(
            session,
            alert_id,
            "resolve",
            SYSTEM,
            now,
            note=note or "cleared at source",
            channel=SYSTEM,
            ctx=ctx,
        )
    return len(ids)


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
) -> Alert:
    """Apply ``action`` (ack, assign, progress, resolve, cancel) by ``actor``.

    Raises UnknownAlert, IllegalTransition (with the current state), or ValueError.
    """
    ctx = ctx or AlertContext()
    alert = session.get(Alert, alert_id, with_for_update=True)
    if alert is None:
        raise UnknownAlert(f"no alert {alert_id}")
    old = alert.status
    new = next_state(old, action)
    before = snapshot(alert)
    recipients: list[Recipient] = []
    if action == "assign":
        recipients = _assignee(session, assignee)
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
        _set_timer(session, alert, now, Policy.from_dict(alert.policy).levels[alert.level])
    publish_change(session, ctx, alert, "end" if not alert.is_open else "update", before, now)
    return alert


def device_ack(
    session: Session,
    member_code: str,
    alert_id: int,
    status: str,
    now: datetime,
    note: str | None = None,
    ctx: AlertContext | None = None,
) -> Alert:
    """A member's device answered on ``members/{code}/ack``. A repeat acknowledgement, or one
    after someone else's, records that this member has it too, without a state change."""
    action = {"acknowledged": "ack", "in_progress": "progress", "resolved": "resolve"}.get(status)
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
            record_event(session, alert, "received", member_code, now, note=note, channel="mqtt")
        return alert
    return act(session, alert_id, action, member_code, now, note=note, channel="mqtt", ctx=ctx)


def start_dispatch(
    session: Session,
    ctx: AlertContext,
    alert: Alert,
    now: datetime,
    paths: dict[str, str] | None = None,
) -> None:
    """Notify the first escalation level (plus broadcast roles and assignees), set its timer."""
    everyone = everyone_for(session, ctx, alert, now, paths)
    policy = Policy.from_dict(alert.policy)
    first_role = policy.levels[alert.level].role if alert.level < len(policy.levels) else None
    step = begin(policy, now, {person.role for person in everyone}, first_role)
    roles = set(alert.broadcast_roles) | ({step.role} if step.role else set())
    recipients = _assignee(session, *alert.assignees) + [p for p in everyone if p.role in roles]
    if not recipients:
        record_event(
            session,
            alert,
            "unrouted",
            SYSTEM,
            now,
            note="no one responsible for this place is on duty",
        )
        return
    urls = policy.levels[step.level].notify if step.role else ()
    notify_members(session, ctx, alert, _unique(recipients), now, level=step.level, extra_urls=urls)
    note = "to " + named(_unique(recipients))
    if alert.status == lifecycle.NEW:
        alert.status = next_state(alert.status, "dispatch")
        record_event(
            session,
            alert,
            "dispatched",
            SYSTEM,
            now,
            from_status=lifecycle.NEW,
            to_status=alert.status,
            note=note,
        )
    else:
        record_event(session, alert, "redispatched", SYSTEM, now, note=note)
    alert.level, alert.reminders = step.level, 0
    if step.due_at is not None and alert.acked_at is None:
        timer = AlertTimer(alert_id=alert.id, due_at=step.due_at)
        # A new alert has no timer yet: add it without first asking the store.
        if paths is not None:
            session.add(timer)
        else:
            session.merge(timer)


def _merge(
    session: Session, ctx: AlertContext, alert: Alert, spec: AlertSpec, now: datetime
) -> Alert:
    before = snapshot(alert)
    alert.count += 1
    alert.last_value = spec.value if spec.value is not None else alert.last_value
    alert.last_seen_at = alert.updated_at = now
    alert.detail = spec.detail or alert.detail
    if severity_rank(spec.severity) > severity_rank(alert.severity):
        record_event(
            session,
            alert,
            "severity_raised",
            SYSTEM,
            now,
            note=f"{alert.severity} → {spec.severity}",
        )
        alert.severity = spec.severity
        alert.title = spec.title
        alert.policy = Policy.from_config(ctx.config.policies[spec.severity]).to_dict()
        if alert.acked_at is None:
            alert.level = 0  # the new severity's ladder, from the bottom
            start_dispatch(session, ctx, alert, now)
        else:  # someone is on it: tell them, and the first level, that it got worse
            _renotify_handlers(session, ctx, alert, now)
    else:
        record_event(
            session,
            alert,
            "repeated",
            SYSTEM,
            now,
            note=f"count {alert.count}"
            + (f", value {spec.value}" if spec.value is not None else ""),
        )
    publish_change(session, ctx, alert, "update", before, now)
    return alert


def everyone_for(
    session: Session,
    ctx: AlertContext,
    alert: Alert,
    now: datetime,
    paths: dict[str, str] | None = None,
) -> list[Recipient]:
    """Who is responsible for the alert's grids now, in escalation order. With the grids'
    ``paths`` known (a new alert), or many grids, one query over the region subtree."""
    if paths is None and len(alert.grids) > BULK_GRIDS:
        session.flush()
        query = select(AlertGrid.grid, AlertGrid.path).where(AlertGrid.alert_id == alert.id)
        paths = dict(session.execute(query).tuples().all())
    return responsible(session, alert.grids, now, ctx.timezone, paths)


def named(people: list[Recipient], most: int = 20) -> str:
    """``W1 (grid_worker), L1 (grid_leader)``; a long list is cut short with its count."""
    shown = ", ".join(f"{p.member_code} ({p.role})" for p in people[:most])
    return shown if len(people) <= most else f"{len(people)} members: {shown}, …"


def _level_of(ctx: AlertContext, spec: AlertSpec) -> int:
    roles = [level.role for level in ctx.config.policies[spec.severity].levels]
    return roles.index(spec.first_role) if spec.first_role in roles else 0


def _renotify_handlers(session: Session, ctx: AlertContext, alert: Alert, now: datetime) -> None:
    everyone = everyone_for(session, ctx, alert, now)
    first = Policy.from_dict(alert.policy).levels[0].role
    handlers = [p for p in everyone if p.role == first or p.member_code == alert.acked_by]
    handlers += _assignee(session, *alert.assignees)
    notify_members(session, ctx, alert, _unique(handlers), now, level=alert.level)
    record_event(session, alert, "redispatched", SYSTEM, now, note="to " + named(_unique(handlers)))


def _open_alert(session: Session, spec: AlertSpec) -> Alert | None:
    query = (
        select(Alert)
        .where(
            Alert.is_open,
            Alert.source_type == spec.source_type,
            Alert.source_id == spec.source_id,
            Alert.kind == spec.kind,
        )
        .with_for_update()
    )
    return session.scalars(query).first()


def _assignee(session: Session, *codes: str | None) -> list[Recipient]:
    found: list[Recipient] = []
    for code in codes:
        if code is None:
            raise ValueError("assign needs a member code")
        member = session.scalar(select(Member).where(Member.code == code))
        if member is None:
            raise ValueError(f"no member {code!r}")
        found.append(Recipient(member.code, member.role, tuple(member.notify or ())))
    return found


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
    return result.rowcount or 0


def _set_timer(session: Session, alert: Alert, now: datetime, level: Level) -> None:
    session.merge(
        AlertTimer(alert_id=alert.id, due_at=now + timedelta(seconds=level.ack_timeout_s))
    )


def _unique(people: list[Recipient]) -> list[Recipient]:
    return list({p.member_code: p for p in reversed(people)}.values())[::-1]


__all__ = ["AlertSpec", "IllegalTransition", "act", "clear_alerts", "device_ack", "raise_alert"]
