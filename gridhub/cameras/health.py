"""Share of cameras online per grid, village and town: now, over 24 hours and 7 days.

A camera's share over a window is the fraction of the window it spent ``online``, read
from the status history; a region's share is the mean over its cameras (雪亮工程 audits).
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridhub.cameras.models import Camera, CameraStatusChange
from gridhub.geo.models import Region

WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7)}
LEVELS = ("county", "town", "village", "grid")


@dataclass(frozen=True, slots=True)
class RegionHealth:
    code: str
    name: str
    level: str
    cameras: int
    online: int
    share_now: float | None
    share_24h: float | None
    share_7d: float | None


def online_fraction(
    changes: Sequence[tuple[datetime, str]], start: datetime, end: datetime
) -> float:
    """Fraction of [start, end) spent online, given status changes sorted by time."""
    total = (end - start).total_seconds()
    online, status, since = 0.0, "unknown", start
    for at, new_status in changes:
        if at > start:
            if status == "online":
                online += (min(at, end) - since).total_seconds()
            since = max(at, start)
        status = new_status
        if at >= end:
            break
    if status == "online" and since < end:
        online += (end - since).total_seconds()
    return online / total if total > 0 else 0.0


def region_health(session: Session, region: Region | None, now: datetime) -> list[RegionHealth]:
    """The region (or everything) and every town, village and grid under it with cameras."""
    query = select(Camera.id, Camera.status, Region.path).join(Region, Camera.grid_id == Region.id)
    if region is not None:
        query = query.where(Region.path.startswith(region.path, autoescape=True))
    cameras = session.execute(query).all()
    history: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    ids = [c.id for c in cameras]
    if ids:
        rows = session.execute(
            select(CameraStatusChange.camera_id, CameraStatusChange.at, CameraStatusChange.status)
            .where(CameraStatusChange.camera_id.in_(ids))
            .order_by(CameraStatusChange.camera_id, CameraStatusChange.at)
        )
        for camera_id, at, status in rows:
            history[camera_id].append((at, status))
    per_camera = {
        c.id: {
            name: online_fraction(history[c.id], now - span, now) for name, span in WINDOWS.items()
        }
        for c in cameras
    }
    members: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for camera in cameras:
        for code in camera.path.strip("/").split("/"):
            members[code].append((camera.id, camera.status))
    regions = {r.code: r for r in session.scalars(select(Region).where(Region.code.in_(members)))}
    report = []
    for code, entries in members.items():
        found = regions.get(code)
        if found is None or (region is not None and not found.path.startswith(region.path)):
            continue
        count = len(entries)
        online = sum(1 for _, status in entries if status == "online")
        report.append(
            RegionHealth(
                code=code,
                name=found.name,
                level=found.level,
                cameras=count,
                online=online,
                share_now=round(online / count, 4),
                share_24h=round(sum(per_camera[i]["24h"] for i, _ in entries) / count, 4),
                share_7d=round(sum(per_camera[i]["7d"] for i, _ in entries) / count, 4),
            )
        )
    order = {level: index for index, level in enumerate(LEVELS)}
    return sorted(report, key=lambda r: (order.get(r.level, len(LEVELS)), r.code))
