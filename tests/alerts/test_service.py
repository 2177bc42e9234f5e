"""Opening, merging, escalating and handling alerts in the store (SpatiaLite and PostGIS)."""

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gridhub.alerts.actions import NotARecipient, act, device_ack
from gridhub.alerts.context import AlertContext
from gridhub.alerts.lifecycle import IllegalTransition
from gridhub.alerts.models import Alert, AlertEvent, AlertGrid, AlertTimer, Delivery
from gridhub.alerts.raising import AlertSpec, clear_alerts, raise_alert
from gridhub.alerts.rules import events as rules
from gridhub.alerts.timers import fire_due_timers
from gridhub.events import SensorWarning
from gridhub.geo.models import Member
from tests.alerts.conftest import NOON, Town


def _warning(town: Town, severity: str = "yellow", value: float = 3.2) -> AlertSpec:
    lon, lat = town.g1_point
    return AlertSpec(
        "sensor", "S1", "water_level", severity, "Water level high", lon=lon, lat=lat, value=value
    )


def _member_targets(session: Session, alert_id: int) -> list[tuple[str, str]]:
    rows = session.execute(
        select(Delivery.member_code, Delivery.target)
        .where(Delivery.alert_id == alert_id, Delivery.member_code.is_not(None))
        .order_by(Delivery.id)
    )
    return [tuple(row) for row in rows]


def _events(session: Session, alert_id: int) -> list[str]:
    query = select(AlertEvent.kind).where(AlertEvent.alert_id == alert_id).order_by(AlertEvent.id)
    return list(session.scalars(query))


def test_a_warning_reaches_the_on_duty_worker_of_its_grid(
    sessions: sessionmaker[Session], town: Town, ctx: AlertContext
) -> None:
    with sessions() as session, session.begin():
        alert = raise_alert(session, _warning(town), NOON, ctx)
    with sessions() as session:
        alert = session.get(Alert, alert.id)
        assert (alert.status, alert.grid, alert.region_path) == (
            "dispatched",
            "G1",
            "/C1/T1/V1/G1/",
        )
        assert _member_targets(session, alert.id) == [("W1", "gridhub/v1/members/W1/alerts")]
        message = session.scalar(select(Delivery.payload).where(Delivery.member_code == "W1"))
        assert message["ack_topic"] == "gridhub/v1/members/W1/ack"
        assert message["alert_id"] == alert.id and message["severity"] == "yellow"
        integration = session.scalars(
            select(Delivery.payload).where(Delivery.target == "gridhub/v1/alerts/events")
        ).all()
        assert (
            integration[-1]["type"] == "new" and integration[-1]["after"]["status"] == "dispatched"
        )
        assert _events(session, alert.id) == ["opened", "dispatched"]
        timer = session.get(AlertTimer, alert.id)
        assert timer.due_at == NOON + timedelta(seconds=60)


def test_each_member_reads_the_alert_in_their_own_language(
    sessions: sessionmaker[Session], town: Town, ctx: AlertContext
) -> None:
    """W1 reads English; the leader, with no language of their own, reads the hub's zh-CN."""
    lon, lat = town.g1_point
    spec = rules.sensor_warning(
        SensorWarning("WL3", "water_level", "red", lon, lat, "G1", NOON, 21.3, "m",
                      name="柳湾河3号水位站")
    )  # fmt: skip
    spec = replace(spec, broadcast_roles=("grid_leader",))  # the leader hears at once too
    with sessions() as session, session.begin():
        session.scalar(select(Member).where(Member.code == "W1")).language = "en"
        alert = raise_alert(session, spec, NOON, ctx)
    with sessions() as session:
        rows = session.execute(
            select(Delivery.member_code, Delivery.payload).where(
                Delivery.alert_id == alert.id, Delivery.member_code.is_not(None)
            )
        )
        titles = {code: payload["title"] for code, payload in rows}
        stored = session.get(Alert, alert.id)
    assert titles["W1"] == "Red water level warning at 柳湾河3号水位站 (water level 21.3 m)"
    assert titles["L1"] == "柳湾河3号水位站 红色水位预警（水位 21.3 m）"
    assert stored.title == titles["L1"]  # the stored title is in the hub's language


def test_repeats_merge_and_a_severity_rise_redispatches(
    sessions: sessionmaker[Session], town: Town, ctx: AlertContext
) -> None:
    with sessions() as session, session.begin():
        first = raise_alert(session, _warning(town), NOON, ctx)
    with sessions() as session, session.begin():
        again = raise_alert(session, _warning(town, value=3.4), NOON + timedelta(seconds=5), ctx)
    assert again.id == first.id
    with sessions() as session:
        alert = session.get(Alert, first.id)
        assert (alert.count, alert.last_value) == (2, 3.4)
        assert len(_member_targets(session, alert.id)) == 1  # a repeat does not re-notify
    with sessions() as session, session.begin():
        raise_alert(session, _warning(town, "red", 4.0), NOON + timedelta(seconds=9), ctx)
    with sessions() as session:
        alert = session.get(Alert, first.id)
        assert (alert.severity, alert.count) == ("red", 3)
        messages = session.scalars(
            select(Delivery.payload).where(Delivery.member_code == "W1").order_by(Delivery.id)
        ).all()
        assert [m["severity"] for m in messages] == ["yellow", "red"]
        assert _events(session, alert.id) == [
            "opened",
            "dispatched",
            "repeated",
            "severity_raised",
            "redispatched",
        ]
        assert session.scalar(select(Alert.id).where(Alert.id != first.id)) is None


def test_no_ack_escalates_to_the_leader_and_the_leaders_ack_stops_it(
    sessions: sessionmaker[Session], town: Town, ctx: AlertContext
) -> None:
    with sessions() as session, session.begin():
        alert_id = raise_alert(session, _warning(town), NOON, ctx).id
    with sessions() as session, session.begin():
        assert fire_due_timers(session, ctx, NOON + timedelta(seconds=59)) == 0
    with sessions() as session, session.begin():
        assert fire_due_timers(session, ctx, NOON + timedelta(seconds=61)) == 1
    with sessions() as session:
        assert [m for m, _ in _member_targets(session, alert_id)] == ["W1", "L1"]
        escalated = session.scalar(select(AlertEvent).where(AlertEvent.kind == "escalated"))
        assert "grid_worker → grid_leader" in escalated.note
    with sessions() as session, session.begin():
        device_ack(session, "L1", alert_id, "acknowledged", NOON + timedelta(seconds=70), ctx=ctx)
    with sessions() as session:
        alert = session.get(Alert, alert_id)
        assert (alert.status, alert.acked_by, alert.ack_channel) == ("acknowledged", "L1", "mqtt")
        assert session.get(AlertTimer, alert_id) is None
        acked = session.scalar(select(Delivery.acked_at).where(Delivery.member_code == "L1"))
        assert acked is not None
    with sessions() as session, session.begin():
        assert fire_due_timers(session, ctx, NOON + timedelta(hours=1)) == 0


def test_handling_checks_the_state_and_the_member(
    sessions: sessionmaker[Session], town: Town, ctx: AlertContext
) -> None:
    with sessions() as session, session.begin():
        alert_id = raise_alert(session, _warning(town), NOON, ctx).id
    with sessions() as session, session.begin(), pytest.raises(NotARecipient):
        device_ack(session, "W3", alert_id, "acknowledged", NOON, ctx=ctx)
    with sessions() as session, session.begin():
        act(session, alert_id, "assign", "user:op", NOON, assignee="W2", note="nearest", ctx=ctx)
        act(session, alert_id, "progress", "W2", NOON, ctx=ctx)
    with sessions() as session, session.begin():
        assert clear_alerts(session, "sensor", "S1", "water_level", NOON, ctx=ctx) == 1
    with sessions() as session, session.begin(), pytest.raises(IllegalTransition) as refused:
        act(session, alert_id, "ack", "W1", NOON, ctx=ctx)
    assert refused.value.state == "resolved"
    with sessions() as session:
        alert = session.get(Alert, alert_id)
        assert (alert.status, alert.is_open, alert.assignees) == ("resolved", False, ["W2"])
        events = session.execute(
            select(
                AlertEvent.kind,
                AlertEvent.from_status,
                AlertEvent.to_status,
                AlertEvent.actor,
                AlertEvent.note,
            )
            .where(AlertEvent.alert_id == alert_id)
            .order_by(AlertEvent.id)
        ).all()
        assert [tuple(e) for e in events[2:]] == [
            ("assigned", "dispatched", "dispatched", "user:op", "nearest"),
            ("in_progress", "dispatched", "in_progress", "W2", None),
            ("resolved", "in_progress", "resolved", "system", "cleared at source"),
        ]
    with sessions() as session, session.begin():  # closed: the next warning opens a new alert
        assert raise_alert(session, _warning(town), NOON, ctx).id != alert_id


def test_sos_goes_to_worker_leader_and_town_at_once(
    sessions: sessionmaker[Session], town: Town, ctx: AlertContext
) -> None:
    lon, lat = town.g1_point
    spec = AlertSpec(
        "sos",
        "W1",
        "sos",
        "red",
        "SOS",
        lon=lon,
        lat=lat,
        broadcast_roles=("grid_leader", "town_operator"),
    )
    with sessions() as session, session.begin():
        alert_id = raise_alert(session, spec, NOON, ctx).id
    with sessions() as session:
        assert sorted(m for m, _ in _member_targets(session, alert_id)) == ["L1", "TO1", "W1"]


def test_an_area_alert_covers_each_grid_and_rolls_up_to_their_common_region(
    sessions: sessionmaker[Session], town: Town, ctx: AlertContext
) -> None:
    area = {
        "type": "Polygon",
        "coordinates": [
            [
                [120.004, 30.004],
                [120.026, 30.004],
                [120.026, 30.006],
                [120.004, 30.006],
                [120.004, 30.004],
            ]
        ],
    }
    spec = AlertSpec(
        "area_warning",
        "42",
        "flood",
        "orange",
        "Flood warning",
        area=area,
        broadcast_roles=("grid_worker", "grid_leader"),
    )
    with sessions() as session, session.begin():
        alert_id = raise_alert(session, spec, NOON, ctx).id
    with sessions() as session:
        alert = session.get(Alert, alert_id)
        assert sorted(alert.grids) == ["G1", "G2", "G3"]
        assert alert.region_path == "/C1/T1/"
        assert sorted(session.scalars(select(AlertGrid.path))) == [
            "/C1/T1/V1/G1/",
            "/C1/T1/V1/G2/",
            "/C1/T1/V2/G3/",
        ]
        assert sorted(m for m, _ in _member_targets(session, alert_id)) == [
            "L1",
            "L3",
            "W1",
            "W2",
            "W3",
        ]


def test_an_alert_outside_every_grid_is_kept_unrouted(
    sessions: sessionmaker[Session], town: Town, ctx: AlertContext
) -> None:
    lon, lat = town.outside_point
    spec = AlertSpec("citizen", "c-1", "report", "blue", "Pothole", lon=lon, lat=lat)
    with sessions() as session, session.begin():
        alert_id = raise_alert(session, spec, NOON, ctx).id
    with sessions() as session:
        alert = session.get(Alert, alert_id)
        assert (alert.status, alert.region_path, alert.grid) == ("new", "/", None)
        assert _events(session, alert_id) == ["opened", "unrouted"]


def test_bad_specs_are_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="severity"):
        AlertSpec("sensor", "S1", "x", "purple", "t")
    with pytest.raises(ValueError, match="out of range"):
        AlertSpec("sensor", "S1", "x", "red", "t", lon=200.0, lat=10.0)
    with pytest.raises(ValueError, match="source_type"):
        AlertSpec("ufo", "S1", "x", "red", "t")


def test_the_one_query_path_for_many_grids_finds_the_same_people_as_the_roster(
    sessions: sessionmaker[Session], town: Town
) -> None:
    from gridhub.alerts.routing import _responsible_under, place_of, responsible

    with sessions() as session:
        place = place_of(session, ["G1", "G2", "G3"])
        by_roster = responsible(session, place.grids, NOON, "Asia/Shanghai")
        by_subtree = _responsible_under(session, place.paths, NOON, "Asia/Shanghai")
    assert {p.member_code for p in by_subtree} == {p.member_code for p in by_roster}
    assert "W1N" not in {p.member_code for p in by_subtree}  # off duty at noon
    assert [p.role for p in by_subtree] == sorted(
        (p.role for p in by_subtree),
        key=["grid_worker", "grid_leader", "village_cadre", "town_operator"].index,
    )
