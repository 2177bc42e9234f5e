"""Drones: each telemetry message extends the track; the newest by timestamp is the position.

Only drones in the cameras registry (feeds of kind ``drone``, by code) are accepted; anything
else is an unknown sender and becomes a dead letter. The registry is asked through a
``DroneRegistry`` the hub passes in: ingest does not read the cameras area's tables.
DJI Cloud API's ``thing/product/{sn}/osd`` is mapped onto a registered drone by the serial
number linked to it (``link_serial``), or onto the drone whose code is the serial number.
"""

from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from gridhub.events import DroneMoved
from gridhub.ingest.models import DjiDock, Drone, DronePosition
from gridhub.ingest.payloads import DjiOsdPayload
from gridhub.ingest.pipeline import BatchContext, Item

DJI_TOPIC_START = "thing/product/"


DroneRegistry = Callable[[Session, Iterable[str]], set[str]]
"""Those of the given codes that are registered drone feeds."""


class DroneLinkError(ValueError):
    """A serial number could not be linked; the message says why."""


def link_serial(session: Session, code: str, serial: str, registry: DroneRegistry) -> Drone:
    """Map DJI telemetry of ``serial`` onto the registered drone ``code`` (replacing any link)."""
    if not registry(session, [code]):
        raise DroneLinkError(f"no drone {code!r} in the cameras registry (kind drone)")
    other = session.scalar(select(Drone).where(Drone.serial_number == serial, Drone.code != code))
    if other is not None:
        raise DroneLinkError(f"serial {serial!r} is already linked to drone {other.code!r}")
    drone = session.scalar(select(Drone).where(Drone.code == code))
    if drone is None:
        drone = Drone(code=code)
        session.add(drone)
    drone.serial_number = serial
    session.flush()
    return drone


def resolve_dji_senders(session: Session, items: Sequence[Item]) -> None:
    """Replace each DJI item's sender (a serial number) by the drone code linked to it."""
    serials = {item.sender for item in items}
    if not serials:
        return
    query = select(Drone.serial_number, Drone.code).where(Drone.serial_number.in_(serials))
    codes = {serial: code for serial, code in session.execute(query)}
    for item in items:
        item.sender = codes.get(item.sender, item.sender)


class TelemetryStore:
    """Store positions of registered drones, move each to its newest position."""

    def __init__(self, registry: DroneRegistry) -> None:
        self.registry = registry

    def __call__(self, ctx: BatchContext, items: list[Item]) -> list[Item]:
        return _store_telemetry(
            ctx, items, self.registry(ctx.session, {i.sender or "" for i in items})
        )


def _store_telemetry(ctx: BatchContext, items: list[Item], known: set[str]) -> list[Item]:
    accepted = []
    for item in items:
        if item.sender in known:
            accepted.append(item)
        elif item.received.topic.startswith(DJI_TOPIC_START):
            ctx.reject(item, f"unknown drone serial {item.sender!r}: not linked to a drone")
        else:
            ctx.reject(item, f"unknown drone {item.sender!r}: not a drone in the cameras registry")
    if not accepted:
        return []
    items = accepted
    ctx.session.execute(
        insert(DronePosition),
        [
            {
                "drone_code": item.sender,
                "msg_id": item.payload.id,
                "ts": item.payload.ts,
                "lon": item.lon,
                "lat": item.lat,
                "alt_m": item.payload.alt_m,
                "alt_wgs84_m": item.payload.alt_wgs84_m,
                "heading": item.payload.heading,
                "battery_pct": item.payload.battery_pct,
                "mode_code": item.payload.mode_code,
                "grid_code": item.grid,
            }
            for item in items
        ],
    )
    ctx.count("drone_positions", len(items))
    newest: dict[str, Item] = {}
    for item in items:
        code = item.sender
        if code is not None and (code not in newest or item.payload.ts > newest[code].payload.ts):
            newest[code] = item
    drones = {
        drone.code: drone
        for drone in ctx.session.scalars(select(Drone).where(Drone.code.in_(newest)))
    }
    for code, item in newest.items():
        drone = drones.get(code)
        if drone is None:
            drone = Drone(code=code)
            ctx.session.add(drone)
        elif drone.last_ts is not None and item.payload.ts <= drone.last_ts:
            continue
        lon, lat = item.position()
        drone.lon, drone.lat, drone.grid_code = lon, lat, item.grid
        drone.alt_m, drone.heading = item.payload.alt_m, item.payload.heading
        drone.alt_wgs84_m, drone.mode_code = item.payload.alt_wgs84_m, item.payload.mode_code
        drone.battery_pct, drone.last_ts = item.payload.battery_pct, item.payload.ts
        ctx.events.append(
            DroneMoved(
                code,
                lon,
                lat,
                item.grid,
                item.payload.ts,
                item.payload.alt_m,
                item.payload.battery_pct,
                item.payload.heading,
                item.payload.mode_code,
            )
        )
    return items


def store_dock_status(ctx: BatchContext, items: list[Item]) -> list[Item]:
    """A dock's own ``osd`` (sent in parts, every 2 s) updates its state: each property it
    names, newest by timestamp; the rest is kept from earlier parts."""
    serials = {item.sender for item in items if item.sender}
    docks = {
        dock.serial_number: dock
        for dock in ctx.session.scalars(select(DjiDock).where(DjiDock.serial_number.in_(serials)))
    }
    for item in sorted(items, key=lambda i: i.payload.timestamp):
        payload: DjiOsdPayload = item.payload
        serial = item.sender or ""
        dock = docks.get(serial)
        if dock is None:
            dock = docks[serial] = DjiDock(serial_number=serial, last_ts=payload.timestamp)
            ctx.session.add(dock)
        elif payload.timestamp < dock.last_ts:
            continue
        _apply_dock(dock, payload)
    ctx.count("dji_dock_status", len(items))
    return items


def _apply_dock(dock: DjiDock, payload: DjiOsdPayload) -> None:
    data = payload.data
    dock.last_ts = payload.timestamp
    if data.mode_code is not None:
        dock.mode_code = data.mode_code
    if data.drone_in_dock is not None:
        dock.drone_in_dock = bool(data.drone_in_dock)
    charge = data.drone_charge_state or {}
    if isinstance(charge.get("state"), int):
        dock.drone_charging = charge["state"] == 1  # DJI: 0 idle, 1 charging
    if isinstance(charge.get("capacity_percent"), int | float):
        dock.drone_battery_pct = charge["capacity_percent"]
    sub_device = (data.model_extra or {}).get("sub_device")
    if isinstance(sub_device, dict) and isinstance(sub_device.get("device_sn"), str):
        dock.drone_serial = sub_device["device_sn"][:64]
    if payload.has_fix():
        dock.lon, dock.lat = data.longitude, data.latitude
