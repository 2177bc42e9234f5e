"""OwnTracks phones (``owntracks/{user}/{device}``): a location is the worker's check-in, in
the grid it lies in; OwnTracks' other message types are ignored and counted (SpatiaLite and
PostGIS, and over a real Mosquitto)."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gridhub.cameras.registry import registered_drones
from gridhub.config import load_settings
from gridhub.db import transaction
from gridhub.events import CheckinStored
from gridhub.ingest.models import Checkin
from gridhub.ingest.pipeline import BatchOutcome, Pipeline
from gridhub.ingest.service import build_pipeline
from gridhub.mqtt.inbound import Received
from gridhub.mqtt.models import DeadLetter
from gridhub.mqtt.topics import Topics
from tests.ingest.conftest import GRIDS, IN_G1, IN_G2, IndexLocator, Recorder, message
from tests.ingest.mqtt_helpers import count, hub_settings, start_service, wait_for

PAYLOADS = Path(__file__).parent / "payloads"


def android_location(where: tuple[float, float] = IN_G1, **changes: Any) -> dict[str, Any]:
    """OwnTracks Android's own example, placed in the test town (lat/lon changed)."""
    data = json.loads((PAYLOADS / "owntracks_location_android.json").read_text())
    return {**data, "lon": where[0], "lat": where[1], **changes}


def run(pipeline: Pipeline, sessions: sessionmaker[Session], batch: list[Received]) -> BatchOutcome:
    with transaction(sessions) as session:
        return pipeline.run(session, batch)


def test_a_location_is_the_workers_checkin_in_the_grid_it_lies_in(
    pipeline: Pipeline, town: sessionmaker[Session], recorder: Recorder
) -> None:
    outcome = run(pipeline, town, [message("owntracks/W1/phone", android_location(IN_G2))])
    assert (outcome.accepted, outcome.dead_letters) == (1, 0)
    with town() as session:
        row = session.scalars(select(Checkin)).one()
    assert (row.worker_code, row.grid_code, row.in_assigned_grid) == ("W1", "G2", False)
    assert row.ts == datetime.fromtimestamp(1610799026, UTC)  # tst: the fix, not created_at
    assert (row.accuracy_m, row.battery_pct, row.kind) == (20, 100, "checkpoint")
    assert row.msg_id == "aa:1610748273"  # tid and created_at
    (event,) = [e for e in recorder.events if isinstance(e, CheckinStored)]
    assert (event.worker, event.grid) == ("W1", "G2")


def test_a_redelivered_location_is_stored_once(
    pipeline: Pipeline, town: sessionmaker[Session]
) -> None:
    location = message("owntracks/W1/phone", android_location())
    run(pipeline, town, [location])
    outcome = run(pipeline, town, [location])
    assert (outcome.accepted, outcome.duplicates) == (0, 1)
    assert count(town, Checkin) == 1


def test_other_owntracks_types_are_ignored_and_counted_not_dead_lettered(
    pipeline: Pipeline, town: sessionmaker[Session]
) -> None:
    lwt = (PAYLOADS / "owntracks_lwt.json").read_bytes()
    outcome = run(pipeline, town, [message("owntracks/W1/phone", lwt)])
    assert outcome.stored == {"owntracks_ignored": 1} and outcome.dead_letters == 0
    assert count(town, Checkin) == 0 and count(town, DeadLetter) == 0


def test_bad_locations_and_unknown_users_are_dead_letters_with_their_reason(
    pipeline: Pipeline, town: sessionmaker[Session]
) -> None:
    missing_type = {k: v for k, v in android_location().items() if k != "_type"}
    outcome = run(
        pipeline,
        town,
        [
            message("owntracks/W1/phone", android_location(lat=123.0)),
            message("owntracks/W1/phone", missing_type),
            message("owntracks/nobody/phone", android_location()),
        ],
    )
    assert outcome.accepted == 0
    with town() as session:
        reasons = sorted(session.scalars(select(DeadLetter.reason)))
    assert reasons == [
        "invalid owntracks: lat: Input should be less than or equal to 90",
        "invalid owntracks: missing field '_type'",
        "unknown worker 'nobody': not on the roster",
    ]
    assert count(town, Checkin) == 0


def test_a_phone_set_up_with_another_user_name_is_mapped_in_the_settings(
    tmp_path: Path, town: sessionmaker[Session]
) -> None:
    settings = load_settings(data_dir=tmp_path, ingest={"owntracks_users": {"zhang.san": "W2"}})
    pipeline = build_pipeline(
        settings, Topics(), IndexLocator(GRIDS), [Recorder()], registered_drones
    )
    run(pipeline, town, [message("owntracks/zhang.san/phone", android_location(IN_G2))])
    with town() as session:
        row = session.scalars(select(Checkin)).one()
    assert (row.worker_code, row.grid_code, row.in_assigned_grid) == ("W2", "G2", True)


def test_owntracks_over_a_real_mosquitto(
    tmp_path: Path, mosquitto, town: sessionmaker[Session]
) -> None:
    """The hub subscribes to owntracks/+/+ and stores what a phone publishes there."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    service = start_service(hub_settings(tmp_path, mosquitto.url), town)
    try:
        phone = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="owntracks-W1phone")
        phone.connect("127.0.0.1", mosquitto.port)
        phone.loop_start()
        for n in range(3):
            body = orjson.dumps(android_location(created_at=1610748273 + n, tst=1610799026 + n))
            phone.publish("owntracks/W1/phone", body, qos=1).wait_for_publish(5)
        phone.publish("owntracks/W1/phone/event", b'{"_type":"transition"}', qos=1)
        lwt = (PAYLOADS / "owntracks_lwt.json").read_bytes()
        phone.publish("owntracks/W1/phone", lwt, qos=1).wait_for_publish(5)
        phone.loop_stop()
        phone.disconnect()
        wait_for(lambda: count(town, Checkin) == 3)
        wait_for(lambda: service.health().get("owntracks_ignored") == 1)
        assert service.health()["checkins"] == 3  # the transition's topic is not read
    finally:
        service.stop()
    with town() as session:
        assert set(session.scalars(select(Checkin.grid_code))) == {"G1"}
        assert count(town, DeadLetter) == 0
