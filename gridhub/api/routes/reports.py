"""``/api/v1/reports``: the console's reports within the caller's scope: the list and the
operator's queue, one report with its timeline, 派单 (to a member or a unit), 不予受理,
merging duplicates, the units, and the monthly figures (JSON and CSV)."""

from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridhub.api.deps import API_PREFIX, CurrentScope, CurrentUser, HubDep, SessionDep
from gridhub.api.errors import error_responses
from gridhub.api.models import User
from gridhub.api.permissions import HANDLERS
from gridhub.api.report_schemas import (
    ContactOut,
    ReportActionIn,
    ReportDetailOut,
    ReportOut,
    UnitOut,
    UpdateOut,
)
from gridhub.api.schemas import Page, Paging, RowId
from gridhub.db import utcnow
from gridhub.geo.models import Member
from gridhub.geo.roster import member_in_scope
from gridhub.hub import Hub
from gridhub.i18n import language_of
from gridhub.reports import orders
from gridhub.reports.figures import MonthFigures, as_csv, monthly
from gridhub.reports.models import Report, ReportUpdate
from gridhub.reports.queries import ReportFilter, in_scope, list_reports
from gridhub.reports.routing import Route, member_route, unit_route
from gridhub.reports.views import photo_links, state_label, village_names
from gridhub.scope import Scope

router = APIRouter(prefix=f"{API_PREFIX}/reports", tags=["reports"])
SEES_CONTACT = HANDLERS | {"grid_worker"}
Action = Literal["dispatch", "reject", "merge"]
Month = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM (local).")]


@router.get("")
def list_console(
    user: CurrentUser,
    scope: CurrentScope,
    session: SessionDep,
    hub: HubDep,
    paging: Paging,
    state: str | None = None,
    service_code: str | None = None,
    village: str | None = None,
    queue: Annotated[bool, Query(description="Only what waits for 派单.")] = False,
    locale: str | None = None,
) -> Page[ReportOut]:
    """Reports in the caller's scope, newest first; ``queue=true``: the operator's queue."""
    try:
        wanted = ReportFilter(
            services=(service_code,) if service_code else (),
            state=state,
            village=village,
            queue=queue,
        )
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    reports, total = list_reports(session, wanted, paging.limit, paging.offset, scope=scope)
    villages = village_names(session, reports)
    language = locale or hub.settings.language
    return Page[ReportOut](
        items=[_out(hub, user, r, villages, language) for r in reports], total=total
    )


@router.get("/units")
def units(_user: CurrentUser, hub: HubDep, locale: str | None = None) -> list[UnitOut]:
    """The units reports can be sent to, with their members' codes."""
    language = language_of(locale or hub.settings.language)
    return [
        UnitOut(code=code, name=unit.name[language], members=list(unit.members))
        for code, unit in hub.reports.catalogue.units.items()
    ]


@router.get("/figures")
def figures(
    scope: CurrentScope,
    session: SessionDep,
    hub: HubDep,
    since: Month = None,
    until: Month = None,
    locale: str | None = None,
) -> list[MonthFigures]:
    """Per month, village and type: counts, median hours to dispatch and to done, the share
    satisfied among those who rated; from ``since`` to ``until`` (months, inclusive)."""
    return _figures(scope, session, hub, since, until, locale)


@router.get(
    "/figures.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The figures as CSV."}},
)
def figures_csv(
    scope: CurrentScope,
    session: SessionDep,
    hub: HubDep,
    since: Month = None,
    until: Month = None,
    locale: str | None = None,
) -> Response:
    """The same figures as CSV (UTF-8 with a BOM, so that spreadsheet programs read 中文)."""
    rows = _figures(scope, session, hub, since, until, locale)
    headers = {"Content-Disposition": 'attachment; filename="report-figures.csv"'}
    body = "\ufeff" + as_csv(rows)
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/{report_id}")
def get_report(
    report_id: RowId,
    user: CurrentUser,
    scope: CurrentScope,
    session: SessionDep,
    hub: HubDep,
    locale: str | None = None,
) -> ReportDetailOut:
    """One report with its timeline (who did what), photos, and its work order's id."""
    report = in_scope(session, scope, report_id)
    if report is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no report {report_id} in your scope")
    return _detail(hub, session, user, report, locale or hub.settings.language)


@router.post("/{report_id}/{action}", responses=error_responses(409))
def act_on_report(
    report_id: RowId,
    action: Action,
    user: CurrentUser,
    scope: CurrentScope,
    session: SessionDep,
    hub: HubDep,
    body: ReportActionIn | None = None,
) -> ReportDetailOut:
    """派单 (``dispatch`` to a member or unit), 不予受理 (``reject`` with a public reason), or
    ``merge`` into the report it duplicates; 409 when the report's state does not allow it."""
    if user.role not in HANDLERS:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"role {user.role!r} may not {action} reports (needs {', '.join(sorted(HANDLERS))})",
        )
    body = body or ReportActionIn()
    report = in_scope(session, scope, report_id)
    if report is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no report {report_id} in your scope")
    now = utcnow()
    try:
        if action == "dispatch":
            orders.dispatch(session, hub.reports, report, _route(session, hub, scope, body),
                            user.username, now)  # fmt: skip
        elif action == "reject":
            orders.reject(session, hub.reports, report, body.reason or "", user.username, now)
        else:
            primary = in_scope(session, scope, body.into) if body.into is not None else None
            if primary is None:
                raise HTTPException(
                    status.HTTP_422_UNPROCESSABLE_CONTENT,
                    "merge needs 'into': a report in your scope that this one duplicates",
                )
            orders.merge(session, hub.reports, report, primary, user.username, now)
    except orders.NotNow as exc:
        session.rollback()
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    except ValueError as exc:
        session.rollback()
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    except HTTPException:
        session.rollback()
        raise
    session.commit()
    return _detail(hub, session, user, report, hub.settings.language)


def _route(session: Session, hub: Hub, scope: Scope, body: ReportActionIn) -> Route:
    """The route an operator chose; its members must be responsible within the scope."""
    if bool(body.member) == bool(body.unit):
        raise ValueError("dispatch needs a 'member' or a 'unit' (one of them)")
    if body.member:
        route = member_route(session, body.member)
        if route is None:
            raise ValueError(f"no member {body.member!r}")
    else:
        unit = body.unit or ""
        if unit not in hub.reports.catalogue.units:
            raise ValueError(
                f"no unit {unit!r}; use one of {', '.join(hub.reports.catalogue.units)}"
            )
        route = unit_route(session, hub.settings.reports, unit)
        if route is None:
            raise ValueError(f"unit {unit!r} has no member on the roster")
    if not scope.unrestricted:
        inside = set(
            session.scalars(
                select(Member.code).where(Member.code.in_(route.handlers), member_in_scope(scope))
            )
        )
        outside = [code for code in route.handlers if code not in inside]
        if outside:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"member(s) {', '.join(outside)} not responsible within your scope",
            )
    return route


def _figures(
    scope: Scope,
    session: Session,
    hub: Hub,
    since: str | None,
    until: str | None,
    locale: str | None,
) -> list[MonthFigures]:
    zone = ZoneInfo(hub.settings.timezone)
    start = _month_start(since, zone) if since else None
    end = _month_start(until, zone, after=True) if until else None
    language = locale or hub.settings.language
    return monthly(
        session, scope, hub.reports.catalogue, language, hub.settings.timezone, start, end
    )


def _month_start(month: str, zone: ZoneInfo, after: bool = False) -> datetime:
    year, number = int(month[:4]), int(month[5:])
    if after:
        year, number = (year + 1, 1) if number == 12 else (year, number + 1)
    if not 1 <= number <= 12 or not 2000 <= year <= 9998:  # 9998: its "after" is 9999
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"no month {month}")
    return datetime(year, number, 1, tzinfo=zone)


def _out(
    hub: Hub, user: User, report: Report, villages: dict[str, str], language: str
) -> ReportOut:
    contact = None
    if user.role in SEES_CONTACT:
        contact = ContactOut(
            first_name=report.first_name,
            last_name=report.last_name,
            phone=report.phone,
            email=report.email,
        )
    return ReportOut(
        id=report.id,
        service_code=report.service_code,
        service_name=hub.reports.catalogue.name(report.service_code, language),
        description=report.description,
        state=report.state,
        state_label=state_label(report.state, language),
        grid=report.grid,
        village=report.village,
        village_name=villages.get(report.village or ""),
        lon=report.lon,
        lat=report.lat,
        address_string=report.address_string,
        routed_to=report.routed_to,
        handlers=list(report.handlers or []),
        order_id=report.order_id,
        merged_into=report.merged_into,
        public_reply=report.public_reply,
        requested_at=report.requested_at,
        dispatched_at=report.dispatched_at,
        closed_at=report.closed_at,
        rating=report.rating,
        rating_comment=report.rating_comment,
        photo_count=len(report.photos),
        contact=contact,
    )


def _detail(
    hub: Hub, session: Session, user: User, report: Report, language: str
) -> ReportDetailOut:
    session.flush()
    updates = session.scalars(
        select(ReportUpdate).where(ReportUpdate.report_id == report.id).order_by(ReportUpdate.id)
    ).all()
    base = _out(hub, user, report, village_names(session, [report]), language)
    return ReportDetailOut(
        **base.model_dump(),
        attributes=report.attributes or {},
        channel=report.channel,
        photos=photo_links(hub.reports, report),
        updates=[UpdateOut.model_validate(u) for u in updates],
    )
