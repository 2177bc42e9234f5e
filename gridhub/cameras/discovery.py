"""WS-Discovery: probe for ONVIF devices (SOAP over UDP) and list what answers."""

import socket
import time
import uuid
from dataclasses import dataclass

from lxml import etree

MULTICAST = ("239.255.255.250", 3702)
WSD = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
WSA = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
SOAP = "http://www.w3.org/2003/05/soap-envelope"
PROBE = f"""<?xml version="1.0" encoding="UTF-8"?>
<e:Envelope xmlns:e="{SOAP}" xmlns:w="{WSA}" xmlns:d="{WSD}"
 xmlns:dn="http://www.onvif.org/ver10/network/wsdl">
<e:Header><w:MessageID>uuid:{{message_id}}</w:MessageID>
<w:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</w:To>
<w:Action>{WSD}/Probe</w:Action></e:Header>
<e:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></e:Body>
</e:Envelope>"""
MAX_DATAGRAM = 65535


@dataclass(frozen=True, slots=True)
class Found:
    address: str
    xaddrs: tuple[str, ...]
    scopes: tuple[str, ...]
    endpoint: str | None

    @property
    def name(self) -> str | None:
        """The ``onvif://www.onvif.org/name/…`` scope, if the device gives one."""
        for scope in self.scopes:
            if "/name/" in scope:
                return scope.rsplit("/name/", 1)[1]
        return None


def probe(target: tuple[str, int] = MULTICAST, timeout_s: float = 3.0) -> list[Found]:
    """Send one Probe to ``target`` (multicast by default) and gather ProbeMatches."""
    message_id = str(uuid.uuid4())
    found: dict[str, Found] = {}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP) as sock:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        sock.bind(("", 0))
        sock.sendto(PROBE.format(message_id=message_id).encode(), target)
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            try:
                data, (host, _port) = sock.recvfrom(MAX_DATAGRAM)
            except TimeoutError:
                break
            for match in parse_matches(data, message_id, host):
                found.setdefault(match.endpoint or match.address, match)
    return sorted(found.values(), key=lambda f: f.address)


def parse_matches(data: bytes, message_id: str, host: str) -> list[Found]:
    """The ProbeMatch entries of a reply to our probe; anything else yields nothing."""
    try:
        root = etree.fromstring(data)
    except etree.XMLSyntaxError:
        return []
    relates = root.findtext(f".//{{{WSA}}}RelatesTo")
    if relates is not None and relates.strip() != f"uuid:{message_id}":
        return []
    matches = []
    for match in root.iter(f"{{{WSD}}}ProbeMatch"):
        xaddrs = tuple((match.findtext(f"{{{WSD}}}XAddrs") or "").split())
        scopes = tuple((match.findtext(f"{{{WSD}}}Scopes") or "").split())
        endpoint = match.findtext(f".//{{{WSA}}}Address")
        matches.append(Found(host, xaddrs, scopes, endpoint))
    return matches
