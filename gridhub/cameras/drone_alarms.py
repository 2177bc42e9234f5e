"""Drone telemetry → the drone feed's place, and alarms for its maintainer.

A drone returning home (DJI ``mode_code`` 9) or low on battery is told to the member who
maintains it; the alarm clears when the telemetry says otherwise. The cameras area knows
the drone's name and maintainer, so it publishes ``DroneAlarm`` events to the alerts sink.
"""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridhub.cameras.models import Camera
from gridhub.cameras.registry import drone_sink
from gridhub.config.cameras import CamerasConfig
from gridhub.events import DomainEvent, DroneAlarm, DroneMoved, EventSink

RETURN_HOME, LOW_BATTERY = "drone_return_home", "drone_low_battery"


class DroneFeeds:
    """Ingest's event sink for drones: moves each drone feed, then hands alarms to ``sink``."""

    def __init__(self, config: CamerasConfig, sink: EventSink | None = None) -> None:
        self.config = config
        self.sink = sink

    def __call__(self, session: Session, events: Sequence[DomainEvent]) -> None:
        drone_sink(session, events)
        moves = [e for e in events if isinstance(e, DroneMoved)]
        if not moves or self.sink is None:
            return
        cameras = {
            camera.code: camera
            for camera in session.scalars(
                select(Camera).where(Camera.code.in_({e.drone for e in moves}))
            )
        }
        newest: dict[str, DroneMoved] = {}
        for move in moves:
            if move.drone not in newest or move.ts > newest[move.drone].ts:
                newest[move.drone] = move
        alarms = [
            alarm
            for move in newest.values()
            if (camera := cameras.get(move.drone)) is not None
            for alarm in self._alarms(move, camera)
        ]
        if alarms:
            self.sink(session, alarms)

    def _alarms(self, move: DroneMoved, camera: Camera) -> list[DroneAlarm]:
        states = []
        if move.mode_code is not None:
            states.append((RETURN_HOME, move.mode_code in self.config.drone_return_home_modes))
        if move.battery_pct is not None:
            states.append((LOW_BATTERY, move.battery_pct < self.config.drone_low_battery_pct))
        return [
            DroneAlarm(
                drone=camera.code,
                name=camera.name,
                kind=kind,
                active=active,
                battery_pct=move.battery_pct,
                lon=move.lon,
                lat=move.lat,
                grid=move.grid,
                maintainer=camera.maintainer,
                severity=self.config.drone_alarm_severity,
                ts=move.ts,
            )
            for kind, active in states
        ]
