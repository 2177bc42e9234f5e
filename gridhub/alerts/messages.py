"""What alerts look like outside the store: snapshots, device messages, integration envelopes."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from gridhub import i18n
from gridhub.alerts.models import Alert

CITIZEN = "citizen"
"""The source type of a resident's report's work order; its source id is the request's id."""
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
        "title_key": alert.title_key,
        "title_args": alert.title_args,
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


def title_in(alert: Alert, language: str) -> str:
    """The alert's title as a reader of ``language`` reads it."""
    if alert.title_key is None:
        return alert.title
    return i18n.text(language, alert.title_key, alert.title_args)


def alert_brief(alert: Alert, language: str) -> dict[str, Any]:
    """What every member's message about ``alert`` in ``language`` shares (built once per
    language for a fan-out). A resident's report's order names its Open311 request."""
    brief = {
        "alert_id": alert.id,
        "severity": alert.severity,
        "kind": alert.kind,
        "title": title_in(alert, language),
        "language": language,
        "detail": alert.detail,
        "grid_id": alert.grid,
        "lat": alert.lat,
        "lon": alert.lon,
        "status": alert.status,
        "count": alert.count,
        "ts": _iso(alert.updated_at),
    }
    if alert.source_type == CITIZEN:
        brief["service_request_id"] = alert.source_id
    return brief


def member_message(
    brief: dict[str, Any], ack_topic: str, role: str | None, level: int | None, reminder: int
) -> dict[str, Any]:
    """The message on ``members/{code}/alerts``: enough to act on, and where to acknowledge."""
    return {**brief, "role": role, "level": level, "reminder": reminder, "ack_topic": ack_topic}


def text_message(alert: Alert, language: str, timezone: str) -> dict[str, str]:
    """Subject and body for human channels (DingTalk, WeCom, e-mail, SMS) in ``language``,
    with local times."""
    title = title_in(alert, language)
    if alert.grid:
        place = i18n.text(language, "message.place_grid", {"grid": alert.grid})
    elif alert.grids:
        place = i18n.text(language, "message.place_grids", {"count": len(alert.grids)})
    else:
        place = i18n.text(language, "message.place_unknown")
    when = alert.updated_at.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")
    lines = [
        i18n.text(language, "message.title", {"level": alert.severity, "title": title}),
        place,
        i18n.text(language, "message.time", {"time": when}),
    ]
    if alert.detail:
        lines.append(alert.detail)
    subject = i18n.text(language, "message.subject", {"id": alert.id, "title": title})
    return {"title": subject, "body": "\n".join(lines)}


def envelope(kind: str, before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    """The integration envelope: ``{"type": "new"|"update"|"end", "before", "after"}``."""
    return {"type": kind, "before": before, "after": after}
