"""The alerts sink for the areas' events, run inside the transaction that caused them.

It writes alerts, their due deliveries and live events there, so nothing is acknowledged to
the broker before the alert exists; the dispatcher sends after the commit, woken at once.
"""

import logging
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridhub.alerts import flood, lifecycle
from gridhub.alerts.actions import act
from gridhub.alerts.context import AlertContext
from gridhub.alerts.detections import on_detection
from gridhub.alerts.live import CAMERA_STATUS, CHECKINS, DRONES, publish_live
from gridhub.alerts.messages import CITIZEN
from gridhub.alerts.models import Alert
from gridhub.alerts.raising import AlertSpec, clear_alerts, raise_alert, raise_alerts
from gridhub.alerts.routing import common_path
from gridhub.alerts.rules import events as rules
from gridhub.alerts.rules.patrol import watch_checkins
from gridhub.db import utcnow
from gridhub.events import (
    AreaWarning,
    AreaWarningCancelled,
    CameraStatusChanged,
    CheckinStored,
    DetectionSeen,
    DomainEvent,
    DroneAlarm,
    DroneMoved,
    ReportDispatched,
    ReportWithdrawn,
    SensorCleared,
    SensorWarning,
    SosRaised,
)
from gridhub.geo.models import Region

log = logging.getLogger(__name__)

WATCH_EVERY_S = 30.0
"""Patrol intervals are minutes: the last check-in time per grid is precise enough at 30 s."""
_IN_TURN = (
    AreaWarning,
    AreaWarningCancelled,
    SensorCleared,
    DetectionSeen,
    DroneAlarm,
    ReportDispatched,
    ReportWithdrawn,
)
"""Events handled one at a time, in their place among the batch's warnings."""


class AlertsSink:
    """``EventSink``: ``sink(session, events)``."""

    def __init__(self, ctx: AlertContext) -> None:
        self.ctx = ctx
        self._watched: dict[tuple[str, str | None], float] = {}

    def __call__(self, session: Session, events: Sequence[DomainEvent]) -> None:
        now = utcnow()
        checkins = [e for e in events if isinstance(e, CheckinStored)]
        if checkins:
            self._watch(session, checkins, now)
            paths = self._grid_paths(session, {e.grid for e in checkins if e.grid})
            items = [_checkin_item(e, paths) for e in checkins]
            where = common_path({item["path"] for item in items if item["path"] != "/"})
            publish_live(session, CHECKINS, where, {"items": items}, now)
        drones = {e.drone: e for e in events if isinstance(e, DroneMoved)}  # the last of each
        if drones:
            paths = self._grid_paths(session, {e.grid for e in drones.values() if e.grid})
            items = [_drone_item(e, paths) for e in drones.values()]
            where = common_path({item["path"] for item in items if item["path"] != "/"})
            publish_live(session, DRONES, where, {"items": items}, now)
        cameras = [e for e in events if isinstance(e, CameraStatusChanged)]
        if cameras:
            self._camera_round(session, cameras)
        urgent: list[AlertSpec] = []
        for event in events:
            if isinstance(event, SensorWarning):
                urgent.append(rules.sensor_warning(event))
            elif isinstance(event, SosRaised):
                urgent.append(rules.sos(event))
            elif isinstance(event, _IN_TURN):
                self._raise(session, urgent, now)
                self._handle(session, event, now)
        self._raise(session, urgent, now)

    def _raise(self, session: Session, specs: list[AlertSpec], now: datetime) -> None:
        """Warnings and SOS raised together: a storm of them costs a few statements, not a
        few per alert (``raise_alerts``). Before any other event, so the order holds."""
        if specs:
            raise_alerts(session, specs, now, self.ctx)
            specs.clear()

    def _handle(self, session: Session, event: DomainEvent, now: datetime) -> None:
        if isinstance(event, AreaWarning):
            flood.apply_warning(session, self.ctx, rules.area_warning(event), event, now)
        elif isinstance(event, AreaWarningCancelled):
            flood.cancel_warning(session, self.ctx, event, now)
        elif isinstance(event, SensorCleared):
            clear_alerts(
                session,
                "sensor",
                event.sensor,
                event.kind,
                now,
                note=f"back to normal ({event.value:g})"
                if event.value is not None
                else "back to normal",
                ctx=self.ctx,
            )
        elif isinstance(event, DetectionSeen):
            on_detection(session, self.ctx, event)
        elif isinstance(event, DroneAlarm):
            if event.active:
                raise_alert(session, rules.drone_alarm(event), event.ts, self.ctx)
            else:
                note = f"telemetry: {event.kind} over"
                clear_alerts(session, "drone", event.drone, event.kind, now, note=note,
                             ctx=self.ctx)  # fmt: skip
        elif isinstance(event, ReportDispatched):
            raise_alert(session, rules.report(event), event.ts, self.ctx)
        elif isinstance(event, ReportWithdrawn):
            self._withdraw(session, event)

    def _withdraw(self, session: Session, event: ReportWithdrawn) -> None:
        """Cancel the report's open work order, saying why (None open: nothing to do)."""
        query = select(Alert.id).where(
            Alert.is_open, Alert.source_type == CITIZEN, Alert.source_id == event.report_id
        )
        for alert_id in session.scalars(query).all():
            act(session, alert_id, "cancel", event.actor, event.ts, note=event.reason,
                channel=lifecycle.SYSTEM, ctx=self.ctx)  # fmt: skip

    def _camera_round(self, session: Session, events: list[CameraStatusChanged]) -> None:
        """On the live map at once; a recovery clears what it left; outages alert, several
        of one village together as one alert (``rules.camera_outages``)."""
        for event in events:
            self._camera_status(session, event)
        self._rollups_recovered(session, events)
        villages = {v for v in map(rules.village_of, events) if v}
        names = dict(
            session.execute(select(Region.path, Region.name).where(Region.path.in_(villages)))
            .tuples()
            .all()
        )
        for spec in rules.camera_outages(events, names):
            raise_alert(session, spec, max(e.ts for e in events), self.ctx)

    def _rollups_recovered(self, session: Session, events: list[CameraStatusChanged]) -> None:
        """A village's roll-up alert keeps the cameras still down (``title_args["down"]``);
        it clears when the last of them is back."""
        back: dict[str, set[str]] = {}
        for event in events:
            village = rules.village_of(event)
            if village and event.before == "offline" and event.after != "offline":
                back.setdefault(rules.rollup_source(village), set()).add(event.camera)
        if not back:
            return
        query = select(Alert).where(
            Alert.is_open, Alert.source_type == "camera", Alert.source_id.in_(back)
        )
        for alert in session.scalars(query).all():
            args = alert.title_args or {}
            down = sorted(set(args.get("down", [])) - back[alert.source_id])
            if down:
                alert.title_args = {**args, "down": down}
            else:
                at = max(e.ts for e in events)
                clear_alerts(session, "camera", alert.source_id, alert.kind, at,
                             note="every camera back", ctx=self.ctx)  # fmt: skip

    def _camera_status(self, session: Session, event: CameraStatusChanged) -> None:
        """On the live map at once; a recovery clears what it left."""
        publish_live(
            session,
            CAMERA_STATUS,
            event.grid_path or "/",
            {
                "code": event.camera,
                "name": event.name,
                "grid": event.grid,
                "status": event.after,
                "before": event.before,
                "reason": event.reason,
            },
            event.ts,
        )
        for kind in rules.camera_recovered(event):
            note = f"now {event.after}"
            clear_alerts(session, "camera", event.camera, kind, event.ts, note=note, ctx=self.ctx)

    def _watch(self, session: Session, checkins: list[CheckinStored], now: datetime) -> None:
        """Patrol watch rows, written at most every WATCH_EVERY_S per grid and worker: at
        thousands of check-ins a second most batches then cost the store nothing here."""
        clock = time.monotonic()
        keys = {(k, c) for e in checkins for k, c in (("worker", e.worker), ("grid", e.grid))}
        if all(clock - self._watched.get(key, -WATCH_EVERY_S) < WATCH_EVERY_S for key in keys):
            return
        watch_checkins(session, self.ctx, checkins, now)
        self._watched.update((key, clock) for key in keys)

    def _grid_paths(self, session: Session, grids: set[str]) -> dict[str, str]:
        return self.ctx.grid_paths(session, sorted(grids))


def _checkin_item(event: CheckinStored, paths: dict[str, str]) -> dict[str, Any]:
    return {
        "worker": event.worker,
        "kind": event.kind,
        "lon": event.lon,
        "lat": event.lat,
        "grid": event.grid,
        "path": paths.get(event.grid or "", "/"),
        "in_assigned_grid": event.in_assigned_grid,
        "ts": event.ts.isoformat(),
    }


def _drone_item(event: DroneMoved, paths: dict[str, str]) -> dict[str, Any]:
    return {
        "code": event.drone,
        "lon": event.lon,
        "lat": event.lat,
        "grid": event.grid,
        "path": paths.get(event.grid or "", "/"),
        "alt_m": event.alt_m,
        "battery_pct": event.battery_pct,
        "heading": event.heading,
        "mode_code": event.mode_code,
        "ts": event.ts.isoformat(),
    }
