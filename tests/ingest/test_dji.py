"""DJI Cloud API as DJI publishes it (its topic-definition examples, replayed): a dock's own
``osd`` is a dock status, not a dead letter; an aircraft without a GPS fix moves nothing; a
flying one is placed with elevation, 0–360° heading and flight state (SpatiaLite, PostGIS)."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gridhub.events import DroneMoved
from gridhub.ingest.drone_states import docks_of, drones_in_scope
from gridhub.ingest.models import DjiDock, Drone, DronePosition
from gridhub.ingest.pipeline import Pipeline
from gridhub.mqtt.models import DeadLetter
from tests.ingest.conftest import IN_G2, Recorder, message
from tests.ingest.mqtt_helpers import count
from tests.ingest.test_pipeline import run

PAYLOADS = Path(__file__).parent / "payloads"
DOCK = "7CTDM3D00BVY9G"
AIRCRAFT = "1581F5BKD225400BGA"  # linked to the registered drone UAV7 by the fleet fixture


def payload(name: str, **data: Any) -> dict[str, Any]:
    loaded = json.loads((PAYLOADS / name).read_text())
    loaded["data"].update(data)
    return loaded


def test_a_docks_own_osd_is_its_status_not_a_dead_letter(
    pipeline: Pipeline, fleet: sessionmaker[Session]
) -> None:
    outcome = run(
        pipeline,
        fleet,
        [
            message(f"thing/product/{DOCK}/osd", payload("dji_dock_osd.json")),
            message(f"thing/product/{DOCK}/osd", payload("dji_dock_osd_maintenance.json")),
        ],
    )
    assert outcome.dead_letters == 0 and outcome.stored == {"dji_dock_status": 2}
    with fleet() as session:
        dock = session.get(DjiDock, DOCK)
        assert dock is not None
        assert (dock.drone_in_dock, dock.drone_charging, dock.drone_battery_pct) == (
            True,
            False,
            100,
        )
        assert (dock.mode_code, dock.drone_serial) == (1, "1581F5BKD225D00BP891")
        assert (dock.lon, dock.lat) == (113.703482143, 22.907809968)
        # the maintenance part is older: it changed nothing
        assert dock.last_ts == datetime.fromtimestamp(1667220916.697, UTC)
    assert count(fleet, DeadLetter) == 0


def test_an_aircraft_in_its_dock_without_a_fix_moves_nothing(
    pipeline: Pipeline, fleet: sessionmaker[Session], recorder: Recorder
) -> None:
    outcome = run(
        pipeline,
        fleet,
        [message(f"thing/product/{AIRCRAFT}/osd", payload("dji_aircraft_osd_in_dock.json"))],
    )
    assert outcome.stored == {"dji_no_fix": 1} and outcome.dead_letters == 0
    with fleet() as session:
        uav = session.scalars(select(Drone).where(Drone.code == "UAV7")).one()
        assert (uav.lon, uav.lat) == (None, None)
    assert count(fleet, DronePosition) == 0 and count(fleet, DeadLetter) == 0
    assert not [e for e in recorder.events if isinstance(e, DroneMoved)]


def test_a_flying_aircraft_is_placed_with_elevation_heading_and_flight_state(
    pipeline: Pipeline, fleet: sessionmaker[Session], recorder: Recorder
) -> None:
    flying = payload(
        "dji_aircraft_osd_in_dock.json",
        latitude=IN_G2[1],
        longitude=IN_G2[0],
        height=152.3,
        elevation=118.0,
        attitude_head=-90.0,
        mode_code=9,  # DJI: returning home
    )
    run(pipeline, fleet, [message(f"thing/product/{AIRCRAFT}/osd", flying)])
    with fleet() as session:
        uav = session.scalars(select(Drone).where(Drone.code == "UAV7")).one()
    assert (uav.grid_code, uav.alt_m, uav.alt_wgs84_m, uav.heading) == ("G2", 118.0, 152.3, 270)
    assert (uav.mode_code, uav.battery_pct) == (9, 100)
    (moved,) = [e for e in recorder.events if isinstance(e, DroneMoved)]
    assert (moved.grid, moved.mode_code, moved.heading) == ("G2", 9, 270)


def test_a_drone_is_listed_with_the_state_of_the_dock_it_sits_in(
    pipeline: Pipeline, fleet: sessionmaker[Session]
) -> None:
    dock_osd = payload("dji_dock_osd.json", drone_charge_state={"state": 1, "capacity_percent": 62})
    dock_osd["data"]["sub_device"]["device_sn"] = AIRCRAFT  # the dock holds UAV7
    placed = payload("dji_aircraft_osd_in_dock.json", latitude=IN_G2[1], longitude=IN_G2[0])
    run(
        pipeline,
        fleet,
        [
            message(f"thing/product/{DOCK}/osd", dock_osd),
            message(f"thing/product/{AIRCRAFT}/osd", placed),
        ],
    )
    with fleet() as session:
        drones = drones_in_scope(session)
        docks = docks_of(session, drones)
    assert [d.code for d in drones] == ["UAV7"]
    dock = docks["UAV7"]
    assert (dock.serial_number, dock.drone_in_dock, dock.drone_charging) == (DOCK, True, True)
    assert dock.drone_battery_pct == 62
