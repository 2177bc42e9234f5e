"""Who hears about an alert, telling them, and recording it: the one path that raising,
re-notifying after a change, assigning and the escalation timers all take.

Everything runs in the caller's transaction; the dispatcher sends after the commit.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridhub.alerts import lifecycle
from gridhub.alerts.context import AlertContext
from gridhub.alerts.deliveries import Writes, notify_members, record_event
from gridhub.alerts.escalation import Policy, begin, on_timeout
from gridhub.alerts.lifecycle import SYSTEM, next_state
from gridhub.alerts.models import Alert, AlertGrid, AlertTimer
from gridhub.alerts.routing import BULK_GRIDS, Recipient, responsible, responsible_many
from gridhub.geo.models import Member

MOST_NAMED = 20
"""An event's note names at most this many recipients (a flood warning has thousands)."""


def responsible_now(
    session: Session,
    ctx: AlertContext,
    alert: Alert,
    now: datetime,
    paths: dict[str, str] | None = None,
) -> list[Recipient]:
    """Who is responsible for the alert's grids now, in escalation order: one query over the
    region subtree of the grids' paths (given for a new alert, stored with one over many
    grids, else from the context's cache)."""
    if paths is None and len(alert.grids) > BULK_GRIDS:
        session.flush()
        query = select(AlertGrid.grid, AlertGrid.path).where(AlertGrid.alert_id == alert.id)
        paths = dict(session.execute(query).tuples().all())
    elif paths is None:
        known = ctx.grid_paths(session, alert.grids)
        paths = {grid: known[grid] for grid in alert.grids if grid in known}
    return responsible(session, alert.grids, now, ctx.timezone, paths, calls_everyone(alert))


def responsible_for_new(
    session: Session,
    ctx: AlertContext,
    alerts: list[Alert],
    paths: list[dict[str, str]],
    now: datetime,
) -> list[list[Recipient]]:
    """``responsible_now`` for each of a batch's new alerts (``paths``: each one's grids'):
    those over a few grids by one query together, a wide one (an area warning) by its own."""
    few = [
        i
        for i, alert in enumerate(alerts)
        if len(paths[i]) <= BULK_GRIDS and not calls_everyone(alert)
    ]
    found = dict(zip(few, responsible_many(session, [paths[i] for i in few], now, ctx.timezone),
                     strict=True))  # fmt: skip
    return [
        found[i] if i in found else responsible_now(session, ctx, alert, now, paths[i])
        for i, alert in enumerate(alerts)
    ]


def calls_everyone(alert: Alert) -> bool:
    """A red area warning (flood, 三防) calls in off-duty members too."""
    return alert.source_type == "area_warning" and alert.severity == "red"


def members(session: Session, codes: list[str]) -> list[Recipient]:
    """The members ``codes`` as recipients (assignees); ValueError for an unknown code."""
    found: list[Recipient] = []
    for code in codes:
        member = session.scalar(select(Member).where(Member.code == code))
        if member is None:
            raise ValueError(f"no member {code!r}")
        found.append(
            Recipient(member.code, member.role, tuple(member.notify or ()), member.language)
        )
    return found


def known_members(session: Session, codes: tuple[str, ...]) -> list[Recipient]:
    """The members a policy level names, in its order; a code no longer on the roster is
    left out (a timer must not fail on a roster change)."""
    if not codes:
        return []
    found = {
        member.code: Recipient(
            member.code, member.role, tuple(member.notify or ()), member.language
        )
        for member in session.scalars(select(Member).where(Member.code.in_(codes)))
    }
    return [found[code] for code in codes if code in found]


def tell(
    session: Session,
    ctx: AlertContext,
    alert: Alert,
    recipients: list[Recipient],
    now: datetime,
    *,
    event: str,
    level: int | None,
    note: str | None = None,
    reminder: int = 0,
    extra_urls: tuple[str, ...] = (),
    from_status: str | None = None,
    writes: Writes | None = None,
) -> list[Recipient]:
    """Queue the alert for each recipient (once each) and record ``event`` saying to whom
    (with the state change, when ``from_status`` is given)."""
    people = _unique(recipients)
    notify_members(session, ctx, alert, people, now, level=level, reminder=reminder,
                   extra_urls=extra_urls, writes=writes)  # fmt: skip
    record_event(
        session,
        alert,
        event,
        SYSTEM,
        now,
        from_status=from_status,
        to_status=alert.status if from_status else None,
        note=note or f"to {named(people)}",
        writes=writes,
    )
    return people


@dataclass(frozen=True, slots=True)
class Dispatch:
    """What ``dispatch`` does, decided before anything is written (a batch of new alerts is
    decided first, then written together)."""

    recipients: list[Recipient]
    level: int
    due_at: datetime | None
    urls: tuple[str, ...]
    from_status: str | None = None
    """The state the alert left (``new``); None: it was dispatched already."""


def plan_dispatch(
    session: Session, alert: Alert, now: datetime, everyone: list[Recipient]
) -> Dispatch:
    """Whom to tell of ``alert`` (the first escalation level among ``everyone`` responsible,
    plus broadcast roles and assignees), and move it to that level and to ``dispatched``."""
    policy = Policy.from_dict(alert.policy)
    first_role = policy.levels[alert.level].role if alert.level < len(policy.levels) else None
    step = begin(policy, now, {person.role for person in everyone}, first_role)
    roles = set(alert.broadcast_roles) | ({step.role} if step.role else set())
    named_here = known_members(session, policy.levels[step.level].members) if step.role else []
    recipients = (
        members(session, list(alert.assignees))
        + named_here
        + [p for p in everyone if p.role in roles]
    )
    urls = policy.levels[step.level].notify if step.role else ()
    if not recipients:
        return Dispatch([], alert.level, None, ())
    from_status = alert.status if alert.status == lifecycle.NEW else None
    if from_status is not None:
        alert.status = next_state(alert.status, "dispatch")
    alert.level, alert.reminders = step.level, 0
    return Dispatch(recipients, step.level, step.due_at, urls, from_status)


def dispatch(
    session: Session,
    ctx: AlertContext,
    alert: Alert,
    now: datetime,
    *,
    new_alert: bool,
    paths: dict[str, str] | None = None,
) -> None:
    """Tell the first escalation level (plus broadcast roles and assignees), set its timer.

    ``new_alert``: the alert was just opened (its timer row cannot exist yet, and ``paths``
    holds its grids' region paths).
    """
    everyone = responsible_now(session, ctx, alert, now, paths)
    write_dispatch(session, ctx, alert, plan_dispatch(session, alert, now, everyone), now,
                   new_alert=new_alert)  # fmt: skip


def write_dispatch(
    session: Session,
    ctx: AlertContext,
    alert: Alert,
    plan: Dispatch,
    now: datetime,
    *,
    new_alert: bool,
    writes: Writes | None = None,
) -> None:
    """The deliveries, audit event and timer of ``plan`` (``plan_dispatch``)."""
    if not plan.recipients:
        note = "no one responsible for this place is on duty"
        record_event(session, alert, "unrouted", SYSTEM, now, note=note, writes=writes)
        return
    event = "dispatched" if plan.from_status else "redispatched"
    tell(session, ctx, alert, plan.recipients, now, event=event, level=plan.level,
         extra_urls=plan.urls, from_status=plan.from_status, writes=writes)  # fmt: skip
    if plan.due_at is not None and alert.acked_at is None:
        arm_timer(session, alert, plan.due_at, new_alert=new_alert, writes=writes)


def renotify_handlers(session: Session, ctx: AlertContext, alert: Alert, now: datetime) -> None:
    """It got worse while someone is on it: tell them, the assignees and the first level."""
    everyone = responsible_now(session, ctx, alert, now)
    first = Policy.from_dict(alert.policy).levels[0].role
    handlers = [p for p in everyone if p.role == first or p.member_code == alert.acked_by]
    handlers += members(session, list(alert.assignees))
    tell(session, ctx, alert, handlers, now, event="redispatched", level=alert.level)


def escalate(
    session: Session, ctx: AlertContext, alert: Alert, timer: AlertTimer, now: datetime
) -> None:
    """A timer fell due with nobody acknowledging: remind this level, or go up one."""
    policy = Policy.from_dict(alert.policy)
    everyone = responsible_now(session, ctx, alert, now)
    step = on_timeout(policy, alert.level, alert.reminders, now, {p.role for p in everyone})
    from_role = policy.levels[alert.level].role
    if step.action == "exhausted":
        session.delete(timer)
        note = f"no acknowledgement after the last level ({from_role})"
        record_event(session, alert, "exhausted", SYSTEM, now, note=note)
        return
    recipients = _unique(
        known_members(session, policy.levels[step.level].members)
        + [p for p in everyone if p.role == step.role]
    )
    if step.action == "escalate":
        event, note = "escalated", f"{from_role} → {step.role}: to {named(recipients)}"
    else:
        event, note = "reminded", f"reminder {step.reminders} to {step.role}: {named(recipients)}"
    tell(session, ctx, alert, recipients, now, event=event, level=step.level, note=note,
         reminder=step.reminders, extra_urls=policy.levels[step.level].notify)  # fmt: skip
    alert.level, alert.reminders = step.level, step.reminders
    if step.due_at is None:  # on_timeout gives every step but "exhausted" a due time
        raise RuntimeError(f"escalation step {step.action!r} has no due time")
    timer.due_at = step.due_at


def arm_timer(
    session: Session,
    alert: Alert,
    due_at: datetime,
    *,
    new_alert: bool,
    writes: Writes | None = None,
) -> None:
    """Set the alert's escalation timer; a new alert has none yet, so no need to ask."""
    if new_alert and writes is not None:
        writes.add(AlertTimer, [{"alert_id": alert.id, "due_at": due_at}])
        return
    timer = AlertTimer(alert_id=alert.id, due_at=due_at)
    if new_alert:
        session.add(timer)
    else:
        session.merge(timer)


def named(people: list[Recipient], most: int = MOST_NAMED) -> str:
    """``W1 (grid_worker), L1 (grid_leader)``; a long list is cut short with its count."""
    shown = ", ".join(f"{p.member_code} ({p.role})" for p in people[:most])
    return shown if len(people) <= most else f"{len(people)} members: {shown}, …"


def _unique(people: list[Recipient]) -> list[Recipient]:
    """Each member once, keeping the last of their entries in first-seen order."""
    return list({p.member_code: p for p in reversed(people)}.values())[::-1]
