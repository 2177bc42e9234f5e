"""Ingest fixtures: a small town with two grids, two workers and a sensor, on each backend."""

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson
import pytest
import shapely
from geoalchemy2.shape import from_shape
from shapely.geometry import box
from sqlalchemy.orm import Session, sessionmaker

from gridhub.cameras.models import Camera
from gridhub.cameras.registry import registered_drones
from gridhub.config import Settings, load_settings
from gridhub.db import transaction
from gridhub.events import DomainEvent
from gridhub.geo.index import GridIndex
from gridhub.geo.models import Member, MemberArea, Region
from gridhub.ingest.drones import link_serial
from gridhub.ingest.models import Sensor
from gridhub.ingest.pipeline import Pipeline
from gridhub.ingest.service import build_pipeline
from gridhub.mqtt.inbound import Received
from gridhub.mqtt.topics import Topics
from tests.support.mosquitto import Mosquitto, mosquitto_binary
from tests.support.services import unavailable

# Two adjacent 0.01° grids near 113.30E 23.10N (Guangzhou); G1 is W1's, G2 is W2's.
GRIDS = {"G1": box(113.30, 23.10, 113.31, 23.11), "G2": box(113.31, 23.10, 113.32, 23.11)}
IN_G1 = (113.305, 23.105)
IN_G2 = (113.315, 23.105)


class IndexLocator:
    """The ingest-facing part of the hub's locator, over the geo area's GridIndex."""

    def __init__(self, grids: dict[str, shapely.Geometry]) -> None:
        self.index = GridIndex(list(grids), list(grids.values()))

    def locate_many(self, lons: Any, lats: Any) -> list[str | None]:
        return self.index.locate_many(lons, lats)

    def grids_intersecting(self, geometry: shapely.Geometry) -> list[str]:
        return self.index.intersecting(geometry)

    def refresh(self) -> None:
        """Built in the constructor: nothing to do."""


def seed_town(session: Session) -> None:
    """County C › town T › village V › grids G1, G2; workers W1 (G1), W2 (G2); sensor S1 in G1."""
    town = [
        ("C", "county", None, "/C/"),
        ("T", "town", "C", "/C/T/"),
        ("V", "village", "T", "/C/T/V/"),
    ]
    regions: dict[str, Region] = {}
    for code, level, parent, path in town:
        regions[code] = Region(
            code=code,
            name=code,
            level=level,
            path=path,
            parent=regions.get(parent or ""),
            properties={},
        )
    for code, geometry in GRIDS.items():
        regions[code] = Region(
            code=code,
            name=code,
            level="grid",
            path=f"/C/T/V/{code}/",
            parent=regions["V"],
            geom=from_shape(geometry, srid=4326),
            properties={},
        )
    session.add_all(regions.values())
    for code, grid in (("W1", "G1"), ("W2", "G2")):
        member = Member(code=code, name=code, role="grid_worker", notify=[], properties={})
        member.areas.append(MemberArea(region=regions[grid], position=0))
        session.add(member)
    session.add(
        Sensor(
            code="S1",
            name="River gauge",
            kind="water_level",
            lon=IN_G1[0],
            lat=IN_G1[1],
            grid_code="G1",
            unit="m",
            blue=3.0,
            yellow=4.0,
            orange=5.0,
            red=6.0,
            hysteresis=0.2,
        )
    )
    session.commit()


@pytest.fixture
def town(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    with sessions() as session:
        seed_town(session)
    return sessions


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    return load_settings(data_dir=tmp_path)


class Recorder:
    """An event sink that keeps what it was given."""

    def __init__(self) -> None:
        self.events: list[DomainEvent] = []

    def __call__(self, _session: Session, events: Sequence[DomainEvent]) -> None:
        self.events.extend(events)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def pipeline(settings: Settings, recorder: Recorder) -> Pipeline:
    return build_pipeline(settings, Topics(), IndexLocator(GRIDS), [recorder], registered_drones)


@pytest.fixture
def fleet(town: sessionmaker[Session]) -> sessionmaker[Session]:
    """Drone feeds D1 and UAV7 (DJI serial 1581F5BKD225400BGA linked) and a fixed camera C1."""
    with transaction(town) as session:
        for code, kind in (("D1", "drone"), ("UAV7", "drone"), ("C1", "fixed")):
            session.add(Camera(code=code, name=code, kind=kind))
        session.flush()
        link_serial(session, "UAV7", "1581F5BKD225400BGA", registered_drones)
    return town


def message(topic: str, payload: dict[str, Any] | bytes | str, **extra: Any) -> Received:
    body = (
        payload
        if isinstance(payload, bytes)
        else (payload.encode() if isinstance(payload, str) else orjson.dumps(payload))
    )
    return Received(topic=topic, payload=body, **extra)


RunBatch = Callable[[list[Received]], Any]


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    binary = mosquitto_binary()
    if binary is None:
        unavailable("mosquitto is not installed")
    broker = Mosquitto(tmp_path / "mosquitto", binary)
    broker.start()
    yield broker
    broker.stop()
