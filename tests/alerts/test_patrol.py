"""Quiet spells: missed patrols and silent devices are raised by the scan and resolved by the
next check-in (SpatiaLite and PostGIS)."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gridhub.alerts.context import AlertContext
from gridhub.alerts.models import Alert, Delivery, LiveEvent, PatrolWatch
from gridhub.alerts.rules.patrol import scan
from gridhub.alerts.sink import AlertsSink
from gridhub.db import transaction
from gridhub.events import CheckinStored
from tests.alerts.conftest import NOON, Town


def _checkin(town: Town, minutes: float) -> CheckinStored:
    lon, lat = town.g1_point
    return CheckinStored(
        None, "W1", "checkpoint", lon, lat, "G1", True, NOON + timedelta(minutes=minutes)
    )


def test_a_quiet_grid_and_a_silent_device_raise_alerts_that_the_next_checkin_resolves(
    sessions: sessionmaker[Session], town: Town, ctx: AlertContext
) -> None:
    with transaction(sessions) as session:
        AlertsSink(ctx)(session, [_checkin(town, 0)])
        assert scan(session, ctx, NOON + timedelta(minutes=1)) == 0  # starts watching G2, G3
    with transaction(sessions) as session:
        assert scan(session, ctx, NOON + timedelta(minutes=121)) == 2
    with sessions() as session:
        raised = session.execute(select(Alert.kind, Alert.source_id, Alert.status)).all()
        assert sorted(raised) == [
            ("device_silent", "W1", "dispatched"),
            ("missed_patrol", "G1", "dispatched"),  # G2, G3: watched from minute 1 only
        ]
        missed_g1 = session.scalar(select(Alert.id).where(Alert.source_id == "G1"))
        told = session.scalars(
            select(Delivery.member_code).where(
                Delivery.alert_id == missed_g1, Delivery.member_code.is_not(None)
            )
        ).all()
        assert told == ["L1"]  # the grid leader, not the worker who missed it
        live = session.scalar(select(LiveEvent).where(LiveEvent.type == "checkins"))
        assert live.region_path == "/C1/T1/V1/G1/"
        assert [(i["worker"], i["path"]) for i in live.data["items"]] == [("W1", "/C1/T1/V1/G1/")]
    with transaction(sessions) as session:  # open ones are not raised again
        assert scan(session, ctx, NOON + timedelta(minutes=121)) == 0
    with transaction(sessions) as session:
        AlertsSink(ctx)(session, [_checkin(town, 126)])
    with sessions() as session:
        assert session.scalars(select(Alert.status)).all() == ["resolved", "resolved"]


def test_a_late_checkin_does_not_turn_the_clock_back(
    sessions: sessionmaker[Session], town: Town, ctx: AlertContext
) -> None:
    """A phone offline for two hours sends its old check-in after a newer one: the grid and
    the worker stay seen at the newer time, and the scan raises nothing."""
    with transaction(sessions) as session:
        AlertsSink(ctx)(session, [_checkin(town, 120)])
    with transaction(sessions) as session:  # a new sink: no write throttling in between
        AlertsSink(ctx)(session, [_checkin(town, 0)])
    with sessions() as session:
        seen = dict(session.execute(select(PatrolWatch.kind, PatrolWatch.last_seen_at)).all())
        assert seen == {
            "worker": NOON + timedelta(minutes=120),
            "grid": NOON + timedelta(minutes=120),
        }
    with transaction(sessions) as session:
        assert scan(session, ctx, NOON + timedelta(minutes=121)) == 0
    with sessions() as session:
        assert (
            session.scalars(select(Alert.kind).where(Alert.source_id.in_(["G1", "W1"]))).all() == []
        )
