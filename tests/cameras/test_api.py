"""The cameras API: scoped GeoJSON, per-grid feeds, health shares, PTZ, snapshots, MJPEG."""

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from gridhub.api.app import create_app
from gridhub.cameras.models import CameraStatusChange
from gridhub.cameras.onvif_cameras import read_device, register_device
from gridhub.cameras.registry import CameraRecord, get_camera, import_cameras
from gridhub.cameras.service import CamerasService
from gridhub.config import load_settings
from gridhub.db import transaction, utcnow
from gridhub.hub import Hub
from tests.support.factories import auth_header, make_user
from tests.support.onvif_device import ONVIF_TIMEOUT_S
from tests.support.onvif_device import OnvifDevice as SoapDevice
from tests.support.services import free_port


@pytest.fixture
def device(rtsp_server) -> Iterator[SoapDevice]:
    with SoapDevice(free_port(), rtsp_url=rtsp_server.url("ball")) as running:
        yield running


@pytest.fixture
def api(database_url, engine, sessions, tmp_path, grid_of, rtsp_server, device):
    """A client, the hub's cameras service, and headers of an admin, a V1 operator, a viewer."""
    settings = load_settings(
        database_url=database_url,
        data_dir=tmp_path,
        cameras={"live_max_viewers": 1, "snapshot_cache_s": 30, "live_fps": 10},
    )
    service = CamerasService(settings, sessions)
    hub = Hub(settings=settings, engine=engine, sessions=sessions, services=[service])
    hub.cameras = service
    report = asyncio.run(
        read_device(f"127.0.0.1:{device.port}", "admin", "secret-pass", ONVIF_TIMEOUT_S)
    )
    with transaction(sessions) as session:
        import_cameras(
            session,
            [
                CameraRecord(
                    code="CAM1",
                    name="gate",
                    kind="fixed",
                    lon=118.805,
                    lat=32.005,
                    stream_url=rtsp_server.url("ball"),
                ),
                CameraRecord(
                    code="CAM3",
                    name="farm",
                    kind="fixed",
                    lon=118.825,
                    lat=32.005,
                    stream_url=rtsp_server.url("black"),
                ),
            ],
            grid_of,
            service.box,
        )
        record = CameraRecord(code="PTZ1", name="river", kind="ptz", lon=118.815, lat=32.005)
        address = f"127.0.0.1:{device.port}"
        register_device(
            session, service.box, record, report, address, "admin", "secret-pass", grid_of
        )
        users = {
            "admin": make_user(session, "root", "admin"),
            "v1": make_user(session, "v1op", "operator", scope="V1"),
            "viewer": make_user(session, "look", "viewer"),
        }
        headers = {name: auth_header(settings, user) for name, user in users.items()}
    with TestClient(create_app(hub, manage_services=False)) as client:
        yield client, service, headers


def codes(collection: dict) -> list[str]:
    return [feature["id"] for feature in collection["features"]]


def test_cameras_geojson_is_scoped_and_holds_no_secrets(api):
    client, _, headers = api
    everything = client.get("/api/v1/cameras", headers=headers["admin"])
    assert everything.status_code == 200
    assert codes(everything.json()) == ["CAM1", "CAM3", "PTZ1"]
    assert "secret-pass" not in everything.text and "gAAAA" not in everything.text
    assert "rtsp://" not in everything.text  # stream URLs may embed credentials
    scoped = client.get("/api/v1/cameras", headers=headers["v1"]).json()
    assert codes(scoped) == ["CAM1", "PTZ1"]  # G11 and G12 are in V1; CAM3 (G21) is not
    assert client.get("/api/v1/cameras", headers={}).status_code == 401


def test_grid_feeds(api):
    client, _, headers = api
    feeds = client.get("/api/v1/grids/G12/feeds", headers=headers["v1"])
    assert feeds.status_code == 200 and codes(feeds.json()) == ["PTZ1"]
    outside = client.get("/api/v1/grids/G21/feeds", headers=headers["v1"])
    assert outside.status_code == 404


def test_snapshot_frame_grab_is_a_jpeg_and_cached(api):
    client, service, headers = api
    first = client.get("/api/v1/cameras/CAM1/snapshot", headers=headers["v1"])
    assert first.status_code == 200 and first.headers["content-type"] == "image/jpeg"
    picture = cv2.imdecode(np.frombuffer(first.content, np.uint8), cv2.IMREAD_COLOR)
    assert picture.shape == (240, 320, 3)
    again = client.get("/api/v1/cameras/CAM1/snapshot", headers=headers["admin"])
    assert again.content == first.content and service.snapshots.fetches == 1
    hidden = client.get("/api/v1/cameras/CAM3/snapshot", headers=headers["v1"])
    assert hidden.status_code == 404


def test_snapshot_from_onvif_snapshot_uri(api):
    client, _, headers = api
    response = client.get("/api/v1/cameras/PTZ1/snapshot", headers=headers["admin"])
    assert response.status_code == 200
    picture = cv2.imdecode(np.frombuffer(response.content, np.uint8), cv2.IMREAD_COLOR)
    assert picture.shape == (240, 320, 3)  # the test device's own picture, not a frame


def test_live_mjpeg_parts_decode_and_viewers_are_limited(api):
    client, service, headers = api
    response = client.get("/api/v1/cameras/CAM1/live?frames=3", headers=headers["admin"])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("multipart/x-mixed-replace")
    parts = [p for p in response.content.split(b"--frame\r\n") if p]
    assert len(parts) == 3
    for part in parts:
        head, jpeg = part.split(b"\r\n\r\n", 1)
        assert b"Content-Type: image/jpeg" in head
        frame = cv2.imdecode(np.frombuffer(jpeg.removesuffix(b"\r\n"), np.uint8), cv2.IMREAD_COLOR)
        assert frame.shape == (240, 320, 3)
    assert service.live.viewers["CAM1"] == 0  # the slot is given back

    with client.stream("GET", "/api/v1/cameras/CAM1/live", headers=headers["admin"]) as first:
        assert first.status_code == 200
        next(first.iter_bytes())
        second = client.get("/api/v1/cameras/CAM1/live?frames=1", headers=headers["admin"])
        assert second.status_code == 429 and "live viewers" in second.json()["detail"]


def test_ptz_moves_the_device_and_is_refused_clearly(api, device):
    client, _, headers = api
    url = "/api/v1/cameras/PTZ1/ptz"
    moved = client.post(url, json={"action": "move", "pan": 0.3}, headers=headers["v1"])
    assert moved.status_code == 204
    assert 'x="0.3"' in device.calls("ContinuousMove")[-1].body
    assert client.post(url, json={"action": "stop"}, headers=headers["v1"]).status_code == 204
    goto = client.post(url, json={"action": "preset", "preset": "1"}, headers=headers["v1"])
    assert goto.status_code == 204 and device.calls("GotoPreset")
    assert client.post(url, json={"action": "stop"}, headers=headers["viewer"]).status_code == 403
    no_preset = client.post(url, json={"action": "preset"}, headers=headers["v1"])
    assert no_preset.status_code == 422
    fixed = client.post(
        "/api/v1/cameras/CAM1/ptz", json={"action": "stop"}, headers=headers["admin"]
    )
    assert fixed.status_code == 409 and "has no PTZ" in fixed.json()["detail"]


def test_health_shares_per_region(api, sessions):
    client, _, headers = api
    now = utcnow()
    with transaction(sessions) as session:  # CAM1 online for the last 12 h; CAM3 offline
        for code, status, hours in (("CAM1", "online", 12), ("CAM3", "offline", 30)):
            camera = get_camera(session, code)
            camera.status = status
            at = now - timedelta(hours=hours)
            session.add(CameraStatusChange(camera_id=camera.id, status=status, at=at))
    rows = client.get("/api/v1/cameras/health?region=T1", headers=headers["admin"]).json()
    by_code = {row["code"]: row for row in rows}
    # T1 holds CAM1 (G11), PTZ1 (G12, never probed: not online) and CAM3 (G21)
    assert by_code["T1"]["cameras"] == 3 and by_code["T1"]["share_now"] == pytest.approx(
        1 / 3, abs=1e-3
    )
    assert by_code["G11"]["share_24h"] == pytest.approx(0.5, abs=0.01)
    assert by_code["G21"]["share_7d"] == 0.0
    assert by_code["T1"]["share_24h"] == pytest.approx(0.5 / 3, abs=0.01)
    assert by_code["G12"]["share_now"] == 0.0
    scoped = client.get("/api/v1/cameras/health", headers=headers["v1"]).json()
    assert {row["code"] for row in scoped} == {"V1", "G11", "G12"}
    refused = client.get("/api/v1/cameras/health?region=T2", headers=headers["v1"])
    assert refused.status_code == 404
