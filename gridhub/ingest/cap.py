"""CAP 1.2 (OASIS Common Alerting Protocol) messages read into area warnings.

The XML is bound by cap-tools (xsdata data classes generated from the official CAP 1.2
schema): unknown elements, wrong enumerations and missing required elements are refused by
the parser. What the schema leaves as free strings (polygons, circles, references) is checked
here, and every problem is reported, not only the first.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pyproj
import shapely
from cap_tools.models import Alert as CapAlert
from cap_tools.models import Info, MsgType
from cap_tools.models import Severity as CapSeverity
from lxml import etree
from shapely.geometry import MultiPolygon, Point, Polygon, mapping
from shapely.ops import unary_union
from shapely.validation import explain_validity
from xsdata.exceptions import ParserError
from xsdata.formats.dataclass.parsers import XmlParser
from xsdata.formats.dataclass.parsers.config import ParserConfig
from xsdata.formats.dataclass.parsers.handlers import LxmlEventHandler

from gridhub.severity import severity_rank

LEVELS = {
    CapSeverity.EXTREME: "red",
    CapSeverity.SEVERE: "orange",
    CapSeverity.MODERATE: "yellow",
    CapSeverity.MINOR: "blue",
    CapSeverity.UNKNOWN: "blue",
}
"""CAP severity → our warning level (the colours of China's early-warning system)."""
MSG_TYPES = {MsgType.ALERT: "alert", MsgType.UPDATE: "update", MsgType.CANCEL: "cancel"}
MAX_BYTES = 1_000_000
"""A CAP message is a few kilobytes; a megabyte is no warning but a mistake or an attack."""
CIRCLE_SEGMENTS = 32
STRICT = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
"""No recovery from broken XML, and no entity or DTD from outside (XXE)."""


class CapError(ValueError):
    """The message is not usable CAP 1.2; ``reasons`` says each problem."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True, slots=True)
class CapWarning:
    """One CAP message as gridhub reads it; ``key`` is ``sender/identifier``."""

    sender: str
    identifier: str
    sent: datetime
    msg_type: str
    references: tuple[str, ...]
    """Keys (``sender/identifier``) of the earlier messages an Update or Cancel refers to."""
    level: str
    kind: str
    headline: str | None
    description: str | None
    instruction: str | None
    expires: datetime | None
    area: dict[str, Any] | None
    """GeoJSON MultiPolygon of every area of every info block (circles as polygons)."""
    area_desc: str | None

    @property
    def key(self) -> str:
        return warning_key(self.sender, self.identifier)


def warning_key(sender: str, identifier: str) -> str:
    return f"{sender}/{identifier}"


def parse_cap(xml: bytes) -> CapWarning:
    """The warning of a CAP 1.2 message; CapError with every reason when it is not one."""
    if len(xml) > MAX_BYTES:
        raise CapError([f"message is {len(xml)} bytes; at most {MAX_BYTES}"])
    config = ParserConfig(fail_on_unknown_properties=True, fail_on_converter_warnings=True)
    parser = XmlParser(config=config, handler=LxmlEventHandler)
    try:
        # xsdata reads raw bytes leniently (lxml's recover mode takes a truncated file): the
        # document is parsed strictly first, with no entities or network, and then bound.
        tree = etree.fromstring(xml, STRICT)
        alert = parser.parse(tree, CapAlert)
    except etree.XMLSyntaxError as exc:
        raise CapError([f"not well-formed XML: {exc}"]) from None
    except (ParserError, ValueError, TypeError) as exc:
        # A missing required element is a TypeError from the data class.
        raise CapError([f"not a CAP 1.2 alert: {exc}"]) from None
    reasons: list[str] = []
    msg_type = MSG_TYPES.get(alert.msg_type)
    if msg_type is None:
        reasons.append(f"msgType {alert.msg_type.value} is not Alert, Update or Cancel")
    references = tuple(_references(alert, reasons))
    if msg_type in ("update", "cancel") and not references:
        reasons.append(f"a {alert.msg_type.value} must name the message it changes in references")
    if not alert.infos and msg_type != "cancel":
        reasons.append("no info block: nothing says what the warning is")
    areas = [_area(info, n, reasons) for n, info in enumerate(alert.infos, 1)]
    shapes = [shape for found in areas for shape in found]
    if msg_type != "cancel" and alert.infos and not shapes:
        reasons.append("no polygon or circle in any area: gridhub needs to know where")
    if reasons:
        raise CapError(reasons)
    info = _preferred(alert.infos)
    area = unary_union(shapes) if shapes else None
    return CapWarning(
        sender=alert.sender,
        identifier=alert.identifier,
        sent=alert.sent.to_datetime(),
        msg_type=msg_type or "alert",
        references=references,
        level=max((LEVELS[i.severity] for i in alert.infos), key=severity_rank, default="blue"),
        kind=_kind(info),
        headline=info.headline if info else None,
        description=info.description if info else None,
        instruction=info.instruction if info else None,
        expires=_expires(alert.infos),
        area=mapping(_multi(area)) if area is not None else None,
        area_desc="; ".join(a.area_desc for i in alert.infos for a in i.areas) or None,
    )


def _references(alert: CapAlert, reasons: list[str]) -> list[str]:
    try:
        return [warning_key(ref.sender, ref.identifier) for ref in alert.references_to_list()]
    except ValueError:
        reasons.append(f"references {alert.references!r} are not 'sender,identifier,sent' triples")
        return []


def _area(info: Info, number: int, reasons: list[str]) -> list[Polygon]:
    shapes: list[Polygon] = []
    for area in info.areas:
        for text in area.polygons:
            polygon = _polygon(text, f"info {number} area {area.area_desc!r}", reasons)
            if polygon is not None:
                shapes.append(polygon)
        for text in area.circles:
            circle = _circle(text, f"info {number} area {area.area_desc!r}", reasons)
            if circle is not None:
                shapes.append(circle)
    return shapes


def _pair(text: str) -> tuple[float, float]:
    """CAP's ``lat,lon`` → (lon, lat); ValueError when it is not in range."""
    lat_text, lon_text = text.split(",")
    lat, lon = float(lat_text), float(lon_text)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"{text} is out of range (latitude first)")
    return lon, lat


def _polygon(text: str, where: str, reasons: list[str]) -> Polygon | None:
    try:
        points = [_pair(pair) for pair in text.split()]
    except ValueError as exc:
        reasons.append(f"{where}: polygon has a point that is not 'lat,lon': {exc}")
        return None
    if len(points) < 4 or points[0] != points[-1]:
        reasons.append(f"{where}: polygon needs at least 4 points, the first repeated last")
        return None
    polygon = Polygon(points)
    if not polygon.is_valid:
        why = explain_validity(polygon)
        reasons.append(f"{where}: polygon is not valid ({why})")
        return None
    return polygon


def _circle(text: str, where: str, reasons: list[str]) -> Polygon | None:
    """``lat,lon radius_km`` → a polygon, drawn in metres around its centre."""
    try:
        centre_text, radius_text = text.split()
        lon, lat = _pair(centre_text)
        radius_km = float(radius_text)
    except ValueError:
        reasons.append(f"{where}: circle {text!r} is not 'lat,lon radius_km'")
        return None
    if not 0 < radius_km <= 1000:
        reasons.append(f"{where}: circle radius {radius_km} km is not in (0, 1000]")
        return None
    local = pyproj.CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +units=m")
    back = pyproj.Transformer.from_crs(local, "EPSG:4326", always_xy=True)
    disc = Point(0, 0).buffer(radius_km * 1000, quad_segs=CIRCLE_SEGMENTS // 4)
    return shapely.transform(disc, lambda xy: np.column_stack(back.transform(xy[:, 0], xy[:, 1])))


def _multi(geometry: Any) -> MultiPolygon:
    if isinstance(geometry, MultiPolygon):
        return geometry
    return MultiPolygon([geometry])


def _preferred(infos: list[Info]) -> Info | None:
    """The Chinese info block when there is one (what members read by default), else the first."""
    for info in infos:
        if info.get_language().lower().startswith("zh"):
            return info
    return infos[0] if infos else None


def _kind(info: Info | None) -> str:
    """A code for the warning's kind: the first event code's value, else the event's name."""
    if info is None:
        return "cancel"
    if info.event_codes:
        return info.event_codes[0].value.value[:32]
    return info.event[:32]


def _expires(infos: list[Info]) -> datetime | None:
    times = [info.expires.to_datetime() for info in infos if info.expires is not None]
    return max(times) if times else None
