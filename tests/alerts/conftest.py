"""A small town for alert tests: grids with polygons, members on every escalation level."""

import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import orjson
import paho.mqtt.client as mqtt
import pytest
from geoalchemy2 import WKTElement
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy.orm import Session, sessionmaker

from gridhub.alerts.context import AlertContext
from gridhub.config.alerts import AlertsConfig, EscalationLevel, EscalationPolicy
from gridhub.geo.models import Member, MemberArea, Region
from tests.support.mosquitto import Mosquitto, mosquitto_binary
from tests.support.services import unavailable

NOON = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)  # 12:00 in Asia/Shanghai
"""A Monday noon: everyone with office hours is on duty."""


def off_duty_hours() -> str:
    """An hour of duty that holds neither at NOON nor now: e2e tests run on the real clock."""
    hour = datetime.now(ZoneInfo("Asia/Shanghai")).hour
    start = 3 if hour >= 20 else 22
    return f"{start:02d}:00-{start + 1:02d}:00"


def square(x: float, y: float, size: float = 0.01) -> WKTElement:
    ring = f"{x} {y}, {x + size} {y}, {x + size} {y + size}, {x} {y + size}, {x} {y}"
    return WKTElement(f"POLYGON(({ring}))", srid=4326)


@dataclass(frozen=True)
class Town:
    """Codes of the seeded town: G1 and G2 in village V1, G3 in V2, all in town T1."""

    g1_point: tuple[float, float] = (120.005, 30.005)
    g3_point: tuple[float, float] = (120.025, 30.005)
    outside_point: tuple[float, float] = (121.5, 31.5)


def seed_town(session: Session) -> Town:
    regions: dict[str, Region] = {}

    def region(code: str, level: str, parent: str | None, geom: WKTElement | None = None) -> None:
        up = regions.get(parent) if parent else None
        path = (up.path if up else "/") + f"{code}/"
        regions[code] = Region(code=code, name=code, level=level, parent=up, path=path, geom=geom)
        session.add(regions[code])

    region("C1", "county", None)
    region("T1", "town", "C1")
    region("V1", "village", "T1")
    region("V2", "village", "T1")
    region("G1", "grid", "V1", square(120.0, 30.0))
    region("G2", "grid", "V1", square(120.01, 30.0))
    region("G3", "grid", "V2", square(120.02, 30.0))
    people = [
        ("W1", "grid_worker", "G1", "always"),
        ("W1N", "grid_worker", "G1", off_duty_hours()),
        ("L1", "grid_leader", "G1", "always"),
        ("W2", "grid_worker", "G2", "always"),
        ("W3", "grid_worker", "G3", "always"),
        ("L3", "grid_leader", "G3", "always"),
        ("VC1", "village_cadre", "V1", "always"),
        ("TO1", "town_operator", "T1", "always"),
    ]
    for code, role, area, duty in people:
        member = Member(code=code, name=code, role=role, duty=duty, notify=[], properties={})
        member.areas.append(MemberArea(region=regions[area], position=0))
        session.add(member)
    session.flush()
    return Town()


@pytest.fixture
def town(sessions: sessionmaker[Session]) -> Town:
    with sessions() as session, session.begin():
        return seed_town(session)


def short_policy(timeout_s: float = 1.0, repeats: int = 0) -> AlertsConfig:
    """Every severity: worker → leader → village → town, ``timeout_s`` each."""
    ladder = EscalationPolicy(
        levels=tuple(
            EscalationLevel(role=role, ack_timeout_s=timeout_s, repeats=repeats)
            for role in ("grid_worker", "grid_leader", "village_cadre", "town_operator")
        )
    )
    return AlertsConfig(policies={s: ladder for s in ("blue", "yellow", "orange", "red")})


@pytest.fixture
def ctx() -> AlertContext:
    return AlertContext(config=short_policy(60.0))


@pytest.fixture(scope="session")
def mosquitto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Mosquitto on a free port (tests/support/mosquitto.py); its URL."""
    binary = mosquitto_binary()
    if binary is None:
        unavailable("mosquitto is not installed")
    broker = Mosquitto(tmp_path_factory.mktemp("mosquitto"), binary)
    try:
        broker.start()
    except (RuntimeError, OSError) as exc:
        unavailable(f"mosquitto did not start: {exc}")
    yield broker.url
    broker.stop()


class Listener:
    """A device-side MQTT client: collects what arrives on the topics it subscribed to."""

    def __init__(self, url: str, topics: list[str]) -> None:
        host, port = url.removeprefix("mqtt://").split(":")
        self.messages: queue.Queue[tuple[str, dict]] = queue.Queue()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"dev-{uuid.uuid4().hex[:8]}"
        )
        subscribed = threading.Event()
        self.client.on_connect = lambda c, *_: c.subscribe([(t, 1) for t in topics])
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.on_message = lambda _c, _u, m: self.messages.put(
            (m.topic, orjson.loads(m.payload))
        )
        self.client.connect(host, int(port))
        self.client.loop_start()
        assert subscribed.wait(5), "subscription not confirmed"

    def next(self, timeout: float = 5.0, topic: str | None = None) -> tuple[str, dict]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"nothing arrived on {topic or 'any topic'} in {timeout} s")
            try:
                got = self.messages.get(timeout=remaining)
            except queue.Empty:
                continue
            if topic is None or got[0] == topic:
                return got

    def quiet(self, seconds: float, topic: str) -> bool:
        """True if nothing arrives on ``topic`` for ``seconds``."""
        try:
            self.next(seconds, topic)
        except AssertionError:
            return True
        return False

    def publish(self, topic: str, payload: dict) -> None:
        self.client.publish(topic, orjson.dumps(payload), qos=1).wait_for_publish(5)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def listener_factory(mosquitto: str) -> Iterator[Callable[[list[str]], Listener]]:
    made: list[Listener] = []

    def make(topics: list[str]) -> Listener:
        made.append(Listener(mosquitto, topics))
        return made[-1]

    yield make
    for listener in made:
        listener.close()
