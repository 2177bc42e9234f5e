"""The generic pipeline steps: decode, validate, dedup, locate, emit."""

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

import numpy as np
import orjson
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute

from gridhub.events import EventSink
from gridhub.ingest import drones
from gridhub.ingest.models import (
    AreaWarningRecord,
    Checkin,
    DronePosition,
    SensorReading,
    SensorWarningRecord,
)
from gridhub.ingest.payloads import (
    MODELS,
    SENDER_FIELDS,
    AreaWarningPayload,
    CheckinPayload,
    DjiOsdPayload,
    DroneTelemetryPayload,
    OwnTracksLocation,
)
from gridhub.ingest.pipeline import BatchContext, Item, Locator
from gridhub.mqtt.topics import Kind, Topics
from gridhub.reasons import describe

AREA_ISSUER = "area"
"""Dedup sender of area warnings that name no issuer."""
SENDER_MISMATCH = "sender mismatch"
"""How the refusal of a message naming another sender than its topic's begins."""


class Decode:
    """Topic → kind and sender; size limit; bytes → a JSON object."""

    def __init__(self, topics: Topics, max_payload_bytes: int) -> None:
        self.topics = topics
        self.max_bytes = max_payload_bytes

    def __call__(self, ctx: BatchContext) -> None:
        kept = []
        for item in ctx.items:
            received = item.received
            topic = self.topics.parse(received.topic)
            if topic is None:
                ctx.reject(item, "topic is not part of the contract")
                continue
            item.kind, item.sender = topic.kind, topic.sender
            if len(received.payload) > self.max_bytes:
                ctx.reject(item, too_large(len(received.payload), self.max_bytes))
                continue
            try:
                item.data = orjson.loads(received.payload)
            except orjson.JSONDecodeError as exc:
                ctx.reject(item, f"not JSON: {exc}")
                continue
            if not isinstance(item.data, dict):
                ctx.reject(
                    item,
                    f"wrong schema: payload must be a JSON object, not {_json_type(item.data)}",
                )
                continue
            # Only a \u0000 escape puts NUL into decoded JSON (a raw one is not JSON).
            if b"\\u0000" in received.payload and _holds_nul(item.data):
                ctx.reject(item, "text holds a NUL character (\\u0000), which is not stored")
                continue
            kept.append(item)
        ctx.keep(kept)


def _holds_nul(value: Any) -> bool:
    """Whether a NUL character is in any string (or key) of decoded JSON: PostgreSQL text
    cannot hold one, and no field of the contract needs one."""
    if isinstance(value, str):
        return "\0" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def too_large(size: int, limit: int) -> str:
    """The refusal of a payload of ``size`` bytes, over ``limit``."""
    return f"payload too large: {size} > {limit} bytes"


def _json_type(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


class Validate:
    """Payload schema, sender consistency, and no timestamps from the far future.

    OwnTracks locations become check-ins of the member their topic's user stands for; its
    other message types (``lwt``, ``transition``, ``waypoint``…) carry no patrol position and
    are ignored by design, counted as ``owntracks_ignored``.
    """

    def __init__(
        self, future_tolerance_s: float, owntracks_users: Mapping[str, str] | None = None
    ) -> None:
        self.tolerance = timedelta(seconds=future_tolerance_s)
        self.owntracks_users = dict(owntracks_users or {})

    def __call__(self, ctx: BatchContext) -> None:
        latest = ctx.now + self.tolerance
        kept = []
        for item in ctx.items:
            if item.kind is Kind.OWNTRACKS:
                message_type = item.data.get("_type")
                if isinstance(message_type, str) and message_type != "location":
                    ctx.count("owntracks_ignored")
                    continue
            try:
                payload = MODELS[item.kind].model_validate(item.data)
            except ValidationError as exc:
                ctx.reject(item, f"invalid {item.kind.value}: {describe(exc)}")
                continue
            if isinstance(payload, DjiOsdPayload):
                if payload.is_dock():
                    item.kind = Kind.DJI_DOCK
                elif not payload.has_fix():  # DJI's in-dock 0, 0: nothing moves
                    ctx.count("dji_no_fix")
                    continue
                else:
                    payload = payload.as_telemetry()
            elif isinstance(payload, OwnTracksLocation):
                payload = payload.as_checkin()
                item.kind = Kind.CHECKIN
                item.sender = self.owntracks_users.get(item.sender or "", item.sender)
            item.payload = payload
            named = getattr(payload, SENDER_FIELDS.get(item.kind, ""), None)
            if named is not None and named != item.sender:
                mismatch = f"topic names {item.sender!r}, payload {named!r}"
                ctx.reject(item, f"{SENDER_MISMATCH}: {mismatch}")
                continue
            when = payload.timestamp if isinstance(payload, DjiOsdPayload) else payload.ts
            if when > latest:
                ctx.reject(item, f"timestamp in the future: {when.isoformat()}")
                continue
            if isinstance(payload, AreaWarningPayload):
                item.sender = payload.issuer or AREA_ISSUER
            if isinstance(payload, CheckinPayload | DroneTelemetryPayload):
                item.lon, item.lat = payload.lon, payload.lat
            kept.append(item)
        ctx.keep(kept)


# The table (sender column, id column) holding each kind's accepted messages.
DEDUP_KEYS: dict[Kind, tuple[InstrumentedAttribute[str], InstrumentedAttribute[str]]] = {
    Kind.CHECKIN: (Checkin.worker_code, Checkin.msg_id),
    Kind.SENSOR_READING: (SensorReading.sensor_code, SensorReading.msg_id),
    Kind.SENSOR_WARNING: (SensorWarningRecord.sensor_code, SensorWarningRecord.msg_id),
    Kind.DRONE_TELEMETRY: (DronePosition.drone_code, DronePosition.msg_id),
    Kind.DJI_OSD: (DronePosition.drone_code, DronePosition.msg_id),
    Kind.AREA_WARNING: (AreaWarningRecord.issuer, AreaWarningRecord.msg_id),
}


class Dedup:
    """Drop redeliveries: a ``(sender, id)`` seen earlier in the batch or already stored.

    Kinds in ``on_insert`` are only deduplicated within the batch here: their store handler
    inserts with the unique key skipping what is already stored, which saves a lookup.
    """

    def __init__(self, on_insert: frozenset[Kind] = frozenset()) -> None:
        self.on_insert = on_insert

    def __call__(self, ctx: BatchContext) -> None:
        drones.resolve_dji_senders(ctx.session, [i for i in ctx.items if i.kind is Kind.DJI_OSD])
        seen: set[tuple[Kind, str | None, str]] = set()
        unique: list[Item] = []
        for item in ctx.items:
            family = Kind.DRONE_TELEMETRY if item.kind is Kind.DJI_OSD else item.kind
            key = (family, item.sender, item.payload.id)
            if key in seen:
                ctx.duplicates += 1
                continue
            seen.add(key)
            unique.append(item)
        stored = self._stored(ctx, [item for item in unique if item.kind not in self.on_insert])
        kept = []
        for item in unique:
            family = Kind.DRONE_TELEMETRY if item.kind is Kind.DJI_OSD else item.kind
            if (family, item.sender, item.payload.id) in stored:
                ctx.duplicates += 1
            else:
                kept.append(item)
        ctx.keep(kept)

    @staticmethod
    def _stored(ctx: BatchContext, items: Sequence[Item]) -> set[tuple[Kind, str | None, str]]:
        by_family: dict[Kind, list[tuple[str | None, str]]] = {}
        for item in items:
            family: Kind = Kind.DRONE_TELEMETRY if item.kind is Kind.DJI_OSD else item.kind
            by_family.setdefault(family, []).append((item.sender, item.payload.id))
        found: set[tuple[Kind, str | None, str]] = set()
        for family, pairs in by_family.items():
            sender_col, id_col = DEDUP_KEYS[family]
            # Two plain IN lists (both columns of the unique index) plan far better than a
            # row-value IN on PostgreSQL; the pairs are then matched here.
            wanted = set(pairs)
            rows = ctx.session.execute(
                select(sender_col, id_col).where(
                    sender_col.in_({sender for sender, _ in pairs}),
                    id_col.in_({msg_id for _, msg_id in pairs}),
                )
            )
            found.update((family, *row) for row in rows if tuple(row) in wanted)
        return found


class Locate:
    """Convert positions to WGS84 and resolve every position's grid in one vectorised call."""

    def __init__(
        self, locator: Locator, to_wgs84: Callable[[float, float, str], tuple[float, float]]
    ):
        self.locator = locator
        self.to_wgs84 = to_wgs84

    def __call__(self, ctx: BatchContext) -> None:
        placed = [item for item in ctx.items if item.lon is not None]
        if not placed:
            return
        for item in placed:
            crs = getattr(item.payload, "crs", "wgs84")
            if crs != "wgs84":
                item.lon, item.lat = self.to_wgs84(*item.position(), crs)
        lons = np.fromiter((item.lon for item in placed), dtype=float, count=len(placed))
        lats = np.fromiter((item.lat for item in placed), dtype=float, count=len(placed))
        for item, grid in zip(placed, self.locator.locate_many(lons, lats), strict=True):
            item.grid = grid


class Emit:
    """Hand the batch's domain events to every sink, inside the batch's transaction."""

    def __init__(self, sinks: Sequence[EventSink]) -> None:
        self.sinks = sinks

    def __call__(self, ctx: BatchContext) -> None:
        if ctx.events:
            for sink in self.sinks:
                sink(ctx.session, ctx.events)


StoreHandler = Callable[[BatchContext, list[Item]], list[Item]]
"""Stores one kind's items; returns those accepted (it rejects the rest through ``ctx``)."""


class Store:
    """Hand each kind's items to its store handler; they also queue the domain events."""

    def __init__(self, handlers: dict[Kind, StoreHandler]) -> None:
        self.handlers = handlers

    def __call__(self, ctx: BatchContext) -> None:
        groups: dict[Kind, list[Item]] = {}
        for item in ctx.items:
            family = Kind.DRONE_TELEMETRY if item.kind is Kind.DJI_OSD else item.kind
            groups.setdefault(family, []).append(item)
        kept: list[Item] = []
        for kind, items in groups.items():
            kept.extend(self.handlers[kind](ctx, items))
        ctx.keep(kept)
