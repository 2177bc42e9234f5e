"""A report reaches the right member's device through a real Mosquitto, by type and place,
and the member's answers on members/{code}/ack move it to closed with their note."""

import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from gridhub.alerts.service import AlertsService
from gridhub.api.app import create_app
from gridhub.config.mqtt import MqttConfig
from gridhub.db import make_engine, make_session_factory
from gridhub.hub import Hub
from gridhub.reports.models import Report
from tests.alerts.conftest import Listener
from tests.reports.conftest import G11, form, report_settings, solved

ALERTS = "gridhub/v1/members/+/alerts"


def _wait(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_the_member_of_the_type_and_place_gets_it_and_closes_it(
    database_url, engine, sessions, hub, mosquitto, tmp_path: Path
):
    settings = report_settings(database_url, tmp_path).model_copy(
        update={"mqtt_url": mosquitto, "mqtt": MqttConfig(client_id="reports-hub")}
    )
    served = Hub(settings=settings, engine=engine, sessions=sessions)
    alerts = AlertsService(settings, make_session_factory(make_engine(database_url)),
                           served.topics, served.locator, mqtt_url=mosquitto)  # fmt: skip
    served.alert_context = alerts.context
    served.wire_reports(alerts.context, alerts.sink)
    device = Listener(mosquitto, [ALERTS])
    alerts.start()
    try:
        _wait(lambda: alerts.client.connected)
        with TestClient(create_app(served, manage_services=False)) as client:
            # 治安隐患 at a point in G11 → the police officer of G11; 环境卫生 → its worker.
            for service in ("public_order", "sanitation"):
                body = {**form(service, G11), "altcha": solved(client)}
                assert client.post("/open311/v2/requests.json", data=body).status_code == 201
            with sessions() as session:
                ids = {r.service_code: str(r.id) for r in session.scalars(select(Report))}
            _, police = device.next(10, "gridhub/v1/members/P1/alerts")
            assert police["service_request_id"] == ids["public_order"]
            assert police["title"] == f"村民说事 #{ids['public_order']}：治安隐患"
            _, worker = device.next(10, "gridhub/v1/members/W11/alerts")
            assert worker["service_request_id"] == ids["sanitation"]
            assert device.quiet(1.0, "gridhub/v1/members/W21/alerts")  # another grid's worker

            device.publish(police["ack_topic"], {"id": "a1", "ts": int(time.time() * 1000),
                           "alert_id": police["alert_id"], "status": "in_progress",
                           "note": "民警已到现场"})  # fmt: skip
            device.publish(police["ack_topic"], {"id": "a2", "ts": int(time.time() * 1000),
                           "alert_id": police["alert_id"], "status": "resolved",
                           "note": "已加装路灯，加强夜间巡逻"})  # fmt: skip

            def closed():
                answer = client.get(f"/open311/v2/requests/{ids['public_order']}.json").json()[0]
                return answer if answer["status"] == "closed" else None

            answer = _wait(closed)
            assert answer["status_notes"] == "已加装路灯，加强夜间巡逻"
            assert answer["gridhub_state_label"] == "已完成"
            assert answer["agency_responsible"] == "网格警员"
    finally:
        alerts.stop()
        device.close()
