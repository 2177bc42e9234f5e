"""Monthly figures per village and report type: how many, how fast they were sent on and
done, and how many of those who rated were satisfied; as rows for the charts and as CSV."""

import csv
import io
import statistics
from dataclasses import asdict, dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridhub.geo.models import Region
from gridhub.reports import states
from gridhub.reports.catalogue import Catalogue
from gridhub.reports.models import Report
from gridhub.scope import Scope


@dataclass(frozen=True, slots=True)
class MonthFigures:
    month: str
    village: str | None
    village_name: str | None
    service_code: str
    service_name: str
    reports: int
    dispatched: int
    median_hours_to_dispatch: float | None
    done: int
    median_hours_to_done: float | None
    rated: int
    satisfied_share: float | None
    """Of those rated, the share 满意 (satisfied)."""


def monthly(
    session: Session,
    scope: Scope,
    catalogue: Catalogue,
    language: str,
    timezone: str,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[MonthFigures]:
    """Figures for the reports filed in ``[start, end)`` under ``scope``, by local month,
    village and type; months, then villages, then types in the catalogue's order."""
    query = select(Report).where(scope.sql(Report.region_path))
    if start is not None:
        query = query.where(Report.requested_at >= start)
    if end is not None:
        query = query.where(Report.requested_at < end)
    zone = ZoneInfo(timezone)
    groups: dict[tuple[str, str | None, str], list[Report]] = {}
    for report in session.scalars(query):
        month = report.requested_at.astimezone(zone).strftime("%Y-%m")
        groups.setdefault((month, report.village, report.service_code), []).append(report)
    villages = session.execute(select(Region.code, Region.name).where(Region.level == "village"))
    names = {code: name for code, name in villages}
    order = {code: n for n, code in enumerate(catalogue.services)}
    rows = []
    for (month, village, service), reports in sorted(
        groups.items(), key=lambda item: (item[0][0], item[0][1] or "", order.get(item[0][2], 99))
    ):
        to_dispatch = [_hours(r.requested_at, r.dispatched_at) for r in reports if r.dispatched_at]
        done = [r for r in reports if r.state == states.DONE and r.closed_at]
        rated = [r for r in reports if r.rating]
        satisfied = sum(1 for r in rated if r.rating == "satisfied")
        rows.append(
            MonthFigures(
                month=month,
                village=village,
                village_name=names.get(village or ""),
                service_code=service,
                service_name=catalogue.name(service, language),
                reports=len(reports),
                dispatched=len(to_dispatch),
                median_hours_to_dispatch=_median(to_dispatch),
                done=len(done),
                median_hours_to_done=_median([_hours(r.requested_at, r.closed_at) for r in done]),
                rated=len(rated),
                satisfied_share=round(satisfied / len(rated), 3) if rated else None,
            )
        )
    return rows


def as_csv(rows: list[MonthFigures]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(MonthFigures.__dataclass_fields__))
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in asdict(row).items()})
    return out.getvalue()


def _hours(start: datetime, end: datetime | None) -> float:
    return 0.0 if end is None else (end - start).total_seconds() / 3600


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None
