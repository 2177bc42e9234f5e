"""Per-member receipts of area warnings: sent → delivered → read → confirmed.

Every member told of an area warning holds one receipt; their device (or the API) moves it
forward, never back. What members' messages carry about the warning is built here too, so a
receipt and the message it belongs to are written together.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from gridhub.alerts.models import Alert, AreaAlert, Receipt
from gridhub.alerts.routing import Recipient, ancestors
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
    """Each member's own grids inside the warning's area, ``{"code", "name"}``, by code.

    A member attached to a grid holds that grid; one attached to a village (a village cadre,
    a grid leader over several grids) or higher holds the warning's grids under that region.
    Two queries over the alert's region subtree and its ancestors (its grids' deepest common
    path): for 20,000 members a lookup by member code costs seconds, these a fraction of one.
    """
    inside = set(alert.grids or [])
    under = Region.path.startswith(alert.region_path, autoescape=True)
    # Every grid of the warning, under each region above it (its own path included).
    by_region: dict[str, list[dict[str, str]]] = {}
    rows = session.execute(
        select(Region.code, Region.name, Region.path)
        .where(Region.level == "grid", under)
        .order_by(Region.code)
    )
    for grid, name, path in rows:
        if grid in inside:
            for region in ancestors(path):
                held = by_region.setdefault(region, [])
                if len(held) < MAX_GRIDS_NAMED:
                    held.append({"code": grid, "name": name})
    found: dict[str, list[dict[str, str]]] = {code: [] for code in codes}
    areas = session.execute(
        select(Member.code, Region.path)
        .join(MemberArea, MemberArea.member_id == Member.id)
        .join(Region, Region.id == MemberArea.region_id)
        .where(or_(under, Region.path.in_(ancestors(alert.region_path))))
        .order_by(Member.code, Region.path)
    )
    for member, path in areas:
        mine = found.get(member)
        if mine is None:
            continue
        for named in by_region.get(path, ()):
            if len(mine) < MAX_GRIDS_NAMED and named not in mine:
                mine.append(named)
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


@dataclass(frozen=True, slots=True)
class Answer:
    """A member's word on a warning: ``received``, ``read`` or ``confirmed``."""

    member_code: str
    alert_id: int
    said: str
    at: datetime
    channel: str


def answer(
    session: Session, member_code: str, alert_id: int, said: str, now: datetime, channel: str
) -> Receipt:
    """The member's device or page says ``received``, ``read`` or ``confirmed``: the receipt
    moves forward to it (an earlier state answered late changes nothing)."""
    outcome = answer_many(session, [Answer(member_code, alert_id, said, now, channel)])[0]
    if isinstance(outcome, NoReceipt):
        raise outcome
    return outcome


def answer_many(session: Session, answers: Sequence[Answer]) -> list[Receipt | NoReceipt]:
    """Apply many answers at once (20,000 devices confirming within a second): the receipts
    of each warning are read in chunks and changed in one flush. Each answer's outcome is its
    receipt, or why it was refused."""
    for given in answers:
        if given.said not in ANSWERS:
            raise ValueError(f"unknown receipt status {given.said!r}; use {', '.join(ANSWERS)}")
    held: dict[tuple[int, str], Receipt] = {}
    wanted: dict[int, set[str]] = {}
    for given in answers:
        wanted.setdefault(given.alert_id, set()).add(given.member_code)
    for alert_id, codes in wanted.items():
        ordered = sorted(codes)
        for start in range(0, len(ordered), 1000):
            query = (
                select(Receipt)
                .where(
                    Receipt.alert_id == alert_id,
                    Receipt.member_code.in_(ordered[start : start + 1000]),
                )
                .with_for_update()
            )
            held.update(((r.alert_id, r.member_code), r) for r in session.scalars(query))
    outcomes: list[Receipt | NoReceipt] = []
    for given in answers:
        receipt = held.get((given.alert_id, given.member_code))
        if receipt is None:
            outcomes.append(
                NoReceipt(f"warning {given.alert_id} was not sent to member {given.member_code}")
            )
        elif receipt.released_at is not None:
            outcomes.append(
                NoReceipt(
                    f"warning {given.alert_id} no longer applies to member {given.member_code}"
                )
            )
        else:
            _move(receipt, ANSWERS[given.said], given.at, given.channel)
            outcomes.append(receipt)
    session.flush()
    return outcomes


def _move(receipt: Receipt, state: str, now: datetime, channel: str) -> None:
    reached, target = STATES.index(receipt.state), STATES.index(state)
    if target <= reached:
        return
    channels = dict(receipt.channels or {})
    for step in STATES[reached + 1 : target + 1]:  # confirmed implies delivered and read
        setattr(receipt, f"{step}_at", now)
        channels[step] = channel
    receipt.state, receipt.channels = state, channels


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
