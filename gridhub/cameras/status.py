"""Probe results → camera status with hysteresis, status history, and alerts on changes."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from geoalchemy2.shape import to_shape
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from gridhub.alerts.live import CAMERA_STATUS, publish_live
from gridhub.cameras.models import Camera, CameraStatusChange
from gridhub.cameras.probe import ProbeResult, ProbeTarget, next_status
from gridhub.config.cameras import CamerasConfig

ALERT_KINDS = {"offline": "camera_offline", "degraded": "camera_degraded"}
SEVERITY = {"offline": "yellow", "degraded": "blue"}


@dataclass(frozen=True, slots=True)
class StatusChange:
    code: str
    before: str
    after: str
    reason: str | None


def probe_targets(session: Session) -> list[ProbeTarget]:
    """Every feed with a stream to probe (the sub-stream when there is one: it is cheaper)."""
    query = select(Camera).where(Camera.stream_url.is_not(None)).order_by(Camera.code)
    return [ProbeTarget(c.code, c.sub_stream_url or c.stream_url) for c in session.scalars(query)]


def apply_results(
    session: Session,
    results: Sequence[ProbeResult],
    config: CamerasConfig,
    now: datetime,
    alerter: "Alerter | None" = None,
) -> list[StatusChange]:
    """Record a round's results; a status changes after ``config.hysteresis`` equal results.

    Each change adds a history row and, with an alerter, opens or clears the camera's alert.
    The caller commits.
    """
    by_code = {r.code: r for r in results}
    query = select(Camera).options(joinedload(Camera.grid)).where(Camera.code.in_(by_code))
    changes = []
    for camera in session.scalars(query):
        result = by_code[camera.code]
        camera.last_probe_at = now
        if result.status != "offline":
            camera.fps, camera.width, camera.height = result.fps, result.width, result.height
        step = next_status(
            camera.status,
            camera.candidate_status,
            camera.candidate_count,
            result.status,
            config.hysteresis,
        )
        camera.candidate_status, camera.candidate_count = step.candidate, step.count
        if not step.changed:
            if step.status == result.status and result.status != "online":
                camera.status_reason = result.reason
            continue
        change = StatusChange(camera.code, camera.status, step.status, result.reason)
        camera.status, camera.status_reason, camera.status_since = step.status, result.reason, now
        session.add(
            CameraStatusChange(
                camera_id=camera.id, status=step.status, reason=result.reason, at=now
            )
        )
        publish_live(
            session,
            CAMERA_STATUS,
            camera.grid.path if camera.grid else "/",
            {
                "code": camera.code,
                "name": camera.name,
                "grid": camera.grid.code if camera.grid else None,
                "status": change.after,
                "before": change.before,
                "reason": change.reason,
            },
            now,
        )
        if alerter is not None:
            alerter(session, camera, change, now)
        changes.append(change)
    session.flush()
    return changes


Alerter = Callable[[Session, Camera, StatusChange, datetime], None]


def alert_on_change(config: CamerasConfig, ctx: Any = None) -> Alerter:
    """Open an alert when a camera goes offline (or degraded), clear it when it recovers.

    The alert goes to the camera's maintainer, else to the members of its grid. ``ctx`` is
    the alerts service's AlertContext (it wakes the dispatcher); None works without it.
    """
    from gridhub.alerts.service import AlertSpec, clear_alerts, raise_alert

    def alerter(session: Session, camera: Camera, change: StatusChange, now: datetime) -> None:
        for status, kind in ALERT_KINDS.items():
            if change.before == status and change.after != status:
                note = f"now {change.after}"
                clear_alerts(session, "camera", camera.code, kind, now, note=note, ctx=ctx)
        if change.after not in ALERT_KINDS or (
            change.after == "degraded" and not config.alert_on_degraded
        ):
            return
        point = to_shape(camera.geom) if camera.geom is not None else None
        spec = AlertSpec(
            source_type="camera",
            source_id=camera.code,
            kind=ALERT_KINDS[change.after],
            severity=SEVERITY[change.after],
            title=f"camera {camera.name} ({camera.code}) is {change.after}",
            detail=change.reason,
            lon=point.x if point is not None else None,
            lat=point.y if point is not None else None,
            grids=(camera.grid.code,) if camera.grid else (),
            assignee=camera.maintainer,
        )
        raise_alert(session, spec, now, ctx)

    return alerter
