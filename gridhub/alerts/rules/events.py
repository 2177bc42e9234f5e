"""Alert specs for the areas' events: sensor warnings, SOS check-ins, area warnings, camera
outages, video detections and residents' reports."""

from collections.abc import Mapping, Sequence

from gridhub.alerts.flood import AREA_TELLS, warning_details
from gridhub.alerts.messages import CITIZEN
from gridhub.alerts.raising import AlertSpec
from gridhub.events import (
    AreaWarning,
    CameraStatusChanged,
    DetectionSeen,
    DroneAlarm,
    ReportDispatched,
    SensorWarning,
    SosRaised,
)
from gridhub.severity import severity_rank

SOS_ALSO_TELL = ("grid_leader", "town_operator")
"""An SOS goes to the worker's grid worker level and, at once, to these (the command centre)."""
ANALYTICS = "analytics"
"""The source type of video analytics' alerts (Frigate's detections)."""
FRIGATE = "frigate:"
"""How an analytics source id begins: the Frigate id of a tracked object or review follows."""
CAMERA_ALERT_KINDS = {"offline": "camera_offline", "degraded": "camera_degraded"}
"""The camera states that alert, and the alert kind of each."""


def sensor_warning(event: SensorWarning) -> AlertSpec:
    """A sensor's warning or threshold crossing; repeats merge into the open alert."""
    how = "crossed its threshold" if event.from_threshold else "warns"
    reading = f" ({event.value:g} {event.unit or ''})".rstrip() if event.value is not None else ""
    detail = event.message or f"sensor {event.sensor} {how}: {event.kind}{reading}"
    args = {"sensor": event.name or event.sensor, "level": event.level, "kind": event.kind}
    if event.value is not None:
        args |= {"value": f"{event.value:g}", "unit": event.unit or ""}
    return AlertSpec(
        source_type="sensor",
        source_id=event.sensor,
        kind=event.kind,
        severity=event.level,
        title_key="alert.sensor_warning" + ("_value" if event.value is not None else ""),
        title_args=args,
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
        title_key="alert.sos",
        title_args={"worker": event.worker},
        detail=event.note,
        lon=event.lon,
        lat=event.lat,
        grids=(event.grid,) if event.grid else (),
        broadcast_roles=SOS_ALSO_TELL,
    )


def area_warning(event: AreaWarning) -> AlertSpec:
    """A warning over an area: every affected grid's workers and leaders are told at once,
    each holding a receipt (``alerts.flood``)."""
    until = f" until {event.valid_until.isoformat()}" if event.valid_until else ""
    args = {"level": event.level, "kind": event.kind}
    if event.headline:
        args["headline"] = event.headline[:150]
    return AlertSpec(
        source_type="area_warning",
        source_id=(event.key or str(event.warning_id))[:128],
        kind=event.kind,
        severity=event.level,
        title_key="alert.area_warning" + ("_headline" if event.headline else ""),
        title_args=args,
        detail=(event.message or "") + until or None,
        area=event.area,
        grids=tuple(event.grids),
        broadcast_roles=AREA_TELLS,
        warning=warning_details(event),
    )


def camera_status(event: CameraStatusChanged) -> AlertSpec | None:
    """An outage for the camera's maintainer (else its grid's members); None if no alert."""
    kind = CAMERA_ALERT_KINDS.get(event.after)
    if kind is None or event.severity is None:
        return None
    return AlertSpec(
        source_type="camera",
        source_id=event.camera,
        kind=kind,
        severity=event.severity,
        title_key="alert.camera_status",
        title_args={"camera": event.name, "code": event.camera, "status": event.after},
        detail=event.reason,
        lon=event.lon,
        lat=event.lat,
        grids=(event.grid,) if event.grid else (),
        assignee=event.maintainer,
    )


ROLLUP_MIN = 2
"""Outages of this many cameras of one village in one probe round make one village alert."""


def village_of(event: CameraStatusChanged) -> str | None:
    """The path of the region above the camera's grid (its village), or None."""
    codes = [code for code in (event.grid_path or "").split("/") if code]
    return "/" + "/".join(codes[:-1]) + "/" if len(codes) >= 2 else None


def camera_outages(
    events: Sequence[CameraStatusChanged], village_names: Mapping[str, str]
) -> list[AlertSpec]:
    """The alerts of one probe round's changes: a camera alone alerts its maintainer; when
    ROLLUP_MIN or more of one village went offline together (a power cut, a link down), one
    alert for the village lists them, starting at its village cadres, instead of a flood of
    alerts that buries the rest."""
    specs: list[AlertSpec] = []
    offline: dict[str, list[CameraStatusChanged]] = {}
    for event in events:
        village = village_of(event)
        if event.after == "offline" and event.severity is not None and village is not None:
            offline.setdefault(village, []).append(event)
    rolled = {id(e) for group in offline.values() if len(group) >= ROLLUP_MIN for e in group}
    for event in events:
        spec = camera_status(event) if id(event) not in rolled else None
        if spec is not None:
            specs.append(spec)
    for village, group in offline.items():
        if len(group) < ROLLUP_MIN:
            continue
        code = village.rstrip("/").rsplit("/", 1)[-1]
        specs.append(
            AlertSpec(
                source_type="camera",
                source_id=rollup_source(village),
                kind="camera_offline",
                severity=max((e.severity for e in group if e.severity), key=severity_rank),
                title_key="alert.cameras_offline",
                title_args={
                    "village": village_names.get(village, code),
                    "count": len(group),
                    "cameras": ", ".join(f"{e.name}（{e.camera}）" for e in group),
                    "down": sorted(e.camera for e in group),
                },
                detail="\n".join(f"{e.camera}: {e.reason or e.after}" for e in group),
                grids=tuple(sorted({e.grid for e in group if e.grid})),
                first_role="village_cadre",
            )
        )
    return specs


def rollup_source(village_path: str) -> str:
    """The source id of a village's roll-up alert."""
    return "village:" + village_path.rstrip("/").rsplit("/", 1)[-1]


def drone_alarm(event: DroneAlarm) -> AlertSpec:
    """A drone returning home or low on battery, for its maintainer (else its grid's members)."""
    battery = f"{event.battery_pct:g}" if event.battery_pct is not None else "?"
    return AlertSpec(
        source_type="drone",
        source_id=event.drone,
        kind=event.kind,
        severity=event.severity,
        title_key=f"alert.{event.kind}",
        title_args={"drone": event.name, "code": event.drone, "battery": battery},
        detail=f"telemetry of {event.ts.isoformat()}: battery {battery}%",
        lon=event.lon,
        lat=event.lat,
        grids=(event.grid,) if event.grid else (),
        assignee=event.maintainer,
        value=event.battery_pct,
    )


def camera_recovered(event: CameraStatusChanged) -> list[str]:
    """The alert kinds the camera left behind (to be cleared)."""
    return [
        kind
        for status, kind in CAMERA_ALERT_KINDS.items()
        if event.before == status and event.after != status
    ]


def detection(event: DetectionSeen) -> AlertSpec:
    """A detection's alert: what was seen (and whom recognition named), where, by which camera."""
    labels = ", ".join(event.labels)
    if event.sub_labels:
        labels += f" ({', '.join(event.sub_labels)})"
    args = {"labels": labels, "camera": event.camera_name}
    if event.zones:
        args["zones"] = ", ".join(event.zones)
    return AlertSpec(
        source_type=ANALYTICS,
        source_id=f"{FRIGATE}{event.incident}",
        kind="frigate_detection",
        severity=event.severity,
        title_key="alert.detection_in_zones" if event.zones else "alert.detection",
        title_args=args,
        detail=event.detail,
        lon=event.lon,
        lat=event.lat,
        grids=(event.grid,) if event.grid else (),
        value=event.score,
    )


def report(event: ReportDispatched) -> AlertSpec:
    """A resident's report's work order: its handlers first (the policy's first level), then
    up the report's slower ladder; the Open311 request id is its source id."""
    return AlertSpec(
        source_type=CITIZEN,
        source_id=event.report_id,
        kind=event.service,
        severity=event.severity,
        title_key="alert.citizen_report",
        title_args={"service": event.service_name, "id": event.report_id},
        detail=event.description,
        lon=event.lon,
        lat=event.lat,
        grids=(event.grid,),
        policy=event.policy,
    )
