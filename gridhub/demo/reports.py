"""The demo's residents' reports: a few dozen over five months, in every state, filed and
handled through the real machinery (intake, routing, work orders, the handlers' notes), so
that the board and the console's charts are not empty. Deterministic: the same reports,
at the same times, every time; loaded once."""

import random
from datetime import UTC, datetime, timedelta

import shapely
from shapely import Geometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridhub.alerts.actions import act
from gridhub.db import transaction
from gridhub.geo.repository import grid_shapes
from gridhub.hub import Hub
from gridhub.reports import orders
from gridhub.reports.intake import Submission, check, store
from gridhub.reports.models import Report
from gridhub.reports.rating import rate
from gridhub.reports.routing import member_route

SEED = 13
FIRST_DAY = datetime(2026, 7, 1, 1, 0, tzinfo=UTC)
REPORTS = 40
CHANNEL = "demo"
SAYINGS = {
    "sanitation": ("村口垃圾堆了好几天没人清运", "已清运，并增加一个垃圾桶"),
    "safety": ("河边护栏松动，小孩经常在那里玩", "已加固护栏并设置警示牌"),
    "public_order": ("晚上有陌生车辆在村里转悠", "已加强夜间巡逻，安装补光灯"),
    "dispute": ("邻居建房占了我家的出路", "已调解，双方签订协议"),
    "livelihood": ("自来水这几天时有时无", "已更换老化水管，供水恢复"),
    "development": ("建议在村部旁建个健身广场", "已列入明年村级项目计划"),
    "land": ("征地补偿款还没到位", "已与镇国土所核实，本月发放"),
    "other": ("村道路灯坏了一排", "已报修，三天内修复"),
}
OUTCOMES = ("done", "done", "done", "done", "in_progress", "dispatched", "rejected", "merged")
RATINGS = ("satisfied", "satisfied", "satisfied", "fair", "dissatisfied")


def load_reports(hub: Hub) -> int:
    """File the demo's reports unless they are there; how many were filed."""
    with hub.sessions() as session:
        if session.scalar(select(Report.id).where(Report.channel == CHANNEL).limit(1)):
            return 0
        grids = sorted(grid_shapes(session), key=lambda shape: shape.code)
    rng = random.Random(SEED)
    services = list(SAYINGS)
    filed: list[int] = []
    for n in range(REPORTS):
        grid = rng.choice(grids)
        service = rng.choice(services)
        at = FIRST_DAY + timedelta(days=n * 150 / REPORTS, hours=rng.randint(0, 10))
        lon, lat = _point_in(rng, grid.geometry)
        said, reply = SAYINGS[service]
        sub = Submission(service, lat, lon, said, channel=CHANNEL, phone=f"1390000{n:04d}")
        with transaction(hub.sessions) as session:
            report, _ = store(session, hub.reports, check(hub.reports, sub), at)
            if report.state == "received" and service != "other":
                continue  # nobody to send it to (an empty unit): it waits for the operator
            _handle(hub, session, report, rng.choice(OUTCOMES), reply, at, rng, filed)
        filed.append(report.id)
    return REPORTS


def _handle(
    hub: Hub,
    session: Session,
    report: Report,
    outcome: str,
    reply: str,
    at: datetime,
    rng: random.Random,
    filed: list[int],
) -> None:
    later = at + timedelta(hours=rng.randint(1, 30))
    if report.state == "received":  # type 其他: the operator sends it to the grid's leader
        route = member_route(session, f"GL{report.grid[1:]}")
        if route is None:
            return
        orders.dispatch(session, hub.reports, report, route, "operator", later)
    if outcome == "rejected":
        reason = "不属于本镇受理范围，已告知相关部门"
        orders.reject(session, hub.reports, report, reason, "operator", later)
        return
    if outcome == "merged" and filed:
        primary = session.get(Report, filed[-1])
        if primary is not None and primary.merged_into is None and primary.state != "rejected":
            orders.merge(session, hub.reports, report, primary, "operator", later)
        return
    if outcome == "dispatched" or report.order_id is None:
        return
    handler = report.handlers[0]
    act(session, report.order_id, "progress", handler, later, note="已到现场查看",
        ctx=hub.alert_context)  # fmt: skip
    if outcome == "in_progress":
        return
    done = later + timedelta(hours=rng.randint(4, 120))
    act(session, report.order_id, "resolve", handler, done, note=reply, ctx=hub.alert_context)
    if rng.random() < 0.7:
        rate(report, rng.choice(RATINGS), None, done + timedelta(hours=rng.randint(1, 48)))


def _point_in(rng: random.Random, polygon: Geometry) -> tuple[float, float]:
    minx, miny, maxx, maxy = shapely.bounds(polygon)
    while True:
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(polygon, lon, lat):
            return round(lon, 6), round(lat, 6)
