"""Area warnings (flood, 三防) as alerts: opened once per warning, changed by Updates (members
newly inside told, those left outside released, a raised level confirmed again by everyone),
lifted by a Cancel or by expiry (everyone told, the alert closed with its events)."""

from datetime import datetime
from typing import Any

import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from gridhub.alerts import receipts
from gridhub.alerts.actions import act
from gridhub.alerts.context import AlertContext
from gridhub.alerts.deliveries import insert_rows, member_delivery, publish_change, record_event
from gridhub.alerts.lifecycle import SYSTEM
from gridhub.alerts.messages import snapshot
from gridhub.alerts.models import Alert, AlertGrid, AreaAlert, AreaAlertKey, Delivery, Receipt
from gridhub.alerts.notify import calls_everyone, named, tell
from gridhub.alerts.raising import AlertSpec, raise_alert
from gridhub.alerts.routing import Recipient, place_of, responsible
from gridhub.events import AreaWarning, AreaWarningCancelled
from gridhub.severity import severity_rank

AREA_TELLS = ("grid_worker", "grid_leader")
"""An area warning goes to every affected grid's workers and leaders at once."""
MAX_AREA_POINTS = 500
"""Members' messages carry the area simplified to at most about this many points."""
SIMPLIFY_STEPS = (0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05)
"""Tolerances (degrees, ~10 m to ~5 km) tried in turn until the area is small enough."""


def warning_details(event: AreaWarning) -> dict[str, Any]:
    """The ``area_alerts`` row's fields (without the alert id) for ``event``."""
    geometry = shape(event.area)
    return {
        "sender": event.sender or "",
        "headline": (event.headline or "")[:500] or None,
        "description": event.description,
        "instruction": event.instruction,
        "area_desc": event.area_desc,
        "bbox": [round(v, 6) for v in geometry.bounds],
        "simple_area": simplified(geometry),
        "valid_until": event.valid_until,
    }


def simplified(geometry: BaseGeometry) -> dict[str, Any]:
    """The area as GeoJSON with at most about MAX_AREA_POINTS points (a bounded message)."""
    shown = geometry
    for tolerance in SIMPLIFY_STEPS:
        if shapely.get_num_coordinates(shown) <= MAX_AREA_POINTS:
            return dict(mapping(shown))
        shown = geometry.simplify(tolerance, preserve_topology=True)
    if shapely.get_num_coordinates(shown) <= MAX_AREA_POINTS:
        return dict(mapping(shown))
    return dict(mapping(geometry.envelope))


def apply_warning(
    session: Session, ctx: AlertContext, spec: AlertSpec, event: AreaWarning, now: datetime
) -> Alert | None:
    """Open the warning's alert, or apply an Update to the one its references name; a key
    seen before changes nothing. Returns the alert (None: an Update of a lifted warning)."""
    key = event.key or f"area/{event.warning_id}"
    if session.get(AreaAlertKey, key) is not None:
        return None
    known = _known(session, (key, *event.references))
    if known is None:
        alert = raise_alert(session, spec, now, ctx)
    else:
        current = session.get(Alert, known.alert_id, with_for_update=True)
        if current is None or not current.is_open:
            _remember(session, key, known.alert_id, event.msg_type, now)
            return None
        alert = current
        _update(session, ctx, alert, spec, event, now)
    _remember(session, key, alert.id, event.msg_type, now)
    return alert


def cancel_warning(
    session: Session, ctx: AlertContext, event: AreaWarningCancelled, now: datetime
) -> Alert | None:
    """A Cancel: lift the warning its references name (None: unknown or lifted already)."""
    if session.get(AreaAlertKey, event.key) is not None:
        return None
    known = _known(session, event.references)
    if known is None:
        return None
    _remember(session, event.key, known.alert_id, "cancel", now)
    alert = session.get(Alert, known.alert_id, with_for_update=True)
    if alert is None or not alert.is_open:
        return None
    lift(session, ctx, alert, now, "cancelled", event.note)
    return alert


def expire_warnings(session: Session, ctx: AlertContext, now: datetime) -> int:
    """Lift every open warning whose ``valid_until`` has passed."""
    query = (
        select(Alert)
        .join(AreaAlert, AreaAlert.alert_id == Alert.id)
        .where(Alert.is_open, AreaAlert.lifted_at.is_(None), AreaAlert.valid_until < now)
        .with_for_update(skip_locked=True)
    )
    expired = list(session.scalars(query))
    for alert in expired:
        lift(session, ctx, alert, now, "expired", None)
    return len(expired)


def lift(
    session: Session, ctx: AlertContext, alert: Alert, now: datetime, why: str, note: str | None
) -> None:
    """Tell every member still holding the warning that it is lifted, and close the alert."""
    details = session.get(AreaAlert, alert.id)
    if details is not None:
        details.lifted_at, details.lifted_reason = now, why
    action = "cancel" if why == "cancelled" else "resolve"
    act(session, alert.id, action, SYSTEM, now, note=note or f"warning {why}", channel=SYSTEM,
        ctx=ctx)  # fmt: skip
    # After closing: closing cancels the alert's pending deliveries, not this last word.
    _tell_all(session, ctx, alert, _holders(session, alert.id), now, "lifted")


def _update(
    session: Session,
    ctx: AlertContext,
    alert: Alert,
    spec: AlertSpec,
    event: AreaWarning,
    now: datetime,
) -> None:
    before = snapshot(alert)
    raised = severity_rank(spec.severity) > severity_rank(alert.severity)
    place = place_of(session, spec.grids)
    alert.severity, alert.kind = spec.severity, spec.kind
    alert.title_args, alert.detail = spec.title_args or None, spec.detail
    alert.area, alert.grids, alert.region_path = spec.area, list(place.grids), place.region_path
    alert.grid = place.grids[0] if len(place.grids) == 1 else None
    alert.updated_at = alert.last_seen_at = now
    session.execute(delete(AlertGrid).where(AlertGrid.alert_id == alert.id))
    if len(place.grids) > 1:
        rows = [{"alert_id": alert.id, "grid": g, "path": place.paths[g]} for g in place.grids]
        insert_rows(session, AlertGrid, rows)
    details = session.get(AreaAlert, alert.id)
    fields = warning_details(event)
    if details is None:
        session.add(AreaAlert(alert_id=alert.id, **fields))
    else:
        for name, value in fields.items():
            setattr(details, name, value)
    session.flush()
    everyone = calls_everyone(alert)
    found = responsible(session, place.grids, now, ctx.timezone, place.paths or None, everyone)
    inside = [p for p in found if p.role in AREA_TELLS]
    holders = {p.member_code: p for p in _holders(session, alert.id)}
    codes = {p.member_code for p in inside}
    gone = [p for code, p in holders.items() if code not in codes]
    if gone:
        _tell_all(session, ctx, alert, gone, now, "released")
        released = [p.member_code for p in gone]
        session.execute(
            update(Receipt)
            .where(Receipt.alert_id == alert.id, Receipt.member_code.in_(released))
            .values(released_at=now)
        )
    if raised:
        receipts.restart(session, alert.id, None, now)
    told = inside if raised else [p for p in inside if p.member_code not in holders]
    note = f"{before['severity']} → {alert.severity}, {len(place.grids)} grids; "
    note += f"released {named(gone)}; " if gone else ""
    if told:
        tell(session, ctx, alert, told, now, event="redispatched", level=alert.level,
             note=note + f"to {named(told)}")  # fmt: skip
    else:
        record_event(session, alert, "updated", SYSTEM, now, note=note.rstrip("; "))
    publish_change(session, ctx, alert, "update", before, now)


def _tell_all(
    session: Session,
    ctx: AlertContext,
    alert: Alert,
    people: list[Recipient],
    now: datetime,
    status: str,
) -> None:
    """Tell ``people`` the warning no longer applies to them (``released``) or is over
    (``lifted``): a short message on their alert topic, no receipt asked."""
    payload = {"warning_id": alert.id, "alert_id": alert.id, "status": status,
               "severity": alert.severity, "kind": alert.kind, "ts": now.isoformat()}  # fmt: skip
    rows = [
        member_delivery(
            alert.id, now, ctx.member_topic(p.member_code), payload, p.member_code, p.role
        )
        for p in people
    ]
    insert_rows(session, Delivery, rows)
    if rows:
        record_event(session, alert, status, SYSTEM, now, note=f"to {named(people)}")
        ctx.wake_after_commit(session)


def _holders(session: Session, alert_id: int) -> list[Recipient]:
    """The members whose receipt is still in force."""
    rows = session.execute(
        select(Receipt.member_code, Receipt.role).where(
            Receipt.alert_id == alert_id, Receipt.released_at.is_(None)
        )
    )
    return [Recipient(code, role or "") for code, role in rows]


def _known(session: Session, keys: tuple[str, ...]) -> AreaAlertKey | None:
    if not keys:
        return None
    return session.scalars(select(AreaAlertKey).where(AreaAlertKey.key.in_(keys))).first()


def _remember(session: Session, key: str, alert_id: int, msg_type: str, now: datetime) -> None:
    session.add(AreaAlertKey(key=key[:300], alert_id=alert_id, msg_type=msg_type, at=now))
    session.flush()
