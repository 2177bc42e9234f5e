"""Registered cameras and their ONVIF devices: add a device to the registry, drive its PTZ."""

from dataclasses import asdict
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from sqlalchemy.orm import Session

from gridhub.cameras.models import Camera
from gridhub.cameras.onvif_client import (
    DeviceError,
    DeviceReport,
    DeviceUnsupported,
    OnvifDevice,
    parse_address,
)
from gridhub.cameras.registry import CameraRecord, GridOf, get_camera, import_cameras
from gridhub.secrets import SecretBox


async def read_device(address: str, user: str, password: str, timeout_s: float) -> DeviceReport:
    """Device information, profiles and URIs of the ONVIF device at ``HOST[:PORT]``."""
    host, port = parse_address(address)
    async with OnvifDevice(host, port, user, password, timeout_s) as device:
        return await device.read_all()


def register_device(
    session: Session,
    box: SecretBox,
    record: CameraRecord,
    report: DeviceReport,
    address: str,
    user: str,
    password: str,
    grid_of: GridOf,
) -> Camera:
    """Create or update the camera ``record`` with what its device reported; the caller commits."""
    host, port = parse_address(address)
    record = record.model_copy(
        update={
            "onvif_url": f"http://{host}:{port}/onvif/device_service",
            "stream_url": report.stream_url,
            "sub_stream_url": report.sub_stream_url,
            "snapshot_url": report.snapshot_url,
        }
    )
    import_cameras(session, [record], grid_of, box)
    camera = get_camera(session, record.code)
    assert camera is not None
    camera.onvif_user, camera.onvif_secret = user, box.seal(password)
    camera.onvif_profile = report.profiles[0].token
    camera.ptz = report.ptz
    camera.device = {**asdict(report.info), "profiles": [asdict(p) for p in report.profiles]}
    session.flush()
    return camera


class PtzCommand(BaseModel):
    """``move`` at a velocity (-1…1 each), ``stop``, or ``preset`` (go to a preset token)."""

    action: Literal["move", "stop", "preset"]
    pan: float = Field(0.0, ge=-1, le=1)
    tilt: float = Field(0.0, ge=-1, le=1)
    zoom: float = Field(0.0, ge=-1, le=1)
    preset: str | None = Field(None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _preset_given(self) -> "PtzCommand":
        if self.action == "preset" and self.preset is None:
            raise ValueError("preset is required for action 'preset'")
        return self


def open_device(camera: Camera, box: SecretBox, timeout_s: float) -> OnvifDevice:
    """An ONVIF session with the camera's stored (decrypted) credentials."""
    if not camera.onvif_url:
        raise DeviceUnsupported(f"camera {camera.code} has no ONVIF endpoint")
    host, port = parse_address(box.open(camera.onvif_url))
    password = box.open(camera.onvif_secret) if camera.onvif_secret else ""
    return OnvifDevice(host, port, camera.onvif_user or "", password, timeout_s)


async def ptz(camera: Camera, box: SecretBox, command: PtzCommand, timeout_s: float) -> None:
    """Send ``command`` to the camera's PTZ; DeviceError says what went wrong."""
    if not camera.ptz:
        raise DeviceUnsupported(f"camera {camera.code} has no PTZ")
    profile = camera.onvif_profile
    if profile is None:
        raise DeviceError(f"camera {camera.code} has no ONVIF profile; add it again")
    async with open_device(camera, box, timeout_s) as device:
        if command.action == "move":
            await device.continuous_move(profile, command.pan, command.tilt, command.zoom)
        elif command.action == "stop":
            await device.stop(profile)
        else:
            await device.goto_preset(profile, command.preset or "")
