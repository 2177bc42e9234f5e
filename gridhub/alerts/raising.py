"""Opening alerts and merging repeats into the open one; every change leaves an event row."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached

from gridhub import i18n
from gridhub.alerts import lifecycle
from gridhub.alerts.actions import act, check_assignees
from gridhub.alerts.context import AlertContext
from gridhub.alerts.deliveries import Writes, insert_rows, publish_change, record_event
from gridhub.alerts.escalation import Policy
from gridhub.alerts.lifecycle import SYSTEM
from gridhub.alerts.messages import snapshot
from gridhub.alerts.models import Alert, AlertGrid, AreaAlert
from gridhub.alerts.notify import (
    dispatch,
    plan_dispatch,
    renotify_handlers,
    responsible_for_new,
    write_dispatch,
)
from gridhub.alerts.routing import IN_LIST, Place, find_grids, place_of
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
    return raise_alerts(session, [spec], now, ctx, scope)[0]


def raise_alerts(
    session: Session,
    specs: Sequence[AlertSpec],
    now: datetime,
    ctx: AlertContext | None = None,
    scope: Scope = EVERYTHING,
) -> list[Alert]:
    """``raise_alert`` for each of ``specs``, in order, together (a storm of warnings in one
    ingest batch): one query finds the open alerts they repeat, one routes the new ones, and
    the new alerts, their events, deliveries, timers and live events take a statement per
    table. A spec repeating one opened earlier in ``specs`` is a repeat of it."""
    ctx = ctx or AlertContext()
    found = _open_alerts(session, specs)
    firsts: dict[tuple[str, str, str], int] = {}
    for i, spec in enumerate(specs):
        if _key(spec) not in found:
            firsts.setdefault(_key(spec), i)
    opened = _open(session, ctx, [specs[i] for i in firsts.values()], now, scope)
    writes = Writes()
    alerts: list[Alert] = []
    for i, spec in enumerate(specs):
        key = _key(spec)
        if firsts.get(key) == i:
            alerts.append(opened[key])
        else:
            alerts.append(_merge(session, ctx, found.get(key) or opened[key], spec, now, writes))
    writes.write(session)
    return alerts


def _open(
    session: Session, ctx: AlertContext, specs: list[AlertSpec], now: datetime, scope: Scope
) -> dict[tuple[str, str, str], Alert]:
    """Open an alert for each of ``specs`` (none of them open) and dispatch it; keyed by
    source and kind. Where another process opened one a moment ago, the spec merges into it."""
    if not specs:
        return {}
    grids = [find_grids(session, ctx.locator, s.lon, s.lat, s.area, s.grids) for s in specs]
    paths = ctx.grid_paths(session, (code for codes in grids for code in codes))
    places = [place_of(session, codes, paths) for codes in grids]
    for spec, place in zip(specs, places, strict=True):
        scope.check(place.paths.values(), "the alert's place")
        if spec.assignee:
            check_assignees(session, scope, [spec.assignee])
    alerts = [_new(ctx, spec, place, now) for spec, place in zip(specs, places, strict=True)]
    everyone = responsible_for_new(session, ctx, alerts, [p.paths for p in places], now)
    plans = [plan_dispatch(session, a, now, e) for a, e in zip(alerts, everyone, strict=True)]
    try:
        with session.begin_nested():
            _insert_alerts(session, alerts)
    except IntegrityError:
        # Another process opened one of these a moment ago: each alone, merging into it.
        if len(specs) > 1:
            return {k: a for s in specs for k, a in _open(session, ctx, [s], now, scope).items()}
        existing = _open_alerts(session, specs)
        if not existing:
            raise
        return {key: _merge(session, ctx, alert, specs[0], now) for key, alert in existing.items()}
    writes = Writes()
    for spec, place, alert, plan in zip(specs, places, alerts, plans, strict=True):
        if spec.warning is not None:
            session.add(AreaAlert(alert_id=alert.id, **spec.warning))
            session.flush()  # members' messages carry it (receipts.warning_fields)
        if len(place.grids) > 1:
            rows = [{"alert_id": alert.id, "grid": g, "path": place.paths[g]} for g in place.grids]
            insert_rows(session, AlertGrid, rows)
        record_event(session, alert, "opened", SYSTEM, now, to_status=lifecycle.NEW,
                     note=spec.detail, writes=writes)  # fmt: skip
        write_dispatch(session, ctx, alert, plan, now, new_alert=True, writes=writes)
        publish_change(session, ctx, alert, "new", None, now, writes=writes)
    writes.write(session)
    return {_key(spec): alert for spec, alert in zip(specs, alerts, strict=True)}


def _new(ctx: AlertContext, spec: AlertSpec, place: Place, now: datetime) -> Alert:
    """The alert ``spec`` opens at ``place``, not yet stored: every column given, so once
    stored nothing of it is loaded again."""
    return Alert(
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
        closed_at=None,
        assignees=[spec.assignee] if spec.assignee else [],
        broadcast_roles=list(spec.broadcast_roles),
        level=_level_of(ctx, spec),
        policy=Policy.from_config(_policy_of(ctx, spec), ctx.seal).to_dict(),
        reminders=0,
        acked_by=None,
        acked_at=None,
        ack_channel=None,
    )


def _insert_alerts(session: Session, alerts: list[Alert]) -> None:
    """Store ``alerts`` in one INSERT (not a unit of work per alert), then make them the
    session's objects as if just loaded: what follows reads and changes them as usual."""
    table = cast(Table, Alert.__table__)
    columns = [c.key for c in table.columns if c.key != "id"]
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    ids = session.execute(statement, [{c: getattr(a, c) for c in columns} for a in alerts])
    for alert, alert_id in zip(alerts, ids.scalars(), strict=True):
        alert.id = alert_id
        make_transient_to_detached(alert)
        session.add(alert)


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
    session: Session,
    ctx: AlertContext,
    alert: Alert,
    spec: AlertSpec,
    now: datetime,
    writes: Writes | None = None,
) -> Alert:
    """A repeat: count it on the open alert. A rise in severity re-dispatches."""
    if writes is not None and severity_rank(spec.severity) > severity_rank(alert.severity):
        # Rare, and written at once: after what waits, before what comes (the trail's order).
        writes.write(session)
        merged = _merge(session, ctx, alert, spec, now)
        session.flush()
        return merged
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
            writes=writes,
        )
    publish_change(session, ctx, alert, "update", before, now, writes=writes)
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


def _key(spec: AlertSpec) -> tuple[str, str, str]:
    return spec.source_type, spec.source_id, spec.kind


def _open_alerts(session: Session, specs: Sequence[AlertSpec]) -> dict[tuple[str, str, str], Alert]:
    """The open alerts of the specs' sources and kinds, locked, in one query."""
    keys = sorted({_key(spec) for spec in specs})
    found: dict[tuple[str, str, str], Alert] = {}
    for start in range(0, len(keys), IN_LIST):
        chosen = tuple_(Alert.source_type, Alert.source_id, Alert.kind).in_(
            keys[start : start + IN_LIST]
        )
        query = select(Alert).where(Alert.is_open, chosen).with_for_update()
        found.update((_key_of(alert), alert) for alert in session.scalars(query))
    return found


def _key_of(alert: Alert) -> tuple[str, str, str]:
    return alert.source_type, alert.source_id, alert.kind


__all__ = ["AlertSpec", "clear_alerts", "raise_alert", "raise_alerts", "retitle"]
