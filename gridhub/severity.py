"""The severity ladder, shared by every area: blue < yellow < orange < red (蓝 黄 橙 红)."""

from typing import Literal, get_args

Severity = Literal["blue", "yellow", "orange", "red"]
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
"""Lowest first."""
COLOURS: dict[Severity, str] = {
    "blue": "#3182ce",
    "yellow": "#d69e2e",
    "orange": "#dd6b20",
    "red": "#c53030",
}
"""How the pages draw each severity (served by ``/api/v1/meta``)."""


def severity_rank(severity: str) -> int:
    """0 for blue … 3 for red; ValueError for anything else."""
    try:
        return SEVERITIES.index(severity)
    except ValueError:
        raise ValueError(f"unknown severity {severity!r}; use {', '.join(SEVERITIES)}") from None


def check_severity(value: str) -> str:
    """``value`` if it is a severity; ValueError naming the ladder otherwise (for validators)."""
    severity_rank(value)
    return value
