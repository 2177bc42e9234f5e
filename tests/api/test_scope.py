"""Scope on every route: a village's operator neither sees nor changes what lies outside it.

The sweep at the end is generated from the OpenAPI schema: every route × every role, with an
object inside the caller's village (V1) and one outside it (V2). A route it cannot build a
case for fails the test, so a new route is covered the day it is added. The tests above it
are the escapes and leaks found by trying a running hub as a village operator.
"""

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
from fastapi.testclient import TestClient
from shapely.geometry import box, mapping
from sqlalchemy import func, select

from gridhub.alerts.models import Alert, AlertEvent, AreaAlertKey, Delivery
from gridhub.alerts.raising import AlertSpec, raise_alert
from gridhub.alerts.sink import AlertsSink
from gridhub.api.app import create_app
from gridhub.api.models import USER_ROLES
from gridhub.cameras.frigate import handle
from gridhub.cameras.registry import CameraRecord, import_cameras, registered_drones
from gridhub.cameras.service import CamerasService
from gridhub.config import Settings, load_settings
from gridhub.db import transaction, utcnow
from gridhub.hub import Hub
from gridhub.ingest.models import Checkin
from gridhub.ingest.payloads import AreaWarningPayload
from gridhub.ingest.photos import attach_photo
from gridhub.ingest.registry import import_sensors
from gridhub.ingest.service import build_pipeline
from gridhub.ingest.warnings import take_payload
from gridhub.mqtt.inbound import Received
from gridhub.photos import CleanPhoto
from gridhub.reports.intake import Submission, check, store
from gridhub.reports.models import Report
from tests.support.factories import (
    auth_header,
    grid_square,
    make_grid_tree,
    make_member,
    make_user,
)
from tests.support.services import free_port

CENTRE = {code: grid_square(i).centroid for i, code in enumerate(("G11", "G12", "G21", "G31"))}
CENTRE_OF = list(CENTRE.values())  # by grid square number
OUTSIDE = ("G21", "V2", "W21", "L2", "CAM_OUT", "S_OUT", "UAV_OUT")
"""Codes of what lies outside V1: none may appear in what a V1 user reads."""
SCOPE = "V1"
FRIGATE_PAYLOADS = Path(__file__).parents[1] / "cameras" / "payloads"


@dataclass
class World:
    """V1 and V2 of the factories' tree, each with its people, feeds, sensors and alerts;
    SH works in G11 (V1) and G21 (V2) and last checked in in G21."""

    alert_in: int = 0
    alert_out: int = 0
    alert_span: int = 0
    report_in: int = 0
    report_out: int = 0
    checkin_in: int = 0
    checkin_out: int = 0
    warning_in: int = 0
    warning_out: int = 0
    warning_span: int = 0
    frigate_in: int = 0
    frigate_out: int = 0
    headers: dict[str, dict[str, str]] = field(default_factory=dict)

    def objects(self, resource: str) -> tuple[str, str]:
        """An object of ``resource`` inside the scope and one outside it."""
        return {
            "grids": ("G11", "G21"),
            "regions": ("V1", "V2"),
            "members": ("W11", "W21"),
            "cameras": ("CAM_IN", "CAM_OUT"),
            "sensors": ("S_IN", "S_OUT"),
            "alerts": (str(self.alert_in), str(self.alert_out)),
            "me": (str(self.alert_in), str(self.alert_out)),  # my alerts, by id
            "checkins": (str(self.checkin_in), str(self.checkin_out)),
            "reports": (str(self.report_in), str(self.report_out)),
            "warnings": (str(self.warning_in), str(self.warning_out)),
            "frigate": (str(self.frigate_in), str(self.frigate_out)),  # alerts with media
        }[resource]


def _telemetry(drone: str, grid: str) -> Received:
    payload = {"id": "t1", "ts": "2026-07-01T08:05:00+08:00", "lon": CENTRE[grid].x,
               "lat": CENTRE[grid].y, "battery_pct": 80, "mode_code": 5}  # fmt: skip
    return Received(f"gridhub/v1/drones/{drone}/telemetry", orjson.dumps(payload))


def _checkin(worker: str, msg_id: str, grid: str, minute: int) -> Received:
    payload = {
        "id": msg_id,
        "ts": f"2026-07-01T08:{minute:02d}:00+08:00",
        "lon": CENTRE[grid].x,
        "lat": CENTRE[grid].y,
    }
    return Received(f"gridhub/v1/patrol/{worker}/checkin", orjson.dumps(payload))


def _bad(worker: str) -> Received:
    return Received(f"gridhub/v1/patrol/{worker}/checkin", b'{"id": "bad", "ts": 0, "lat": 99}')


def _report(session: Any, hub: Hub, grid: str) -> int:
    """A report of a type with no routing: it waits in the operator's queue."""
    sub = Submission(
        "other", CENTRE[grid].y, CENTRE[grid].x, f"leak at {grid}", phone="13900001111"
    )
    return store(session, hub.reports, check(hub.reports, sub), utcnow())[0].id


def _alert(session: Any, hub: Hub, source: str, grids: tuple[str, ...]) -> int:
    spec = AlertSpec("sensor", source, "water_level", "orange", f"flood {source}", grids=grids)
    return raise_alert(session, spec, utcnow(), hub.alert_context).id


def _area(first: int, last: int) -> dict[str, Any]:
    """A GeoJSON polygon from the centre of grid square ``first`` to that of ``last``."""
    west, east = CENTRE_OF[first], CENTRE_OF[last]
    return mapping(box(west.x - 0.001, west.y - 0.001, east.x + 0.001, east.y + 0.001))


def _warning(session: Any, hub: Hub, msg_id: str, area: dict[str, Any]) -> int:
    payload = AreaWarningPayload.model_validate(
        {"id": msg_id, "ts": utcnow().isoformat(), "kind": "flood", "level": "orange", "area": area}
    )
    events = take_payload(session, hub.locator, "scope-test", payload, utcnow())
    AlertsSink(hub.alert_context)(session, events)
    return session.scalar(
        select(AreaAlertKey.alert_id).where(AreaAlertKey.key == f"scope-test/{msg_id}")
    )


def _detection(session: Any, hub: Hub, camera: str) -> int:
    """An alert of Frigate's documented tracked object, seen by ``camera``, with its media."""
    data = orjson.loads((FRIGATE_PAYLOADS / "frigate_docs_event_update.json").read_bytes())
    data["after"].update(id=f"1607123955.475377-{camera}", camera=camera, has_snapshot=True,
                         has_clip=True)  # fmt: skip
    config = hub.settings.cameras.frigate
    handle(session, "events", orjson.dumps(data), config, utcnow(), AlertsSink(hub.alert_context))
    return session.scalar(select(Alert.id).where(Alert.source_id.endswith(camera)))


@pytest.fixture
def settings(database_url, tmp_path, httpserver) -> Settings:
    """Frigate's API stands in as a real HTTP server serving any event's media."""
    media = re.compile(r"/api/events/[^/]+/(snapshot\.jpg|clip\.mp4)")
    httpserver.expect_request(media).respond_with_data(b"\xff\xd8media", content_type="image/jpeg")
    frigate = {"enabled": True, "api_url": httpserver.url_for("/")}
    return load_settings(database_url=database_url, data_dir=tmp_path, cameras={"frigate": frigate})


@pytest.fixture
def world(settings, engine, sessions) -> World:
    world = World()
    hub = Hub(settings=settings, engine=engine, sessions=sessions)
    with transaction(sessions) as session:
        make_grid_tree(session)
        for code, role, areas in (
            ("W11", "grid_worker", ["G11"]),
            ("W21", "grid_worker", ["G21"]),
            ("SH", "grid_worker", ["G11", "G21"]),
            ("L1", "grid_leader", ["V1"]),
            ("L2", "grid_leader", ["V2"]),
            ("OT1", "town_operator", ["T1"]),
        ):
            make_member(session, code, role, areas)
    with transaction(sessions) as session:

        def grid_of(lon: float, lat: float) -> str | None:
            return hub.locator.locate(lon, lat).grid

        cameras = [
            CameraRecord(code=c, name=c, kind=kind, lon=CENTRE[g].x, lat=CENTRE[g].y)
            for c, g, kind in (
                ("CAM_IN", "G11", "fixed"),
                ("CAM_OUT", "G21", "fixed"),
                ("UAV_IN", "G11", "drone"),
                ("UAV_OUT", "G21", "drone"),
            )
        ]
        import_cameras(session, cameras, grid_of, hub.secret_box)
        sensors = [
            {"code": c, "name": c, "kind": "water_level", "lon": CENTRE[g].x, "lat": CENTRE[g].y}
            for c, g in (("S_IN", "G11"), ("S_OUT", "G21"))
        ]
        import_sensors(session, sensors, hub.locator)
    pipeline = build_pipeline(settings, hub.topics, hub.locator, [], registered_drones)
    with transaction(sessions) as session:
        pipeline.run(
            session,
            [
                _checkin("W11", "a", "G11", 1),
                _checkin("W21", "b", "G21", 2),
                _checkin("SH", "c", "G11", 3),
                _checkin("SH", "d", "G21", 4),
                _bad("W11"),
                _bad("W21"),
                _bad("NOBODY"),
                _telemetry("UAV_IN", "G11"),
                _telemetry("UAV_OUT", "G21"),
            ],
        )
    with transaction(sessions) as session:
        for msg_id in ("a", "b"):  # each with its photo
            checkin = session.scalar(select(Checkin).where(Checkin.msg_id == msg_id))
            attach_photo(session, checkin, CleanPhoto("image/png", 1, 1, b"png"))
            setattr(world, "checkin_in" if msg_id == "a" else "checkin_out", checkin.id)
    with transaction(sessions) as session:
        world.alert_in = _alert(session, hub, "S_IN", ("G11",))
        world.alert_out = _alert(session, hub, "S_OUT", ("G21",))
        world.alert_span = _alert(session, hub, "TOWN", ("G11", "G12", "G21"))
        world.report_in = _report(session, hub, "G11")
        world.report_out = _report(session, hub, "G21")
        world.warning_in = _warning(session, hub, "w-in", _area(0, 0))
        world.warning_out = _warning(session, hub, "w-out", _area(2, 2))
        world.warning_span = _warning(session, hub, "w-span", _area(0, 2))
        world.frigate_in = _detection(session, hub, "CAM_IN")
        world.frigate_out = _detection(session, hub, "CAM_OUT")
        for role in USER_ROLES:
            user = make_user(session, f"{role}-v1", role=role, scope=SCOPE)
            world.headers[role] = auth_header(settings, user)
        world.headers["everything"] = auth_header(settings, make_user(session, "root", "admin"))
    return world


@pytest.fixture
def scoped_hub(settings, engine, sessions) -> Hub:
    """A hub whose cameras service is present (not started): picture routes reach the scope
    check instead of answering that no service runs."""
    hub = Hub(settings=settings, engine=engine, sessions=sessions)
    hub.cameras = CamerasService(settings, sessions)
    return hub


@pytest.fixture
def api(scoped_hub, world) -> Iterator[TestClient]:
    with TestClient(create_app(scoped_hub, manage_services=False)) as client:
        yield client


def fingerprint(sessions) -> tuple[Any, ...]:
    """What a write could change: alerts and their states, events, deliveries; reports;
    check-ins."""
    with sessions() as session:
        states = tuple(session.execute(select(Alert.id, Alert.status, Alert.assignees)).all())
        events = session.scalar(select(func.count()).select_from(AlertEvent))
        deliveries = session.scalar(select(func.count()).select_from(Delivery))
        reports = tuple(session.execute(select(Report.id, Report.state, Report.merged_into)))
        checkins = session.scalar(select(func.count()).select_from(Checkin))
    return states, events, deliveries, reports, checkins


def leaked(body: str) -> list[str]:
    return [code for code in OUTSIDE if f'"{code}"' in body]


# The escapes and leaks found against a running hub, each its own test.


def test_an_operator_cannot_alert_other_villages(api, world, sessions):
    before = fingerprint(sessions)
    body = {"kind": "flood", "severity": "red", "title": "t", "grids": ["G11", "G21"]}
    response = api.post("/api/v1/alerts", json=body, headers=world.headers["operator"])
    assert response.status_code == 403
    assert fingerprint(sessions) == before
    inside = {**body, "grids": ["G11"]}
    assert api.post("/api/v1/alerts", json=inside, headers=world.headers["operator"]).is_success


def test_an_operator_cannot_cancel_a_town_wide_warning(api, world, sessions):
    before = fingerprint(sessions)
    url = f"/api/v1/alerts/{world.alert_span}/cancel"
    response = api.post(url, headers=world.headers["operator"])
    assert response.status_code == 403
    assert fingerprint(sessions) == before
    # The town's own operator may.
    assert api.post(url, headers=world.headers["everything"]).status_code == 200


def test_an_operator_cannot_assign_another_villages_worker(api, world, sessions):
    before = fingerprint(sessions)
    url = f"/api/v1/alerts/{world.alert_in}/assign"
    response = api.post(url, json={"assignee": "W21"}, headers=world.headers["operator"])
    assert response.status_code == 403
    create = {"kind": "k", "severity": "blue", "title": "t", "grids": ["G11"], "assignee": "W21"}
    assert (
        api.post("/api/v1/alerts", json=create, headers=world.headers["operator"]).status_code
        == 403
    )
    assert fingerprint(sessions) == before
    ok = api.post(url, json={"assignee": "W11"}, headers=world.headers["operator"])
    # W11 given it, then SH (who works in G11 too) told of it when it was raised.
    assert ok.status_code == 200 and ok.json()["assignees"] == ["W11", "SH"]


def test_drones_are_those_over_the_scopes_grids(api, world):
    mine = api.get("/api/v1/drones", headers=world.headers["viewer"]).json()
    assert [(d["code"], d["grid"], d["battery_pct"], d["mode_code"]) for d in mine] == [
        ("UAV_IN", "G11", 80, 5)
    ]
    everything = api.get("/api/v1/drones", headers=world.headers["everything"]).json()
    assert [d["code"] for d in everything] == ["UAV_IN", "UAV_OUT"]


def test_dead_letters_are_those_of_senders_in_scope(api, world):
    scoped = api.get("/api/v1/deadletters", headers=world.headers["operator"]).json()
    assert [row["sender"] for row in scoped["items"]] == ["W11"]
    everything = api.get("/api/v1/deadletters", headers=world.headers["everything"]).json()
    assert {row["sender"] for row in everything["items"]} == {"W11", "W21", "NOBODY"}


def test_a_shared_members_position_and_grids_outside_the_scope_are_hidden(api, world):
    mine = api.get("/api/v1/members/SH", headers=world.headers["operator"]).json()
    assert mine["areas"] == ["G11"] and mine["last_checkin"] is None  # last seen in G21
    full = api.get("/api/v1/members/SH", headers=world.headers["everything"]).json()
    assert full["areas"] == ["G11", "G21"] and full["last_checkin"]["grid"] == "G21"


def test_a_town_wide_alert_is_seen_in_the_village_with_only_its_part(api, world):
    response = api.get(f"/api/v1/alerts/{world.alert_span}", headers=world.headers["operator"])
    assert response.status_code == 200
    alert = response.json()
    assert alert["grids"] == ["G11", "G12"]
    assert {d["member_code"] for d in alert["deliveries"]} <= {"W11", "SH", "L1"}
    assert leaked(response.text) == []


@pytest.fixture
def live_url(scoped_hub, world) -> Iterator[str]:
    port = free_port()
    app = create_app(scoped_hub, manage_services=False)
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def read_stream(url: str, headers: dict[str, str], seconds: float = 2.0) -> str:
    """Everything the live stream sends from its first event on within ``seconds``."""
    received: list[str] = []
    try:
        with (
            httpx.Client(timeout=httpx.Timeout(seconds, read=seconds)) as client,
            client.stream("GET", f"{url}/api/v1/events?after=0", headers=headers) as response,
        ):
            deadline = time.monotonic() + seconds
            for line in response.iter_lines():
                received.append(line)
                if time.monotonic() > deadline:
                    break
    except httpx.ReadTimeout:
        pass
    return "\n".join(received)


def test_the_live_stream_shows_only_the_villages_alerts(live_url, world):
    text = read_stream(live_url, world.headers["operator"])
    assert f'"id":{world.alert_in},' in text and f'"id":{world.alert_span},' in text
    assert f'"id":{world.alert_out},' not in text
    assert leaked(text) == []
    everything = read_stream(live_url, world.headers["everything"])
    assert f'"id":{world.alert_out},' in everything


# The sweep over the OpenAPI schema.

PUBLIC = {
    ("post", "/api/v1/auth/token"),
    ("get", "/api/v1/i18n"),
    ("get", "/api/v1/i18n/{language}"),
}
"""Routes anyone may call: sign-in and its page's words hold nothing to scope."""
STREAMS = {("get", "/api/v1/events")}
"""Endpoints that never end: swept by reading them for a while (the live-stream test)."""
MEMBER_ROUTES = {
    ("post", "/api/v1/checkins"),
    ("put", "/api/v1/checkins/{checkin_id}/photo"),
    ("post", "/api/v1/me/alerts/{alert_id}/{action}"),
}
"""Routes acting as the caller's own member (the phone's): the sweep's users are linked to
none, so every one of them, admins too, is refused; tests/phone sweeps them as members."""
BODY_PLACED = {"/api/v1/alerts", "/api/v1/checkins", "/api/v1/warnings", "/api/v1/warnings/cap"}
"""Write routes whose place is in the body: each is tried with a place inside and outside."""
CAP_SWEEP = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>sweep-{which}</identifier>
<sender>sweep</sender><sent>2026-07-01T08:00:00+08:00</sent><status>Actual</status>
<msgType>Alert</msgType><scope>Public</scope><info><category>Met</category><event>flood</event>
<urgency>Immediate</urgency><severity>Moderate</severity><certainty>Likely</certainty>
<area><areaDesc>x</areaDesc><circle>{lat},{lon} 0.05</circle></area></info></alert>"""
SCOPED_QUERIES = {
    "under": "regions",
    "grid": "grids",
    "region": "regions",
    "worker": "members",
    "village": "regions",
}
"""Query parameters naming an object: given the outside one, nothing of it may show."""


@dataclass
class Sweep:
    client: TestClient
    world: World
    sessions: Any
    leaks: list[str] = field(default_factory=list)
    escapes: list[str] = field(default_factory=list)
    overblocked: list[str] = field(default_factory=list)
    calls: int = 0

    def call(self, method: str, url: str, role: str, **kwargs: Any) -> httpx.Response:
        self.calls += 1
        headers = dict(self.world.headers[role])
        if "content" in kwargs:
            headers["Content-Type"] = "application/cap+xml"
        return self.client.request(method, url, headers=headers, **kwargs)


def _path_values(world: World, path: str, spec: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(url, which, action) for the route's inside and outside object (and each action)."""
    resource = path.split("/")[3]
    names = [p["name"] for p in spec.get("parameters", []) if p["in"] == "path"]
    if not names:
        return [(path, "none", "")]
    # Frigate's media: of alerts Frigate keeps them of (any other alert has none: 404).
    inside, outside = world.objects("frigate" if "/frigate/" in path else resource)
    extra = [
        n for n in names if n not in ("code", "alert_id", "report_id", "checkin_id", "warning_id")
    ]
    actions = [""]
    if extra == ["action"]:
        parameter = next(p for p in spec["parameters"] if p["name"] == "action")
        actions = parameter["schema"]["enum"]
    elif extra:
        raise AssertionError(f"{path}: no scope case for path parameters {extra}; add one")
    cases = []
    for which, code in (("in", inside), ("out", outside)):
        for action in actions:
            url = path.replace("{code}", code).replace("{alert_id}", code)
            url = url.replace("{report_id}", code).replace("{checkin_id}", code)
            url = url.replace("{warning_id}", code)
            cases.append((url.replace("{action}", action), which, action))
    if resource == "alerts" and names:  # the town-wide alert: seen, but not to be acted on
        for action in actions:
            url = path.replace("{alert_id}", str(world.alert_span)).replace("{action}", action)
            cases.append((url, "span", action))
    if resource == "warnings" and names:  # the town-wide warning: seen, only its part inside
        cases.append((path.replace("{warning_id}", str(world.warning_span)), "span", ""))
    return cases


def _query(spec: dict[str, Any], world: World) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Required query values, and (name, outside value) for each scoped query parameter."""
    required: dict[str, Any] = {}
    scoped: list[tuple[str, str]] = []
    for parameter in spec.get("parameters", []):
        if parameter["in"] != "query":
            continue
        name = parameter["name"]
        if name in SCOPED_QUERIES:
            scoped.append((name, world.objects(SCOPED_QUERIES[name])[1]))
        elif name in ("lon", "lat"):
            required[name] = CENTRE["G11"].x if name == "lon" else CENTRE["G11"].y
        elif parameter.get("required"):
            raise AssertionError(f"no scope case for required query parameter {name!r}")
    return required, scoped


def _body(path: str, action: str, which: str) -> dict[str, Any] | bytes | None:
    """A body for a write route; the inside or outside variant."""
    grid = "G11" if which != "out" else "G21"
    if path == "/api/v1/warnings":
        area = _area(0, 0) if which != "out" else _area(1, 2)
        return {"id": f"sweep-{which}", "kind": "flood", "level": "yellow", "area": area}
    if path == "/api/v1/warnings/cap":
        lon = CENTRE_OF[0 if which != "out" else 2].x
        lat = CENTRE_OF[0].y
        return CAP_SWEEP.format(which=which, lat=lat, lon=lon).encode()
    if path.endswith("/receipt"):
        return {"status": "confirmed"}
    if path.startswith("/api/v1/reports/"):
        return {
            "dispatch": {"member": "W11" if which == "in" else "W21"},
            "reject": {"reason": "不在受理范围"},
            "merge": {"into": 1},
        }[action]
    if path == "/api/v1/alerts":
        return {"kind": "check", "severity": "blue", "title": "t", "grids": [grid]}
    if path.endswith("/{action}"):
        return {"assignee": "W11" if which == "in" else "W21"} if action == "assign" else {}
    if path.endswith("/ptz"):
        return {"action": "stop"}
    if path.endswith("/photo"):
        return {}
    if path == "/api/v1/checkins":
        return {"id": f"sweep-{which}", "ts": 0, "lon": CENTRE[grid].x, "lat": CENTRE[grid].y}
    raise AssertionError(f"{path}: no scope case for this write route; add one")


def sweep_route(sweep: Sweep, method: str, path: str, spec: dict[str, Any]) -> None:
    world = sweep.world
    required, scoped = _query(spec, world)
    writes = method != "get"
    for url, which, action in _path_values(world, path, spec):
        # A route placed by its body is tried with a place inside and one outside.
        placed = writes and path in BODY_PLACED
        cases = [("in", url), ("out", url)] if placed else [(which, url)]
        for case, target in cases:
            for role in USER_ROLES:
                before = fingerprint(sweep.sessions) if writes else None
                body = _body(path, action, case) if writes else None
                sent = {"content": body} if isinstance(body, bytes) else {"json": body}
                response = sweep.call(method, target, role, params=required, **sent)
                where = f"{method.upper()} {target} as {role} ({case})"
                status = response.status_code
                if case in ("out", "span") and writes:
                    if status < 400 or fingerprint(sweep.sessions) != before:
                        sweep.escapes.append(f"{where}: {status}")
                elif case == "out" and status not in (403, 404):
                    sweep.escapes.append(f"{where}: read answered {status}")
                if leaked(response.text):
                    sweep.leaks.append(f"{where}: {leaked(response.text)}")
                member_route = (method, path) in MEMBER_ROUTES
                if role == "admin" and case in ("in", "none") and status in (403, 404):
                    if member_route and status == 403:
                        continue
                    sweep.overblocked.append(f"{where}: {status} {response.text[:120]}")
        for name, value in scoped:
            response = sweep.call(method, url, "viewer", params={**required, name: value})
            if leaked(response.text) or (response.status_code < 400 and method != "get"):
                sweep.leaks.append(f"{method.upper()} {url}?{name}={value}: {response.text[:120]}")
    if path == "/api/v1/grids/locate":
        outside = {"lon": CENTRE["G21"].x, "lat": CENTRE["G21"].y}
        response = sweep.call("get", path, "viewer", params=outside)
        if leaked(response.text) or response.status_code != 404:
            sweep.leaks.append(f"locate in G21: {response.status_code} {response.text[:120]}")


def test_every_route_keeps_to_the_scope(api, world, sessions):
    schema = api.app.openapi()
    sweep = Sweep(api, world, sessions)
    swept = 0
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, spec in operations.items():
            if (method, path) in PUBLIC or (method, path) in STREAMS:
                continue
            sweep_route(sweep, method, path, spec)
            swept += 1
    print(f"scope sweep: {swept} routes, {sweep.calls} calls, "
          f"{len(sweep.leaks)} leaks, {len(sweep.escapes)} escapes")  # fmt: skip
    assert swept >= 20
    assert sweep.leaks == []
    assert sweep.escapes == []
    assert sweep.overblocked == []
