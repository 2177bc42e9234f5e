"""Alert specs for ingest's domain events: sensor warnings, SOS check-ins, area warnings."""

from gridhub.alerts.service import AlertSpec
from gridhub.ingest.events import AreaWarning, SensorWarning, SosRaised

SOS_ALSO_TELL = ("grid_leader", "town_operator")
"""An SOS goes to the worker's grid worker level and, at once, to these (the command centre)."""
AREA_TELLS = ("grid_worker", "grid_leader")
"""An area warning goes to every affected grid's workers and leaders at once."""


def sensor_warning(event: SensorWarning) -> AlertSpec:
    """A sensor's warning or threshold crossing; repeats merge into the open alert."""
    how = "crossed its threshold" if event.from_threshold else "warns"
    reading = f" ({event.value:g} {event.unit or ''})".rstrip() if event.value is not None else ""
    detail = event.message or f"sensor {event.sensor} {how}: {event.kind}{reading}"
    return AlertSpec(
        source_type="sensor",
        source_id=event.sensor,
        kind=event.kind,
        severity=event.level,
        title=f"{event.kind.replace('_', ' ')} warning at sensor {event.sensor}",
        detail=detail,
        lon=event.lon,
        lat=event.lat,
        grids=(event.grid,) if event.grid else (),
        value=event.value,
    )


def sos(event: SosRaised) -> AlertSpec:
    return AlertSpec(
        source_type="sos",
        source_id=event.worker,
        kind="sos",
        severity="red",
        title=f"SOS from {event.worker}",
        detail=event.note,
        lon=event.lon,
        lat=event.lat,
        grids=(event.grid,) if event.grid else (),
        broadcast_roles=SOS_ALSO_TELL,
    )


def area_warning(event: AreaWarning) -> AlertSpec:
    until = f" until {event.valid_until.isoformat()}" if event.valid_until else ""
    return AlertSpec(
        source_type="area_warning",
        source_id=str(event.warning_id),
        kind=event.kind,
        severity=event.level,
        title=f"{event.level} {event.kind} warning",
        detail=(event.message or "") + until or None,
        area=event.area,
        grids=tuple(event.grids),
        broadcast_roles=AREA_TELLS,
    )
