"""The broker lets in only whom the store names, and each only on its own topics: on the
embedded Mosquitto child, on the amqtt fallback, and on an external Mosquitto configured by
``gridhub broker mosquitto-config``. Every check looks at what arrives, not at the PUBACK."""

from collections.abc import Iterator

import pytest

from tests.mqtt.conftest import RunningBroker, password
from tests.mqtt.devices import Device

PREFIX = "gridhub/v1"
CHECKIN = PREFIX + "/patrol/{}/checkin"
ACK = PREFIX + "/members/{}/ack"
ALERTS = PREFIX + "/members/{}/alerts"
STATUS = PREFIX + "/hub/status"


@pytest.fixture
def devices(broker: RunningBroker) -> Iterator[list[Device]]:
    opened: list[Device] = []
    yield opened
    for device in opened:
        device.close()


@pytest.fixture
def connect(broker: RunningBroker, devices: list[Device]):
    def connect(username: str | None = None, secret: str | None = None) -> Device:
        device = Device(broker.port, username, secret)
        devices.append(device)
        return device

    return connect


@pytest.fixture
def observer(broker: RunningBroker, connect) -> Device:
    """The hub's own user, reading everything."""
    device = connect(broker.hub.username, broker.hub.password)
    assert device.refused is None
    device.subscribe("#")
    return device


def member(connect, code: str) -> Device:
    device = connect(code, password(code))
    assert device.refused is None, f"{code} was refused: {device.refused}"
    return device


@pytest.mark.parametrize(
    ("username", "secret"),
    [(None, None), ("W1", "wrong-password"), ("W1", password("W2")), ("nobody", "whatever1")],
    ids=["anonymous", "wrong password", "another member's password", "unknown user"],
)
def test_who_is_not_in_the_store_is_refused_at_connect(connect, username, secret) -> None:
    assert connect(username, secret).refused is not None


def test_a_member_publishes_only_as_itself(connect, observer: Device) -> None:
    w1 = member(connect, "W1")
    w1.publish(CHECKIN.format("W2"), b"forged check-in")
    w1.publish(ACK.format("W2"), b"forged ack")
    w1.publish(PREFIX + "/sensors/S1/reading", b"forged reading")
    w1.publish(PREFIX + "/warnings/area", b"forged warning")
    w1.publish(ALERTS.format("W2"), b"forged alert")
    w1.publish(ACK.format("W1"), b"own ack")
    w1.publish(CHECKIN.format("W1"), b"own check-in")
    seen = observer.until(CHECKIN.format("W1"), b"own check-in")
    assert [payload for _topic, payload in seen] == [b"own ack", b"own check-in"]


def test_a_members_owntracks_phone_publishes_only_under_its_own_user(connect, observer) -> None:
    """OwnTracks publishes to owntracks/{user}/{device}: the user level is the member's code."""
    w1 = member(connect, "W1")
    w1.publish("owntracks/W2/phone", b"forged location")
    w1.publish("owntracks/W1/phone/event", b"a transition, not read by the hub")
    w1.publish("owntracks/W1/phone", b"own location")
    seen = observer.until("owntracks/W1/phone", b"own location")
    assert [payload for _topic, payload in seen] == [b"own location"]


def test_a_member_reads_only_its_own_alerts_whatever_it_subscribes(
    broker: RunningBroker, connect
) -> None:
    w1 = member(connect, "W1")
    w1.subscribe("#", ALERTS.format("+"), ALERTS.format("W2"), PREFIX + "/#")
    w1.subscribe(ALERTS.format("W1"))
    hub = connect(broker.hub.username, broker.hub.password)
    hub.publish(ALERTS.format("W2"), b"for W2")
    hub.publish(CHECKIN.format("W2"), b"W2 was here")
    member(connect, "S1").publish(PREFIX + "/sensors/S1/reading", b"4.2 m")
    hub.publish(ALERTS.format("W1"), b"for W1")
    assert w1.until(ALERTS.format("W1"), b"for W1") == [(ALERTS.format("W1"), b"for W1")]


def test_hub_status_cannot_be_forged(broker: RunningBroker, connect) -> None:
    hub = connect(broker.hub.username, broker.hub.password)
    hub.publish(STATUS, b"online", retain=True)
    member(connect, "W1").publish(STATUS, b"offline", retain=True)
    member(connect, "frigate").publish(STATUS, b"offline", retain=True)
    late = connect(broker.hub.username, broker.hub.password)
    late.subscribe(STATUS)
    assert late.until(STATUS, b"online") == [(STATUS, b"online")]


def test_a_sensor_publishes_only_its_own_readings_and_warnings(connect, observer) -> None:
    s1 = member(connect, "S1")
    s1.publish(CHECKIN.format("S1"), b"a sensor is no member")
    s1.publish(ACK.format("S1"), b"nor does it ack")
    s1.publish(PREFIX + "/sensors/S2/reading", b"another sensor's")
    s1.publish(PREFIX + "/drones/S1/telemetry", b"nor a drone")
    s1.publish(PREFIX + "/sensors/S1/warning", b"own warning")
    s1.publish(PREFIX + "/sensors/S1/reading", b"own reading")
    seen = observer.until(PREFIX + "/sensors/S1/reading", b"own reading")
    assert [payload for _topic, payload in seen] == [b"own warning", b"own reading"]


def test_a_drone_publishes_only_its_own_telemetry(connect, observer) -> None:
    d1 = member(connect, "D1")
    d1.publish(PREFIX + "/drones/D2/telemetry", b"another drone's")
    d1.publish(PREFIX + "/sensors/D1/reading", b"no sensor")
    d1.publish(PREFIX + "/drones/D1/telemetry", b"own position")
    seen = observer.until(PREFIX + "/drones/D1/telemetry", b"own position")
    assert [payload for _topic, payload in seen] == [b"own position"]


def test_an_integration_keeps_to_its_own_topics(connect, observer) -> None:
    frigate = member(connect, "frigate")
    frigate.publish(CHECKIN.format("W1"), b"not Frigate's")
    frigate.publish("thing/product/SN1/osd", b"not Frigate's either")
    frigate.publish("frigate/events", b"a detection")
    assert [p for _t, p in observer.until("frigate/events", b"a detection")] == [b"a detection"]
    dji = member(connect, "dji-dock")
    dji.publish("frigate/events", b"not the dock's")
    dji.publish(PREFIX + "/drones/SN1/telemetry", b"nor this")
    dji.publish("thing/product/SN1/osd", b"a position")
    assert [p for _t, p in observer.until("thing/product/SN1/osd", b"a position")] == [
        b"a position"
    ]
