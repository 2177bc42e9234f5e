"""``POST /api/v1/checkins``: a phone's check-in through the MQTT pipeline, on both stores."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import func, select

from gridhub.alerts.models import Alert
from gridhub.cameras.registry import registered_drones
from gridhub.db import transaction
from gridhub.ingest.models import Checkin
from gridhub.ingest.service import build_pipeline
from gridhub.mqtt.inbound import Received
from gridhub.mqtt.models import DeadLetter
from tests.support.factories import grid_square

G11 = grid_square(0).centroid
G21 = grid_square(2).centroid


def payload(**fields: Any) -> dict[str, Any]:
    body = {
        "id": uuid.uuid4().hex,
        "ts": datetime.now(UTC).isoformat(),
        "lat": G11.y,
        "lon": G11.x,
        "accuracy_m": 8,
        "kind": "checkpoint",
    }
    return {**body, **fields}


def counts(sessions) -> tuple[int, int, int]:
    with sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(Checkin)) or 0,
            session.scalar(select(func.count()).select_from(DeadLetter)) or 0,
            session.scalar(select(func.count()).select_from(Alert)) or 0,
        )


def test_a_checkin_is_stored_once_across_repeats(client, as_member, sessions):
    body = payload(checkpoint_id="CP-1", note="桥头 <b>ok</b>")
    first = client.post("/api/v1/checkins", json=body, headers=as_member("W11"))
    assert first.status_code == 201, first.text
    stored = first.json()
    assert (stored["worker"], stored["grid"], stored["in_assigned_grid"]) == ("W11", "G11", True)
    assert (stored["msg_id"], stored["note"], stored["late"]) == (body["id"], body["note"], False)
    for _ in range(3):
        again = client.post("/api/v1/checkins", json=body, headers=as_member("W11"))
        assert again.status_code == 200 and again.json() == stored
    assert counts(sessions) == (1, 0, 0)
    listed = client.get("/api/v1/checkins", headers=as_member("W11")).json()
    assert [c["id"] for c in listed["items"]] == [stored["id"]]


def test_posting_as_another_member_is_refused(client, as_member, sessions):
    response = client.post("/api/v1/checkins", json=payload(worker="W21"), headers=as_member("W11"))
    assert response.status_code == 403
    assert "W21" in response.json()["detail"]
    unlinked = client.post("/api/v1/checkins", json=payload(), headers=as_member(None))
    assert unlinked.status_code == 403
    assert "linked to no member" in unlinked.json()["detail"]
    assert counts(sessions) == (0, 0, 0)


def test_bad_input_gets_the_dead_letters_reason_and_changes_nothing(
    client, as_member, hub, settings, sessions
):
    bad = [
        payload(note="x" * 20000),  # over ingest.max_payload_bytes
        payload(lat=99),
        payload(kind="lunch"),
        payload(ts=(datetime.now(UTC) + timedelta(hours=2)).isoformat()),
        {"ts": 0, "lat": 1, "lon": 1},
    ]
    answers = []
    for body in bad:
        response = client.post("/api/v1/checkins", json=body, headers=as_member("W11"))
        assert response.status_code == 422, response.text
        answers.append(response.json()["detail"])
    not_json = client.post("/api/v1/checkins", content=b"{not json", headers=as_member("W11"))
    assert not_json.status_code == 422 and not_json.json()["detail"].startswith("not JSON")
    assert counts(sessions) == (0, 0, 0)
    # The same payloads over MQTT become dead letters with the very same reasons.
    pipeline = build_pipeline(settings, hub.topics, hub.locator, [], registered_drones)
    with transaction(sessions) as session:
        pipeline.run(
            session,
            [Received("gridhub/v1/patrol/W11/checkin", orjson.dumps(body)) for body in bad],
        )
    with sessions() as session:
        reasons = list(session.scalars(select(DeadLetter.reason).order_by(DeadLetter.id)))
    assert reasons == answers
    assert answers[0].startswith("payload too large") and "lat" in answers[1]


def test_a_checkin_sent_over_mqtt_and_again_over_http_is_stored_once(
    client, as_member, hub, settings, sessions
):
    body = payload()
    pipeline = build_pipeline(settings, hub.topics, hub.locator, [], registered_drones)
    with transaction(sessions) as session:
        pipeline.run(session, [Received("gridhub/v1/patrol/W11/checkin", orjson.dumps(body))])
    again = client.post("/api/v1/checkins", json=body, headers=as_member("W11"))
    assert again.status_code == 200 and again.json()["msg_id"] == body["id"]
    assert counts(sessions) == (1, 0, 0)


def test_an_sos_raises_its_alert(client, as_member, sessions):
    response = client.post(
        "/api/v1/checkins", json=payload(kind="sos", note="落水"), headers=as_member("W11")
    )
    assert response.status_code == 201
    with sessions() as session:
        alert = session.scalar(select(Alert))
        assert alert is not None
        seen = (alert.kind, alert.severity, alert.grid, alert.detail)
        assert seen == ("sos", "red", "G11", "落水")
        assert alert.status == "dispatched"


def test_a_checkin_kept_offline_is_stored_with_both_times_and_marked_late(client, as_member):
    made = datetime.now(UTC) - timedelta(hours=3)
    body = payload(ts=made.isoformat())
    stored = client.post("/api/v1/checkins", json=body, headers=as_member("W11")).json()
    assert datetime.fromisoformat(stored["ts"]) == made.replace(microsecond=made.microsecond)
    received = datetime.fromisoformat(stored["received_at"])
    assert abs((received - datetime.now(UTC)).total_seconds()) < 60
    assert stored["late"] is True


def test_a_checkin_outside_the_workers_grids_is_kept_and_says_so(client, as_member):
    stored = client.post(
        "/api/v1/checkins", json=payload(lat=G21.y, lon=G21.x), headers=as_member("W11")
    ).json()
    assert (stored["grid"], stored["in_assigned_grid"]) == ("G21", False)
