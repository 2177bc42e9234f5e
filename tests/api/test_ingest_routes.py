"""Check-ins, sensors, readings and dead letters over the API, fed through the real pipeline."""

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from gridhub.cameras.registry import registered_drones
from gridhub.db import transaction
from gridhub.ingest.registry import import_sensors
from gridhub.ingest.service import build_pipeline
from gridhub.mqtt.inbound import Received
from tests.support.factories import auth_header, grid_square, make_user

T0 = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
# Grid centres in the factories' tree: G11, G12, G21, G31 side by side.
CENTRE = {code: grid_square(i).centroid for i, code in enumerate(("G11", "G12", "G21", "G31"))}


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def checkin(worker: str, msg_id: str, minutes: int, grid: str | None, **extra: Any) -> Received:
    lon, lat = (CENTRE[grid].x, CENTRE[grid].y) if grid else (100.0, 20.0)
    payload = {"id": msg_id, "ts": at(minutes), "lon": lon, "lat": lat, **extra}
    return Received(f"gridhub/v1/patrol/{worker}/checkin", orjson.dumps(payload))


def reading(sensor: str, msg_id: str, minutes: int, value: float) -> Received:
    payload = {"id": msg_id, "ts": at(minutes), "kind": "water_level", "value": value}
    return Received(f"gridhub/v1/sensors/{sensor}/reading", orjson.dumps(payload))


@pytest.fixture
def ingest(hub, town, sessions, settings):
    """Runs a batch through the hub's ingest pipeline (with the hub's locator), committed."""
    pipeline = build_pipeline(settings, hub.topics, hub.locator, [], registered_drones)

    def run(*batch: Received) -> None:
        with transaction(sessions) as session:
            pipeline.run(session, list(batch))

    return run


@pytest.fixture
def as_user(town, sessions, settings):
    made: dict[tuple[str | None, str], dict[str, str]] = {}

    def headers(scope: str | None = None, role: str = "operator") -> dict[str, str]:
        if (scope, role) not in made:
            with transaction(sessions) as session:
                user = make_user(session, f"{role}-{scope or 'all'}", role=role, scope=scope)
            made[scope, role] = auth_header(settings, user)
        return made[scope, role]

    return headers


@pytest.fixture
def patrols(ingest):
    # W11 sends out of order (a phone that buffered); W31 checks in G31; one W11 outside.
    ingest(
        checkin("W11", "a", 10, "G11", kind="start"),
        checkin("W11", "c", 30, "G12"),
        checkin("W11", "b", 20, "G11"),
        checkin("W31", "d", 15, "G31"),
        checkin("W11", "x", 5, None),
    )


def ids(body: dict[str, Any]) -> list[str]:
    return [item["msg_id"] for item in body["items"]]


def test_checkins_are_listed_newest_first_and_filtered(client, as_user, patrols):
    headers = as_user()
    body = client.get("/api/v1/checkins", headers=headers).json()
    assert ids(body) == ["c", "b", "d", "a", "x"] and body["total"] == 5
    first = body["items"][0]
    assert (first["worker"], first["grid"], first["in_assigned_grid"]) == ("W11", "G12", False)
    assert first["ts"].startswith("2026-07-01T08:30:00")
    assert ids(client.get("/api/v1/checkins?worker=W31", headers=headers).json()) == ["d"]
    assert ids(client.get("/api/v1/checkins?grid=G11", headers=headers).json()) == ["b", "a"]
    window = {"since": at(10), "until": at(30)}
    assert ids(client.get("/api/v1/checkins", params=window, headers=headers).json()) == [
        "b",
        "d",
        "a",
    ]
    paged = client.get("/api/v1/checkins?limit=2&offset=1", headers=headers).json()
    assert ids(paged) == ["b", "d"] and paged["total"] == 5


def test_checkins_are_scoped_by_the_grids_path(client, as_user, patrols):
    town = as_user(scope="T1")
    assert ids(client.get("/api/v1/checkins", headers=town).json()) == ["c", "b", "a"]
    assert client.get("/api/v1/checkins?grid=G31", headers=town).status_code == 404
    village = as_user(scope="V3")
    assert ids(client.get("/api/v1/checkins?worker=W11", headers=village).json()) == []


def test_checkin_times_must_carry_their_zone(client, as_user, patrols):
    response = client.get("/api/v1/checkins?since=2026-07-01T08:00:00", headers=as_user())
    assert response.status_code == 422 and "timezone" in response.text


def test_member_shows_the_newest_checkin_by_timestamp(client, as_user, patrols):
    member = client.get("/api/v1/members/W11", headers=as_user()).json()
    last = member["last_checkin"]
    assert (last["kind"], last["grid"], last["on_patrol"]) == ("checkpoint", "G12", True)
    assert last["ts"].startswith("2026-07-01T08:30:00")
    assert last["lon"] == pytest.approx(CENTRE["G12"].x)
    assert member["code"] == "W11" and member["areas"] == ["G11"]
    assert client.get("/api/v1/members/W21", headers=as_user()).json()["last_checkin"] is None


@pytest.fixture
def gauges(hub, sessions, ingest):
    rows = [
        {"code": code, "name": code, "kind": "water_level", "lon": p.x, "lat": p.y, "red": 5}
        for code, p in (("S11", CENTRE["G11"]), ("S31", CENTRE["G31"]))
    ]
    with transaction(sessions) as session:
        import_sensors(session, rows, hub.locator)
    ingest(*(reading("S11", f"r{i}", i, 1.0 + i) for i in range(5)))


def test_sensors_are_scoped_and_show_their_level(client, as_user, gauges):
    body = client.get("/api/v1/sensors", headers=as_user()).json()
    assert [s["code"] for s in body["items"]] == ["S11", "S31"] and body["total"] == 2
    s11 = body["items"][0]
    assert (s11["grid"], s11["level"], s11["last_value"]) == ("G11", "red", 5.0)
    assert s11["thresholds"] == {"blue": None, "yellow": None, "orange": None, "red": 5.0}
    scoped = client.get("/api/v1/sensors", headers=as_user(scope="T2")).json()
    assert [s["code"] for s in scoped["items"]] == ["S31"] and scoped["total"] == 1


def test_readings_are_paged_newest_first_and_scoped(client, as_user, gauges):
    headers = as_user()
    body = client.get("/api/v1/sensors/S11/readings?limit=2", headers=headers).json()
    assert [r["value"] for r in body["items"]] == [5.0, 4.0] and body["total"] == 5
    window = {"since": at(1), "until": at(3)}
    body = client.get("/api/v1/sensors/S11/readings", params=window, headers=headers).json()
    assert [r["msg_id"] for r in body["items"]] == ["r2", "r1"]
    assert (
        client.get("/api/v1/sensors/S11/readings", headers=as_user(scope="T2")).status_code == 404
    )
    assert client.get("/api/v1/sensors/NOPE/readings", headers=headers).status_code == 404


def test_dead_letters_are_for_admins_and_operators(client, as_user, ingest):
    ingest(
        checkin("W11", "ok", 1, "G11"),
        Received("gridhub/v1/patrol/W11/checkin", b"{not json"),
        checkin("NOBODY", "z", 2, "G11"),
    )
    body = client.get("/api/v1/deadletters", headers=as_user()).json()
    assert body["total"] == 2
    reasons = sorted(item["reason"] for item in body["items"])
    assert reasons[0].startswith("not JSON")
    assert reasons[1] == "unknown worker 'NOBODY': not on the roster"
    topic = {"topic": "gridhub/v1/patrol/NOBODY/"}
    assert client.get("/api/v1/deadletters", params=topic, headers=as_user()).json()["total"] == 1
    assert client.get("/api/v1/deadletters", headers=as_user(role="admin")).status_code == 200
    for role in ("viewer", "grid_worker", "dispatcher"):
        assert client.get("/api/v1/deadletters", headers=as_user(role=role)).status_code == 403
