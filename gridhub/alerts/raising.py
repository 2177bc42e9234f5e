"""Opening alerts and merging repeats into the open one; every change leaves an event row."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridhub import i18n
from gridhub.alerts import lifecycle
from gridhub.alerts.actions import act, check_assignees
from gridhub.alerts.context import AlertContext
from gridhub.alerts.deliveries import insert_rows, publish_change, record_event
from gridhub.alerts.escalation import Policy
from gridhub.alerts.lifecycle import SYSTEM
from gridhub.alerts.messages import snapshot
from gridhub.alerts.models import Alert, AlertGrid, AreaAlert
from gridhub.alerts.notify import dispatch, renotify_handlers
from gridhub.alerts.routing import find_grids, place_of
from gridhub.config.alerts import EscalationPolicy
from gridhub.scope import EVERYTHING, Scope
from gridhub.severity import severity_rank

SOURCE_TYPES = (
    "sensor",
    "sos",
    "camera",
    "drone",
    "analytics",
    "area_warning",
    "operator",
    "citizen",
    "patrol",
)


@dataclass(frozen=True, slots=True)
class AlertSpec:
    """What a rule, an area or an operator asks to alert about."""

    source_type: str
    source_id: str
    kind: str
    severity: str
    title: str = ""
    """Written by a person (an operator's alert); empty when ``title_key`` says it."""
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
    title_key: str | None = None
    """The title as a catalogue key (``alert.sensor_warning``), rendered per reader."""
    title_args: dict[str, Any] = field(default_factory=dict)
    policy: EscalationPolicy | None = None
    """The ladder instead of the severity's (a resident's report: its handlers, then slower
    steps than an alarm's)."""
    warning: dict[str, Any] | None = None
    """An area warning's details (``area_alerts`` fields), written before it is dispatched:
    members' messages carry them."""

    def __post_init__(self) -> None:
        if self.source_type not in SOURCE_TYPES:
            raise ValueError(f"unknown source_type {self.source_type!r}; use {SOURCE_TYPES}")
        severity_rank(self.severity)
        if not self.source_id or not self.kind or not (self.title or self.title_key):
            raise ValueError("source_id, kind and a title (or title_key) must not be empty")
        if (self.lon is None) != (self.lat is None):
            raise ValueError("give both lon and lat, or neither")
        lon, lat = self.lon, self.lat
        if lon is not None and lat is not None and not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValueError(f"coordinates out of range: lon={lon} lat={lat}")


def raise_alert(
    session: Session,
    spec: AlertSpec,
    now: datetime,
    ctx: AlertContext | None = None,
    scope: Scope = EVERYTHING,
) -> Alert:
    """Open an alert and dispatch it, or merge a repeat into the open one from the same
    source and kind (a rise in severity re-dispatches).

    A new alert must lie wholly under ``scope``, its assignee too (OutOfScope otherwise,
    before anything is written).
    """
    ctx = ctx or AlertContext()
    existing = _open_alert(session, spec)
    if existing is not None:
        return _merge(session, ctx, existing, spec, now)
    place = place_of(
        session, find_grids(session, ctx.locator, spec.lon, spec.lat, spec.area, spec.grids)
    )
    scope.check(place.paths.values(), "the alert's place")
    if spec.assignee:
        check_assignees(session, scope, [spec.assignee])
    alert = Alert(
        source_type=spec.source_type,
        source_id=spec.source_id,
        kind=spec.kind,
        severity=spec.severity,
        title=_title(ctx, spec),
        title_key=spec.title_key,
        title_args=spec.title_args or None,
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
        policy=Policy.from_config(_policy_of(ctx, spec), ctx.seal).to_dict(),
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
    if spec.warning is not None:
        session.add(AreaAlert(alert_id=alert.id, **spec.warning))
        session.flush()
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
        dispatch(session, ctx, alert, now, new_alert=True, paths=place.paths)
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
        retitle(ctx, alert, spec)
        alert.policy = Policy.from_config(ctx.config.policies[spec.severity], ctx.seal).to_dict()
        if alert.acked_at is None:
            alert.level = 0  # the new severity's ladder, from the bottom
            dispatch(session, ctx, alert, now, new_alert=False)
        else:  # someone is on it: tell them, and the first level, that it got worse
            renotify_handlers(session, ctx, alert, now)
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


def retitle(ctx: AlertContext, alert: Alert, spec: AlertSpec) -> None:
    """Give ``alert`` the title ``spec`` says (what was seen changed, or got worse)."""
    alert.title = _title(ctx, spec)
    alert.title_key, alert.title_args = spec.title_key, spec.title_args or None


def _title(ctx: AlertContext, spec: AlertSpec) -> str:
    """The stored title: the person's words, or the key in the hub's language."""
    if spec.title_key is None:
        return spec.title
    return i18n.text(ctx.language, spec.title_key, spec.title_args)[:200]


def _policy_of(ctx: AlertContext, spec: AlertSpec) -> EscalationPolicy:
    return spec.policy or ctx.config.policies[spec.severity]


def _level_of(ctx: AlertContext, spec: AlertSpec) -> int:
    roles = [level.role for level in _policy_of(ctx, spec).levels]
    return roles.index(spec.first_role) if spec.first_role in roles else 0


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


__all__ = ["AlertSpec", "clear_alerts", "raise_alert", "retitle"]
