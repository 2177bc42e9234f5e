"""Filing a report: check everything a resident sent, then store it and, where its type's
routing is clear, send it to its handlers at once. Nothing is written for a refused report."""

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridhub.geo.crs import CRS_NAMES
from gridhub.geo.models import Region
from gridhub.reports import states
from gridhub.reports.catalogue import UnknownService
from gridhub.reports.challenge import spend, verify_answer
from gridhub.reports.context import ReportsContext
from gridhub.reports.limits import Caller
from gridhub.reports.models import Report, ReportPhoto
from gridhub.reports.orders import SYSTEM, dispatch, record
from gridhub.reports.photos import BadPhoto, CleanPhoto, clean_photo
from gridhub.reports.routing import route_of

TOKEN_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
"""Tracking codes avoid 0/O, 1/I/L: read out over the phone, typed on a keypad."""
TOKEN_LENGTH = 12
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,30}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Refused(ValueError):
    """A report that cannot be taken; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Submission:
    """What a resident (or an Open311 client) sent, as text and bytes."""

    service_code: str
    lat: float | None
    lon: float | None
    description: str
    crs: str = "wgs84"
    address_string: str | None = None
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    media_url: str | None = None
    attributes: dict[str, list[str]] = field(default_factory=dict)
    photos: list[bytes] = field(default_factory=list)
    channel: str = "open311"
    api_key_id: int | None = None


@dataclass
class Checked:
    """A submission that passed every check, ready to store."""

    submission: Submission
    lon: float
    lat: float
    grid: str
    path: tuple[str, ...]
    answers: dict[str, Any]
    photos: list[CleanPhoto]
    phone: str | None


def file_report(
    session: Session,
    ctx: ReportsContext,
    sub: Submission,
    address: str | None,
    answer: str | None,
    now: datetime,
) -> tuple[Report, str]:
    """Check, answer the challenge (posts without an API key), count against the limits,
    store and route; the caller commits. Refused, BadChallenge or RateLimited say why not,
    and nothing is written then (the limits count only reports that passed every check)."""
    checked = check(ctx, sub)
    challenge = (
        None if sub.api_key_id is not None else verify_answer(ctx.config, ctx.secret, answer)
    )
    if ctx.limits is not None:
        # Its own transaction, before this session writes: SQLite has one writer at a time.
        ctx.limits.take(Caller(address, checked.phone, sub.api_key_id))
    if challenge is not None:
        spend(session, challenge, ctx.config, now)
    return store(session, ctx, checked, now)


def check(ctx: ReportsContext, sub: Submission) -> Checked:
    """Every check that needs no write; Refused says what is wrong."""
    try:
        ctx.catalogue.service(sub.service_code)
        answers = ctx.catalogue.answers(sub.service_code, sub.attributes)
    except UnknownService as exc:
        raise Refused(str(exc), 404) from None
    except ValueError as exc:
        raise Refused(str(exc)) from None
    description = sub.description.strip()
    if not description:
        raise Refused("description is required: say what is wrong")
    if len(description) > ctx.config.max_description:
        raise Refused(f"description is too long (at most {ctx.config.max_description} characters)")
    sub.description = description
    if sub.lat is None or sub.lon is None:
        raise Refused("lat and long are required: where is it?")
    if not (-90 <= sub.lat <= 90 and -180 <= sub.lon <= 180):
        raise Refused(f"lat/long out of range: {sub.lat}, {sub.lon}")
    if sub.crs not in CRS_NAMES:
        raise Refused(f"crs must be one of {', '.join(CRS_NAMES)}")
    where = ctx.locator.locate(sub.lon, sub.lat, sub.crs)
    if where.grid is None:
        near = (
            f"; the nearest grid is {where.distance_m / 1000:.1f} km away"
            if where.distance_m is not None
            else ""
        )
        raise Refused(f"the point lies outside every grid this hub serves{near}")
    phone = _phone(sub.phone)
    if sub.email and not _EMAIL.match(sub.email.strip()):
        raise Refused("email does not look like an e-mail address")
    if len(sub.photos) > ctx.config.max_photos:
        raise Refused(f"at most {ctx.config.max_photos} photos per report")
    try:
        photos = [clean_photo(data, n, ctx.config) for n, data in enumerate(sub.photos, 1)]
    except BadPhoto as exc:
        raise Refused(str(exc), 413 if "MB" in str(exc) else 400) from None
    return Checked(sub, where.lon, where.lat, where.grid, tuple(where.path), answers, photos, phone)


def store(
    session: Session, ctx: ReportsContext, checked: Checked, now: datetime
) -> tuple[Report, str]:
    """Write the checked report and send it where its type's routing says; returns the report
    and its tracking code (shown once, kept only as a hash)."""
    sub = checked.submission
    token = new_token()
    village = _village(session, checked.path)
    report = Report(
        token_hash=token_hash(token),
        service_code=sub.service_code,
        description=sub.description,
        attributes=checked.answers,
        lon=checked.lon,
        lat=checked.lat,
        address_string=_short(sub.address_string, 500),
        grid=checked.grid,
        village=village,
        region_path="/" + "".join(f"{code}/" for code in checked.path),
        first_name=_short(sub.first_name, 100),
        last_name=_short(sub.last_name, 100),
        email=_short(sub.email, 200),
        phone=checked.phone,
        media_url=_short(sub.media_url, 1000),
        channel=sub.channel,
        api_key_id=sub.api_key_id,
        state=states.RECEIVED,
        handlers=[],
        requested_at=now,
        updated_at=now,
    )
    report.photos = [
        ReportPhoto(content_type=p.content_type, width=p.width, height=p.height, data=p.data)
        for p in checked.photos
    ]
    session.add(report)
    session.flush()
    record(session, report, states.RECEIVED, now)
    service = ctx.catalogue.service(sub.service_code)
    route = route_of(session, ctx.config, service, checked.grid, now, ctx.timezone)
    if route is not None:
        dispatch(session, ctx, report, route, SYSTEM, now)
    return report, token


def new_token() -> str:
    raw = "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def token_hash(token: str) -> str:
    """The stored form of a tracking code; case, spaces and dashes do not matter."""
    canonical = re.sub(r"[\s\-]", "", token).upper()
    return hashlib.sha256(canonical.encode()).hexdigest()


def _phone(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if not _PHONE.match(value.strip()):
        raise Refused("phone must be digits (a leading + and spaces or dashes allowed)")
    return re.sub(r"[\s\-]", "", value.strip())


def _village(session: Session, path: tuple[str, ...]) -> str | None:
    if not path:
        return None
    rows = session.execute(select(Region.code, Region.level).where(Region.code.in_(path)))
    return next((code for code, level in rows if level == "village"), None)


def _short(value: str | None, most: int) -> str | None:
    return value.strip()[:most] or None if value else None
