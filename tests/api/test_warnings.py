"""``/api/v1/warnings`` as JSON: created once (201, then 200 for the same id), refused with
the reason for a bad area (nothing stored), listed newest first, the roll as CSV with a BOM,
and issuing needs a handler's role."""

from shapely.geometry import box, mapping

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
