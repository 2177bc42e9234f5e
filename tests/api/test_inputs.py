"""Bad input to the API gets a 422 in the one documented error shape, never a 500.

The cases are those a bounded schemathesis run found (ids and offsets past 2^63, an empty
area, a coordinate past 2^64) and the areas MQTT already refused (a Point, a polygon that
crosses itself); each answer also keeps the security headers.
"""

import pytest
from sqlalchemy import func, select

from gridhub.alerts.models import Alert
from gridhub.api.errors import ErrorOut
from gridhub.db import transaction
from tests.support.factories import auth_header, grid_square, make_user

HUGE = 2**63
SQUARE = [[list(point) for point in grid_square(0).exterior.coords]]


@pytest.fixture
def admin(client, town, sessions, settings) -> dict[str, str]:
    with transaction(sessions) as session:
        return auth_header(settings, make_user(session, "boss", "admin"))


def _refused(response, *words: str) -> None:
    assert response.status_code == 422, response.text
    ErrorOut.model_validate(response.json())  # the documented shape
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    for word in words:
        assert word in response.text, response.text


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/alerts?offset={HUGE}",
        f"/api/v1/members?offset={HUGE}",
        f"/api/v1/sensors?offset={HUGE}",
        f"/api/v1/reports?offset={HUGE}",
        f"/api/v1/alerts/{HUGE}",
        f"/api/v1/reports/{HUGE}",
        f"/api/v1/events?after={HUGE}",
    ],
)
def test_ids_and_offsets_past_the_store_are_refused(client, admin, path):
    _refused(client.get(path, headers=admin), "less than or equal to 9223372036854775807")


@pytest.mark.parametrize(
    ("area", "reason"),
    [
        ({}, "is not Polygon or MultiPolygon"),
        ({"type": "Point", "coordinates": [113.3, 23.1]}, "'Point' is not Polygon"),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
            "Self-intersection",
        ),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [2**64, 0], [0, 1], [0, 0]]]},
            "outside WGS84",
        ),
    ],
)
def test_an_alert_area_must_be_a_valid_wgs84_polygon(client, admin, sessions, area, reason):
    body = {"kind": "flood", "severity": "red", "title": "water", "area": area}
    _refused(client.post("/api/v1/alerts", json=body, headers=admin), reason)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == 0


def test_a_valid_area_is_accepted(client, admin):
    body = {"kind": "flood", "severity": "red", "title": "water"}
    body["area"] = {"type": "Polygon", "coordinates": SQUARE}
    response = client.post("/api/v1/alerts", json=body, headers=admin)
    assert response.status_code == 201, response.text


def test_a_nul_character_is_refused_not_a_server_error(client, admin, database_url):
    response = client.get("/api/v1/grids?under=V%001", headers=admin)
    if database_url.startswith("postgresql"):  # PostgreSQL text cannot hold NUL
        _refused(response, "NUL")
    else:  # SQLite can: no region has that code
        assert response.json() == {"type": "FeatureCollection", "features": []}
    token = client.post("/api/v1/auth/token", data={"username": "bo\0ss", "password": "x" * 12})
    assert token.status_code in (401, 422), token.text
    ErrorOut.model_validate(token.json())


def test_every_error_answer_is_documented_with_the_one_shape(client):
    schema = client.get("/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                if int(code) < 400:
                    continue
                ref = response["content"]["application/json"]["schema"]
                wanted = "Open311ErrorOut" if path.startswith("/open311/") else "ErrorOut"
                assert wanted in str(ref), (method, path, code, ref)
            if operation.get("security"):
                assert {"401", "403", "422"} <= set(operation["responses"]), (method, path)


@pytest.mark.parametrize("route", ["alerts", "deadletters", "checkins"])
@pytest.mark.parametrize(
    ("since", "reason"),
    [
        ("0001-01-01T00:00:00%2B14:00", "no UTC equivalent"),  # before UTC's year 1
        ("2026-07-01T08:00:00", "timezone"),  # naive: which zone would it be read in?
    ],
)
def test_a_time_without_a_utc_reading_is_refused(client, admin, route, since, reason):
    _refused(client.get(f"/api/v1/{route}?since={since}", headers=admin), reason)
