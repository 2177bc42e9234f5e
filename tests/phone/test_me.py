"""What the phone reads and does as its member: my patrol today, my alerts, answering them."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from gridhub.alerts.models import AlertEvent
from gridhub.alerts.raising import AlertSpec, raise_alert
from gridhub.db import transaction, utcnow
from gridhub.geo.models import Region
from tests.support.factories import grid_square

G11 = grid_square(0).centroid


def post(client, headers, ts: datetime, kind: str = "checkpoint") -> dict:
    body = {"id": uuid.uuid4().hex, "ts": ts.isoformat(), "lat": G11.y, "lon": G11.x, "kind": kind}
    response = client.post("/api/v1/checkins", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def alert_in(sessions, hub, grid: str, title: str) -> int:
    spec = AlertSpec("sensor", f"S-{title}", "water_level", "orange", title, grids=(grid,))
    with transaction(sessions) as session:
        return raise_alert(session, spec, utcnow(), hub.alert_context).id


def test_my_patrol_shows_my_grid_its_checkpoints_and_todays_checkins(client, as_member, sessions):
    with transaction(sessions) as session:
        grid = session.scalar(select(Region).where(Region.code == "G11"))
        grid.properties = {
            "checkpoints": [
                {"id": "CP1", "name": "村口桥", "lon": G11.x, "lat": G11.y},
                {"id": "", "name": "no id"},  # not a checkpoint: left out
            ]
        }
    me = as_member("W11")
    now = post(client, me, datetime.now(UTC) - timedelta(seconds=5))
    post(client, me, datetime.now(UTC) - timedelta(hours=30))  # yesterday at the latest
    patrol = client.get("/api/v1/me/patrol", headers=me).json()
    assert patrol["member"] == {"code": "W11", "name": "member W11", "role": "grid_worker"}
    assert [f["properties"]["code"] for f in patrol["grids"]["features"]] == ["G11"]
    assert [(c["id"], c["name"], c["grid"]) for c in patrol["checkpoints"]] == [
        ("CP1", "村口桥", "G11")
    ]
    assert [c["id"] for c in patrol["today"]] == [now["id"]]
    nobody = client.get("/api/v1/me/patrol", headers=as_member(None)).json()
    assert nobody["member"] is None and nobody["today"] == []


def test_my_alerts_newest_first_and_answered_from_the_phone(client, as_member, sessions, hub):
    mine_old = alert_in(sessions, hub, "G11", "水位超警")
    elsewhere = alert_in(sessions, hub, "G21", "别处")
    mine_new = alert_in(sessions, hub, "G11", "烟雾")
    me = as_member("W11")
    alerts = client.get("/api/v1/me/alerts", headers=me).json()
    assert [a["id"] for a in alerts] == [mine_new, mine_old]
    assert alerts[0]["received_at"] is None

    ack = client.post(f"/api/v1/me/alerts/{mine_old}/acknowledged", json={"note": "在路上"},
                      headers=me)  # fmt: skip
    assert ack.status_code == 200, ack.text
    assert (ack.json()["status"], ack.json()["ack_channel"]) == ("acknowledged", "phone")
    done = client.post(f"/api/v1/me/alerts/{mine_old}/resolved", headers=me)
    assert done.json()["status"] == "resolved"
    again = client.post(f"/api/v1/me/alerts/{mine_old}/in_progress", headers=me)
    assert again.status_code == 409
    alerts = {a["id"]: a for a in client.get("/api/v1/me/alerts", headers=me).json()}
    assert alerts[mine_old]["status"] == "resolved" and alerts[mine_old]["received_at"]
    with sessions() as session:
        events = session.execute(
            select(AlertEvent.kind, AlertEvent.actor, AlertEvent.note, AlertEvent.channel)
            .where(AlertEvent.alert_id == mine_old, AlertEvent.actor == "W11")
            .order_by(AlertEvent.id)
        ).all()
    assert tuple(events[0]) == ("acknowledged", "W11", "在路上", "phone")

    # Not sent to me: refused, and nothing changes; outside my scope: not there at all.
    refused = client.post(f"/api/v1/me/alerts/{elsewhere}/acknowledged", headers=me)
    assert refused.status_code == 403
    scoped = client.post(
        f"/api/v1/me/alerts/{elsewhere}/acknowledged", headers=as_member("W11", "V1")
    )
    assert scoped.status_code == 404
    assert client.get(f"/api/v1/alerts/{elsewhere}", headers=me).json()["status"] == "dispatched"
    assert client.get("/api/v1/me/alerts", headers=as_member(None)).json() == []
