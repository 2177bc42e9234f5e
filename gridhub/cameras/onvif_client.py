"""Every ONVIF call the hub makes, through onvif-zeep-async, answered with dataclasses.

onvif-zeep (2018) breaks outside a plain venv and does network I/O in its constructor; its
maintained fork onvif-zeep-async (the one Home Assistant uses) is used instead.
"""

import asyncio
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import zeep.exceptions
from onvif import ONVIFCamera
from onvif.exceptions import ONVIFAuthError, ONVIFError, ONVIFTimeoutError

DEFAULT_PORT = 80
AUTH_FAULTS = ("notauthorized", "not authorized", "failedauthentication", "invalidsecurity")


class DeviceError(Exception):
    """An ONVIF device could not do what was asked; the message says why."""


class DeviceUnreachable(DeviceError):
    pass


class DeviceAuthError(DeviceError):
    pass


class DeviceUnsupported(DeviceError):
    """The device lacks the capability (no PTZ, no snapshots…)."""


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    manufacturer: str
    model: str
    firmware: str
    serial: str
    hardware_id: str


@dataclass(frozen=True, slots=True)
class Profile:
    token: str
    name: str
    encoding: str | None
    width: int | None
    height: int | None
    ptz: bool


@dataclass(frozen=True, slots=True)
class Preset:
    token: str
    name: str | None


@dataclass(frozen=True, slots=True)
class DeviceReport:
    """What ``gridhub cameras add`` records: the main and sub streams, the snapshot URI."""

    info: DeviceInfo
    profiles: tuple[Profile, ...]
    stream_url: str
    sub_stream_url: str | None
    snapshot_url: str | None
    ptz: bool


def parse_address(address: str) -> tuple[str, int]:
    """``HOST[:PORT]`` or an ONVIF URL ``http://host:port/onvif/device_service``."""
    url = urlsplit(address if "://" in address else f"http://{address}")
    if not url.hostname:
        raise DeviceError(f"not a device address: {address!r} (use HOST[:PORT])")
    try:
        return url.hostname, url.port or DEFAULT_PORT
    except ValueError:
        raise DeviceError(f"bad port in device address {address!r}") from None


class OnvifDevice:
    """One ONVIF device session: ``async with OnvifDevice(...) as device: ...``."""

    def __init__(self, host: str, port: int, user: str, password: str, timeout_s: float = 10.0):
        self.host, self.port, self.timeout_s = host, port, timeout_s
        self._camera = ONVIFCamera(host, port, user, password, adjust_time=True)

    @property
    def where(self) -> str:
        return f"ONVIF device {self.host}:{self.port}"

    async def __aenter__(self) -> "OnvifDevice":
        try:
            await self._call(self._camera.update_xaddrs())
        except BaseException:
            await self._camera.close()
            raise
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._camera.close()

    async def _call(self, awaitable: Any) -> Any:
        """Await an ONVIF call, turning the library's many failures into DeviceErrors."""
        try:
            return await asyncio.wait_for(awaitable, self.timeout_s)
        except (TimeoutError, ONVIFTimeoutError):
            raise DeviceUnreachable(f"{self.where}: no answer in {self.timeout_s:g} s") from None
        except ONVIFAuthError:
            raise DeviceAuthError(f"{self.where}: wrong user name or password") from None
        except zeep.exceptions.Fault as fault:
            raise _fault_error(self.where, fault) from None
        except (aiohttp.ClientError, OSError, zeep.exceptions.TransportError) as exc:
            raise DeviceUnreachable(f"{self.where}: cannot connect ({exc})") from None
        except ONVIFError as exc:
            cause = exc.__cause__ or exc
            if isinstance(cause, (aiohttp.ClientError, OSError)):
                raise DeviceUnreachable(f"{self.where}: cannot connect ({cause})") from None
            if "support" in str(exc).lower():
                raise DeviceUnsupported(f"{self.where}: {exc}") from None
            raise DeviceError(f"{self.where}: {exc}") from None

    async def _service(self, name: str) -> Any:
        if name == "ptz" and not any("ptz" in ns for ns in self._camera.xaddrs):
            raise DeviceUnsupported(f"{self.where} has no PTZ")
        return await self._call(self._camera.create_onvif_service(name))

    async def information(self) -> DeviceInfo:
        devicemgmt = await self._service("devicemgmt")
        info = await self._call(devicemgmt.GetDeviceInformation())
        return DeviceInfo(
            info.Manufacturer, info.Model, info.FirmwareVersion, info.SerialNumber, info.HardwareId
        )

    async def profiles(self) -> list[Profile]:
        media = await self._service("media")
        result = []
        for profile in await self._call(media.GetProfiles()) or []:
            encoder = profile.VideoEncoderConfiguration
            resolution = encoder.Resolution if encoder is not None else None
            result.append(
                Profile(
                    token=profile.token,
                    name=profile.Name,
                    encoding=encoder.Encoding if encoder is not None else None,
                    width=resolution.Width if resolution is not None else None,
                    height=resolution.Height if resolution is not None else None,
                    ptz=profile.PTZConfiguration is not None,
                )
            )
        return result

    async def stream_uri(self, profile: str) -> str:
        media = await self._service("media")
        request = {
            "StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}},
            "ProfileToken": profile,
        }
        return (await self._call(media.GetStreamUri(request))).Uri

    async def snapshot_uri(self, profile: str) -> str | None:
        media = await self._service("media")
        try:
            return (await self._call(media.GetSnapshotUri({"ProfileToken": profile}))).Uri
        except DeviceUnsupported:
            return None

    async def read_all(self) -> DeviceReport:
        """Device information, profiles, main/sub stream URIs and the snapshot URI."""
        info = await self.information()
        profiles = await self.profiles()
        if not profiles:
            raise DeviceUnsupported(f"{self.where} has no media profiles")
        main = profiles[0]
        sub = profiles[1] if len(profiles) > 1 else None
        return DeviceReport(
            info=info,
            profiles=tuple(profiles),
            stream_url=await self.stream_uri(main.token),
            sub_stream_url=await self.stream_uri(sub.token) if sub else None,
            snapshot_url=await self.snapshot_uri(main.token),
            ptz=any(p.ptz for p in profiles) and any("ptz" in ns for ns in self._camera.xaddrs),
        )

    async def continuous_move(self, profile: str, pan: float, tilt: float, zoom: float) -> None:
        ptz = await self._service("ptz")
        velocity = {"PanTilt": {"x": pan, "y": tilt}, "Zoom": {"x": zoom}}
        await self._call(ptz.ContinuousMove({"ProfileToken": profile, "Velocity": velocity}))

    async def stop(self, profile: str) -> None:
        ptz = await self._service("ptz")
        request = {"ProfileToken": profile, "PanTilt": True, "Zoom": True}
        await self._call(ptz.Stop(request))

    async def presets(self, profile: str) -> list[Preset]:
        ptz = await self._service("ptz")
        found = await self._call(ptz.GetPresets({"ProfileToken": profile})) or []
        return [Preset(p.token, p.Name) for p in found]

    async def goto_preset(self, profile: str, preset: str) -> None:
        ptz = await self._service("ptz")
        await self._call(ptz.GotoPreset({"ProfileToken": profile, "PresetToken": preset}))


def _fault_error(where: str, fault: zeep.exceptions.Fault) -> DeviceError:
    codes = " ".join(str(part) for part in (fault.code, fault.subcodes) if part)
    text = f"{fault.message} {codes}".lower()
    if any(name in text for name in AUTH_FAULTS):
        return DeviceAuthError(f"{where}: wrong user name or password ({fault.message})")
    if "actionnotsupported" in text or "nosuch" in text:
        return DeviceUnsupported(f"{where}: not supported by the device ({fault.message})")
    return DeviceError(f"{where}: the device refused: {fault.message}")
