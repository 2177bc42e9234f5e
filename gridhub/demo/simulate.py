"""``gridhub demo --simulate``: what a town produces, published over the real broker as its
devices would: grid workers walking patrol loops and checking in, sensor readings with a
water level that now and then rises past its blue and yellow lines, drones circling.
The map then moves on its own."""

import csv
import itertools
import json
import logging
import math
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
from shapely.geometry import Polygon, shape

from gridhub.config import Settings
from gridhub.demo.loader import CAMERAS_FILE, GRIDS_FILE, MEMBERS_FILE, SENSORS_FILE
from gridhub.mqtt.client import BrokerAddress
from gridhub.mqtt.topics import Kind, Topics

log = logging.getLogger(__name__)

TICK_S = 5.0
"""One step of the town: every walker, sensor and drone speaks once."""
WALKERS = 12
"""Grid workers on patrol at once (one per grid, the first grids of each village)."""
LOOP_STEPS = 24
"""Check-ins per patrol loop around a grid."""
TIDE_S = 15 * 60
"""A water level's swell: up past its yellow line and back within this period."""
DRONE_RADIUS_DEG = 0.004


@dataclass
class Walker:
    code: str
    path: list[tuple[float, float]]


def _walkers() -> list[Walker]:
    grids = {
        f["properties"]["code"]: shape(f["geometry"])
        for f in json.loads(GRIDS_FILE.read_text(encoding="utf-8"))["features"]
        if f["properties"].get("level") == "grid"
    }
    walkers: list[Walker] = []
    villages: set[str] = set()
    for row in _rows(MEMBERS_FILE):
        grid = row["grids"].split(";")[0]
        if row["role"] != "grid_worker" or grid not in grids or grid[:3] in villages:
            continue
        villages.add(grid[:3])  # one walker per village, the village's first grid
        # A loop inside the grid: its outline pulled halfway towards the middle.
        outline = grids[grid]
        if not isinstance(outline, Polygon):
            continue
        middle = outline.centroid
        ring = outline.exterior
        path = []
        for step in range(LOOP_STEPS):
            point = ring.interpolate(step / LOOP_STEPS, normalized=True)
            path.append(((point.x + middle.x) / 2, (point.y + middle.y) / 2))
        walkers.append(Walker(row["code"], path))
    return walkers[:WALKERS]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


class TownSimulator:
    """Publishes the town on a thread of its own until stopped (a hub service)."""

    name = "demo-town"

    def __init__(self, settings: Settings, mqtt_url: str, topics: Topics) -> None:
        self.address = BrokerAddress.parse(mqtt_url, settings.mqtt)
        self.topics = topics
        self.walkers = _walkers()
        self.sensors = _rows(SENSORS_FILE)
        self.drones = [row for row in _rows(CAMERAS_FILE) if row["kind"] == "drone"]
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"gridhub-demo-{uuid.uuid4().hex[:6]}"
        )
        if self.address.username:
            self._client.username_pw_set(self.address.username, self.address.password)
        if self.address.tls:
            self._client.tls_set()

    def start(self) -> None:
        self._client.connect_async(self.address.host, self.address.port)
        self._client.loop_start()
        self._thread = threading.Thread(target=self._run, name="demo-town", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(TICK_S * 2)
        self._client.loop_stop()
        self._client.disconnect()

    def health(self) -> dict[str, object]:
        return {"ok": self._client.is_connected(), "walkers": len(self.walkers)}

    def _send(self, kind: Kind, sender: str, payload: dict[str, object]) -> None:
        body = {"id": uuid.uuid4().hex, "ts": int(time.time() * 1000), **payload}
        self._client.publish(self.topics.build(kind, sender), json.dumps(body), qos=1)

    def _run(self) -> None:
        for tick in itertools.count():
            if self._stop.wait(TICK_S):
                return
            try:
                self._step(tick, time.time())
            except Exception:  # one bad step must not end the town
                log.exception("demo town step failed")

    def _step(self, tick: int, now: float) -> None:
        for index, walker in enumerate(self.walkers):
            lon, lat = walker.path[(tick + index * 3) % len(walker.path)]
            self._send(Kind.CHECKIN, walker.code, {"lat": lat, "lon": lon, "kind": "checkpoint"})
        for index, sensor in enumerate(self.sensors):
            self._send(Kind.SENSOR_READING, sensor["code"], _reading(sensor, index, now))
        for index, drone in enumerate(self.drones):
            angle = 2 * math.pi * ((tick / 36) + index / 2)
            self._send(Kind.DRONE_TELEMETRY, drone["code"], {
                "lat": float(drone["lat"]) + DRONE_RADIUS_DEG * math.sin(angle),
                "lon": float(drone["lon"]) + DRONE_RADIUS_DEG * math.cos(angle),
                "alt_m": 80.0, "heading": (math.degrees(angle) + 90) % 360, "battery_pct": 80.0,
            })  # fmt: skip


def _reading(sensor: dict[str, str], index: int, now: float) -> dict[str, object]:
    """A value that swells with the tide: the first water-level gauge reaches past its yellow
    line at the top of each swell, the others stay below blue."""
    swell = (1 + math.sin(2 * math.pi * now / TIDE_S + index)) / 2  # 0…1
    blue = float(sensor["blue"]) if sensor.get("blue") else 1.0
    yellow = float(sensor["yellow"]) if sensor.get("yellow") else blue * 2
    top = yellow + (yellow - blue) * 0.2 if index == 0 else blue * 0.95
    low = blue * 0.7
    value = round(low + (top - low) * swell, 2)
    return {"kind": sensor["kind"], "value": value, "unit": sensor.get("unit") or None}
