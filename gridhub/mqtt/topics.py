"""Every topic the hub speaks: its pattern, a builder, a parser and a subscription filter.

The gridhub contract lives under a prefix (default ``gridhub/v1``), added and stripped only
here; the topics of what users already run (DJI Cloud API, Frigate, OwnTracks) are absolute.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gridhub.config import Settings


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
    FRIGATE_EVENTS = "frigate_events"
    FRIGATE_REVIEWS = "frigate_reviews"
    OWNTRACKS = "owntracks"
    DJI_DOCK = "dji_dock"
    """A DJI dock's own ``osd``: the DJI_OSD topic, told apart by its properties."""


# Patterns below the prefix ({id} is one topic level).
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
OWNTRACKS_PATTERN = "owntracks/{id}/+"
"""OwnTracks' ``owntracks/{user}/{device}`` (its booklet, "Topics"): the user level is the
sender; any device of that user. Its sub-topics (``…/event``, ``…/cmd``) are not read."""
FRIGATE_PATTERNS = {
    Kind.FRIGATE_EVENTS: "{frigate}/events",
    Kind.FRIGATE_REVIEWS: "{frigate}/reviews",
}
WILDCARDS = frozenset("/+#")
"""Characters a sender id must not hold: it fills exactly one topic level."""

INGESTED = (
    Kind.CHECKIN,
    Kind.SENSOR_READING,
    Kind.SENSOR_WARNING,
    Kind.DRONE_TELEMETRY,
    Kind.AREA_WARNING,
    Kind.DJI_OSD,
    Kind.OWNTRACKS,
)
"""What ingest subscribes to."""


@dataclass(frozen=True, slots=True)
class Topic:
    """A parsed inbound topic: its kind and the sender named in it (None if it names none)."""

    kind: Kind
    sender: str | None


class Topics:
    """The topics under one prefix: build them, parse them, give their subscription filters."""

    def __init__(self, prefix: str = "gridhub/v1", frigate_prefix: str = "frigate") -> None:
        self.prefix = prefix.strip("/")
        frigate = frigate_prefix.strip("/")
        self.frigate_prefix = frigate
        # Built once: a flood fan-out builds two topics for each of thousands of members.
        self._patterns = {kind: f"{self.prefix}/{pattern}" for kind, pattern in PATTERNS.items()}
        self._patterns[Kind.DJI_OSD] = DJI_OSD_PATTERN
        self._patterns[Kind.OWNTRACKS] = OWNTRACKS_PATTERN
        for kind, pattern in FRIGATE_PATTERNS.items():
            self._patterns[kind] = pattern.replace("{frigate}", frigate)
        self._plain = {p: kind for kind, p in self._patterns.items() if "{id}" not in p}
        self._prefix_slash = self.prefix + "/"
        self._by_shape: dict[tuple[int, str, str], Kind] = {}
        for kind, pattern in PATTERNS.items():
            parts = pattern.split("/")
            if len(parts) == 3:
                self._by_shape[(3, parts[0], parts[2])] = kind

    def build(self, kind: Kind, sender: str | None = None) -> str:
        """The topic of ``kind`` (for ``sender`` where the pattern names one)."""
        pattern = self._patterns[kind]
        if "{id}" not in pattern:
            return pattern
        if not sender or not WILDCARDS.isdisjoint(sender):
            raise ValueError(f"{kind.value}: sender must be one topic level, got {sender!r}")
        return pattern.replace("{id}", sender)

    def parse(self, topic: str) -> Topic | None:
        """The kind and sender of an inbound topic, or None if the hub does not speak it."""
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
        if len(parts) == 3 and parts[0] == "owntracks" and parts[1] and parts[2]:
            return Topic(Kind.OWNTRACKS, parts[1])
        return None

    def subscription(self, kind: Kind, shared_group: str = "") -> str:
        """The filter for every sender's topic of ``kind``; through ``$share/<group>/`` when
        a group is given, so that several hub processes split the messages."""
        topic_filter = self._patterns[kind].replace("{id}", "+")
        return f"$share/{shared_group}/{topic_filter}" if shared_group else topic_filter

    @classmethod
    def of(cls, settings: "Settings") -> "Topics":
        """The topics of a hub's settings (its prefix and Frigate's)."""
        return cls(settings.mqtt.prefix, settings.cameras.frigate.topic_prefix)

    def subscriptions(
        self, kinds: tuple[Kind, ...] = INGESTED, shared_group: str = ""
    ) -> list[str]:
        return [self.subscription(kind, shared_group) for kind in kinds]

    def frigate_tree(self) -> str:
        """The filter of everything Frigate publishes and listens to (its whole prefix)."""
        return f"{self.frigate_prefix}/#"
