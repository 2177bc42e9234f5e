"""What alerts look like outside the store: snapshots, device messages, integration envelopes."""

from datetime import datetime
from typing import Any

from gridhub.alerts.models import Alert

MAX_LISTED_GRIDS = 100
"""Snapshots list at most this many grids (a flood warning may cover thousands)."""


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def snapshot(alert: Alert) -> dict[str, Any]:
    """The alert as JSON-ready data (integration topic, webhooks, live events)."""
    grids = list(alert.grids or [])
    return {
        "id": alert.id,
        "source_type": alert.source_type,
        "source_id": alert.source_id,
        "kind": alert.kind,
        "severity": alert.severity,
        "title": alert.title,
        "detail": alert.detail,
        "status": alert.status,
        "lon": alert.lon,
        "lat": alert.lat,
        "grid": alert.grid,
        "grids": grids[:MAX_LISTED_GRIDS],
        "grid_count": len(grids),
        "region_path": alert.region_path,
        "count": alert.count,
        "last_value": alert.last_value,
        "assignees": list(alert.assignees or []),
        "level": alert.level,
        "acked_by": alert.acked_by,
        "acked_at": _iso(alert.acked_at),
        "ack_channel": alert.ack_channel,
        "opened_at": _iso(alert.opened_at),
        "updated_at": _iso(alert.updated_at),
        "last_seen_at": _iso(alert.last_seen_at),
        "closed_at": _iso(alert.closed_at),
    }


def alert_brief(alert: Alert) -> dict[str, Any]:
    """What every member's message about ``alert`` shares (built once for a fan-out)."""
    return {
        "alert_id": alert.id,
        "severity": alert.severity,
        "kind": alert.kind,
        "title": alert.title,
        "detail": alert.detail,
        "grid_id": alert.grid,
        "lat": alert.lat,
        "lon": alert.lon,
        "status": alert.status,
        "count": alert.count,
        "ts": _iso(alert.updated_at),
    }


def member_message(
    brief: dict[str, Any], ack_topic: str, role: str | None, level: int | None, reminder: int
) -> dict[str, Any]:
    """The message on ``members/{code}/alerts``: enough to act on, and where to acknowledge."""
    return {**brief, "role": role, "level": level, "reminder": reminder, "ack_topic": ack_topic}


def text_message(alert: Alert) -> dict[str, str]:
    """Title and body for human channels (DingTalk, WeCom, e-mail, SMS)."""
    place = alert.grid or (f"{len(alert.grids)} grids" if alert.grids else "unknown place")
    body = f"[{alert.severity}] {alert.title} — {place}"
    if alert.detail:
        body += f"\n{alert.detail}"
    return {"title": f"gridhub alert #{alert.id}: {alert.title}", "body": body}


def envelope(kind: str, before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    """The integration envelope: ``{"type": "new"|"update"|"end", "before", "after"}``."""
    return {"type": kind, "before": before, "after": after}
