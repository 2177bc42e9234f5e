"""The pipeline over a real store (SpatiaLite and PostGIS): what is kept, dropped, dead-lettered."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gridhub.cameras.registry import registered_drones
from gridhub.db import transaction
from gridhub.events import (
    AreaWarning,
    CheckinStored,
    DroneMoved,
    SensorCleared,
    SensorWarning,
    SosRaised,
)
from gridhub.ingest.checkins import last_checkin
from gridhub.ingest.drones import DroneLinkError, link_serial
from gridhub.ingest.models import (
    AreaWarningRecord,
    Checkin,
    Drone,
    DronePosition,
    Sensor,
    SensorReading,
)
from gridhub.ingest.pipeline import BatchOutcome, Pipeline
from gridhub.mqtt.inbound import Received
from gridhub.mqtt.models import DeadLetter
from tests.ingest.conftest import IN_G1, IN_G2, Recorder, message

T0 = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)


def checkin(
    worker: str, msg_id: str, at: datetime = T0, where: tuple[float, float] = IN_G1, **extra: object
) -> Received:
    payload = {"id": msg_id, "ts": at.isoformat(), "lon": where[0], "lat": where[1], **extra}
    return message(f"gridhub/v1/patrol/{worker}/checkin", payload)


def run(pipeline: Pipeline, sessions: sessionmaker[Session], batch: list[Received]) -> BatchOutcome:
    with transaction(sessions) as session:
        return pipeline.run(session, batch)


def test_checkins_are_stored_with_grid_and_assignment(
    pipeline: Pipeline, town: sessionmaker[Session], recorder: Recorder
) -> None:
    outcome = run(
        pipeline,
        town,
        [
            checkin("W1", "a"),
            checkin("W1", "b", where=IN_G2),
            checkin("W2", "c", where=IN_G2, kind="sos", note="help"),
        ],
    )
    assert outcome.accepted == 3 and outcome.dead_letters == 0
    with town() as session:
        rows = {row.msg_id: row for row in session.scalars(select(Checkin))}
    assert (rows["a"].grid_code, rows["a"].in_assigned_grid) == ("G1", True)
    assert (rows["b"].grid_code, rows["b"].in_assigned_grid) == ("G2", False)
    assert rows["c"].kind == "sos"
    sos = [event for event in recorder.events if isinstance(event, SosRaised)]
    assert len(sos) == 1 and sos[0].worker == "W2" and sos[0].grid == "G2" and sos[0].note == "help"
    assert sos[0].checkin_id == rows["c"].id
    assert sum(isinstance(event, CheckinStored) for event in recorder.events) == 3


def test_gcj02_positions_are_converted_to_wgs84(
    pipeline: Pipeline, town: sessionmaker[Session]
) -> None:
    # AMap reports GCJ-02, offset by a few hundred metres from WGS84 in China.
    from gridhub.geo.crs import from_wgs84

    lon, lat = from_wgs84(*IN_G1, "gcj02")
    run(pipeline, town, [checkin("W1", "g", where=(lon, lat), crs="gcj02")])
    with town() as session:
        row = session.scalars(select(Checkin)).one()
    assert row.crs == "gcj02" and row.grid_code == "G1"
    assert row.lon == pytest.approx(IN_G1[0], abs=1e-6) and row.lat == pytest.approx(
        IN_G1[1], abs=1e-6
    )


def test_redeliveries_are_dropped_within_and_across_batches(
    pipeline: Pipeline, town: sessionmaker[Session]
) -> None:
    first = run(
        pipeline, town, [checkin("W1", "x"), checkin("W1", "x"), checkin("W2", "x", where=IN_G2)]
    )
    again = run(pipeline, town, [checkin("W1", "x"), checkin("W1", "y")])
    assert (first.accepted, first.duplicates) == (2, 1)
    assert (again.accepted, again.duplicates) == (1, 1)
    with town() as session:
        assert sorted(session.scalars(select(Checkin.worker_code + ":" + Checkin.msg_id))) == [
            "W1:x",
            "W1:y",
            "W2:x",
        ]


def test_a_redelivery_after_commit_changes_nothing(
    pipeline: Pipeline, town: sessionmaker[Session], recorder: Recorder
) -> None:
    run(pipeline, town, [checkin("W1", "s", T0, kind="start"), checkin("W1", "e", T0, kind="sos")])
    later = T0 + timedelta(hours=1)
    run(pipeline, town, [checkin("W1", "n", later, where=IN_G2, kind="end")])
    # The broker redelivers the first batch (the hub died before its PUBACKs went out).
    outcome = run(
        pipeline, town, [checkin("W1", "s", T0, kind="start"), checkin("W1", "e", T0, kind="sos")]
    )
    assert (outcome.accepted, outcome.duplicates, outcome.events) == (0, 2, 0)
    assert sum(isinstance(event, SosRaised) for event in recorder.events) == 1
    with town() as session:
        status = last_checkin(session, "W1")
        assert session.query(Checkin).count() == 3
    assert status is not None
    assert (status["ts"], status["grid"], status["on_patrol"]) == (later, "G2", False)


BAD_INPUTS = [
    ("gridhub/v1/patrol/W1/checkin", b"{not json", "not JSON"),
    ("gridhub/v1/patrol/W1/checkin", b"[1, 2]", "wrong schema"),
    (
        "gridhub/v1/patrol/W1/checkin",
        b'{"id": "m1", "ts": "2026-07-01T08:00:00Z", "lat": "north", "lon": 113.3}',
        "lat",
    ),
    (
        "gridhub/v1/patrol/W1/checkin",
        b'{"ts": "2026-07-01T08:00:00Z", "lat": 23.1, "lon": 113.3}',
        "missing field 'id'",
    ),
    (
        "gridhub/v1/patrol/W1/checkin",
        b'{"id": "m2", "ts": "2026-07-01T08:00:00Z", "lat": 95, "lon": 113.3}',
        "lat: Input should be less than or equal to 90",
    ),
    (
        "gridhub/v1/patrol/W1/checkin",
        b'{"id": "m3", "ts": "2026-07-01T08:00:00Z", "lat": 23.1, "lon": 181}',
        "lon: Input should be less than or equal to 180",
    ),
    (
        "gridhub/v1/patrol/NOBODY/checkin",
        b'{"id": "m4", "ts": "2026-07-01T08:00:00Z", "lat": 23.1, "lon": 113.3}',
        "unknown worker 'NOBODY'",
    ),
    (
        "gridhub/v1/patrol/W1/checkin",
        b'{"id": "m5", "ts": "2026-07-01T08:00:00Z", "lat": 23.1, "lon": 113.3, "worker": "W2"}',
        "sender mismatch",
    ),
    (
        "gridhub/v1/patrol/W1/checkin",
        b'{"id": "m6", "ts": "2026-07-01T08:00:00Z", "lat": 23.1, "lon": 113.3, "note": "'
        + b"x" * 20000
        + b'"}',
        "payload too large",
    ),
    (
        "gridhub/v1/patrol/W1/checkin",
        b'{"id": "m7", "ts": "2999-01-01T00:00:00Z", "lat": 23.1, "lon": 113.3}',
        "timestamp in the future",
    ),
    (
        "gridhub/v1/sensors/NOPE/reading",
        b'{"id": "r1", "ts": 1782892800000, "kind": "water_level", "value": 1}',
        "unknown sensor 'NOPE'",
    ),
    (
        "gridhub/v1/warnings/area",
        b'{"id": "w1", "ts": 1782892800000, "kind": "flood", "level": "red", "area": '
        b'{"type": "Polygon", "coordinates": [[[0,0],[1,1],[1,0],[0,1],[0,0]]]}}',
        "invalid geometry: Self-intersection",
    ),
]


@pytest.mark.parametrize(
    ("topic", "payload", "reason"), BAD_INPUTS, ids=[case[2] for case in BAD_INPUTS]
)
def test_each_bad_input_is_dead_lettered_and_the_good_around_it_stored(
    pipeline: Pipeline, town: sessionmaker[Session], topic: str, payload: bytes, reason: str
) -> None:
    outcome = run(
        pipeline,
        town,
        [checkin("W1", "before"), message(topic, payload), checkin("W2", "after", where=IN_G2)],
    )
    assert (outcome.accepted, outcome.dead_letters) == (2, 1)
    with town() as session:
        letter = session.scalars(select(DeadLetter)).one()
        stored = sorted(session.scalars(select(Checkin.msg_id)))
    assert reason in letter.reason
    assert letter.topic == topic and letter.size == len(payload)
    assert stored == ["after", "before"]


def test_late_out_of_order_checkins_keep_the_newest_position_and_patrol_state(
    pipeline: Pipeline, town: sessionmaker[Session]
) -> None:
    run(
        pipeline,
        town,
        [
            checkin("W1", "start", T0, kind="start"),
            checkin("W1", "p3", T0 + timedelta(hours=3), where=IN_G2),
        ],
    )
    # Hours later the phone delivers what it buffered: older check-ins, and the patrol's end.
    run(
        pipeline,
        town,
        [
            checkin("W1", "p1", T0 + timedelta(hours=1)),
            checkin("W1", "end", T0 + timedelta(hours=2), kind="end"),
        ],
    )
    with town() as session:
        status = last_checkin(session, "W1")
        times = [
            row.ts
            for row in session.scalars(
                select(Checkin).where(Checkin.worker_code == "W1").order_by(Checkin.ts)
            )
        ]
    assert status is not None
    assert status["ts"] == T0 + timedelta(hours=3) and status["grid"] == "G2"
    assert status["on_patrol"] is False and status["patrol_changed_at"] == T0 + timedelta(hours=2)
    assert len(times) == 4 and times == sorted(times)


def reading(msg_id: str, value: float, at: datetime) -> Received:
    return message(
        "gridhub/v1/sensors/S1/reading",
        {"id": msg_id, "ts": int(at.timestamp() * 1000), "kind": "water_level", "value": value},
    )


def test_threshold_crossings_warn_once_with_hysteresis(
    pipeline: Pipeline, town: sessionmaker[Session], recorder: Recorder
) -> None:
    # Lines at 3.0 (blue) and 4.0 (yellow), band 0.2 m: hovering at a line changes nothing;
    # a level falls only once the value is 0.2 m below its line.
    values = [2.5, 3.05, 2.95, 3.02, 2.9, 4.1, 3.9, 3.7, 2.7]
    run(
        pipeline,
        town,
        [reading(f"r{i}", value, T0 + timedelta(minutes=i)) for i, value in enumerate(values)],
    )
    changes = [
        (type(e).__name__, getattr(e, "level", None), e.value)
        for e in recorder.events
        if isinstance(e, SensorWarning | SensorCleared)
    ]
    assert changes == [
        ("SensorWarning", "blue", 3.05),
        ("SensorWarning", "yellow", 4.1),
        ("SensorWarning", "blue", 3.7),
        ("SensorCleared", None, 2.7),
    ]
    with town() as session:
        sensor = session.scalars(select(Sensor)).one()
        assert sensor.level is None and sensor.last_value == 2.7
        assert session.query(SensorReading).count() == len(values)


def test_explicit_sensor_warning_and_area_warning(
    pipeline: Pipeline, town: sessionmaker[Session], recorder: Recorder
) -> None:
    area = {
        "type": "Polygon",
        "coordinates": [
            [
                [113.309, 23.101],
                [113.315, 23.101],
                [113.315, 23.109],
                [113.309, 23.109],
                [113.309, 23.101],
            ]
        ],
    }
    run(
        pipeline,
        town,
        [
            message(
                "gridhub/v1/sensors/S1/warning",
                {
                    "id": "w1",
                    "ts": T0.isoformat(),
                    "kind": "water_level",
                    "level": "orange",
                    "value": 5.2,
                },
            ),
            message(
                "gridhub/v1/warnings/area",
                {
                    "id": "f1",
                    "ts": T0.isoformat(),
                    "kind": "flood",
                    "level": "red",
                    "area": area,
                    "issuer": "sanfang",
                },
            ),
        ],
    )
    warning = next(e for e in recorder.events if isinstance(e, SensorWarning))
    assert (warning.level, warning.grid, warning.from_threshold) == ("orange", "G1", False)
    flood = next(e for e in recorder.events if isinstance(e, AreaWarning))
    assert flood.grids == ("G1", "G2") and flood.level == "red"
    with town() as session:
        assert session.scalars(select(AreaWarningRecord.grids)).one() == ["G1", "G2"]


def dji_osd(serial: str, tid: str, ms: int, where: tuple[float, float]) -> Received:
    return message(
        f"thing/product/{serial}/osd",
        {
            "tid": tid,
            "bid": "42",
            "timestamp": ms,
            "data": {
                "latitude": where[1],
                "longitude": where[0],
                "height": 120.5,
                "elevation": 85.0,
                "attitude_head": -45,
                "battery": {"capacity_percent": 77},
            },
        },
    )


def test_drone_telemetry_and_dji_osd(
    pipeline: Pipeline, fleet: sessionmaker[Session], recorder: Recorder
) -> None:
    ms = int(T0.timestamp() * 1000)
    outcome = run(
        pipeline,
        fleet,
        [
            message(
                "gridhub/v1/drones/D1/telemetry",
                {
                    "id": "t1",
                    "ts": ms,
                    "lon": IN_G1[0],
                    "lat": IN_G1[1],
                    "alt_m": 80,
                    "battery_pct": 90,
                },
            ),
            dji_osd("1581F5BKD225400BGA", "6a7b", ms + 2000, IN_G2),
            message(
                "gridhub/v1/drones/D1/telemetry",
                {"id": "t0", "ts": ms - 5000, "lon": IN_G2[0], "lat": IN_G2[1]},
            ),
        ],
    )
    assert outcome.accepted == 3 and outcome.dead_letters == 0
    with fleet() as session:
        drones = {drone.code: drone for drone in session.scalars(select(Drone))}
        assert session.query(DronePosition).count() == 3
    assert drones["D1"].grid_code == "G1" and drones["D1"].battery_pct == 90
    uav = drones["UAV7"]
    assert (uav.serial_number, uav.grid_code, uav.battery_pct) == ("1581F5BKD225400BGA", "G2", 77)
    # DJI's elevation is above take-off, its height the ellipsoid's; its heading is ±180°
    assert (uav.alt_m, uav.alt_wgs84_m, uav.heading) == (85.0, 120.5, 315)
    assert {event.drone for event in recorder.events if isinstance(event, DroneMoved)} == {
        "D1",
        "UAV7",
    }


def test_unregistered_drones_are_dead_lettered(
    pipeline: Pipeline, fleet: sessionmaker[Session], recorder: Recorder
) -> None:
    ms = int(T0.timestamp() * 1000)
    good = {"id": "ok", "ts": ms, "lon": IN_G1[0], "lat": IN_G1[1]}
    outcome = run(
        pipeline,
        fleet,
        [
            message("gridhub/v1/drones/D9/telemetry", {**good, "id": "x1"}),
            message("gridhub/v1/drones/C1/telemetry", {**good, "id": "x2"}),
            dji_osd("UNKNOWNSN", "x3", ms, IN_G1),
            message("gridhub/v1/drones/D1/telemetry", good),
        ],
    )
    assert outcome.accepted == 1 and outcome.dead_letters == 3
    with fleet() as session:
        reasons = {row.sender: row.reason for row in session.scalars(select(DeadLetter))}
        assert set(session.scalars(select(Drone.code))) == {"D1", "UAV7"}
        assert session.scalars(select(DronePosition.drone_code)).all() == ["D1"]
    assert reasons == {
        "D9": "unknown drone 'D9': not a drone in the cameras registry",
        "C1": "unknown drone 'C1': not a drone in the cameras registry",
        "UNKNOWNSN": "unknown drone serial 'UNKNOWNSN': not linked to a drone",
    }
    assert [event.drone for event in recorder.events if isinstance(event, DroneMoved)] == ["D1"]


def test_a_serial_links_only_to_a_registered_drone(fleet: sessionmaker[Session]) -> None:
    with fleet() as session:
        with pytest.raises(DroneLinkError, match="no drone 'C1' in the cameras registry"):
            link_serial(session, "C1", "SN1", registered_drones)
        with pytest.raises(DroneLinkError, match="already linked to drone 'UAV7'"):
            link_serial(session, "D1", "1581F5BKD225400BGA", registered_drones)
