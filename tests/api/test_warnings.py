"""``/api/v1/warnings`` as JSON: created once (201, then 200 for the same id), refused with
the reason for a bad area (nothing stored), listed newest first, the roll as CSV with a BOM,
and issuing needs a handler's role."""

from shapely.geometry import box, mapping
from sqlalchemy import select

from gridhub.alerts.models import Delivery
from gridhub.db import transaction
from tests.support.factories import auth_header, grid_square, make_user


def _headers(sessions, settings, role: str = "dispatcher") -> dict[str, str]:
    with transaction(sessions) as session:
        user = make_user(session, f"w-{role}", role=role)
    return auth_header(settings, user)


def _body(msg_id: str, index: int = 0) -> dict:
    centre = grid_square(index).centroid
    area = mapping(box(centre.x - 0.001, centre.y - 0.001, centre.x + 0.001, centre.y + 0.001))
    return {"id": msg_id, "kind": "flood", "level": "orange", "area": area, "message": "涨水"}


def test_a_json_warning_is_created_once_listed_and_rolled(client, town, sessions, settings):
    headers = _headers(sessions, settings)
    first = client.post("/api/v1/warnings", json=_body("w1"), headers=headers)
    assert first.status_code == 201, first.text
    again = client.post("/api/v1/warnings", json=_body("w1"), headers=headers)
    assert (again.status_code, again.json()) == (200, first.json())
    second = client.post("/api/v1/warnings", json=_body("w2", 3), headers=headers)
    listed = client.get("/api/v1/warnings", headers=headers).json()
    assert [w["id"] for w in listed["items"]] == [second.json()["id"], first.json()["id"]]
    view = client.get(f"/api/v1/warnings/{first.json()['id']}", headers=headers).json()
    assert view["grids"] == ["G11"] and view["status"] == "active"
    assert [m["code"] for m in view["members"]] == ["L1", "W11"]  # G11: worker, V1: leader
    roll = client.get(f"/api/v1/warnings/{first.json()['id']}/receipts.csv", headers=headers)
    assert roll.content.startswith("\ufeff".encode())
    assert "W11" in roll.text and "13800000011" in roll.text


def test_a_bad_area_is_refused_with_its_reason_and_nothing_is_stored(
    client, town, sessions, settings
):
    headers = _headers(sessions, settings)
    body = _body("w3") | {"area": {"type": "Point", "coordinates": [118.8, 32.0]}}
    refused = client.post("/api/v1/warnings", json=body, headers=headers)
    assert refused.status_code == 422
    assert "Polygon or MultiPolygon" in refused.text
    assert client.get("/api/v1/warnings", headers=headers).json()["total"] == 0


def test_a_viewer_may_not_issue_warnings(client, town, sessions, settings):
    refused = client.post(
        "/api/v1/warnings", json=_body("w4"), headers=_headers(sessions, settings, "viewer")
    )
    assert refused.status_code == 403
    bad_type = client.post(
        "/api/v1/warnings/cap", content=b"<alert/>", headers=_headers(sessions, settings)
        | {"Content-Type": "text/plain"},
    )  # fmt: skip
    assert bad_type.status_code == 415


def test_a_leader_attached_to_the_village_holds_its_grids_inside_the_warning(
    client, town, sessions, settings
):
    """L1 is attached to village V1 (G11, G12), not to a grid: the message names the grids of
    V1 inside the area, and the flood view places L1 there, with the village."""
    headers = _headers(sessions, settings)
    centre = grid_square(0).centroid
    over_g11 = client.post("/api/v1/warnings", json=_body("v1"), headers=headers).json()["id"]
    # A second warning over G11 and G12 both (their squares sit side by side).
    wide = mapping(box(centre.x - 0.001, centre.y - 0.001, centre.x + 0.011, centre.y + 0.001))
    body = _body("v2", 0) | {"area": wide}
    over_both = client.post("/api/v1/warnings", json=body, headers=headers).json()["id"]
    view = client.get(f"/api/v1/warnings/{over_g11}", headers=headers).json()
    leader = next(m for m in view["members"] if m["code"] == "L1")
    assert (leader["grids"], leader["grid"], leader["village"]) == (["G11"], "G11", "village V1")
    assert view["grid_progress"]["G11"] == {"total": 2, "confirmed": 0}
    view = client.get(f"/api/v1/warnings/{over_both}", headers=headers).json()
    assert view["grids"] == ["G11", "G12"]
    by_code = {m["code"]: m["grids"] for m in view["members"]}
    assert by_code["L1"] == ["G11", "G12"] and by_code["W11"] == ["G11"]
    with sessions() as session:
        told = session.scalars(
            select(Delivery.payload).where(
                Delivery.alert_id == over_both, Delivery.member_code == "L1"
            )
        ).all()
    assert [g["code"] for g in told[0]["grids"]] == ["G11", "G12"]
    assert told[0]["grids"][0]["name"] == "grid G11"
