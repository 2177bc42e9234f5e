"""Duty hours: a small spec such as ``mon-fri 08:00-18:00, sat 09:00-12:00`` and ``on_duty``.

Grammar (case-insensitive, entries separated by ``,``):

- ``always``: on duty at every hour (the default);
- ``HH:MM-HH:MM``: every day in that window; the end may be ``24:00``; an end before the
  start is an overnight shift (``22:00-06:00`` runs into the next morning);
- ``DAYS HH:MM-HH:MM``: only on those days, ``DAYS`` one day (``sat``) or a range
  (``mon-fri``, ``fri-mon`` wraps); an overnight shift belongs to the day it starts on;
- ``DAYS`` alone: those whole days.

Times are wall-clock times in the hub's time zone (``Settings.timezone``).
"""

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Shanghai"
ALWAYS = "always"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60


class DutySpecError(ValueError):
    """A duty spec that cannot be read; the message says which part and why."""


@dataclass(frozen=True, slots=True)
class DutyWindow:
    """On duty on ``days`` (0 = Monday) from ``start`` to ``end``, in minutes after midnight.

    ``end <= start`` means the window runs past midnight into the following day.
    """

    days: frozenset[int]
    start: int
    end: int

    def covers(self, weekday: int, minute: int) -> bool:
        if self.start < self.end:
            return weekday in self.days and self.start <= minute < self.end
        if minute >= self.start:
            return weekday in self.days
        return minute < self.end and (weekday - 1) % 7 in self.days


@dataclass(frozen=True, slots=True)
class DutySpec:
    """A parsed duty spec: ``windows`` empty means always on duty."""

    windows: tuple[DutyWindow, ...]

    @property
    def always(self) -> bool:
        return not self.windows

    def covers(self, local: datetime) -> bool:
        """Whether the wall-clock time ``local`` is inside the spec."""
        if self.always:
            return True
        minute = local.hour * 60 + local.minute
        weekday = local.weekday()
        return any(window.covers(weekday, minute) for window in self.windows)


@lru_cache(maxsize=4096)
def parse_duty(spec: str) -> DutySpec:
    """Parse a duty spec, or raise DutySpecError naming the bad entry."""
    text = spec.strip().lower()
    if not text or text == ALWAYS:
        return DutySpec(())
    windows = tuple(_parse_entry(entry.strip(), spec) for entry in text.split(","))
    return DutySpec(windows)


def _parse_entry(entry: str, spec: str) -> DutyWindow:
    if not entry:
        raise DutySpecError(f"duty {spec!r}: empty entry between commas")
    if entry == ALWAYS:
        raise DutySpecError(f"duty {spec!r}: 'always' cannot be combined with other entries")
    match = re.fullmatch(
        r"(?:(?P<first>[a-z]+)(?:-(?P<last>[a-z]+))?)?\s*"
        r"(?:(?P<sh>\d{1,2}):(?P<sm>\d{2})\s*-\s*(?P<eh>\d{1,2}):(?P<em>\d{2}))?",
        entry,
    )
    if match is None:
        raise DutySpecError(
            f"duty {spec!r}: cannot read {entry!r} "
            "(expected e.g. 'always', '08:00-18:00', 'mon-fri 08:00-18:00')"
        )
    days = _parse_days(match["first"], match["last"], spec)
    if match["sh"] is None:
        return DutyWindow(days, 0, MINUTES_PER_DAY)
    start = _minutes(match["sh"], match["sm"], spec, allow_24=False)
    end = _minutes(match["eh"], match["em"], spec, allow_24=True)
    if start == end % MINUTES_PER_DAY and end != MINUTES_PER_DAY:
        raise DutySpecError(f"duty {spec!r}: {entry!r} starts and ends at the same time")
    return DutyWindow(days, start, end)


def _parse_days(first: str | None, last: str | None, spec: str) -> frozenset[int]:
    if first is None:
        return frozenset(range(7))
    for name in (first, last):
        if name is not None and name not in DAYS:
            raise DutySpecError(f"duty {spec!r}: unknown day {name!r} (use {', '.join(DAYS)})")
    start = DAYS.index(first)
    if last is None:
        return frozenset({start})
    span = (DAYS.index(last) - start) % 7
    return frozenset((start + offset) % 7 for offset in range(span + 1))


def _minutes(hours: str, minutes: str, spec: str, allow_24: bool) -> int:
    hour, minute = int(hours), int(minutes)
    if allow_24 and hour == 24 and minute == 0:
        return MINUTES_PER_DAY
    if hour > 23 or minute > 59:
        raise DutySpecError(f"duty {spec!r}: {hours}:{minutes} is not a time of day")
    return hour * 60 + minute


def on_duty(spec: str | DutySpec, at: datetime, timezone: str = DEFAULT_TIMEZONE) -> bool:
    """Whether someone with duty ``spec`` is on duty at the aware time ``at``."""
    if at.tzinfo is None or at.tzinfo.utcoffset(at) is None:
        raise ValueError("on_duty needs an aware datetime")
    parsed = parse_duty(spec) if isinstance(spec, str) else spec
    if parsed.always:
        return True
    return parsed.covers(at.astimezone(_zone(timezone)))


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)
