"""Camera logins, registered once, used wherever the camera is opened: probing, snapshots
(RTSP frame, and a snapshot URI asking for basic auth) and live view, against GStreamer's RTSP
server asking for a login (digest and basic). A wrong password is said as such in health."""

import asyncio
import logging
from collections.abc import Iterator

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from gridhub.api.app import create_app
from gridhub.cameras.logins import LOGIN_FAILED, LOGIN_NEEDED, Login
from gridhub.cameras.probe import ProbeTarget, probe_pool, probe_stream
from gridhub.cameras.registry import CameraRecord, get_camera, import_cameras
from gridhub.cameras.service import CamerasService, probe_all
from gridhub.cameras.snapshots import JPEG_MAGIC, SnapshotCache, SnapshotError, Source
from gridhub.config import load_settings
from gridhub.db import transaction
from gridhub.hub import Hub
from tests.cameras.conftest import FAST
from tests.support.factories import auth_header, make_user
from tests.support.rtsp import RtspServer
from tests.support.services import free_port, unavailable

LOGIN = Login("admin", "Hik:vision@1")  # characters a URL must quote


def server(auth: str) -> Iterator[RtspServer]:
    missing = RtspServer.available()
    if missing:
        unavailable(missing)
    with RtspServer(free_port(), login=(LOGIN.user, LOGIN.password), auth=auth) as running:
        yield running


@pytest.fixture(scope="module", params=["digest", "basic"])
def locked(request: pytest.FixtureRequest) -> Iterator[RtspServer]:
    yield from server(request.param)


@pytest.mark.parametrize(
    ("login", "status", "reason"),
    [
        (LOGIN, "online", None),
        (Login("admin", "wrong"), "offline", LOGIN_FAILED),
        (None, "offline", LOGIN_NEEDED),
    ],
    ids=["registered login", "wrong password", "no login"],
)
def test_a_stream_asking_for_a_login_probes_with_the_registered_one(
    locked: RtspServer,
    login: Login | None,
    status: str,
    reason: str | None,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    result = probe_stream(ProbeTarget("CAM1", locked.url("ball"), login), FAST)
    assert (result.status, result.reason) == (status, reason)
    printed = "".join(capfd.readouterr()) + caplog.text  # FFmpeg's errors name the URL
    assert login is None or login.password not in printed + repr(result)


def test_the_login_is_never_in_what_is_shown() -> None:
    target = ProbeTarget("CAM1", "rtsp://10.0.0.1/main", LOGIN)
    assert LOGIN.password not in repr(target)


def basic_snapshot(request: Request) -> Response:
    """A camera's snapshot URI that asks for basic authentication only."""
    if request.authorization and (
        request.authorization.username,
        request.authorization.password,
    ) == (
        LOGIN.user,
        LOGIN.password,
    ):
        _ok, jpeg = cv2.imencode(".jpg", np.zeros((48, 64, 3), np.uint8))
        return Response(jpeg.tobytes(), content_type="image/jpeg")
    return Response(status=401, headers={"WWW-Authenticate": 'Basic realm="camera"'})


def test_a_snapshot_uri_asking_for_basic_auth_gets_the_login(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/snapshot.jpg").respond_with_handler(basic_snapshot)
    url = httpserver.url_for("/snapshot.jpg")
    picture = asyncio.run(SnapshotCache(FAST).get(Source("CAM1", url, None, LOGIN)))
    assert picture.startswith(JPEG_MAGIC)
    with pytest.raises(SnapshotError, match="snapshot URI refused the registered login"):
        asyncio.run(SnapshotCache(FAST).get(Source("CAM2", url, None, Login("admin", "x"))))


@pytest.fixture(scope="module")
def digest_rtsp() -> Iterator[RtspServer]:
    yield from server("digest")


@pytest.fixture
def api(database_url, engine, sessions, tmp_path, grid_of, digest_rtsp):
    """The API over two cameras on a stream asking for a login: CAM1 with it registered,
    CAM2 with a wrong password."""
    settings = load_settings(database_url=database_url, data_dir=tmp_path)
    service = CamerasService(settings, sessions)
    hub = Hub(settings=settings, engine=engine, sessions=sessions, services=[service])
    hub.cameras = service
    url = digest_rtsp.url("ball")
    with transaction(sessions) as session:
        records = [
            CameraRecord(
                code=code, name=code, kind="fixed", lon=118.805, lat=32.005, stream_url=url
            )
            for code in ("CAM1", "CAM2")
        ]
        import_cameras(session, records, grid_of, service.box)
        for code, password in (("CAM1", LOGIN.password), ("CAM2", "wrong")):
            camera = get_camera(session, code)
            camera.onvif_user, camera.onvif_secret = LOGIN.user, service.box.seal(password)
        headers = auth_header(settings, make_user(session, "root", "admin"))
    with TestClient(create_app(hub, manage_services=False)) as client:
        yield client, service, settings, headers


def test_registered_once_the_login_opens_snapshots_live_view_and_probes(api, sessions) -> None:
    client, service, settings, headers = api
    snapshot = client.get("/api/v1/cameras/CAM1/snapshot", headers=headers)
    assert snapshot.status_code == 200 and snapshot.content.startswith(JPEG_MAGIC)
    live = client.get("/api/v1/cameras/CAM1/live?frames=2", headers=headers)
    assert live.status_code == 200 and live.content.count(b"Content-Type: image/jpeg") == 2
    refused = client.get("/api/v1/cameras/CAM2/snapshot", headers=headers)
    assert refused.status_code == 502
    pool = probe_pool(FAST)
    try:
        results, _ = probe_all(
            sessions, settings.model_copy(update={"cameras": FAST}), pool, service.box
        )
    finally:
        pool.shutdown()
    by_code = {result.code: result for result in results}
    assert by_code["CAM1"].status == "online"
    assert (by_code["CAM2"].status, by_code["CAM2"].reason) == ("offline", LOGIN_FAILED)
    cameras = client.get("/api/v1/cameras", headers=headers).json()
    text = str(cameras)
    assert LOGIN.password not in text and "wrong" not in text
