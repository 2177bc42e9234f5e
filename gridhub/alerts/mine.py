"""A member's own alerts (the phone page): those sent to them, assignments included (an
assignee is sent the alert, see ``actions.act``)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridhub.alerts.models import Alert, Delivery
from gridhub.alerts.queries import visible
from gridhub.scope import Scope


@dataclass(frozen=True, slots=True)
class MemberAlert:
    alert: Alert
    received_at: datetime | None
    """When this member said they have it (on any channel); None: not yet."""


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
    return [MemberAlert(alert, acked_at) for alert, acked_at in session.execute(query).tuples()]
