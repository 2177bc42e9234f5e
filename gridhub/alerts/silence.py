"""Members silent on an area warning: reminded once after the level's timeout, then their grid
leader is told who is silent, then their village. Timers are the receipts' own times, so any
hub process may run this and rows are claimed with SKIP LOCKED."""

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from gridhub.alerts.context import AlertContext
from gridhub.alerts.deliveries import insert_rows, member_delivery, notify_members, record_event
from gridhub.alerts.escalation import Policy
from gridhub.alerts.lifecycle import SYSTEM
from gridhub.alerts.models import Alert, Delivery, Receipt
from gridhub.alerts.notify import known_members, named
from gridhub.alerts.receipts import AREA_WARNING, CONFIRMED
from gridhub.geo.models import Member, MemberArea, Region

LEADER, VILLAGE = "grid_leader", "village_cadre"
"""Who hears of the silent: first the grid leader, then the village."""


def chase_silent(session: Session, ctx: AlertContext, now: datetime) -> int:
    """Remind, or escalate, every receipt whose step fell due; returns how many moved."""
    moved = 0
    open_warnings = select(Alert).where(Alert.is_open, Alert.source_type == AREA_WARNING)
    for alert in session.scalars(open_warnings).all():
        moved += _chase(session, ctx, alert, now)
    return moved


def _chase(session: Session, ctx: AlertContext, alert: Alert, now: datetime) -> int:
    timeout = timedelta(seconds=Policy.from_dict(alert.policy).levels[0].ack_timeout_s)
    due = now - timeout
    query = (
        select(Receipt)
        .where(
            Receipt.alert_id == alert.id,
            Receipt.state != CONFIRMED,
            Receipt.released_at.is_(None),
            or_(
                and_(Receipt.reminded_at.is_(None), Receipt.sent_at <= due),
                and_(Receipt.escalated == 0, Receipt.reminded_at <= due),
                and_(Receipt.escalated == 1, Receipt.escalated_at <= due),
            ),
        )
        .with_for_update(skip_locked=True)
    )
    found = list(session.scalars(query))
    remind = [r for r in found if r.reminded_at is None]
    to_leaders = [r for r in found if r.reminded_at is not None and r.escalated == 0]
    to_village = [r for r in found if r.escalated == 1]
    if remind:
        people = known_members(session, tuple(r.member_code for r in remind))
        notify_members(session, ctx, alert, people, now, level=alert.level, reminder=1)
        record_event(session, alert, "reminded", SYSTEM, now, note=f"silent: {named(people)}")
        for receipt in remind:
            receipt.reminded_at = now
    for receipts, role in ((to_leaders, LEADER), (to_village, VILLAGE)):
        if receipts:
            _tell_of_silent(session, ctx, alert, receipts, role, now)
            for receipt in receipts:
                receipt.escalated, receipt.escalated_at = receipt.escalated + 1, now
    return len(found)


def _tell_of_silent(
    session: Session,
    ctx: AlertContext,
    alert: Alert,
    silent: list[Receipt],
    role: str,
    now: datetime,
) -> None:
    """Each grid leader (or village cadre) hears who in their grids (village) is silent."""
    people = _people(session, [r.member_code for r in silent])
    grids = sorted({g for r in silent for g in r.grids})
    over = _overseers(session, grids, role)
    told: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for receipt in silent:
        for code in {c for g in receipt.grids for c in over.get(g, ())} - {receipt.member_code}:
            told[code].append(people[receipt.member_code] | {"grids": receipt.grids})
    payload = {"warning_id": alert.id, "alert_id": alert.id, "status": "silent",
               "severity": alert.severity, "ts": now.isoformat()}  # fmt: skip
    rows = [
        member_delivery(
            alert.id, now, ctx.member_topic(code), payload | {"silent": names}, code, role
        )
        for code, names in told.items()
    ]
    insert_rows(session, Delivery, rows)
    if rows:
        ctx.wake_after_commit(session)
    note = f"{len(silent)} silent; told {role}: {', '.join(sorted(told)) or 'nobody'}"
    record_event(session, alert, "escalated", SYSTEM, now, note=note)


def _people(session: Session, codes: list[str]) -> dict[str, dict[str, Any]]:
    rows = session.execute(
        select(Member.code, Member.name, Member.phone).where(Member.code.in_(codes))
    )
    return {code: {"code": code, "name": name, "phone": phone} for code, name, phone in rows}


def _overseers(session: Session, grids: list[str], role: str) -> dict[str, set[str]]:
    """For each grid, the members of ``role`` over it: on the grid itself (a leader) or on
    the region above it (a village cadre)."""
    rows = session.execute(select(Region.code, Region.path).where(Region.code.in_(grids)))
    paths = {code: path for code, path in rows}
    assigned = session.execute(
        select(Member.code, Region.path)
        .join(MemberArea, MemberArea.member_id == Member.id)
        .join(Region, Region.id == MemberArea.region_id)
        .where(Member.role == role)
    )
    over: dict[str, set[str]] = defaultdict(set)
    for code, path in assigned:
        for grid, grid_path in paths.items():
            if grid_path.startswith(path):
                over[grid].add(code)
    return over
