"""Flood warnings end to end, on each store with a real Mosquitto: CAP files posted to the API
reach exactly the members of the grids they cover; devices' answers move their receipts; an
Update that moves the area tells the newly inside and releases the others; a Cancel lifts
everything; a malformed file is refused whole; the silent are reminded, then escalated."""

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gridhub.alerts.models import Alert, AlertEvent
from gridhub.api.app import create_app
from gridhub.config import load_settings
from gridhub.db import transaction
from gridhub.hub import Hub, build_hub
from gridhub.ingest.models import AreaWarningRecord
from tests.alerts.conftest import Listener, Town
from tests.support.factories import auth_header, make_user

CAP = Path(__file__).resolve().parent.parent / "ingest" / "data" / "cap"
XML = {"Content-Type": "application/cap+xml"}
ALERTS = "gridhub/v1/members/+/alerts"


def _hub(database_url: str, mosquitto: str, tmp_path: Path, **alerts: object) -> Hub:
    settings = load_settings(
        database_url=database_url,
        mqtt_url=mosquitto,
        data_dir=tmp_path,
        mqtt={"client_id": f"hub-{tmp_path.name[-12:]}"},
        alerts=alerts,
    )
    hub = build_hub(settings)
    hub.start()
    deadline = time.monotonic() + 10
    while not hub.health()["alerts"]["ok"] and time.monotonic() < deadline:
        time.sleep(0.05)
    return hub


@pytest.fixture
def hub(database_url: str, mosquitto: str, town: Town, tmp_path: Path) -> Iterator[Hub]:
    hub = _hub(database_url, mosquitto, tmp_path)
    yield hub
    hub.stop()
    hub.engine.dispose()


@pytest.fixture
def api(hub: Hub) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with transaction(hub.sessions) as session:
        user = make_user(session, "dispatcher", role="dispatcher")
    with TestClient(create_app(hub, manage_services=False)) as client:
        yield client, auth_header(hub.settings, user)


def _post(api: tuple[TestClient, dict[str, str]], name: str, expect: int) -> int:
    client, headers = api
    response = client.post("/api/v1/warnings/cap", content=(CAP / name).read_bytes(),
                           headers=headers | XML)  # fmt: skip
    assert response.status_code == expect, response.text
    return response.json()["id"]


def _collect(
    device: Listener,
    done: Callable[[dict[str, list[dict]]], bool] | set[str] | None,
    timeout: float = 15.0,
    settle: float = 0.7,
) -> dict[str, list[dict]]:
    """Everything each member received, by member code: until ``done`` holds (a set: those
    members each got something; None: nothing is awaited), then for ``settle`` seconds more,
    so that a message to anyone else would be caught too. A loaded machine may be slow, so
    the wait is long and ends as soon as it can."""
    got: dict[str, list[dict]] = {}
    if isinstance(done, set):
        wanted = done

        def check(seen: dict[str, list[dict]]) -> bool:
            return wanted <= set(seen)
    else:
        check = done or (lambda _seen: True)
    deadline = time.monotonic() + timeout
    settled_at: float | None = None
    while True:
        now = time.monotonic()
        if settled_at is None and check(got):
            settled_at = now + settle
        end = settled_at if settled_at is not None else deadline
        if now >= end:
            return got
        try:
            topic, message = device.next(max(0.01, end - now))
        except AssertionError:
            continue
        got.setdefault(topic.split("/")[3], []).append(message)


def _warning(api: tuple[TestClient, dict[str, str]], warning_id: int) -> dict:
    client, headers = api
    response = client.get(f"/api/v1/warnings/{warning_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _wait_for(check: Callable[[], object], timeout: float = 15.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_a_cap_polygon_reaches_exactly_its_grids_members_and_receipts_move(
    api: tuple[TestClient, dict[str, str]], listener_factory: Callable[[list[str]], Listener]
) -> None:
    device = listener_factory([ALERTS])
    warning_id = _post(api, "polygon.xml", 201)
    got = _collect(device, {"W1", "L1", "W2"})
    # G1 and G2 (not G3): their on-duty workers and the leader; W1N is off duty.
    assert set(got) == {"W1", "L1", "W2"}
    message = got["W2"][0]
    assert message["warning_id"] == warning_id
    assert message["level"] == "orange"
    assert message["headline"] == "柳湾河洪水橙色预警"
    assert message["instruction"] == "请立即巡查堤段，组织低洼处群众转移。"
    assert message["grids"] == [{"code": "G2", "name": "G2"}]
    assert message["area"]["type"] == "MultiPolygon"
    assert message["bbox"] == pytest.approx([120.001, 30.001, 120.015, 30.009])
    assert message["valid_until"].startswith("2099-06-02T02:00:00")
    assert message["ack_topic"] == "gridhub/v1/members/W2/ack"

    view = _warning(api, warning_id)
    assert view["status"] == "active"
    assert view["grids"] == ["G1", "G2"]
    assert view["receipts"] == {"total": 3, "delivered": 0, "read": 0, "confirmed": 0}
    assert {m["code"]: m["state"] for m in view["members"]} == {
        "L1": "sent", "W1": "sent", "W2": "sent",
    }  # fmt: skip

    ack = {"ts": int(time.time() * 1000), "warning_id": warning_id}
    device.publish("gridhub/v1/members/W2/ack", ack | {"id": "a1", "status": "received"})
    device.publish("gridhub/v1/members/W1/ack", ack | {"id": "a2", "status": "confirmed"})
    counts = {"total": 3, "delivered": 2, "read": 1, "confirmed": 1}
    _wait_for(lambda: _warning(api, warning_id)["receipts"] == counts)
    members = {m["code"]: m for m in _warning(api, warning_id)["members"]}
    assert members["W2"]["state"] == "delivered"
    assert members["W1"]["state"] == "confirmed"
    assert members["W1"]["channels"]["confirmed"] == "mqtt"
    assert members["W1"]["confirmed_at"] is not None

    # The same message again is the same warning, and nobody hears of it twice.
    assert _post(api, "polygon.xml", 200) == warning_id
    assert _collect(device, None, settle=1.0) == {}


def test_a_cap_circle_reaches_only_the_grid_under_it(
    api: tuple[TestClient, dict[str, str]], listener_factory: Callable[[list[str]], Listener]
) -> None:
    device = listener_factory([ALERTS])
    warning_id = _post(api, "circle.xml", 201)
    assert set(_collect(device, {"W3", "L3"})) == {"W3", "L3"}
    assert _warning(api, warning_id)["grids"] == ["G3"]


def test_an_update_moves_the_area_and_a_cancel_lifts_it(
    api: tuple[TestClient, dict[str, str]],
    listener_factory: Callable[[list[str]], Listener],
    hub: Hub,
) -> None:
    device = listener_factory([ALERTS])
    warning_id = _post(api, "polygon.xml", 201)
    assert set(_collect(device, {"W1", "L1", "W2"})) == {"W1", "L1", "W2"}

    assert _post(api, "update_moved.xml", 200) == warning_id
    got = _collect(device, {"W1", "L1", "W3", "L3"})
    assert {code: [m.get("status") for m in ms] for code, ms in got.items()} == {
        "W1": ["released"],
        "L1": ["released"],
        "W3": ["dispatched"],
        "L3": ["dispatched"],
    }  # fmt: skip  (W2 is inside both areas: told nothing new)
    assert got["W3"][0]["warning_id"] == warning_id
    view = _warning(api, warning_id)
    assert view["grids"] == ["G2", "G3"]
    assert view["receipts"]["total"] == 3
    assert {m["code"] for m in view["members"] if m["released_at"] is None} == {"W2", "W3", "L3"}

    assert _post(api, "cancel.xml", 200) == warning_id
    got = _collect(device, {"W2", "W3", "L3"})
    assert {code: [m["status"] for m in ms] for code, ms in got.items()} == {
        code: ["lifted"] for code in ("W2", "W3", "L3")
    }
    view = _warning(api, warning_id)
    assert view["status"] == "lifted"
    assert view["lifted_reason"] == "cancelled"
    with hub.sessions() as session:
        alert = session.get(Alert, warning_id)
        assert alert is not None and not alert.is_open and alert.status == "cancelled"


@pytest.mark.parametrize(
    ("name", "reason"),
    [("bad_urgency.xml", "Urgency"), ("bad_polygon.xml", "polygon needs at least 4 points")],
)
def test_a_malformed_cap_file_is_refused_whole(
    api: tuple[TestClient, dict[str, str]],
    listener_factory: Callable[[list[str]], Listener],
    hub: Hub,
    name: str,
    reason: str,
) -> None:
    device = listener_factory([ALERTS])
    client, headers = api
    response = client.post("/api/v1/warnings/cap", content=(CAP / name).read_bytes(),
                           headers=headers | XML)  # fmt: skip
    assert response.status_code == 422
    assert reason in response.json()["detail"]["message"]
    assert _collect(device, None, settle=1.0) == {}
    with hub.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == 0
        assert session.scalar(select(func.count()).select_from(AreaWarningRecord)) == 0
    listed = client.get("/api/v1/warnings", headers=headers).json()
    assert listed == {"items": [], "total": 0}


def test_the_silent_are_reminded_then_their_leader_then_their_village_is_told(
    database_url: str,
    mosquitto: str,
    town: Town,
    tmp_path: Path,
    listener_factory: Callable[[list[str]], Listener],
) -> None:
    # Long enough for L3's confirmation to land first on a loaded machine, short for a test.
    ladder = {"levels": [{"role": "grid_worker", "ack_timeout_s": 3.0}]}
    policies = {level: ladder for level in ("blue", "yellow", "orange", "red")}
    hub = _hub(database_url, mosquitto, tmp_path, policies=policies)
    try:
        with transaction(hub.sessions) as session:
            user = make_user(session, "dispatcher", role="dispatcher")
        device = listener_factory([ALERTS])
        with TestClient(create_app(hub, manage_services=False)) as client:
            api = (client, auth_header(hub.settings, user))
            warning_id = _post(api, "circle.xml", 201)
            ack = {"ts": int(time.time() * 1000), "warning_id": warning_id, "status": "confirmed"}
            device.publish("gridhub/v1/members/L3/ack", ack | {"id": "c1"})
            _wait_for(lambda: _warning(api, warning_id)["receipts"]["confirmed"] == 1)

            def silent_told(seen: dict[str, list[dict]]) -> bool:
                return any(m.get("status") == "silent" for m in seen.get("L3", []))

            got = _collect(device, silent_told, timeout=30.0)
        # W3 stays silent: reminded once, then its leader L3 is told; L3 confirmed, and is
        # reminded of nothing. Then the village V2 (nobody there: the event says so).
        assert [m.get("reminder") for m in got["W3"]] == [0, 1]
        assert [m.get("reminder") for m in got["L3"] if m.get("status") != "silent"] == [0]
        silent = [m for m in got["L3"] if m.get("status") == "silent"]
        assert len(silent) == 1
        assert [p["code"] for p in silent[0]["silent"]] == ["W3"]

        def escalations() -> list[str]:
            with hub.sessions() as session:
                query = select(AlertEvent.note).where(
                    AlertEvent.alert_id == warning_id, AlertEvent.kind == "escalated"
                )
                return [note or "" for note in session.scalars(query)]

        _wait_for(lambda: len(escalations()) >= 2)
        assert any("told grid_leader: L3" in note for note in escalations())
        assert any("told village_cadre: nobody" in note for note in escalations())
    finally:
        hub.stop()
        hub.engine.dispose()
