"""Area warnings in the store, on each backend: a red warning calls off-duty members in too,
expiry lifts a warning (everyone told, its alert closed with its events), and answers move
receipts forward only."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gridhub.alerts import receipts
from gridhub.alerts.context import AlertContext
from gridhub.alerts.flood import expire_warnings
from gridhub.alerts.models import Alert, AlertEvent, AreaAlert, Delivery, Receipt
from gridhub.alerts.sink import AlertsSink
from gridhub.db import transaction, utcnow
from gridhub.events import AreaWarning
from tests.alerts.conftest import Town

G1 = {"type": "Polygon", "coordinates": [[[120.001, 30.001], [120.009, 30.001],
                                          [120.009, 30.009], [120.001, 30.001]]]}  # fmt: skip


def _warn(sessions: sessionmaker[Session], ctx: AlertContext, key: str, level: str, **kw) -> int:
    event = AreaWarning(1, "flood", level, G1, ("G1",), utcnow(), key=key, headline="h", **kw)
    with transaction(sessions) as session:
        AlertsSink(ctx)(session, [event])
    with sessions() as session:
        return session.scalars(select(Alert.id).where(Alert.source_id == key)).one()


def _holders(sessions: sessionmaker[Session], alert_id: int) -> set[str]:
    with sessions() as session:
        query = select(Receipt.member_code).where(Receipt.alert_id == alert_id)
        return set(session.scalars(query))


def test_a_red_warning_calls_off_duty_members_in_and_an_orange_one_does_not(
    sessions: sessionmaker[Session], town: Town, ctx: AlertContext
) -> None:
    orange = _warn(sessions, ctx, "t/orange", "orange")
    red = _warn(sessions, ctx, "t/red", "red")
    assert _holders(sessions, orange) == {"W1", "L1"}
    assert _holders(sessions, red) == {"W1", "W1N", "L1"}  # W1N is off duty now


def test_expiry_lifts_the_warning_and_tells_everyone(
    sessions: sessionmaker[Session], town: Town, ctx: AlertContext
) -> None:
    now = utcnow()
    alert_id = _warn(sessions, ctx, "t/expiring", "yellow", valid_until=now + timedelta(hours=1))
    with transaction(sessions) as session:
        assert expire_warnings(session, ctx, now) == 0  # not yet
        assert expire_warnings(session, ctx, now + timedelta(hours=2)) == 1
    with sessions() as session:
        alert = session.get(Alert, alert_id)
        details = session.get(AreaAlert, alert_id)
        assert alert is not None and details is not None
        assert (alert.is_open, alert.status, details.lifted_reason) == (
            False,
            "resolved",
            "expired",
        )
        lifted = session.scalars(
            select(Delivery.member_code).where(
                Delivery.alert_id == alert_id,
                Delivery.status == "pending",
                Delivery.member_code.is_not(None),
            )
        ).all()
        assert sorted(lifted) == ["L1", "W1"]  # the last word, not cancelled by the closing
        kinds = session.scalars(select(AlertEvent.kind).where(AlertEvent.alert_id == alert_id))
        assert {"lifted", "resolved"} <= set(kinds)


def test_answers_move_a_receipt_forward_only(
    sessions: sessionmaker[Session], town: Town, ctx: AlertContext
) -> None:
    alert_id = _warn(sessions, ctx, "t/answers", "orange")
    now = utcnow()
    with transaction(sessions) as session:
        receipts.answer(session, "W1", alert_id, "read", now, "mqtt")
        receipts.answer(session, "W1", alert_id, "received", now + timedelta(seconds=5), "api")
        outcome = receipts.answer_many(
            session, [receipts.Answer("W2", alert_id, "confirmed", now, "mqtt")]
        )
    assert isinstance(outcome[0], receipts.NoReceipt)  # W2 is not in G1
    with sessions() as session:
        counts = receipts.counts(session, alert_id)
        w1 = session.scalars(select(Receipt).where(Receipt.member_code == "W1")).one()
    assert counts == {"total": 2, "delivered": 1, "read": 1, "confirmed": 0}
    assert w1.state == "read" and w1.delivered_at == w1.read_at  # read implies delivered
    assert w1.channels == {"sent": "mqtt", "delivered": "mqtt", "read": "mqtt"}


def test_members_above_the_grids_hold_the_grids_of_their_area_inside_the_warning(
    sessions: sessionmaker[Session], town: Town, ctx: AlertContext
) -> None:
    """A village cadre (V1) and a town operator (T1) told of a warning over G1 hold G1, and
    members elsewhere hold nothing of it (W3's G3 lies outside the area)."""
    alert_id = _warn(sessions, ctx, "t/above", "orange")
    with sessions() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        grids = receipts.member_grids(session, alert, ["VC1", "TO1", "W1", "W2", "W3"])
    g1 = [{"code": "G1", "name": "G1"}]
    assert grids == {"VC1": g1, "TO1": g1, "W1": g1, "W2": [], "W3": []}
