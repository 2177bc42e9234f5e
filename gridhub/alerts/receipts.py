"""Per-member receipts of area warnings: sent → delivered → read → confirmed.

Every member told of an area warning holds one receipt; their device (or the API) moves it
forward, never back. What members' messages carry about the warning is built here too, so a
receipt and the message it belongs to are written together.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gridhub.alerts.models import Alert, AreaAlert, Receipt
from gridhub.alerts.routing import Recipient
from gridhub.geo.models import Member, MemberArea, Region

SENT, DELIVERED, READ, CONFIRMED = "sent", "delivered", "read", "confirmed"
STATES = (SENT, DELIVERED, READ, CONFIRMED)
ANSWERS = {"received": DELIVERED, "read": READ, "confirmed": CONFIRMED}
"""What a device says on its ack topic → the receipt state it reaches."""
AREA_WARNING = "area_warning"
MAX_GRIDS_NAMED = 50
"""A member's message names at most this many of their grids (a cadre may hold hundreds)."""


class NoReceipt(ValueError):
    """The warning was never sent to this member (or there is no such warning)."""


def is_area_warning(alert: Alert) -> bool:
    return alert.source_type == AREA_WARNING


def warning_fields(session: Session, alert: Alert) -> dict[str, Any]:
    """What every member's message about the warning carries besides the alert's brief."""
    details = session.get(AreaAlert, alert.id)
    if details is None:  # opened before it had details (cannot happen through raise_alert)
        return {"warning_id": alert.id, "level": alert.severity}
    return {
        "warning_id": alert.id,
        "level": alert.severity,
        "headline": details.headline,
        "instruction": details.instruction,
        "area": details.simple_area,
        "bbox": details.bbox,
        "valid_until": details.valid_until.isoformat() if details.valid_until else None,
    }


def member_grids(
    session: Session, alert: Alert, codes: Sequence[str]
) -> dict[str, list[dict[str, str]]]:
    """Each member's own grids inside the warning's area, ``{"code", "name"}``, by code."""
    inside = set(alert.grids or [])
    found: dict[str, list[dict[str, str]]] = {code: [] for code in codes}
    wanted = list(codes)
    for start in range(0, len(wanted), 1000):
        rows = session.execute(
            select(Member.code, Region.code, Region.name)
            .join(MemberArea, MemberArea.member_id == Member.id)
            .join(Region, Region.id == MemberArea.region_id)
            .where(Member.code.in_(wanted[start : start + 1000]), Region.level == "grid")
        )
        for member, grid, name in rows:
            if grid in inside and len(found[member]) < MAX_GRIDS_NAMED:
                found[member].append({"code": grid, "name": name})
    return found


def open_receipts(
    session: Session,
    alert: Alert,
    people: Sequence[Recipient],
    grids: dict[str, list[dict[str, str]]],
    now: datetime,
) -> list[dict[str, Any]]:
    """Rows of a receipt in state ``sent`` for each of ``people`` who has none yet (the caller
    inserts them with the deliveries); one released before (the area came back to them) is
    taken up again from ``sent``."""
    query = select(Receipt.member_code, Receipt.released_at).where(Receipt.alert_id == alert.id)
    held = {code: released for code, released in session.execute(query)}
    again = [p.member_code for p in people if held.get(p.member_code)]
    if again:
        restart(session, alert.id, again, now)
    return [
        {
            "alert_id": alert.id,
            "member_code": p.member_code,
            "role": p.role,
            "grids": [g["code"] for g in grids.get(p.member_code, [])],
            "state": SENT,
            "sent_at": now,
            "channels": {SENT: "mqtt"},
            "escalated": 0,
        }
        for p in people
        if p.member_code not in held
    ]


def restart(session: Session, alert_id: int, codes: Sequence[str] | None, now: datetime) -> None:
    """Back to ``sent`` (a raised level must be confirmed again; a member back inside)."""
    query = update(Receipt).where(Receipt.alert_id == alert_id)
    if codes is not None:
        query = query.where(Receipt.member_code.in_(list(codes)))
    session.execute(
        query.values(
            state=SENT,
            sent_at=now,
            delivered_at=None,
            read_at=None,
            confirmed_at=None,
            channels={SENT: "mqtt"},
            reminded_at=None,
            escalated=0,
            escalated_at=None,
            released_at=None,
        )
    )


def answer(
    session: Session, member_code: str, alert_id: int, said: str, now: datetime, channel: str
) -> Receipt:
    """The member's device or page says ``received``, ``read`` or ``confirmed``: the receipt
    moves forward to it (an earlier state answered late changes nothing)."""
    state = ANSWERS.get(said)
    if state is None:
        raise ValueError(f"unknown receipt status {said!r}; use {', '.join(ANSWERS)}")
    receipt = session.scalar(
        select(Receipt)
        .where(Receipt.alert_id == alert_id, Receipt.member_code == member_code)
        .with_for_update()
    )
    if receipt is None:
        raise NoReceipt(f"warning {alert_id} was not sent to member {member_code}")
    if receipt.released_at is not None:
        raise NoReceipt(f"warning {alert_id} no longer applies to member {member_code}")
    reached = STATES.index(receipt.state)
    target = STATES.index(state)
    if target <= reached:
        return receipt
    channels = dict(receipt.channels or {})
    for step in STATES[reached + 1 : target + 1]:  # confirmed implies delivered and read
        setattr(receipt, f"{step}_at", now)
        channels[step] = channel
    receipt.state, receipt.channels = state, channels
    return receipt


def counts(session: Session, alert_id: int, members: Sequence[str] | None = None) -> dict[str, int]:
    """``{"total", "delivered", "read", "confirmed"}`` over the receipts still in force (of
    ``members`` only, when given); a state counts everyone who reached it or beyond."""
    query = select(Receipt.state, func.count()).where(
        Receipt.alert_id == alert_id, Receipt.released_at.is_(None)
    )
    if members is not None:
        query = query.where(Receipt.member_code.in_(list(members)))
    by_state = {state: n for state, n in session.execute(query.group_by(Receipt.state))}
    total = sum(by_state.values())
    out = {"total": total}
    for index, state in enumerate(STATES[1:], 1):
        out[state] = sum(by_state.get(s, 0) for s in STATES[index:])
    return out
