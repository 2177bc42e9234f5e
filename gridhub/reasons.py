"""pydantic's validation errors as the one-line reasons people read, wherever input is
refused: MQTT dead letters, import files, settings, the API."""

from collections.abc import Sequence

from pydantic import ValidationError
from pydantic_core import ErrorDetails


def location(error: ErrorDetails) -> str:
    """``area.coordinates.0``: where in the input the error is."""
    return ".".join(str(part) for part in error["loc"])


def message(error: ErrorDetails, fields: Sequence[str] = (), show_input: bool = False) -> str:
    """What is wrong, without where; ``fields`` lists the known ones for an unknown field,
    ``show_input`` repeats a bad scalar value (useful where the input is not in view)."""
    field = location(error)
    if error["type"] == "missing":
        return f"missing field {field!r}"
    if error["type"] == "extra_forbidden":
        known = f" (fields: {', '.join(fields)})" if fields else ""
        return f"unknown field {field!r}{known}"
    if error["type"] == "string_pattern_mismatch":
        return f"{error['input']!r} is not allowed here"
    text = error["msg"].removeprefix("Value error, ")
    given = error.get("input")
    if show_input and given is not None and not isinstance(given, dict | list):
        text += f" (got {given!r})"
    return text


def reason(error: ErrorDetails, fields: Sequence[str] = (), show_input: bool = False) -> str:
    """``lat: Input should be less than or equal to 90``; missing and unknown fields say so."""
    text = message(error, fields, show_input)
    field = location(error)
    if not field or error["type"] in ("missing", "extra_forbidden"):
        return text
    return f"{field}: {text}"


def reasons(
    exc: ValidationError, fields: Sequence[str] = (), show_input: bool = False
) -> list[str]:
    return [reason(error, fields, show_input) for error in exc.errors(include_url=False)]


def describe(exc: ValidationError) -> str:
    """Every error of ``exc`` on one line, ``; ``-separated (a dead letter's reason)."""
    return "; ".join(reasons(exc))
