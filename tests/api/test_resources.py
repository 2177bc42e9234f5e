"""Grids, regions and members over the API: shapes, paging, and scope (never data outside it)."""

import pytest

from gridhub.db import transaction
from gridhub.geo.crs import from_wgs84
from tests.support.factories import auth_header, make_user


@pytest.fixture
def as_user(town, sessions, settings):
    """Headers of a new user with ``role`` and ``scope``."""

    def headers(scope: str | None = None, role: str = "operator") -> dict[str, str]:
        with transaction(sessions) as session:
            user = make_user(session, f"{role}-{scope or 'all'}", role=role, scope=scope)
        return auth_header(settings, user)

    return headers


def test_grids_are_a_geojson_feature_collection(client, as_user):
    body = client.get("/api/v1/grids", headers=as_user()).json()
    assert body["type"] == "FeatureCollection"
    assert [f["id"] for f in body["features"]] == ["G11", "G12", "G21", "G31"]
    first = body["features"][0]
    assert first["type"] == "Feature"
    assert first["properties"] == {
        "code": "G11",
        "name": "grid G11",
        "level": "grid",
        "parent": "V1",
    }
    assert first["geometry"]["type"] == "Polygon"
    ring = first["geometry"]["coordinates"][0]
    assert min(p[0] for p in ring) == pytest.approx(118.80)
    assert max(p[0] for p in ring) == pytest.approx(118.81)


def test_a_grid_comes_with_its_members_in_escalation_order(client, as_user):
    response = client.get("/api/v1/grids/G11", headers=as_user())
    assert response.status_code == 200
    grid = response.json()
    assert grid["id"] == "G11" and grid["geometry"]["type"] == "Polygon"
    members = grid["members"]
    assert [(m["member_code"], m["role"], m["region_code"]) for m in members] == [
        ("W11", "grid_worker", "G11"),
        ("L1", "grid_leader", "V1"),
        ("OT1", "town_operator", "T1"),
        ("P1", "police", "T1"),
    ]
    assert members[0]["on_duty"] is True and members[0]["phone"] == "13800000011"
    assert "dingtalk" not in response.text  # notification URLs carry bot secrets


def test_a_scoped_user_sees_only_grids_under_their_scope(client, as_user):
    village = as_user(scope="V1")
    listed = client.get("/api/v1/grids", headers=village).json()
    assert [f["id"] for f in listed["features"]] == ["G11", "G12"]
    assert client.get("/api/v1/grids/G11", headers=village).status_code == 200
    outside = client.get("/api/v1/grids/G21", headers=village)
    missing = client.get("/api/v1/grids/NOPE", headers=village)
    # Out of scope reads exactly like not there at all.
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == {"detail": "no grid 'G21' in your scope"}
    assert missing.json() == {"detail": "no grid 'NOPE' in your scope"}
    assert client.get("/api/v1/grids/V1", headers=village).status_code == 404  # not a grid
    town = as_user(scope="T1", role="viewer")
    listed = client.get("/api/v1/grids", headers=town).json()
    assert [f["id"] for f in listed["features"]] == ["G11", "G12", "G21"]


def test_grids_can_be_narrowed_to_a_region(client, as_user):
    body = client.get("/api/v1/grids", params={"under": "T2"}, headers=as_user()).json()
    assert [f["id"] for f in body["features"]] == ["G31"]
    scoped = client.get("/api/v1/grids", params={"under": "T2"}, headers=as_user("V1")).json()
    assert scoped["features"] == []


def test_regions_are_paged_and_scoped(client, as_user):
    admin = as_user(role="admin")
    page = client.get("/api/v1/regions", params={"limit": 3}, headers=admin).json()
    assert page["total"] == 10
    assert [r["code"] for r in page["items"]] == ["C1", "T1", "V1"]
    assert page["items"][2] == {
        "code": "V1",
        "name": "village V1",
        "level": "village",
        "parent": "T1",
        "path": ["C1", "T1", "V1"],
        "has_geometry": False,
        "properties": {},
    }
    last = client.get("/api/v1/regions", params={"limit": 3, "offset": 9}, headers=admin).json()
    assert last["total"] == 10 and [r["code"] for r in last["items"]] == ["G31"]
    everything = client.get("/api/v1/regions", params={"limit": 1000}, headers=admin).json()
    assert len(everything["items"]) == 10
    assert len(client.get("/api/v1/regions", headers=admin).json()["items"]) == 10
    grids = client.get("/api/v1/regions", params={"level": "grid"}, headers=admin).json()
    assert grids["total"] == 4
    scoped = client.get("/api/v1/regions", headers=as_user("V1")).json()
    assert scoped["total"] == 3 and [r["code"] for r in scoped["items"]] == ["V1", "G11", "G12"]


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 1001}, {"offset": -1}, {"limit": "many"}, {"level": "x"}]
)
def test_bad_paging_is_refused(client, as_user, params):
    response = client.get("/api/v1/regions", params=params, headers=as_user())
    assert response.status_code == 422


def test_members_are_paged_and_scoped(client, as_user):
    everyone = client.get("/api/v1/members", headers=as_user()).json()
    assert everyone["total"] == 6
    assert [m["code"] for m in everyone["items"]] == ["L1", "OT1", "P1", "W11", "W21", "W31"]
    page = client.get("/api/v1/members", params={"limit": 2, "offset": 2}, headers=as_user("C1"))
    assert page.json() == {
        "total": 6,
        "items": [
            {
                "code": "P1",
                "name": "member P1",
                "role": "police",
                "areas": ["T1"],
                "phone": None,
                "mqtt_client_id": None,
                "notify_channels": [],
                "duty": "always",
                "language": None,
            },
            page.json()["items"][1],
        ],
    }
    village = as_user("V1")
    scoped = client.get("/api/v1/members", headers=village).json()
    assert scoped["total"] == 2 and [m["code"] for m in scoped["items"]] == ["L1", "W11"]
    assert scoped["items"][0]["notify_channels"] == ["dingtalk"]
    workers = client.get("/api/v1/members", params={"role": "grid_worker"}, headers=as_user("T1"))
    assert [m["code"] for m in workers.json()["items"]] == ["W11", "W21"]


def test_member_detail_is_scoped(client, as_user):
    village = as_user("V1")
    assert client.get("/api/v1/members/W11", headers=village).json()["areas"] == ["G11"]
    for outside in ("W21", "OT1", "NOPE"):
        response = client.get(f"/api/v1/members/{outside}", headers=village)
        assert response.status_code == 404
        assert "member " + outside not in response.text


def test_locate_finds_the_grid_and_its_path(client, as_user):
    response = client.get(
        "/api/v1/grids/locate", params={"lon": 118.805, "lat": 32.005}, headers=as_user()
    )
    assert response.status_code == 200
    body = response.json()
    assert body["grid"] == "G11" and body["path"] == ["C1", "T1", "V1", "G11"]
    assert body["nearest"] is None


def test_locate_outside_every_grid_names_the_nearest(client, as_user):
    params = {"lon": 118.825, "lat": 32.02}
    body = client.get("/api/v1/grids/locate", params=params, headers=as_user()).json()
    assert body["grid"] is None and body["nearest"] == "G21"
    assert body["distance_m"] == pytest.approx(1110, rel=0.01)
    hidden = client.get("/api/v1/grids/locate", params=params, headers=as_user("V1")).json()
    assert hidden["grid"] is None and hidden["nearest"] is None and hidden["distance_m"] is None


def test_locate_outside_the_callers_scope_gives_no_data(client, as_user):
    response = client.get(
        "/api/v1/grids/locate", params={"lon": 118.825, "lat": 32.005}, headers=as_user("V1")
    )
    assert response.status_code == 404
    assert "G21" not in response.text and "V2" not in response.text


@pytest.mark.parametrize(
    "params",
    [{"lon": 200, "lat": 32}, {"lon": 118, "lat": 95}, {"lon": 118, "lat": 32, "crs": "utm"}, {}],
)
def test_locate_refuses_bad_coordinates(client, as_user, params):
    assert client.get("/api/v1/grids/locate", params=params, headers=as_user()).status_code == 422


def test_locate_accepts_gcj02(client, as_user):
    lon, lat = from_wgs84(118.805, 32.005, "gcj02")
    params = {"lon": lon, "lat": lat, "crs": "gcj02"}
    body = client.get("/api/v1/grids/locate", params=params, headers=as_user()).json()
    assert body["grid"] == "G11"
    assert body["lon"] == pytest.approx(118.805, abs=1e-6)
