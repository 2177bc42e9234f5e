"""ONVIF import and PTZ through the production client against a SOAP test device."""

import asyncio

import pytest
from sqlalchemy.orm import Session, sessionmaker

from gridhub.cameras.onvif_cameras import PtzCommand, ptz, read_device, register_device
from gridhub.cameras.onvif_client import (
    DeviceAuthError,
    DeviceUnreachable,
    DeviceUnsupported,
    OnvifDevice,
)
from gridhub.cameras.registry import CameraRecord, camera_feature, get_camera
from gridhub.secrets import SecretBox, derived_key
from tests.support.onvif_device import ONVIF_TIMEOUT_S
from tests.support.onvif_device import OnvifDevice as SoapDevice
from tests.support.services import free_port

BOX = SecretBox([derived_key("a test secret key, long enough")])


@pytest.fixture
def device():
    with SoapDevice(free_port(), rtsp_url="rtsp://127.0.0.1:8554/cam") as running:
        yield running


def test_add_reads_device_into_registry_with_sealed_password(sessions, grid_of, device):
    address = f"127.0.0.1:{device.port}"
    report = asyncio.run(read_device(address, "admin", "secret-pass", ONVIF_TIMEOUT_S))

    assert (report.info.manufacturer, report.info.model, report.info.serial) == (
        "Gridhub Test",
        "TD-1",
        "SN0001",
    )
    assert [(p.token, p.width, p.height) for p in report.profiles] == [
        ("main", 1920, 1080),
        ("sub", 640, 360),
    ]
    assert report.stream_url == "rtsp://127.0.0.1:8554/cam"
    assert report.sub_stream_url == "rtsp://127.0.0.1:8554/cam?profile=sub"
    assert report.snapshot_url == f"http://127.0.0.1:{device.port}/snapshot.jpg"
    assert report.ptz
    operations = {r.operation for r in device.requests}
    assert {"GetDeviceInformation", "GetProfiles", "GetStreamUri", "GetSnapshotUri"} <= operations

    record = CameraRecord(code="ONV1", name="river PTZ", kind="ptz", lon=118.805, lat=32.005)
    with sessions() as session, session.begin():
        register_device(session, BOX, record, report, address, "admin", "secret-pass", grid_of)
    with sessions() as session:
        camera = get_camera(session, "ONV1")
        assert camera.grid.code == "G11" and camera.ptz
        assert camera.onvif_secret and "secret-pass" not in camera.onvif_secret
        assert BOX.open(camera.onvif_secret) == "secret-pass"
        assert "secret-pass" not in str(camera_feature(camera))
        assert camera_feature(camera)["properties"]["device"]["model"] == "TD-1"


def test_ptz_calls_reach_the_device(sessions: sessionmaker[Session], grid_of, device):
    address = f"127.0.0.1:{device.port}"
    report = asyncio.run(read_device(address, "admin", "secret-pass", ONVIF_TIMEOUT_S))
    record = CameraRecord(code="ONV1", name="river PTZ", kind="ptz", lon=118.805, lat=32.005)
    with sessions() as session, session.begin():
        register_device(session, BOX, record, report, address, "admin", "secret-pass", grid_of)
    with sessions() as session:
        camera = get_camera(session, "ONV1")
    device.requests.clear()

    asyncio.run(ptz(camera, BOX, PtzCommand(action="move", pan=0.5, tilt=-0.25), 5))
    asyncio.run(ptz(camera, BOX, PtzCommand(action="stop"), 5))
    asyncio.run(ptz(camera, BOX, PtzCommand(action="preset", preset="2"), 5))

    move = device.calls("ContinuousMove")[0].body
    assert 'x="0.5"' in move and 'y="-0.25"' in move and "<ns0:ProfileToken>main" in move
    assert len(device.calls("Stop")) == 1
    assert "<ns0:PresetToken>2</ns0:PresetToken>" in device.calls("GotoPreset")[0].body


def test_wrong_password_is_a_clear_error(device):
    with pytest.raises(DeviceAuthError, match="wrong user name or password"):
        asyncio.run(read_device(f"127.0.0.1:{device.port}", "admin", "guess", 5))
    # the device saw digests and refused them: nothing was read
    assert not device.calls("GetDeviceInformation")


def test_unreachable_host_is_a_clear_error():
    with pytest.raises(DeviceUnreachable, match="cannot connect"):
        asyncio.run(read_device(f"127.0.0.1:{free_port()}", "admin", "x", 3))


def test_device_without_ptz_says_so():
    async def stop() -> None:
        async with OnvifDevice(
            "127.0.0.1", plain.port, "admin", "secret-pass", ONVIF_TIMEOUT_S
        ) as device:
            await device.stop("main")

    with SoapDevice(free_port(), ptz=False) as plain:
        report = asyncio.run(
            read_device(f"127.0.0.1:{plain.port}", "admin", "secret-pass", ONVIF_TIMEOUT_S)
        )
        assert not report.ptz
        with pytest.raises(DeviceUnsupported, match="has no PTZ"):
            asyncio.run(stop())
