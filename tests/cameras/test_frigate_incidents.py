"""Frigate as its authors publish it (the examples of Frigate's MQTT docs, replayed): one
alert per incident across ``frigate/events`` and ``frigate/reviews``, an ``end`` that is no
repeat, nothing reopened once closed (SpatiaLite and PostGIS)."""

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from gridhub.alerts.actions import act
from gridhub.alerts.context import AlertContext
from gridhub.alerts.messages import title_in
from gridhub.alerts.models import Alert, AlertEvent, Delivery
from gridhub.alerts.sink import AlertsSink
from gridhub.cameras.frigate import Outcome, UnknownCamera, handle
from gridhub.cameras.registry import CameraRecord, import_cameras
from gridhub.config.cameras import FrigateConfig
from gridhub.db import transaction
from tests.cameras.conftest import BOX

PAYLOADS = Path(__file__).parent / "payloads"
EVENT_ID = "1607123955.475377-mxklsc"
STARTED = datetime.fromtimestamp(1607123955.475377, UTC)
NOW = datetime(2026, 6, 1, 13, 31, tzinfo=UTC)
CONFIG = FrigateConfig(enabled=True, labels=("person",), camera_map={"front_door": "CAM1"})


def event(kind: str, **after: Any) -> dict[str, Any]:
    """The docs' ``frigate/events`` example as a ``new``, ``update`` or ``end``."""
    data = json.loads((PAYLOADS / "frigate_docs_event_update.json").read_text())
    data["type"] = kind
    data["after"].update(after)
    if kind == "end":
        data["after"]["end_time"] = data["after"]["start_time"] + 30  # ended 30 s later
    return data


def review(**after: Any) -> dict[str, Any]:
    """The docs' ``frigate/reviews`` example, on the same camera and naming the event's id
    among its detections (the docs' two examples are of different incidents)."""
    data = json.loads((PAYLOADS / "frigate_docs_review_update.json").read_text())
    for side in ("before", "after"):
        data[side]["camera"] = "front_door"
        data[side]["data"]["detections"][0] = EVENT_ID
    data["after"].update(after)
    return data


@pytest.fixture
def camera(sessions: sessionmaker[Session], grid_of) -> None:
    record = CameraRecord(code="CAM1", name="front door", kind="fixed", lon=118.805, lat=32.005)
    with transaction(sessions) as session:
        import_cameras(session, [record], grid_of, BOX)


def feed(
    sessions: sessionmaker[Session], *messages: tuple[str, dict[str, Any]], config=CONFIG
) -> list[Outcome]:
    sink = AlertsSink(AlertContext())
    outcomes = []
    for topic_kind, data in messages:
        with transaction(sessions) as session:
            payload = json.dumps(data).encode()
            outcomes.append(handle(session, topic_kind, payload, config, NOW, sink))
    return outcomes


def alerts(sessions: sessionmaker[Session]) -> list[Alert]:
    with sessions() as session:
        return list(session.scalars(select(Alert)))


def events_of(sessions: sessionmaker[Session], kind: str) -> list[AlertEvent]:
    with sessions() as session:
        return list(session.scalars(select(AlertEvent).where(AlertEvent.kind == kind)))


def test_events_and_their_review_make_exactly_one_alert_and_end_is_no_repeat(
    sessions, camera
) -> None:
    feed(
        sessions,
        ("events", event("new")),
        ("reviews", review()),
        ("events", event("update")),
        ("events", event("end")),
    )
    (alert,) = alerts(sessions)
    assert alert.count == 3 and alert.status == "dispatched"  # the end is not a repeat
    assert alert.opened_at == STARTED  # the detection's own start, not when it was heard
    (ended,) = events_of(sessions, "detection_ended")
    assert "detection ended after 30 s" in (ended.note or "")


def test_a_late_end_or_update_after_a_resolve_opens_nothing(sessions, camera) -> None:
    feed(sessions, ("events", event("new")))
    (alert,) = alerts(sessions)
    with transaction(sessions) as session:
        act(session, alert.id, "resolve", "operator", NOW)
        told = session.scalar(select(func.count()).select_from(Delivery))
    feed(sessions, ("events", event("update")), ("reviews", review()), ("events", event("end")))
    (after,) = alerts(sessions)
    assert (after.id, after.status, after.count) == (alert.id, "resolved", 1)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Delivery)) == told


def test_a_camera_set_to_auto_resolve_resolves_when_the_detection_ends(sessions, camera) -> None:
    config = CONFIG.model_copy(update={"auto_resolve_cameras": ("CAM1",)})
    feed(sessions, ("events", event("new")), ("events", event("end")), config=config)
    (alert,) = alerts(sessions)
    assert alert.status == "resolved" and not alert.is_open


def test_detection_severity_reviews_alert_only_when_configured(sessions, camera) -> None:
    quiet = review(severity="detection")
    (outcome,) = feed(sessions, ("reviews", quiet))
    assert outcome.reason == "review severity 'detection' not configured"
    assert alerts(sessions) == []
    config = CONFIG.model_copy(update={"review_detections": True})
    feed(sessions, ("reviews", quiet), config=config)
    assert len(alerts(sessions)) == 1


def test_the_title_names_who_was_recognised_and_follows_the_zones_entered(sessions, camera) -> None:
    feed(sessions, ("events", event("new", entered_zones=[], current_zones=[], sub_label=None)))
    (alert,) = alerts(sessions)
    assert title_in(alert, "en") == "person seen by front door"
    feed(sessions, ("events", event("update")))
    (alert,) = alerts(sessions)
    assert title_in(alert, "en") == "person (John Smith) seen by front door in yard, driveway"
    assert title_in(alert, "zh-CN") == "front door 在 yard, driveway 发现 person (John Smith)"


def test_an_unknown_camera_is_refused_for_a_dead_letter(sessions, camera) -> None:
    data = copy.deepcopy(event("new"))
    data["after"]["camera"] = "garage"
    with pytest.raises(UnknownCamera, match="Frigate camera 'garage' is not registered"):
        feed(sessions, ("events", data))
    assert alerts(sessions) == []
