"""Migration 0010 seals what earlier versions stored in clear, on both backends."""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest
import sqlalchemy as sa
from alembic import command
from cryptography.fernet import Fernet
from sqlalchemy import Engine, select

from gridhub.alerts.models import Alert, Delivery, DeliveryAttempt
from gridhub.cameras.models import Camera
from gridhub.db import Base, alembic_config, make_engine, make_session_factory, upgrade
from gridhub.geo.models import Member
from gridhub.secret_store import audit
from gridhub.secrets import SecretBox
from tests.support import databases
from tests.support.secret_scan import clear_secrets
from tests.support.services import unavailable

BEFORE = ("0004_cameras", "0005_member_language", "0006_alert_title_key")
"""The revisions 0010 follows: cameras, members and alerts as an earlier version left them."""
NOW = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)
STREAM = "rtsp://admin:Cam-Pa55@10.0.0.5:554/main"
ONVIF = "http://admin:Onvif-Pa55@10.0.0.5/onvif/device_service"
DINGTALK = "dingtalk://SECdingtalk0123@dingtalkbottoken0123/13800000000"
POLICY_URL = "json://ops:Policy-Pa55@10.0.0.9/duty"
SECRETS = ("Cam-Pa55", "Onvif-Pa55", "SECdingtalk0123", "dingtalkbottoken0123", "Policy-Pa55")


@pytest.fixture(params=("spatialite", "postgis"))
def old_store(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:
    """An empty store at the revisions before 0010."""
    if request.param == "spatialite":
        engine = make_engine(f"sqlite:///{tmp_path}/old.db")
        name = None
    else:
        name = f"gridhub_old_{uuid.uuid4().hex[:10]}"
        try:
            engine = make_engine(databases.create_postgis(name))
        except psycopg.OperationalError:
            unavailable(f"PostGIS at {databases.POSTGRES_ADMIN_URL} is not reachable")
    for revision in BEFORE:
        command.upgrade(alembic_config(engine), revision)
    yield engine
    engine.dispose()
    if name is not None:
        databases.drop_postgres(name)


def write_clear_rows(engine: Engine) -> None:
    """A camera, a member, an alert and its deliveries, as written before secrets were sealed."""
    meta = sa.MetaData()
    cameras = sa.Table("cameras", meta, autoload_with=engine)
    members = sa.Table("members", meta, autoload_with=engine)
    alerts = sa.Table("alerts", meta, autoload_with=engine)
    deliveries = sa.Table("alert_deliveries", meta, autoload_with=engine)
    attempts = sa.Table("alert_delivery_attempts", meta, autoload_with=engine)
    policy = {"levels": [{"role": "grid_worker", "ack_timeout_s": 60, "notify": [POLICY_URL]}]}
    with engine.begin() as connection:
        connection.execute(cameras.insert().values(
            id=1, code="CAM1", name="gate", kind="fixed", grid_override=False, ptz=False,
            device={}, status="unknown", candidate_count=0, created_at=NOW, updated_at=NOW,
            stream_url=STREAM, onvif_url=ONVIF,
        ))  # fmt: skip
        connection.execute(members.insert().values(
            id=1, code="L1", name="leader", role="grid_leader", notify=[DINGTALK],
            duty="always", properties={}, updated_at=NOW,
        ))  # fmt: skip
        connection.execute(alerts.insert().values(
            id=1, source_type="sensor", source_id="S1", kind="water_level", severity="orange",
            title="water", grids=["G11"], region_path="/C1/", status="dispatched", is_open=True,
            count=1, last_seen_at=NOW, opened_at=NOW, updated_at=NOW, assignees=[],
            broadcast_roles=[], policy=policy, level=0, reminders=0,
        ))  # fmt: skip
        for delivery_id, channel, target in (
            (1, "apprise", DINGTALK),
            (2, "mqtt", "gridhub/v1/members/L1/alerts"),
        ):
            connection.execute(deliveries.insert().values(
                id=delivery_id, alert_id=1, member_code="L1", channel=channel, target=target,
                payload={}, status="failed", attempts=1, next_attempt_at=NOW, created_at=NOW,
                last_error=f"cannot reach {target}",
            ))  # fmt: skip
        connection.execute(attempts.insert().values(
            id=1, delivery_id=1, at=NOW, ok=False, error=f"cannot reach {DINGTALK}",
            duration_ms=1.0,
        ))  # fmt: skip


def test_the_migration_seals_every_clear_secret_and_keeps_them_readable(old_store: Engine):
    write_clear_rows(old_store)
    assert sum(clear_secrets(old_store, SECRETS).values()) == 7
    box = SecretBox([Fernet.generate_key()])

    upgrade(old_store, box)

    assert clear_secrets(old_store, SECRETS) == {}
    with make_session_factory(old_store)() as session:
        assert audit(session, Base.metadata, box) == {}
        camera = session.scalars(select(Camera)).one()
        assert (box.open(camera.stream_url), box.open(camera.onvif_url)) == (STREAM, ONVIF)
        assert camera.snapshot_url is None
        member = session.scalars(select(Member)).one()
        assert [box.open(url) for url in member.notify] == [DINGTALK]
        alert = session.scalars(select(Alert)).one()
        assert box.open(alert.policy["levels"][0]["notify"][0]) == POLICY_URL
        apprise, mqtt = session.scalars(select(Delivery).order_by(Delivery.id)).all()
        assert (apprise.target, box.open(apprise.secret_target)) == ("dingtalk://…", DINGTALK)
        assert apprise.last_error == "cannot reach dingtalk://…"
        assert session.scalars(select(DeliveryAttempt.error)).one() == "cannot reach dingtalk://…"
        assert (mqtt.target, mqtt.secret_target) == ("gridhub/v1/members/L1/alerts", None)


def test_without_the_hubs_key_the_migration_refuses_and_changes_nothing(old_store: Engine):
    write_clear_rows(old_store)
    with pytest.raises(RuntimeError, match="run `gridhub db upgrade` with the hub's settings"):
        upgrade(old_store)
    assert sum(clear_secrets(old_store, SECRETS).values()) == 7
    assert "secret_target" not in {c["name"] for c in sa.inspect(old_store).get_columns(
        "alert_deliveries"
    )}  # fmt: skip


def test_an_empty_store_migrates_without_a_key(old_store: Engine):
    upgrade(old_store)
    assert "secret_target" in {c["name"] for c in sa.inspect(old_store).get_columns(
        "alert_deliveries"
    )}  # fmt: skip
