"""Alerts as a scoped caller sees them.

An alert wholly under the scope is shown whole. One that reaches beyond it (a town-wide
warning seen in one village) is shown with only the scope's part: its grids there, the
deliveries to members responsible there, and no system notes naming people elsewhere.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridhub.alerts import detections
from gridhub.alerts.detections import FrigateMedia
from gridhub.alerts.lifecycle import SYSTEM
from gridhub.alerts.models import Alert
from gridhub.alerts.queries import covered, dispatched_to, grids_under
from gridhub.api.alert_schemas import AlertDetailOut, AlertLinks, AlertOut
from gridhub.api.deps import API_PREFIX
from gridhub.api.permissions import allowed_actions
from gridhub.cameras.frigate_media import CLIP, SNAPSHOT
from gridhub.config.cameras import FrigateConfig
from gridhub.geo.models import Member
from gridhub.geo.roster import member_in_scope
from gridhub.scope import Scope


def alert_outs(session: Session, scope: Scope, alerts: list[Alert]) -> list[AlertOut]:
    """``alerts`` as the caller sees them, with one query for whom they were sent to."""
    dispatched = dispatched_to(session, [alert.id for alert in alerts])
    return [alert_out(session, scope, alert, dispatched[alert.id]) for alert in alerts]


def alert_out(
    session: Session, scope: Scope, alert: Alert, dispatched: list[str] | None = None
) -> AlertOut:
    """``assignees``: whom the alert was given to, then whom it was sent to (``dispatched``,
    looked up if not given)."""
    if dispatched is None:
        dispatched = dispatched_to(session, [alert.id])[alert.id]
    out = AlertOut.model_validate(alert)
    out.assignees = _assignees(alert, dispatched)
    if covered(scope, alert):
        return out
    ours = set(_in_scope(session, scope, set(out.assignees)))
    return out.model_copy(
        update={
            "grids": grids_under(session, scope, alert.id),
            "assignees": [code for code in out.assignees if code in ours],
        }
    )


def _assignees(alert: Alert, dispatched: list[str]) -> list[str]:
    return list(dict.fromkeys([*(alert.assignees or []), *dispatched]))


def _in_scope(session: Session, scope: Scope, codes: set[str]) -> set[str]:
    query = select(Member.code).where(Member.code.in_(codes), member_in_scope(scope))
    return set(session.scalars(query))


def frigate_media(session: Session, config: FrigateConfig, alert_id: int) -> FrigateMedia:
    """The Frigate events whose snapshot and clip show the alert; none when the hub is not
    given Frigate's API (it could fetch nothing)."""
    return detections.frigate_media(session, alert_id) if config.api_url else FrigateMedia()


def frigate_url(alert_id: int, file: str) -> str:
    """Where the hub serves Frigate's ``file`` (SNAPSHOT or CLIP) of the alert."""
    return f"{API_PREFIX}/alerts/{alert_id}/frigate/{file}"


def alert_detail_out(
    session: Session, scope: Scope, alert: Alert, role: str, frigate: FrigateConfig
) -> AlertDetailOut:
    """The alert as ``scope`` sees it, with what a user of ``role`` may do on it now and the
    links to Frigate's media of it."""
    whole = covered(scope, alert)
    out = AlertDetailOut.model_validate(alert)
    out.assignees = _assignees(alert, [d.member_code for d in out.deliveries if d.member_code])
    out.actions = allowed_actions(role, alert.status, whole)
    media = frigate_media(session, frigate, alert.id)
    out.links = AlertLinks(
        snapshot=frigate_url(alert.id, SNAPSHOT) if media.snapshot else None,
        clip=frigate_url(alert.id, CLIP) if media.clip else None,
    )
    if whole:
        return out
    codes = {d.member_code for d in out.deliveries if d.member_code} | {e.actor for e in out.events}
    ours = _in_scope(session, scope, codes)
    members = set(session.scalars(select(Member.code).where(Member.code.in_(codes))))
    events = [
        e.model_copy(update={"note": None}) if e.actor == SYSTEM else e
        for e in out.events
        if e.actor not in members or e.actor in ours
    ]
    return out.model_copy(
        update={
            "grids": grids_under(session, scope, alert.id),
            "events": events,
            "deliveries": [d for d in out.deliveries if d.member_code in ours],
            "assignees": [code for code in out.assignees if code in ours],
        }
    )
