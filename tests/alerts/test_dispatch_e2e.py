"""The alerts service against a real Mosquitto: dispatch, device acks, escalation, webhooks,
notification URLs, and two hub processes sharing one PostGIS."""

import hashlib
import hmac
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug import Request, Response

from gridhub.alerts.models import Alert, AlertEvent, Delivery, DeliveryAttempt
from gridhub.alerts.service import AlertsService
from gridhub.config import Settings
from gridhub.config.alerts import AlertsConfig, DeliveryConfig, WebhookConfig
from gridhub.config.mqtt import MqttConfig
from gridhub.db import make_engine, make_session_factory, transaction
from gridhub.events import SensorWarning
from gridhub.geo.models import Member
from gridhub.mqtt.topics import Topics
from tests.alerts.conftest import Listener, Town, short_policy

ALERTS = "gridhub/v1/members/+/alerts"


def _settings(
    database_url: str, mqtt_url: str, alerts: AlertsConfig, tmp: Path, client_id: str
) -> Settings:
    # Each hub process has its own MQTT client id (the broker keeps one session per id).
    return Settings(
        database_url=database_url,
        mqtt_url=mqtt_url,
        alerts=alerts,
        data_dir=tmp,
        mqtt=MqttConfig(client_id=client_id),
    )


@pytest.fixture
def start_service(
    database_url: str, mosquitto: str, sessions: sessionmaker[Session], tmp_path: Path
) -> Iterator[Callable[[AlertsConfig], AlertsService]]:
    started: list[AlertsService] = []

    def start(alerts: AlertsConfig) -> AlertsService:
        settings = _settings(database_url, mosquitto, alerts, tmp_path, f"hub-{len(started)}")
        # Its own engine and pool, like a separate hub process.
        service = AlertsService(
            settings, make_session_factory(make_engine(database_url)), Topics(settings.mqtt.prefix)
        )
        service.start()
        deadline = time.monotonic() + 5
        while not service.client.connected and time.monotonic() < deadline:
            time.sleep(0.02)
        started.append(service)
        return service

    yield start
    for service in started:
        service.stop()


def _warn(service: AlertsService, sessions: sessionmaker[Session], town: Town) -> int:
    lon, lat = town.g1_point
    event = SensorWarning(
        "S1", "water_level", "orange", lon, lat, None, datetime.now(UTC), 3.9, "m"
    )
    with transaction(sessions) as session:  # as ingest does: inside its batch transaction
        service.sink(session, [event])
    with sessions() as session:
        return session.scalar(select(Alert.id).where(Alert.source_id == "S1"))


def _wait_for(check: Callable[[], object], timeout: float = 5.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_warning_reaches_the_worker_and_the_devices_ack_acknowledges(
    start_service: Callable[[AlertsConfig], AlertsService],
    listener_factory: Callable[[list[str]], Listener],
    sessions: sessionmaker[Session],
    town: Town,
) -> None:
    device = listener_factory([ALERTS, "gridhub/v1/alerts/events"])
    service = start_service(short_policy(60.0))
    alert_id = _warn(service, sessions, town)
    _, message = device.next(topic="gridhub/v1/members/W1/alerts")
    assert (message["alert_id"], message["severity"], message["grid_id"]) == (
        alert_id,
        "orange",
        "G1",
    )
    _, envelope = device.next(topic="gridhub/v1/alerts/events")
    assert envelope["type"] == "new" and envelope["after"]["id"] == alert_id
    device.publish(
        message["ack_topic"],
        {"id": "ack-1", "ts": int(time.time() * 1000), "alert_id": alert_id, "note": "on my way"},
    )

    def acknowledged() -> AlertEvent | None:
        with sessions() as session:
            return session.scalar(select(AlertEvent).where(AlertEvent.kind == "acknowledged"))

    event = _wait_for(acknowledged)
    assert (event.actor, event.channel, event.note, event.to_status) == (
        "W1",
        "mqtt",
        "on my way",
        "acknowledged",
    )
    _, update = device.next(topic="gridhub/v1/alerts/events")
    assert update["type"] == "update" and update["before"]["status"] == "dispatched"
    assert update["after"]["status"] == "acknowledged" and update["after"]["acked_by"] == "W1"
    with sessions() as session:
        attempts = session.scalars(select(DeliveryAttempt.ok)).all()
        assert attempts and all(attempts)


def test_without_ack_the_grid_leader_gets_it_and_escalated_is_recorded(
    start_service: Callable[[AlertsConfig], AlertsService],
    listener_factory: Callable[[list[str]], Listener],
    sessions: sessionmaker[Session],
    town: Town,
) -> None:
    device = listener_factory([ALERTS])
    service = start_service(short_policy(0.5))
    alert_id = _warn(service, sessions, town)
    device.next(topic="gridhub/v1/members/W1/alerts")
    _, message = device.next(timeout=5, topic="gridhub/v1/members/L1/alerts")
    assert message["alert_id"] == alert_id and message["role"] == "grid_leader"
    with sessions() as session:
        notes = session.scalars(select(AlertEvent.note).where(AlertEvent.kind == "escalated"))
        assert any("grid_worker → grid_leader" in note for note in notes)


def test_webhooks_are_signed_and_retried_until_delivered(
    start_service: Callable[[AlertsConfig], AlertsService],
    sessions: sessionmaker[Session],
    town: Town,
    httpserver: HTTPServer,
) -> None:
    bodies: list[tuple[bytes, str]] = []

    def hook(request: Request) -> Response:
        bodies.append((request.get_data(), request.headers.get("X-Gridhub-Signature", "")))
        return Response("busy", status=503) if len(bodies) == 1 else Response("ok")

    httpserver.expect_request("/hook", method="POST").respond_with_handler(hook)
    config = short_policy(60.0).model_copy(
        update={
            "webhooks": (WebhookConfig(url=httpserver.url_for("/hook"), secret="s3cret-key"),),
            "delivery": DeliveryConfig(backoff_initial_s=0.2),
        }
    )
    service = start_service(config)
    alert_id = _warn(service, sessions, town)
    _wait_for(lambda: len(bodies) >= 2)
    body, signature = bodies[1]
    assert signature == "sha256=" + hmac.new(b"s3cret-key", body, hashlib.sha256).hexdigest()
    assert b'"type":"new"' in body and f'"id":{alert_id}'.encode() in body

    def sent() -> Delivery | None:
        with sessions() as session:
            return session.scalar(
                select(Delivery).where(Delivery.channel == "webhook", Delivery.status == "sent")
            )

    delivery = _wait_for(sent)
    assert delivery.attempts == 2
    with sessions() as session:
        tries = session.execute(
            select(DeliveryAttempt.ok, DeliveryAttempt.error)
            .where(DeliveryAttempt.delivery_id == delivery.id)
            .order_by(DeliveryAttempt.id)
        ).all()
    assert [ok for ok, _ in tries] == [False, True]
    assert "HTTP 503" in tries[0][1]


def test_members_notification_urls_go_through_apprise(
    start_service: Callable[[AlertsConfig], AlertsService],
    sessions: sessionmaker[Session],
    town: Town,
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/sms", method="POST").respond_with_data("ok")
    service = start_service(short_policy(60.0))
    with transaction(sessions) as session:
        worker = session.scalar(select(Member).where(Member.code == "W1"))
        worker.notify = [service.context.seal(f"json://{httpserver.host}:{httpserver.port}/sms")]
    _warn(service, sessions, town)
    _wait_for(lambda: httpserver.log)
    request, _ = httpserver.log[0]
    sent = request.get_json()
    assert "水位预警" in sent["title"]  # the hub's language, zh-CN, for a member without one
    assert "时间：" in sent["message"] and "地点：G1" in sent["message"]


def test_two_hub_processes_dispatch_each_escalation_step_once(
    start_service: Callable[[AlertsConfig], AlertsService],
    listener_factory: Callable[[list[str]], Listener],
    sessions: sessionmaker[Session],
    town: Town,
) -> None:
    device = listener_factory([ALERTS])
    first = start_service(short_policy(0.3))
    start_service(short_policy(0.3))
    alert_id = _warn(first, sessions, town)

    def exhausted() -> bool:
        with sessions() as session:
            return bool(session.scalar(select(AlertEvent.id).where(AlertEvent.kind == "exhausted")))

    _wait_for(exhausted, timeout=10)
    time.sleep(0.5)
    received: dict[str, int] = {}
    while not device.messages.empty():
        topic, message = device.messages.get()
        assert message["alert_id"] == alert_id
        member = topic.split("/")[3]
        received[member] = received.get(member, 0) + 1
    assert received == {"W1": 1, "L1": 1, "VC1": 1, "TO1": 1}
    with sessions() as session:
        kinds = session.execute(
            select(AlertEvent.kind, func.count()).group_by(AlertEvent.kind)
        ).all()
    assert dict(kinds)["escalated"] == 3


def test_a_storm_of_warnings_in_one_batch_opens_one_alert_each_and_reaches_the_worker(
    start_service: Callable[[AlertsConfig], AlertsService],
    listener_factory: Callable[[list[str]], Listener],
    sessions: sessionmaker[Session],
    town: Town,
) -> None:
    storm = 50
    device = listener_factory(["gridhub/v1/members/W1/alerts"])
    service = start_service(short_policy(60.0))
    lon, lat = town.g1_point
    now = datetime.now(UTC)
    events = [
        SensorWarning(f"S{i}", "water_level", "orange", lon, lat, None, now, 3.0 + i, "m")
        for i in range(storm)
    ]
    repeat = SensorWarning("S3", "water_level", "orange", lon, lat, None, now, 9.5, "m")
    with transaction(sessions) as session:  # one ingest batch
        service.sink(session, [*events[:10], repeat, *events[10:]])
    with sessions() as session:
        rows = session.scalars(select(Alert)).all()
        alerts = {a.source_id: a for a in rows}
        kinds = session.execute(
            select(Alert.source_id, AlertEvent.kind).join(Alert, Alert.id == AlertEvent.alert_id)
        ).all()
    assert len(rows) == storm and sorted(alerts) == sorted(f"S{i}" for i in range(storm))
    assert {s: a.count for s, a in alerts.items() if a.count != 1} == {"S3": 2}
    assert alerts["S3"].last_value == 9.5
    assert all(a.status == "dispatched" for a in alerts.values())
    opened = [source for source, kind in kinds if kind == "opened"]
    assert sorted(opened) == sorted(alerts)
    assert [source for source, kind in kinds if kind == "repeated"] == ["S3"]
    arrived = [device.next(topic="gridhub/v1/members/W1/alerts")[1] for _ in range(storm)]
    assert sorted(m["alert_id"] for m in arrived) == sorted(a.id for a in alerts.values())
    assert device.quiet(0.5, "gridhub/v1/members/W1/alerts")  # the repeat is not sent again
