"""The escalation ladder as a pure state machine: given the policy, the state and ``now``,
what happens next and when to look again. No clock, no store: testable without sleeping."""

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from gridhub.config.alerts import EscalationPolicy

Action = Literal["notify", "remind", "escalate", "exhausted"]


@dataclass(frozen=True, slots=True)
class Level:
    role: str
    ack_timeout_s: float
    repeats: int = 0
    notify: tuple[str, ...] = ()
    """Notification URLs told at this level, sealed."""
    members: tuple[str, ...] = ()
    """Members told at this level besides the role's (a resident report's handlers)."""


@dataclass(frozen=True, slots=True)
class Policy:
    """The policy copied onto an alert when it opened."""

    levels: tuple[Level, ...]

    @classmethod
    def from_config(cls, config: EscalationPolicy, seal: Callable[[str], str]) -> "Policy":
        """The policy to copy onto an alert; ``seal`` hides each level's notification URLs
        (they carry bot tokens, and the copy is stored)."""
        return cls(
            tuple(
                Level(
                    lvl.role,
                    lvl.ack_timeout_s,
                    lvl.repeats,
                    tuple(seal(url) for url in lvl.notify),
                    lvl.members,
                )
                for lvl in config.levels
            )
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Policy":
        return cls(
            tuple(
                Level(
                    lvl["role"],
                    float(lvl["ack_timeout_s"]),
                    int(lvl.get("repeats", 0)),
                    tuple(lvl.get("notify", ())),
                    tuple(lvl.get("members", ())),
                )
                for lvl in data["levels"]
            )
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "levels": [
                {
                    "role": lvl.role,
                    "ack_timeout_s": lvl.ack_timeout_s,
                    "repeats": lvl.repeats,
                    "notify": list(lvl.notify),
                    **({"members": list(lvl.members)} if lvl.members else {}),
                }
                for lvl in self.levels
            ]
        }


@dataclass(frozen=True, slots=True)
class Step:
    """What to do now, at which level, and when to look again (None: stop)."""

    action: Action
    level: int
    role: str | None
    reminders: int
    due_at: datetime | None


def begin(
    policy: Policy,
    now: datetime,
    staffed: Collection[str] | None = None,
    first_role: str | None = None,
) -> Step:
    """The first step of a new alert: notify the lowest level that has someone on duty
    (from the level of ``first_role`` up, when one is given)."""
    roles = [level.role for level in policy.levels]
    after = roles.index(first_role) - 1 if first_role in roles else -1
    first = _next_staffed(policy, after, staffed)
    if first is None:
        return Step("exhausted", 0, None, 0, None)
    return _at(policy, "notify", first, 0, now)


def on_timeout(
    policy: Policy,
    level: int,
    reminders: int,
    now: datetime,
    staffed: Collection[str] | None = None,
) -> Step:
    """Nobody acknowledged in time: remind the same level, or move up, or give up."""
    current = policy.levels[level]
    if reminders < current.repeats:
        return _at(policy, "remind", level, reminders + 1, now)
    higher = _next_staffed(policy, level, staffed)
    if higher is None:
        return Step("exhausted", level, current.role, reminders, None)
    return _at(policy, "escalate", higher, 0, now)


def _at(policy: Policy, action: Action, level: int, reminders: int, now: datetime) -> Step:
    rung = policy.levels[level]
    return Step(action, level, rung.role, reminders, now + timedelta(seconds=rung.ack_timeout_s))


def _next_staffed(policy: Policy, after: int, staffed: Collection[str] | None) -> int | None:
    """The first level above ``after`` whose role has someone on duty (None: all do), or that
    names its members."""
    for index in range(after + 1, len(policy.levels)):
        level = policy.levels[index]
        if staffed is None or level.role in staffed or level.members:
            return index
    return None
