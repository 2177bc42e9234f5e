"""A small ONVIF device on localhost speaking real SOAP 1.2 with WS-Security digest auth.

Answers the operations the hub uses with canned, schema-valid envelopes chosen by the first
element of the SOAP Body, records every request, and serves a JPEG snapshot. No ONVIF
simulator can be installed here; this follows onvif-zeep-async's own test practice.
"""

import asyncio
import base64
import hashlib
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import cv2
import numpy as np
from aiohttp import web
from lxml import etree

SOAP = "http://www.w3.org/2003/05/soap-envelope"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
NS = (
    f'xmlns:env="{SOAP}" xmlns:tt="http://www.onvif.org/ver10/schema" '
    'xmlns:tds="http://www.onvif.org/ver10/device/wsdl" '
    'xmlns:trt="http://www.onvif.org/ver10/media/wsdl" '
    'xmlns:tptz="http://www.onvif.org/ver20/ptz/wsdl" '
    'xmlns:ter="http://www.onvif.org/ver10/error"'
)
UNAUTHENTICATED = {"GetSystemDateAndTime"}  # the ONVIF core spec lets anyone read the clock
ONVIF_TIMEOUT_S = 15.0
"""Client timeout in tests: generous, because a loaded CI machine answers SOAP slowly."""
MAX_CLOCK_SKEW = timedelta(minutes=5)


@dataclass
class Request:
    service: str
    operation: str
    body: str


@dataclass
class OnvifDevice:
    """Run with ``with OnvifDevice(port, ...) as device:``; ``device.requests`` records calls."""

    port: int
    username: str = "admin"
    password: str = "secret-pass"
    rtsp_url: str = "rtsp://127.0.0.1:8554/ball"
    ptz: bool = True
    requests: list[Request] = field(default_factory=list)
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def calls(self, operation: str) -> list[Request]:
        return [r for r in self.requests if r.operation == operation]

    def __enter__(self) -> "OnvifDevice":
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("ONVIF test device did not start")
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(5)

    def _run(self, ready: threading.Event) -> None:
        self._loop = asyncio.new_event_loop()
        app = web.Application()
        app.router.add_post("/onvif/{service}", self._soap)
        app.router.add_get("/snapshot.jpg", self._snapshot)
        runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(runner.setup())
        self._loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.port).start())
        ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())
        self._loop.close()

    async def _snapshot(self, _request: web.Request) -> web.Response:
        picture = np.zeros((240, 320, 3), np.uint8)
        cv2.putText(picture, "ONVIF", (60, 130), cv2.FONT_HERSHEY_SIMPLEX, 2, (0, 255, 0), 3)
        _ok, jpeg = cv2.imencode(".jpg", picture)
        return web.Response(body=jpeg.tobytes(), content_type="image/jpeg")

    async def _soap(self, request: web.Request) -> web.Response:
        text = await request.text()
        envelope = etree.fromstring(text.encode())
        body = envelope.find(f"{{{SOAP}}}Body")
        first = body[0] if body is not None and len(body) else None
        operation = etree.QName(first).localname if first is not None else ""
        service = request.match_info["service"]
        self.requests.append(Request(service, operation, text))
        if operation not in UNAUTHENTICATED and not self._authorized(envelope):
            return _fault("ter:NotAuthorized", "Sender not authorized", status=400)
        if service == "ptz_service" and not self.ptz:
            return _fault("ter:ActionNotSupported", "PTZ is not supported", status=400)
        handler = getattr(self, f"_{operation}", None)
        if handler is None:
            return _fault("ter:ActionNotSupported", f"{operation} is not supported", status=400)
        return _envelope(handler(first))

    def _authorized(self, envelope: etree._Element) -> bool:
        """WS-Security UsernameToken with a password digest over nonce, created and password."""
        token = envelope.find(f".//{{{WSSE}}}UsernameToken")
        if token is None:
            return False
        username = token.findtext(f"{{{WSSE}}}Username")
        digest = token.findtext(f"{{{WSSE}}}Password")
        nonce = token.findtext(f"{{{WSSE}}}Nonce")
        created = token.findtext(f"{{{WSU}}}Created")
        if None in (username, digest, nonce, created) or username != self.username:
            return False
        when = datetime.fromisoformat(created.replace("Z", "+00:00"))
        if abs(datetime.now(UTC) - when) > MAX_CLOCK_SKEW:
            return False
        raw = base64.b64decode(nonce) + created.encode() + self.password.encode()
        return base64.b64encode(hashlib.sha1(raw).digest()).decode() == digest

    # -- device management -------------------------------------------------------------

    def _GetSystemDateAndTime(self, _body: etree._Element) -> str:
        now = datetime.now(UTC)
        return (
            "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>"
            "<tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>"
            "<tt:TimeZone><tt:TZ>CST-8</tt:TZ></tt:TimeZone><tt:UTCDateTime>"
            f"<tt:Time><tt:Hour>{now.hour}</tt:Hour><tt:Minute>{now.minute}</tt:Minute>"
            f"<tt:Second>{now.second}</tt:Second></tt:Time>"
            f"<tt:Date><tt:Year>{now.year}</tt:Year><tt:Month>{now.month}</tt:Month>"
            f"<tt:Day>{now.day}</tt:Day></tt:Date>"
            "</tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>"
        )

    def _services(self) -> list[tuple[str, str]]:
        services = [
            ("http://www.onvif.org/ver10/device/wsdl", "device_service"),
            ("http://www.onvif.org/ver10/media/wsdl", "media_service"),
        ]
        if self.ptz:
            services.append(("http://www.onvif.org/ver20/ptz/wsdl", "ptz_service"))
        return services

    def _GetServices(self, _body: etree._Element) -> str:
        items = "".join(
            f"<tds:Service><tds:Namespace>{ns}</tds:Namespace>"
            f"<tds:XAddr>{self.base}/onvif/{path}</tds:XAddr>"
            "<tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version>"
            "</tds:Service>"
            for ns, path in self._services()
        )
        return f"<tds:GetServicesResponse>{items}</tds:GetServicesResponse>"

    def _GetCapabilities(self, _body: etree._Element) -> str:
        ptz = f"<tt:PTZ><tt:XAddr>{self.base}/onvif/ptz_service</tt:XAddr></tt:PTZ>"
        return (
            "<tds:GetCapabilitiesResponse><tds:Capabilities>"
            f"<tt:Device><tt:XAddr>{self.base}/onvif/device_service</tt:XAddr></tt:Device>"
            f"<tt:Media><tt:XAddr>{self.base}/onvif/media_service</tt:XAddr>"
            "<tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast>"
            "<tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP>"
            "</tt:StreamingCapabilities></tt:Media>"
            f"{ptz if self.ptz else ''}"
            "</tds:Capabilities></tds:GetCapabilitiesResponse>"
        )

    def _GetDeviceInformation(self, _body: etree._Element) -> str:
        return (
            "<tds:GetDeviceInformationResponse>"
            "<tds:Manufacturer>Gridhub Test</tds:Manufacturer><tds:Model>TD-1</tds:Model>"
            "<tds:FirmwareVersion>1.2.3</tds:FirmwareVersion>"
            "<tds:SerialNumber>SN0001</tds:SerialNumber><tds:HardwareId>HW1</tds:HardwareId>"
            "</tds:GetDeviceInformationResponse>"
        )

    # -- media -----------------------------------------------------------------------

    def _GetProfiles(self, _body: etree._Element) -> str:
        profiles = "".join(
            _profile(token, name, width, height, self.ptz)
            for token, name, width, height in (
                ("main", "mainStream", 1920, 1080),
                ("sub", "subStream", 640, 360),
            )
        )
        return f"<trt:GetProfilesResponse>{profiles}</trt:GetProfilesResponse>"

    def _GetStreamUri(self, body: etree._Element) -> str:
        token = body.findtext("{http://www.onvif.org/ver10/media/wsdl}ProfileToken")
        uri = self.rtsp_url if token == "main" else f"{self.rtsp_url}?profile={token}"
        return f"<trt:GetStreamUriResponse>{_media_uri(uri)}</trt:GetStreamUriResponse>"

    def _GetSnapshotUri(self, _body: etree._Element) -> str:
        uri = f"{self.base}/snapshot.jpg"
        return f"<trt:GetSnapshotUriResponse>{_media_uri(uri)}</trt:GetSnapshotUriResponse>"

    # -- PTZ -------------------------------------------------------------------------

    def _GetNodes(self, _body: etree._Element) -> str:
        space = "http://www.onvif.org/ver10/tptz/PanTiltSpaces/VelocityGenericSpace"
        return (
            '<tptz:GetNodesResponse><tptz:PTZNode token="ptz0"><tt:Name>PTZ</tt:Name>'
            "<tt:SupportedPTZSpaces><tt:ContinuousPanTiltVelocitySpace>"
            f"<tt:URI>{space}</tt:URI>"
            "<tt:XRange><tt:Min>-1</tt:Min><tt:Max>1</tt:Max></tt:XRange>"
            "<tt:YRange><tt:Min>-1</tt:Min><tt:Max>1</tt:Max></tt:YRange>"
            "</tt:ContinuousPanTiltVelocitySpace></tt:SupportedPTZSpaces>"
            "<tt:MaximumNumberOfPresets>8</tt:MaximumNumberOfPresets>"
            "<tt:HomeSupported>true</tt:HomeSupported>"
            "</tptz:PTZNode></tptz:GetNodesResponse>"
        )

    def _ContinuousMove(self, _body: etree._Element) -> str:
        return "<tptz:ContinuousMoveResponse/>"

    def _Stop(self, _body: etree._Element) -> str:
        return "<tptz:StopResponse/>"

    def _GetPresets(self, _body: etree._Element) -> str:
        presets = "".join(
            f'<tptz:Preset token="{token}"><tt:Name>{name}</tt:Name></tptz:Preset>'
            for token, name in (("1", "bridge"), ("2", "riverbank"))
        )
        return f"<tptz:GetPresetsResponse>{presets}</tptz:GetPresetsResponse>"

    def _GotoPreset(self, _body: etree._Element) -> str:
        return "<tptz:GotoPresetResponse/>"


def _profile(token: str, name: str, width: int, height: int, ptz: bool) -> str:
    ptz_config = (
        '<tt:PTZConfiguration token="ptzcfg"><tt:Name>ptz</tt:Name><tt:UseCount>2</tt:UseCount>'
        "<tt:NodeToken>ptz0</tt:NodeToken></tt:PTZConfiguration>"
    )
    return (
        f'<trt:Profiles token="{token}" fixed="true"><tt:Name>{name}</tt:Name>'
        f'<tt:VideoEncoderConfiguration token="enc_{token}"><tt:Name>{name}</tt:Name>'
        "<tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding>"
        f"<tt:Resolution><tt:Width>{width}</tt:Width><tt:Height>{height}</tt:Height>"
        "</tt:Resolution><tt:Quality>4</tt:Quality>"
        "<tt:RateControl><tt:FrameRateLimit>25</tt:FrameRateLimit>"
        "<tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>2048</tt:BitrateLimit>"
        "</tt:RateControl>"
        "<tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type>"
        "<tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address><tt:Port>0</tt:Port>"
        "<tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast>"
        "<tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:VideoEncoderConfiguration>"
        f"{ptz_config if ptz else ''}</trt:Profiles>"
    )


def _media_uri(uri: str) -> str:
    return (
        f"<trt:MediaUri><tt:Uri>{uri}</tt:Uri>"
        "<tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>"
        "<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot>"
        "<tt:Timeout>PT0S</tt:Timeout></trt:MediaUri>"
    )


def _envelope(body: str, status: int = 200) -> web.Response:
    text = (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f"<env:Envelope {NS}><env:Body>{body}</env:Body></env:Envelope>"
    )
    return web.Response(text=text, status=status, content_type="application/soap+xml")


def _fault(subcode: str, reason: str, status: int) -> web.Response:
    fault = (
        "<env:Fault><env:Code><env:Value>env:Sender</env:Value>"
        f"<env:Subcode><env:Value>{subcode}</env:Value></env:Subcode></env:Code>"
        f'<env:Reason><env:Text xml:lang="en">{reason}</env:Text></env:Reason></env:Fault>'
    )
    return _envelope(fault, status)


class DiscoveryResponder:
    """Answers WS-Discovery Probes on a unicast UDP port of 127.0.0.1 (never multicast)."""

    def __init__(self, port: int, device_port: int, name: str = "TestCam") -> None:
        import socket

        self.port, self.device_port, self.name = port, device_port, name
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.sock.settimeout(0.2)
        self.probes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> "DiscoveryResponder":
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()

    def _serve(self) -> None:
        wsd = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
        wsa = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
        while not self._stop.is_set():
            try:
                data, sender = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            root = etree.fromstring(data)
            if root.find(f".//{{{wsd}}}Probe") is None:
                continue
            self.probes += 1
            message_id = root.findtext(f".//{{{wsa}}}MessageID")
            reply = (
                f'<?xml version="1.0" encoding="UTF-8"?><e:Envelope xmlns:e="{SOAP}" '
                f'xmlns:w="{wsa}" xmlns:d="{wsd}"><e:Header>'
                f"<w:MessageID>uuid:reply-{self.probes}</w:MessageID>"
                f"<w:RelatesTo>{message_id}</w:RelatesTo>"
                f"<w:Action>{wsd}/ProbeMatches</w:Action></e:Header><e:Body><d:ProbeMatches>"
                "<d:ProbeMatch><w:EndpointReference><w:Address>urn:uuid:test-device-1"
                "</w:Address></w:EndpointReference><d:Types>dn:NetworkVideoTransmitter</d:Types>"
                f"<d:Scopes>onvif://www.onvif.org/type/video_encoder "
                f"onvif://www.onvif.org/name/{self.name}</d:Scopes>"
                f"<d:XAddrs>http://127.0.0.1:{self.device_port}/onvif/device_service</d:XAddrs>"
                "<d:MetadataVersion>1</d:MetadataVersion></d:ProbeMatch>"
                "</d:ProbeMatches></e:Body></e:Envelope>"
            )
            self.sock.sendto(reply.encode(), sender)
