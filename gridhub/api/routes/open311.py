"""``/open311/v2``: GeoReport v2 (services, requests at a point, their status and notes),
JSON or XML by the path's extension, as the spec says. Posts are form-encoded (as the spec
says), multipart with ``media`` photos, or JSON. Without an ``api_key`` a post answers a
challenge (``challenge.json``, ALTCHA) and keeps to the limits per address and phone; a key
raises the limits. Public answers never carry who reported nor the exact point."""

import re
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from gridhub.api.deps import HubDep
from gridhub.api.errors import error_responses
from gridhub.api.open311_format import BadFormat, check_format, error, respond
from gridhub.db import utcnow
from gridhub.hub import Hub
from gridhub.reports.catalogue import UnknownService
from gridhub.reports.challenge import BadChallenge, new_challenge
from gridhub.reports.intake import Refused, Submission, file_report
from gridhub.reports.keys import key_of
from gridhub.reports.limits import RateLimited
from gridhub.reports.queries import ReportFilter, by_token, list_reports
from gridhub.reports.views import open311_request, village_names

PREFIX = "/open311/v2"
router = APIRouter(prefix=PREFIX, tags=["open311"])
Locale = Annotated[str | None, Query(description="zh-CN or en (extension; default: the hub's).")]
_ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
BODY_SLACK = 1024 * 1024
"""Bytes a post may carry besides its photos (the form's fields)."""


class Open311Error(Exception):
    def __init__(self, status: int, description: str, headers: dict[str, str] | None = None):
        super().__init__(description)
        self.status, self.description, self.headers = status, description, headers


def _language(hub: Hub, locale: str | None) -> str:
    return locale or hub.settings.language


@router.get("/challenge.json")
def challenge(hub: HubDep) -> dict[str, Any]:
    """A challenge to answer before a post without an api_key (extension: ALTCHA v1, SHA-256;
    send the solution, base64, as ``altcha``)."""
    return new_challenge(hub.settings.reports, hub.reports.secret, utcnow())


@router.get("/services.{fmt}")
def services(fmt: str, hub: HubDep, locale: Locale = None) -> Response:
    """Every report type: code, name, group, whether it asks questions."""
    return _answer(fmt, lambda: (hub.reports.catalogue.listing(_language(hub, locale)), "services"))


@router.get("/services/{code}.{fmt}")
def service_definition(code: str, fmt: str, hub: HubDep, locale: Locale = None) -> Response:
    """The questions a report type asks (its attributes)."""

    def run() -> tuple[Any, str]:
        try:
            return hub.reports.catalogue.definition(
                code, _language(hub, locale)
            ), "service_definition"
        except UnknownService as exc:
            raise Open311Error(404, str(exc)) from None

    return _answer(fmt, run)


@router.post("/requests.{fmt}", status_code=201, responses=error_responses(400, 403, 413, 415, 429))
async def post_request(fmt: str, request: Request, hub: HubDep) -> Response:
    """File a report: ``service_code``, ``lat``, ``long``, ``description``, optional
    ``address_string``, ``email``, ``phone``, ``first_name``, ``last_name``, ``media_url``,
    ``attribute[code]``; extensions ``crs`` (wgs84, gcj02, bd09), ``altcha``, ``media``
    (photos, multipart). Answers ``[{"service_request_id", "token"}]``."""
    try:
        check_format(fmt)
        fields, photos = await _read_post(request, hub)
    except BadFormat as exc:
        return error("json", 404, str(exc))
    except Open311Error as exc:
        return error(fmt, exc.status, exc.description, exc.headers)
    address = request.client.host if request.client else None
    return await run_in_threadpool(_file, hub, fmt, fields, photos, address)


@router.get("/requests.{fmt}", responses=error_responses(400))
def get_requests(
    fmt: str,
    hub: HubDep,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    status: str | None = None,
    api_key: str | None = None,
    locale: Locale = None,
) -> Response:
    """Reports, newest first, filtered as the spec says (ids, service codes and statuses
    comma-separated; without dates the last 90 days; at most 1000)."""

    def run() -> tuple[Any, str]:
        try:
            wanted = ReportFilter(
                ids=tuple(_ids(service_request_id)),
                services=_split(service_code),
                start=_date("start_date", start_date),
                end=_date("end_date", end_date),
                status=_split(status),
            )
        except ValueError as exc:
            raise Open311Error(400, str(exc)) from None
        with hub.sessions() as session:
            trusted = _trusted(session, api_key)
            reports, _ = list_reports(session, wanted, 1000, now=utcnow())
            villages = village_names(session, reports)
            language = _language(hub, locale)
            items = [open311_request(hub.reports, r, villages, language, trusted) for r in reports]
        return items, "service_requests"

    return _answer(fmt, run)


@router.get("/requests/{request_id}.{fmt}")
def get_request(
    request_id: str, fmt: str, hub: HubDep, api_key: str | None = None, locale: Locale = None
) -> Response:
    """One report: its status, the handler's notes (``status_notes``), its dates."""

    def run() -> tuple[Any, str]:
        with hub.sessions() as session:
            trusted = _trusted(session, api_key)
            reports, _ = list_reports(session, ReportFilter(ids=tuple(_ids(request_id))), 1)
            if not reports:
                raise Open311Error(404, f"no service request {request_id}")
            villages = village_names(session, reports)
            item = open311_request(
                hub.reports, reports[0], villages, _language(hub, locale), trusted
            )
        return [item], "service_requests"

    return _answer(fmt, run)


@router.get("/tokens/{token}.{fmt}")
def get_token(token: str, fmt: str, hub: HubDep) -> Response:
    """The request id behind a token (the tracking code)."""

    def run() -> tuple[Any, str]:
        with hub.sessions() as session:
            report = by_token(session, token)
            if report is None:
                raise Open311Error(404, "no service request with that token")
            return [{"service_request_id": str(report.id), "token": token}], "service_requests"

    return _answer(fmt, run)


def _answer(fmt: str, run: Any) -> Response:
    try:
        check_format(fmt)
        data, root = run()
    except BadFormat as exc:
        return error("json", 404, str(exc))
    except Open311Error as exc:
        return error(fmt, exc.status, exc.description, exc.headers)
    return respond(data, fmt, root)


def _file(
    hub: Hub, fmt: str, fields: dict[str, list[str]], photos: list[bytes], address: str | None
) -> Response:
    def one(name: str) -> str | None:
        values = fields.get(name) or []
        return values[0] if values else None

    with hub.sessions() as session:
        key = one("api_key")
        key_row = key_of(session, key) if key else None
        if key and key_row is None:
            return error(fmt, 403, "api_key is not valid (unknown or revoked)")
        try:
            sub = Submission(
                service_code=one("service_code") or "",
                lat=_float("lat", one("lat")),
                lon=_float("long", one("long")),
                description=one("description") or "",
                crs=(one("crs") or "wgs84").lower(),
                address_string=one("address_string"),
                email=one("email"),
                phone=one("phone"),
                first_name=one("first_name"),
                last_name=one("last_name"),
                media_url=one("media_url"),
                attributes=_attributes(fields),
                photos=photos,
                channel="page" if one("channel") == "page" else "open311",
                api_key_id=key_row.id if key_row else None,
            )
            if not sub.service_code:
                raise Refused("service_code is required")
            report, token = file_report(session, hub.reports, sub, address, one("altcha"), utcnow())
        except Refused as exc:
            session.rollback()
            return error(fmt, exc.status, str(exc))
        except BadChallenge as exc:
            session.rollback()
            return error(fmt, 400, str(exc))
        except RateLimited as exc:
            session.rollback()
            return error(fmt, 429, str(exc), {"Retry-After": str(exc.retry_after_s)})
        session.commit()
        answer = [{"service_request_id": str(report.id), "token": token, "service_notice": None}]
    return respond(answer, fmt, "service_requests", 201)


async def _read_post(request: Request, hub: Hub) -> tuple[dict[str, list[str]], list[bytes]]:
    """The post's fields (each a list of values) and photo bytes, from a form or JSON."""
    config = hub.settings.reports
    most = config.max_photos * config.max_photo_bytes + BODY_SLACK
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > most:
        raise Open311Error(413, f"the post is too large ({int(length) / 1048576:.1f} MB)")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError as exc:
            raise Open311Error(400, f"the body is not JSON: {exc}") from None
        if not isinstance(body, dict):
            raise Open311Error(400, "the JSON body must be an object of the request's fields")
        return _json_fields(body), []
    if kind not in FORM_TYPES:
        raise Open311Error(415, "send the fields form-encoded, as multipart, or as JSON")
    form = await request.form(max_files=config.max_photos + 1, max_fields=200)
    fields: dict[str, list[str]] = {}
    photos: list[bytes] = []
    for name, value in form.multi_items():
        if isinstance(value, str):
            fields.setdefault(name, []).append(value)
        elif name == "media":
            data = await value.read(config.max_photo_bytes + 1)
            if data:
                photos.append(data)
    await form.close()
    return fields, photos


def _json_fields(body: dict[str, Any]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for name, value in body.items():
        if name == "attribute" and isinstance(value, dict):
            for code, answer in value.items():
                answers = answer if isinstance(answer, list) else [answer]
                fields[f"attribute[{code}]"] = [str(a) for a in answers]
        elif value is not None:
            fields[name] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return fields


def _attributes(fields: dict[str, list[str]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, values in fields.items():
        match = _ATTRIBUTE.match(name)
        if match:
            found.setdefault(match.group(1), []).extend(values)
    return found


def _float(name: str, value: str | None) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        return float(value)
    except ValueError:
        raise Refused(f"{name} must be a number in decimal degrees, not {value!r}") from None


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _ids(value: str | None) -> list[int]:
    ids = []
    for part in _split(value):
        if not part.isdigit():
            raise Open311Error(404, f"no service request {part}")
        ids.append(int(part))
    return ids


def _date(name: str, value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name} must be an ISO 8601 date-time, not {value!r}") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{name} needs a time zone (e.g. 2026-06-01T00:00:00+08:00)")
    return parsed


def _trusted(session: Any, api_key: str | None) -> bool:
    if not api_key:
        return False
    if key_of(session, api_key) is None:
        raise Open311Error(403, "api_key is not valid (unknown or revoked)")
    return True
