"""A member's own alerts (the phone page): those sent to them, assignments included (an
assignee is sent the alert, see ``actions.act``); for an area warning, what the member's
message said of it and where their receipt stands."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridhub.alerts.models import Alert, AreaAlert, Delivery, Receipt
from gridhub.alerts.queries import visible
from gridhub.alerts.receipts import is_area_warning
from gridhub.geo.models import Region
from gridhub.scope import Scope


@dataclass(frozen=True, slots=True)
class MyWarning:
    """An area warning as the member was told it, and their receipt of it."""

    headline: str | None
    instruction: str | None
    valid_until: datetime | None
    grids: list[dict[str, str]]
    """The member's grids inside the area, ``{"code", "name"}``."""
    state: str
    """sent, delivered, read or confirmed (``receipts.STATES``)."""
    released: bool
    """The area no longer reaches the member: nothing to answer."""


@dataclass(frozen=True, slots=True)
class MemberAlert:
    alert: Alert
    received_at: datetime | None
    """When this member said they have it (on any channel); None: not yet."""
    warning: MyWarning | None = None
    """For an area warning the member holds a receipt of."""


def member_alerts(session: Session, scope: Scope, member: str, limit: int) -> list[MemberAlert]:
    """Alerts sent to ``member``, seen in ``scope``, newest first."""
    sent = (
        select(Delivery.alert_id, func.max(Delivery.acked_at).label("acked_at"))
        .where(Delivery.member_code == member)
        .group_by(Delivery.alert_id)
        .subquery()
    )
    query = (
        select(Alert, sent.c.acked_at)
        .join(sent, sent.c.alert_id == Alert.id)
        .where(visible(scope))
        .order_by(Alert.opened_at.desc(), Alert.id.desc())
        .limit(limit)
    )
    found = list(session.execute(query).tuples())
    warnings = _warnings(session, member, [a.id for a, _ in found if is_area_warning(a)])
    return [MemberAlert(alert, acked, warnings.get(alert.id)) for alert, acked in found]


def _warnings(session: Session, member: str, ids: Sequence[int]) -> dict[int, MyWarning]:
    if not ids:
        return {}
    rows = session.execute(
        select(Receipt, AreaAlert)
        .outerjoin(AreaAlert, AreaAlert.alert_id == Receipt.alert_id)
        .where(Receipt.member_code == member, Receipt.alert_id.in_(list(ids)))
    ).all()
    codes = {code for receipt, _ in rows for code in receipt.grids or []}
    query = select(Region.code, Region.name).where(Region.code.in_(codes))
    names = {code: name for code, name in session.execute(query)}
    return {
        receipt.alert_id: MyWarning(
            headline=details.headline if details else None,
            instruction=details.instruction if details else None,
            valid_until=details.valid_until if details else None,
            grids=[{"code": c, "name": names.get(c, c)} for c in receipt.grids or []],
            state=receipt.state,
            released=receipt.released_at is not None,
        )
        for receipt, details in rows
    }
