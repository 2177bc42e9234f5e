"""The alerts API: scoped lists and detail, handling with roles and 409s, operator alerts,
and the live event stream with Last-Event-ID resumption."""

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import anyio.to_thread
import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from gridhub.alerts.context import AlertContext
from gridhub.alerts.live import LiveReader
from gridhub.alerts.raising import AlertSpec, raise_alert
from gridhub.alerts.sink import AlertsSink
from gridhub.api.app import create_app
from gridhub.api.routes import events
from gridhub.api.users import create_user
from gridhub.config import load_settings
from gridhub.db import make_engine, make_session_factory, transaction, utcnow
from gridhub.events import CheckinStored
from gridhub.hub import Hub
from gridhub.scope import Scope
from tests.alerts.conftest import Town
from tests.support.services import free_port

PASSWORD = "a-long-password"
USERS = [  # username, role, scope, member
    ("op", "operator", "T1", None),
    ("w1", "grid_worker", "G1", "W1"),
    ("w3", "grid_worker", "G3", "W3"),
    ("viewer", "viewer", None, None),
]


@pytest.fixture
def hub(database_url: str, engine, sessions, tmp_path: Path, town: Town) -> Hub:
    with transaction(sessions) as session:
        for username, role, scope, member in USERS:
            create_user(session, username, PASSWORD, role, scope=scope, member_code=member)
    settings = load_settings(database_url=database_url, data_dir=tmp_path)
    return Hub(settings=settings, engine=engine, sessions=sessions)


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub, manage_services=False)) as client:
        yield client


def _headers(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _sensor_alert(sessions: sessionmaker[Session], town: Town, severity: str = "orange") -> int:
    lon, lat = town.g1_point
    spec = AlertSpec("sensor", "S1", "water_level", severity, "High water", lon=lon, lat=lat)
    with transaction(sessions) as session:
        return raise_alert(session, spec, utcnow(), AlertContext()).id


def test_lists_are_scoped_and_roll_up_to_the_town(
    client: TestClient, sessions: sessionmaker[Session], town: Town
) -> None:
    alert_id = _sensor_alert(sessions, town)
    op, w1, w3 = (_headers(client, name) for name in ("op", "w1", "w3"))
    page = client.get("/api/v1/alerts?status=open", headers=op).json()
    assert page["total"] == 1 and page["items"][0]["id"] == alert_id
    assert page["items"][0]["region_path"] == "/C1/T1/V1/G1/"
    assert client.get("/api/v1/alerts", headers=w1).json()["total"] == 1
    assert client.get("/api/v1/alerts", headers=w3).json() == {"items": [], "total": 0}
    assert client.get(f"/api/v1/alerts/{alert_id}", headers=w3).status_code == 404
    refused = client.post(f"/api/v1/alerts/{alert_id}/ack", headers=w3)
    assert refused.status_code == 404
    assert client.get("/api/v1/alerts?severity=red", headers=op).json()["total"] == 0
    assert client.get("/api/v1/alerts?grid=G1&severity=orange", headers=op).json()["total"] == 1
    assert client.get("/api/v1/alerts?status=resolved", headers=op).json()["total"] == 0
    # Paged past the end: no items, and still the total.
    assert client.get("/api/v1/alerts?offset=5", headers=op).json() == {"items": [], "total": 1}
    future = "2999-01-01T00:00:00Z"
    assert client.get(f"/api/v1/alerts?since={future}", headers=op).json()["total"] == 0
    bad = client.get("/api/v1/alerts?status=maybe", headers=op)
    assert bad.status_code == 422 and "status must be one of" in bad.text


def test_handling_records_who_and_refuses_illegal_steps_with_the_state(
    client: TestClient, sessions: sessionmaker[Session], town: Town
) -> None:
    alert_id = _sensor_alert(sessions, town)
    w1, op, viewer = (_headers(client, name) for name in ("w1", "op", "viewer"))
    listed = client.get("/api/v1/alerts", headers=op).json()["items"]
    assert [a["assignees"] for a in listed if a["id"] == alert_id] == [["W1"]]  # dispatched
    acked = client.post(f"/api/v1/alerts/{alert_id}/ack", headers=w1, json={"note": "seen"})
    assert acked.status_code == 200 and acked.json()["status"] == "acknowledged"
    again = client.post(f"/api/v1/alerts/{alert_id}/ack", headers=w1)
    assert again.status_code == 409
    assert again.json()["detail"]["status"] == "acknowledged"
    assert client.post(f"/api/v1/alerts/{alert_id}/resolve", headers=viewer).status_code == 403
    assert client.post(f"/api/v1/alerts/{alert_id}/cancel", headers=w1).status_code == 403
    bad = client.post(f"/api/v1/alerts/{alert_id}/assign", headers=op, json={"assignee": "NOPE"})
    assert bad.status_code == 422 and "NOPE" in bad.text
    assigned = client.post(
        f"/api/v1/alerts/{alert_id}/assign", headers=op, json={"assignee": "W2", "note": "go"}
    )
    assert assigned.json()["assignees"] == ["W2", "W1"]
    done = client.post(f"/api/v1/alerts/{alert_id}/resolve", headers=op, json={"note": "fixed"})
    assert done.json()["status"] == "resolved"
    detail = client.get(f"/api/v1/alerts/{alert_id}", headers=op).json()
    steps = [(e["kind"], e["actor"], e["channel"], e["note"]) for e in detail["events"]]
    assert steps[2:] == [
        ("acknowledged", "W1", "api", "seen"),
        ("assigned", "op", "api", "go"),
        ("resolved", "op", "api", "fixed"),
    ]
    members = {d["member_code"] for d in detail["deliveries"] if d["member_code"]}
    assert members == {"W1", "W2"}
    # The user w1 is the roster's W1: acknowledgements name the member, as from a device.
    assert detail["acked_by"] == "W1" and detail["ack_channel"] == "api"
    assert detail["assignees"] == ["W2", "W1"]  # assigned, then whom it was dispatched to


def test_operators_create_alerts_within_their_scope(
    client: TestClient, sessions: sessionmaker[Session], town: Town
) -> None:
    op, w1 = _headers(client, "op"), _headers(client, "w1")
    body = {"kind": "fire", "severity": "red", "title": "Smoke reported", "grids": ["G3"]}
    created = client.post("/api/v1/alerts", headers=op, json=body)
    assert created.status_code == 201, created.text
    alert = created.json()
    assert alert["status"] == "dispatched" and alert["source_type"] == "operator"
    assert [d["member_code"] for d in alert["deliveries"] if d["member_code"]] == ["W3"]
    assert client.post("/api/v1/alerts", headers=w1, json=body).status_code == 403
    nowhere = client.post("/api/v1/alerts", headers=op, json={**body, "grids": []})
    assert nowhere.status_code == 422 and "say where" in nowhere.text


def test_the_live_reader_waits_for_late_ids_and_filters_by_scope(
    sessions: sessionmaker[Session], town: Town
) -> None:
    alert_id = _sensor_alert(sessions, town)
    with sessions() as session:
        everything = LiveReader(0, Scope.everything()).poll(session, utcnow())
        assert [e.type for e in everything] == ["alert.new"]
        assert everything[0].data["after"]["id"] == alert_id
        assert LiveReader(0, Scope("/C1/T1/V2/G3/")).poll(session, utcnow()) == []
        assert len(LiveReader(0, Scope("/C1/T1/")).poll(session, utcnow())) == 1
    g1, g3 = town.g1_point, town.g3_point
    batch = [
        CheckinStored(None, "W1", "checkpoint", g1[0], g1[1], "G1", True, utcnow()),
        CheckinStored(None, "W3", "checkpoint", g3[0], g3[1], "G3", True, utcnow()),
    ]
    with transaction(sessions) as session:
        AlertsSink(AlertContext())(session, batch)
    with sessions() as session:
        [seen] = LiveReader(1, Scope("/C1/T1/V2/G3/")).poll(session, utcnow())
        assert seen.type == "checkins" and [i["worker"] for i in seen.data["items"]] == ["W3"]
        [everything] = LiveReader(1, Scope.everything()).poll(session, utcnow())
        assert len(everything.data["items"]) == 2


@pytest.fixture
def server(hub: Hub) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(create_app(hub, manage_services=False), port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


def _read_events(url: str, headers: dict[str, str], count: int) -> list[dict[str, str]]:
    events: list[dict[str, str]] = []
    current: dict[str, str] = {}
    with httpx.stream("GET", f"{url}/api/v1/events", headers=headers, timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if not line:
                if "id" in current:
                    events.append(current)
                current = {}
                if len(events) == count:
                    return events
                continue
            field, _, value = line.partition(": ")
            current[field] = value
    return events


def test_the_event_stream_resumes_after_last_event_id(
    server: str, client: TestClient, sessions: sessionmaker[Session], town: Town
) -> None:
    op = _headers(client, "op")
    first = _sensor_alert(sessions, town, "yellow")
    _sensor_alert(sessions, town, "red")  # merged: an update of the same alert
    streamed = _read_events(server, {**op, "Last-Event-ID": "0"}, 2)
    assert [e["event"] for e in streamed] == ["alert.new", "alert.update"]
    assert f'"id":{first}' in streamed[0]["data"]
    resumed = _read_events(server, {**op, "Last-Event-ID": streamed[0]["id"]}, 1)
    assert resumed[0]["id"] == streamed[1]["id"]


def test_a_new_alert_reaches_an_open_stream_within_a_second(
    server: str,
    client: TestClient,
    hub: Hub,
    sessions: sessionmaker[Session],
    town: Town,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On PostgreSQL the commit's NOTIFY wakes the stream (its own re-check is made slow here,
    so only the NOTIFY can be this quick); SQLite has no NOTIFY and is polled."""
    if hub.engine.dialect.name == "postgresql":
        monkeypatch.setattr(events, "RECHECK_S", 30.0)
    headers = _headers(client, "op")
    connected = threading.Event()
    arrived: list[tuple[float, dict[str, str]]] = []

    def watch() -> None:
        url = f"{server}/api/v1/events"
        with httpx.stream("GET", url, headers=headers, timeout=20) as response:
            connected.set()
            event: dict[str, str] = {}
            for line in response.iter_lines():
                if line.startswith(("id", "event")):
                    field, _, value = line.partition(": ")
                    event[field] = value
                elif not line and "id" in event:
                    arrived.append((time.monotonic(), event))
                    return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    assert connected.wait(10)
    time.sleep(1.5)  # the stream has looked once and is waiting now
    raised = time.monotonic()
    _sensor_alert(sessions, town)
    watcher.join(10)
    [(at, event)] = arrived
    assert event["event"] == "alert.new"
    assert at - raised < 1.0, f"the alert took {at - raised:.2f} s to reach the stream"


def test_every_page_of_the_list_tells_the_same_total(
    client: TestClient, sessions: sessionmaker[Session], town: Town
) -> None:
    # The total is counted apart from the page, or read from a short last page: whichever,
    # a caller paging through sees one total and every alert once, newest first.
    lon, lat = town.g1_point
    with transaction(sessions) as session:
        ids = [
            raise_alert(
                session,
                AlertSpec("sensor", f"S{n}", "water_level", "orange", "High", lon=lon, lat=lat),
                utcnow(),
                AlertContext(),
            ).id
            for n in range(5)
        ]
    op = _headers(client, "op")
    seen: list[int] = []
    for offset in (0, 2, 4):
        page = client.get(f"/api/v1/alerts?status=open&limit=2&offset={offset}", headers=op)
        assert page.json()["total"] == 5
        seen += [item["id"] for item in page.json()["items"]]
    assert seen == sorted(ids, reverse=True)
    for limit in (4, 5, 6):
        page = client.get(f"/api/v1/alerts?status=open&limit={limit}", headers=op).json()
        assert (len(page["items"]), page["total"]) == (min(limit, 5), 5)
    assert client.get("/api/v1/alerts?status=open&limit=5&offset=5", headers=op).json() == {
        "items": [],
        "total": 5,
    }
    assert client.get("/api/v1/alerts?status=closed&limit=2", headers=op).json() == {
        "items": [],
        "total": 0,
    }


def test_a_burst_of_list_requests_never_waits_out_the_connection_pool(
    database_url: str, tmp_path: Path, town: Town, hub: Hub
) -> None:
    # Few connections and few worker threads: an answer that held its connection while it
    # waited for a thread to be serialised in, behind threads waiting for that connection,
    # would time out with a 500 here instead of being served.
    engine = make_engine(database_url, pool_size=2, max_overflow=0, pool_timeout=2)
    small = Hub(settings=hub.settings, engine=engine, sessions=make_session_factory(engine))
    app = create_app(small, manage_services=False)

    async def few_threads(scope: dict, receive: object, send: object) -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = 3
        await app(scope, receive, send)  # type: ignore[arg-type]

    port = free_port()
    running = uvicorn.Server(uvicorn.Config(few_threads, port=port, log_level="warning"))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not running.started and time.monotonic() < deadline:
            time.sleep(0.02)
        base = f"http://127.0.0.1:{port}"
        token = httpx.post(
            f"{base}/api/v1/auth/token", data={"username": "op", "password": PASSWORD}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        client = httpx.Client(base_url=base, headers=headers, timeout=30)
        with client, ThreadPoolExecutor(max_workers=24) as pool:
            codes = list(
                pool.map(lambda _: client.get("/api/v1/alerts?status=open").status_code, range(120))
            )
        assert codes == [200] * 120
    finally:
        running.should_exit = True
        thread.join(timeout=10)
        engine.dispose()
