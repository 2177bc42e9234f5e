"""Who may use the broker and for what: each user's role gives the topics it may write and read.

A member, sensor or drone signs in with its registry code as the user name and may use only
the topics that name that code; an integration (Frigate, a DJI gateway, a warning feed) uses
its own fixed topics; the hub's own user may do everything. Every topic comes from
:class:`~gridhub.mqtt.topics.Topics`. Mosquitto's password file and ACL (``mosquitto_files``)
and the amqtt fallback's plugins are both generated from the one :class:`AccessTable`.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from gridhub.mqtt.passwords import verify_password
from gridhub.mqtt.topics import Kind, Topics

ALL_TOPICS = "#"
USERNAME = re.compile(r"[\w.\-]{1,64}")
"""Letters (any script), digits, ``_ . -``: a user name must be one topic level, a password
file key (no ``:``) and one ACL token (no spaces)."""


class Role(StrEnum):
    MEMBER = "member"
    SENSOR = "sensor"
    DRONE = "drone"
    FRIGATE = "frigate"
    DJI = "dji"
    WARNINGS = "warnings"
    HUB = "hub"


INTEGRATION_ROLES = (Role.FRIGATE, Role.DJI, Role.WARNINGS)
"""Users that stand for no registry entry; ``gridhub broker user add`` makes them."""

# What a user named after its code writes and reads: the contract's topics naming that code.
OWN_TOPICS: dict[Role, tuple[tuple[Kind, ...], tuple[Kind, ...]]] = {
    Role.MEMBER: ((Kind.CHECKIN, Kind.MEMBER_ACK, Kind.OWNTRACKS), (Kind.MEMBER_ALERTS,)),
    Role.SENSOR: ((Kind.SENSOR_READING, Kind.SENSOR_WARNING), ()),
    Role.DRONE: ((Kind.DRONE_TELEMETRY,), ()),
}


@dataclass(frozen=True, slots=True)
class Grants:
    """Topic filters a user may publish to (``write``) and subscribe to (``read``)."""

    write: tuple[str, ...]
    read: tuple[str, ...]


def grants(role: Role, username: str, topics: Topics) -> Grants:
    if role in OWN_TOPICS:
        writes, reads = OWN_TOPICS[role]
        return Grants(
            tuple(topics.build(kind, username) for kind in writes),
            tuple(topics.build(kind, username) for kind in reads),
        )
    if role is Role.FRIGATE:
        return Grants((topics.frigate_tree(),), (topics.frigate_tree(),))
    if role is Role.DJI:
        return Grants((topics.subscription(Kind.DJI_OSD),), ())
    if role is Role.WARNINGS:
        return Grants((topics.build(Kind.AREA_WARNING),), ())
    return Grants((ALL_TOPICS,), (ALL_TOPICS,))  # the hub


def username_problem(username: str) -> str | None:
    """Why ``username`` cannot be a broker user name, or None if it can."""
    if not USERNAME.fullmatch(username):
        return f"{username!r} cannot be an MQTT user name: 1 to 64 letters, digits, '_', '.' or '-'"
    return None


@dataclass(frozen=True, slots=True)
class BrokerUser:
    username: str
    role: Role
    password_hash: str
    grants: Grants


@dataclass(frozen=True)
class AccessTable:
    """Every user the broker lets in, by name; the hub's own user among them."""

    users: Mapping[str, BrokerUser]
    revision: int = 0
    """The store's users revision it was built from (the hub's own user is not stored)."""

    def authenticate(self, username: str | None, password: str | None) -> bool:
        user = self.users.get(username or "")
        return user is not None and verify_password(password or "", user.password_hash)

    def grants_of(self, username: str | None) -> Grants | None:
        user = self.users.get(username or "")
        return None if user is None else user.grants
