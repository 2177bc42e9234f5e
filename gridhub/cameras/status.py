"""Probe results → camera status with hysteresis, status history, and an event per change."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from gridhub.cameras.logins import Login
from gridhub.cameras.models import Camera, CameraStatusChange
from gridhub.cameras.probe import ProbeResult, ProbeTarget, next_status
from gridhub.config.cameras import CamerasConfig
from gridhub.events import CameraStatusChanged, EventSink
from gridhub.secrets import SecretBox
from gridhub.severity import Severity

SEVERITY: dict[str, Severity] = {"offline": "yellow", "degraded": "blue"}
"""How bad an outage is: a camera that shows nothing is worse than a poor picture."""


@dataclass(frozen=True, slots=True)
class StatusChange:
    code: str
    before: str
    after: str
    reason: str | None


def probe_targets(session: Session, box: SecretBox) -> list[ProbeTarget]:
    """Every feed with a stream to probe (the sub-stream when there is one: it is cheaper),
    its URL and login opened by ``box``."""
    query = select(Camera).where(Camera.stream_url.is_not(None)).order_by(Camera.code)
    return [
        ProbeTarget(c.code, box.open(sealed), camera_login(c, box))
        for c in session.scalars(query)
        if (sealed := c.sub_stream_url or c.stream_url) is not None  # always: the query asks
    ]


def camera_login(camera: Camera, box: SecretBox) -> Login | None:
    """The camera's registered login (one for ONVIF and its streams), password opened."""
    if not camera.onvif_user:
        return None
    return Login(camera.onvif_user, box.open_optional(camera.onvif_secret) or "")


def apply_results(
    session: Session,
    results: Sequence[ProbeResult],
    config: CamerasConfig,
    now: datetime,
    sink: EventSink | None = None,
) -> list[StatusChange]:
    """Record a round's results; a status changes after ``config.hysteresis`` equal results.

    Each change adds a history row and a ``CameraStatusChanged`` event for ``sink`` (the
    alerts sink opens or clears the camera's alert). The caller commits.
    """
    by_code = {r.code: r for r in results}
    query = select(Camera).options(joinedload(Camera.grid)).where(Camera.code.in_(by_code))
    changes = []
    events: list[CameraStatusChanged] = []
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
        events.append(_event(camera, change, config, now))
        changes.append(change)
    session.flush()
    if sink is not None and events:
        sink(session, events)
    return changes


def _event(
    camera: Camera, change: StatusChange, config: CamerasConfig, now: datetime
) -> CameraStatusChanged:
    point = camera.point()
    alerts = change.after == "offline" or (change.after == "degraded" and config.alert_on_degraded)
    return CameraStatusChanged(
        camera=camera.code,
        name=camera.name,
        before=change.before,
        after=change.after,
        reason=change.reason,
        lon=point.x if point is not None else None,
        lat=point.y if point is not None else None,
        grid=camera.grid.code if camera.grid else None,
        grid_path=camera.grid.path if camera.grid else None,
        maintainer=camera.maintainer,
        severity=SEVERITY[change.after] if alerts else None,
        ts=now,
    )
