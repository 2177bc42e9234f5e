"""GeoReport v2 responses in JSON or XML, the element names as the spec writes them."""

from typing import Any

import orjson
from fastapi import Response
from lxml import etree

FORMATS = ("json", "xml")
ITEM_OF = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
}
"""Each list's element, and the element of each of its items."""


class BadFormat(LookupError):
    """Neither .json nor .xml."""


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise BadFormat(f"format must be .json or .xml, not .{fmt}")
    return fmt


def respond(data: Any, fmt: str, root: str, status: int = 200) -> Response:
    """``data`` (a list, or one object for a service definition) as JSON or as XML under
    ``root``."""
    if fmt == "xml":
        element = _list(root, data) if isinstance(data, list) else _object(root, data)
        body = etree.tostring(element, xml_declaration=True, encoding="utf-8")
        return Response(body, status, media_type="text/xml; charset=utf-8")
    return Response(orjson.dumps(data), status, media_type="application/json")


def error(
    fmt: str, status: int, description: str, headers: dict[str, str] | None = None
) -> Response:
    """The spec's error list: ``[{"code": 404, "description": "…"}]``."""
    response = respond([{"code": status, "description": description}], fmt, "errors", status)
    response.headers.update(headers or {})
    return response


def _list(name: str, items: list[Any]) -> etree._Element:
    element = etree.Element(name)
    item_name = ITEM_OF.get(name, "item")
    for item in items:
        element.append(
            _object(item_name, item) if isinstance(item, dict) else _leaf(item_name, item)
        )
    return element


def _object(name: str, data: dict[str, Any]) -> etree._Element:
    element = etree.Element(name)
    for key, value in data.items():
        if isinstance(value, list):
            element.append(_list(key, value))
        elif isinstance(value, dict):
            element.append(_object(key, value))
        else:
            element.append(_leaf(key, value))
    return element


def _leaf(name: str, value: Any) -> etree._Element:
    element = etree.Element(name)
    if isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)
    return element
