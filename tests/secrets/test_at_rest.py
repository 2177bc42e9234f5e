"""Secrets at rest, as someone holding a copy of the store would look for them: cameras and
members imported with credentials and bot tokens, an alert dispatched through real channels
(apprise to an SMS gateway, a webhook), then every value of every table searched."""

import base64
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pytest_httpserver import HTTPServer
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from gridhub.alerts.channels.apprise_channel import AppriseChannel
from gridhub.alerts.channels.webhook import WebhookChannel
from gridhub.alerts.context import AlertContext
from gridhub.alerts.dispatcher import Dispatcher
from gridhub.alerts.models import Alert, Delivery
from gridhub.alerts.sink import AlertsSink
from gridhub.api.app import create_app
from gridhub.cameras.models import Camera
from gridhub.cli import app
from gridhub.config import Settings, load_settings
from gridhub.db import Base, transaction
from gridhub.events import SensorWarning
from gridhub.geo.models import Member
from gridhub.hub import Hub
from gridhub.secret_store import audit
from gridhub.secrets import KEYS_FILE, SecretBox, derived_key, read_keys
from tests.support.factories import CELL, ORIGIN, auth_header, make_grid_tree, make_user
from tests.support.secret_scan import clear_secrets

runner = CliRunner()
CAMERA_PASSWORD = "Cam-Pa55-river"
SUB_PASSWORD = "Sub-Pa55-river"
SNAPSHOT_PASSWORD = "Snap-Pa55-river"
ONVIF_PASSWORD = "Onvif-Pa55-river"
DINGTALK_SECRET = "SECdingtalk0123456789abcdef"
DINGTALK_TOKEN = "dingtalkbottoken0123456789abcdef"
WECOM_KEY = "wecom-bot-key-693a91f6-7xxx-4bc4"
SMS_PASSWORD = "Sms-Gateway-Pa55"
POLICY_PASSWORD = "Policy-Level-Pa55"
WEBHOOK_TOKEN = "webhook-query-token-5f2e"
SECRETS = (
    CAMERA_PASSWORD, SUB_PASSWORD, SNAPSHOT_PASSWORD, ONVIF_PASSWORD, DINGTALK_SECRET,
    DINGTALK_TOKEN, WECOM_KEY, SMS_PASSWORD, POLICY_PASSWORD, WEBHOOK_TOKEN,
)  # fmt: skip
G11 = (ORIGIN[0] + CELL / 2, ORIGIN[1] + CELL / 2)
MEMBERS_CSV = "code,name,role,grids,notify\n"
CAMERAS_CSV = (
    "code,name,kind,lon,lat,stream_url,sub_stream_url,onvif_url,snapshot_url,maintainer,grid\n"
)


def _settings(database_url: str, data_dir: Path, httpserver: HTTPServer) -> Settings:
    gateway = f"{httpserver.host}:{httpserver.port}"
    level = {"ack_timeout_s": 600, "notify": [f"json://ops:{POLICY_PASSWORD}@{gateway}/duty"]}
    policy = {"levels": [{"role": "grid_worker", **level}, {"role": "grid_leader", **level}]}
    return load_settings(
        database_url=database_url,
        data_dir=data_dir,
        alerts={
            "policies": {s: policy for s in ("blue", "yellow", "orange", "red")},
            "webhooks": [
                {"url": httpserver.url_for(f"/hook?token={WEBHOOK_TOKEN}"), "secret": "sign-key"}
            ],
            "delivery": {"max_attempts": 1, "send_timeout_s": 2},
        },
    )


def invoke(settings: Settings, *args: str) -> Result:
    env = {
        "GRIDHUB_DATABASE_URL": settings.database_url,
        "GRIDHUB_DATA_DIR": str(settings.data_dir),
    }
    return runner.invoke(app, list(args), env=env)


def cli(settings: Settings, *args: str) -> Result:
    """Run a command that must succeed; its output must show no secret."""
    result = invoke(settings, *args)
    assert result.exit_code == 0, result.output
    for secret in SECRETS:
        assert secret not in result.output
    return result


def import_town(settings: Settings, sessions: sessionmaker[Session], tmp_path: Path, gateway: str):
    """Cameras with user:password in every URL, members with DingTalk, WeCom and SMS URLs."""
    with transaction(sessions) as session:
        make_grid_tree(session)
    members = tmp_path / "members.csv"
    members.write_text(
        MEMBERS_CSV
        + f"W11,张三,grid_worker,G11,json://sms:{SMS_PASSWORD}@{gateway}/sms\n"
        + f"W12,李四,grid_worker,G11,dingtalk://{DINGTALK_SECRET}@{DINGTALK_TOKEN}/13800000000;"
        + f"wecombot://{WECOM_KEY}\n",
        encoding="utf-8",
    )
    cameras = tmp_path / "cameras.csv"
    cameras.write_text(
        CAMERAS_CSV
        + f"CAM1,gate,fixed,{G11[0]},{G11[1]},rtsp://admin:{CAMERA_PASSWORD}@10.0.0.5:554/main,"
        + f"rtsp://admin:{SUB_PASSWORD}@10.0.0.5:554/sub,"
        + f"http://admin:{ONVIF_PASSWORD}@10.0.0.5/onvif/device_service,"
        + f"http://admin:{SNAPSHOT_PASSWORD}@10.0.0.5/snap.jpg,,\n",
        encoding="utf-8",
    )
    cli(settings, "members", "import", str(members))
    cli(settings, "cameras", "import", str(cameras))


def warn(ctx: AlertContext, sessions: sessionmaker[Session], source: str) -> int:
    event = SensorWarning(source, "water_level", "orange", *G11, None, datetime.now(UTC), 3.9, "m")
    with transaction(sessions) as session:
        AlertsSink(ctx)(session, [event])
    with sessions() as session:
        alert_id = session.scalar(select(Alert.id).where(Alert.source_id == source))
    assert alert_id is not None
    return alert_id


def dispatch(sessions: sessionmaker[Session], settings: Settings, box: SecretBox) -> None:
    """Send everything due through the real apprise and webhook channels, until done."""
    delivery = settings.alerts.delivery
    channels = [
        AppriseChannel(delivery.send_timeout_s),
        WebhookChannel(settings.alerts.webhooks, delivery.send_timeout_s),
    ]
    dispatcher = Dispatcher(sessions, channels, delivery, box)
    deadline = time.monotonic() + 60  # a loaded machine: each apprise send may take seconds
    while dispatcher.run_once() or dispatcher.in_flight:
        assert time.monotonic() < deadline, "deliveries still in flight"
        time.sleep(0.05)
    dispatcher.close()


def gateway_calls(httpserver: HTTPServer, path: str) -> list[str]:
    """The basic-auth passwords the SMS gateway (``path``) was called with."""
    found = []
    for request, _ in httpserver.log:
        if request.path == path:
            user_pass = base64.b64decode(request.headers["Authorization"].split()[1]).decode()
            found.append(user_pass.split(":", 1)[1])
    return found


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[HTTPServer]:
    """The SMS gateway and webhook receiver (threaded: channels send side by side). DingTalk
    and WeCom (HTTPS, on the internet) fail at once, through a proxy that refuses, and so
    leave their errors in the store."""
    refusing = socket.socket()
    refusing.bind(("127.0.0.1", 0))  # bound and never listening: every connection is refused
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{refusing.getsockname()[1]}")
    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()
    for path in ("/sms", "/duty", "/hook"):
        server.expect_request(path, method="POST").respond_with_data("ok")
    yield server
    server.clear()
    server.stop()
    refusing.close()


def test_no_secret_is_in_clear_text_anywhere_in_the_store(
    database_url: str, engine: Engine, sessions, tmp_path: Path, gateway: HTTPServer
) -> None:
    settings = _settings(database_url, tmp_path / "data", gateway)
    import_town(settings, sessions, tmp_path, f"{gateway.host}:{gateway.port}")
    box = SecretBox.for_settings(settings)
    ctx = AlertContext(config=settings.alerts, box=box)
    alert_id = warn(ctx, sessions, "S1")
    dispatch(sessions, settings, box)

    # What a user notices: the SMS gateway, the policy's duty line and the webhook were
    # reached at their real URLs, credentials and token included.
    assert gateway_calls(gateway, "/sms") == [SMS_PASSWORD]
    assert gateway_calls(gateway, "/duty") == [POLICY_PASSWORD]
    hooks = [r for r, _ in gateway.log if r.path == "/hook"]
    assert hooks and all(r.args["token"] == WEBHOOK_TOKEN for r in hooks)

    assert clear_secrets(engine, SECRETS) == {}
    with sessions() as session:
        targets = dict(
            session.execute(
                select(Delivery.member_code, Delivery.target).where(Delivery.channel == "apprise")
            ).all()
        )
    assert targets["W11"] == f"json://…@{gateway.host}:{gateway.port}/…"
    with sessions() as session:
        shown = set(session.scalars(select(Delivery.target).where(Delivery.member_code == "W12")))
    assert {"dingtalk://…", "wecombot://…"} <= shown
    with sessions() as session:  # and every sealed value still opens with the hub's key
        assert audit(session, Base.metadata, box) == {}
        camera = session.scalars(select(Camera)).one()
        assert box.open(camera.stream_url) == f"rtsp://admin:{CAMERA_PASSWORD}@10.0.0.5:554/main"

    # Nothing the API answers, to an admin, shows a secret either.
    hub = Hub(settings=settings, engine=engine, sessions=sessions)
    with transaction(sessions) as session:
        header = auth_header(settings, make_user(session, "root", "admin"))
    with TestClient(create_app(hub, manage_services=False)) as client:
        for path in (f"/api/v1/alerts/{alert_id}", "/api/v1/members", "/api/v1/members/W12",
                     "/api/v1/cameras", "/api/v1/grids/G11/feeds"):  # fmt: skip
            response = client.get(path, headers=header)
            assert response.status_code == 200, (path, response.text)
            assert not [s for s in SECRETS if s in response.text], path
        member = client.get("/api/v1/members/W12", headers=header).json()
        assert member["notify_channels"] == ["dingtalk", "wecombot"]
        detail = client.get(f"/api/v1/alerts/{alert_id}", headers=header).json()
    shown_targets = {d["target"] for d in detail["deliveries"]}
    assert f"json://…@{gateway.host}:{gateway.port}/…" in shown_targets


def test_rotation_reseals_everything_and_deliveries_still_reach_their_targets(
    database_url: str, engine: Engine, sessions, tmp_path: Path, gateway: HTTPServer
) -> None:
    settings = _settings(database_url, tmp_path / "data", gateway)
    import_town(settings, sessions, tmp_path, f"{gateway.host}:{gateway.port}")
    running = SecretBox.for_settings(settings)  # a hub process that keeps running throughout
    ctx = AlertContext(config=settings.alerts, box=running)
    warn(ctx, sessions, "S1")  # queued before the rotation, sent after it
    first_key = derived_key(settings.secret())
    assert running.keys == (first_key,)

    result = cli(settings, "secrets", "rotate")

    lines = [line.strip() for line in result.stdout.splitlines()]
    assert "cameras.stream_url: 1 secret(s) re-sealed" in lines
    assert "cameras.snapshot_url: 1 secret(s) re-sealed" in lines
    assert "members.notify: 3 secret(s) re-sealed" in lines
    assert "alerts.policy: 2 secret(s) re-sealed" in lines
    # W11's SMS URL, the duty line, W12's DingTalk and WeCom URLs, the webhook
    assert "alert_deliveries.secret_target: 5 secret(s) re-sealed" in lines
    assert lines[-1].startswith("14 secret(s) re-sealed; 1 old key(s) retired")
    keys = read_keys(settings.data_dir / KEYS_FILE)
    assert len(keys) == 1 and keys[0] != first_key
    assert clear_secrets(engine, SECRETS) == {}
    with sessions() as session:
        assert audit(session, Base.metadata, SecretBox(keys)) == {}
        assert sum(audit(session, Base.metadata, SecretBox([first_key])).values()) == 14

    dispatch(sessions, settings, running)  # the running hub takes up the new key by itself
    assert gateway_calls(gateway, "/sms") == [SMS_PASSWORD]
    warn(ctx, sessions, "S2")  # sealed with the new key by a box built before the rotation
    dispatch(sessions, settings, SecretBox.for_settings(settings))  # a restarted hub
    assert gateway_calls(gateway, "/sms") == [SMS_PASSWORD, SMS_PASSWORD]
    with sessions() as session:
        member = session.scalar(select(Member).where(Member.code == "W11"))
        assert SecretBox(keys).open(member.notify[0]).startswith("json://sms:")


def test_a_store_that_will_not_open_keeps_every_key(
    database_url: str, engine: Engine, sessions, tmp_path: Path, gateway: HTTPServer
) -> None:
    settings = _settings(database_url, tmp_path / "data", gateway)
    import_town(settings, sessions, tmp_path, f"{gateway.host}:{gateway.port}")
    stranger = SecretBox([derived_key("another hub's secret key entirely")])
    with transaction(sessions) as session:
        camera = session.scalars(select(Camera)).one()
        camera.snapshot_url = stranger.seal("http://x:y@10.0.0.9/snap.jpg")
    result = invoke(settings, "secrets", "rotate")
    assert result.exit_code == 1
    assert "nothing retired, every key kept" in result.output
    keys = read_keys(settings.data_dir / KEYS_FILE)
    assert len(keys) == 2 and keys[1] == derived_key(settings.secret())
    with sessions() as session:  # the transaction rolled back: all still opens as before
        camera = session.scalars(select(Camera)).one()
        assert SecretBox([keys[1]]).open(camera.stream_url).endswith("@10.0.0.5:554/main")
