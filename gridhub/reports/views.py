"""What each reader sees of a report: the public (the board, Open311 without a key), the
holder of its tracking code, a trusted Open311 client. Only the console (api/) shows who
reported. One place decides, so no public surface can show a name, a phone or the point."""

import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridhub import i18n
from gridhub.geo.models import Region
from gridhub.reports import states
from gridhub.reports.context import ReportsContext
from gridhub.reports.models import Report, ReportUpdate
from gridhub.reports.photos import photo_link


def village_names(session: Session, reports: Iterable[Report]) -> dict[str, str]:
    codes = {r.village for r in reports if r.village}
    if not codes:
        return {}
    rows = session.execute(select(Region.code, Region.name).where(Region.code.in_(codes)))
    return {code: name for code, name in rows}


def state_label(state: str, language: str) -> str:
    return i18n.text(language, f"report.state.{state}")


def agency(ctx: ReportsContext, report: Report, language: str) -> str | None:
    """Who handles it, as a role or a unit, never a person's name."""
    if not report.routed_to:
        return None
    kind, _, what = report.routed_to.partition(":")
    if kind == "unit" and what in ctx.catalogue.units:
        return ctx.catalogue.units[what].name[i18n.language_of(language)]
    if kind == "role":
        return i18n.text(language, f"role.{what}")
    return i18n.text(language, "report.agency_member")


def board_item(
    ctx: ReportsContext, report: Report, villages: dict[str, str], language: str
) -> dict[str, Any]:
    """A report on the public board: type, village, dates, state and the public reply."""
    return {
        "service_request_id": str(report.id),
        "service_code": report.service_code,
        "service_name": ctx.catalogue.name(report.service_code, language),
        "village": report.village,
        "village_name": villages.get(report.village or "", report.village),
        "requested_datetime": local_iso(ctx, report.requested_at),
        "updated_datetime": local_iso(ctx, report.updated_at),
        "closed_datetime": local_iso(ctx, report.closed_at),
        "status": states.open311_status(report.state),
        "state": report.state,
        "state_label": state_label(report.state, language),
        "public_reply": report.public_reply,
        "agency_responsible": agency(ctx, report, language),
        "merged_into": str(report.merged_into) if report.merged_into else None,
        "rating": report.rating,
    }


def open311_request(
    ctx: ReportsContext,
    report: Report,
    villages: dict[str, str],
    language: str,
    trusted: bool = False,
) -> dict[str, Any]:
    """GeoReport v2's request. In public: the village for the address and the point rounded
    to ``public_decimals``, no description; a trusted client (API key) gets those too.
    gridhub's own states ride along as ``gridhub_state`` and ``gridhub_state_label``."""
    item = board_item(ctx, report, villages, language)
    decimals = ctx.config.public_decimals
    photos = photo_links(ctx, report) if trusted else []
    return {
        "service_request_id": item["service_request_id"],
        "status": item["status"],
        "status_notes": report.public_reply,
        "service_name": item["service_name"],
        "service_code": report.service_code,
        "description": report.description if trusted else None,
        "agency_responsible": item["agency_responsible"],
        "service_notice": None,
        "requested_datetime": item["requested_datetime"],
        "updated_datetime": item["updated_datetime"],
        "expected_datetime": None,
        "address": (report.address_string if trusted else None) or item["village_name"],
        "address_id": None,
        "zipcode": None,
        "lat": report.lat if trusted else round(report.lat, decimals),
        "long": report.lon if trusted else round(report.lon, decimals),
        "media_url": photos[0] if photos else (report.media_url if trusted else None),
        "gridhub_state": report.state,
        "gridhub_state_label": item["state_label"],
        "gridhub_village": report.village,
        "gridhub_merged_into": item["merged_into"],
    }


def holder_view(
    ctx: ReportsContext,
    session: Session,
    report: Report,
    language: str,
) -> dict[str, Any]:
    """What the holder of the tracking code sees: their report as they sent it (without
    their name and phone), its timeline with the public notes, and whether they may rate."""
    villages = village_names(session, [report])
    updates = session.scalars(
        select(ReportUpdate).where(ReportUpdate.report_id == report.id).order_by(ReportUpdate.id)
    ).all()
    return {
        **board_item(ctx, report, villages, language),
        "description": report.description,
        "attributes": report.attributes,
        "address_string": report.address_string,
        "lat": report.lat,
        "long": report.lon,
        "photos": photo_links(ctx, report),
        "timeline": [
            {
                "at": local_iso(ctx, u.at),
                "state": u.state,
                "state_label": state_label(u.state, language),
                "note": u.note,
            }
            for u in updates
        ],
        "rating_comment": report.rating_comment,
        "can_rate": report.state == states.DONE and report.rating is None,
    }


def photo_links(ctx: ReportsContext, report: Report) -> list[str]:
    expires = int(time.time()) + ctx.config.photo_link_ttl_s
    return [photo_link(ctx.secret, photo.id, expires) for photo in report.photos]


def local_iso(ctx: ReportsContext, value: datetime | None) -> str | None:
    """ISO 8601 with the hub's local offset, as GeoReport v2's examples write times."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(ctx.timezone)).isoformat(timespec="seconds")
