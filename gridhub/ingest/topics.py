"""Every topic of the MQTT contract: its pattern, a builder and a parser, in one place.

The prefix (default ``gridhub/v1``) is added and stripped only here.
"""

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """What a topic carries; the inbound kinds are the ones ingest subscribes to."""

    CHECKIN = "checkin"
    SENSOR_READING = "sensor_reading"
    SENSOR_WARNING = "sensor_warning"
    DRONE_TELEMETRY = "drone_telemetry"
    AREA_WARNING = "area_warning"
    DJI_OSD = "dji_osd"
    MEMBER_ALERTS = "member_alerts"
    MEMBER_ACK = "member_ack"
    HUB_STATUS = "hub_status"


# Patterns below the prefix ({id} is one topic level); DJI's is absolute (no prefix).
PATTERNS: dict[Kind, str] = {
    Kind.CHECKIN: "patrol/{id}/checkin",
    Kind.SENSOR_READING: "sensors/{id}/reading",
    Kind.SENSOR_WARNING: "sensors/{id}/warning",
    Kind.DRONE_TELEMETRY: "drones/{id}/telemetry",
    Kind.AREA_WARNING: "warnings/area",
    Kind.MEMBER_ALERTS: "members/{id}/alerts",
    Kind.MEMBER_ACK: "members/{id}/ack",
    Kind.HUB_STATUS: "hub/status",
}
DJI_OSD_PATTERN = "thing/product/{id}/osd"
WILDCARDS = frozenset("/+#")
"""Characters a sender id must not hold: it fills exactly one topic level."""

INGESTED = (
    Kind.CHECKIN,
    Kind.SENSOR_READING,
    Kind.SENSOR_WARNING,
    Kind.DRONE_TELEMETRY,
    Kind.AREA_WARNING,
    Kind.DJI_OSD,
)


@dataclass(frozen=True, slots=True)
class Topic:
    """A parsed inbound topic: its kind and the sender named in it (None if it names none)."""

    kind: Kind
    sender: str | None


class Topics:
    """The contract under one prefix: build topics, parse them, list the subscriptions."""

    def __init__(self, prefix: str = "gridhub/v1") -> None:
        self.prefix = prefix.strip("/")
        self._by_shape: dict[tuple[int, str, str], Kind] = {}
        for kind, pattern in PATTERNS.items():
            parts = pattern.split("/")
            if len(parts) == 3:
                self._by_shape[(3, parts[0], parts[2])] = kind
        self._plain = {
            f"{self.prefix}/{pattern}": kind
            for kind, pattern in PATTERNS.items()
            if "{" not in pattern
        }
        self._prefix_slash = self.prefix + "/"
        # Built once: a flood fan-out builds two topics for each of thousands of members.
        self._patterns = {kind: f"{self.prefix}/{pattern}" for kind, pattern in PATTERNS.items()}
        self._patterns[Kind.DJI_OSD] = DJI_OSD_PATTERN

    def build(self, kind: Kind, sender: str | None = None) -> str:
        """The topic of ``kind`` (for ``sender`` where the pattern names one)."""
        pattern = self._pattern(kind)
        if "{id}" not in pattern:
            return pattern
        if not sender or not WILDCARDS.isdisjoint(sender):
            raise ValueError(f"{kind.value}: sender must be one topic level, got {sender!r}")
        return pattern.replace("{id}", sender)

    def _pattern(self, kind: Kind) -> str:
        return self._patterns[kind]

    def parse(self, topic: str) -> Topic | None:
        """The kind and sender of an inbound topic, or None if it is not part of the contract."""
        plain = self._plain.get(topic)
        if plain is not None:
            return Topic(plain, None)
        if topic.startswith(self._prefix_slash):
            parts = topic[len(self._prefix_slash) :].split("/")
            if len(parts) == 3 and parts[1]:
                kind = self._by_shape.get((3, parts[0], parts[2]))
                if kind is not None:
                    return Topic(kind, parts[1])
            return None
        parts = topic.split("/")
        if len(parts) == 4 and parts[:2] == ["thing", "product"] and parts[3] == "osd" and parts[2]:
            return Topic(Kind.DJI_OSD, parts[2])
        return None

    def subscriptions(self, shared_group: str = "") -> list[str]:
        """Topic filters for every inbound kind, through ``$share/<group>/`` if one is given."""
        filters = [self._pattern(kind).replace("{id}", "+") for kind in INGESTED]
        if shared_group:
            return [f"$share/{shared_group}/{topic_filter}" for topic_filter in filters]
        return filters
