"""A drone returning home or low on battery alerts its maintainer, once, and clears when its
telemetry says otherwise (SpatiaLite and PostGIS)."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from gridhub.alerts.context import AlertContext
from gridhub.alerts.messages import title_in
from gridhub.alerts.models import Alert, Delivery
from gridhub.alerts.sink import AlertsSink
from gridhub.cameras.drone_alarms import DroneFeeds
from gridhub.cameras.registry import CameraRecord, import_cameras
from gridhub.config.cameras import CamerasConfig
from gridhub.db import transaction
from gridhub.events import DroneMoved
from tests.cameras.conftest import BOX

NOW = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)


def moved(seconds: int, mode_code: int, battery: float) -> DroneMoved:
    return DroneMoved(
        "UAV1", 118.815, 32.005, "G12", NOW + timedelta(seconds=seconds), 80.0, battery,
        90.0, mode_code,
    )  # fmt: skip


def test_return_home_and_low_battery_alert_the_maintainer_and_clear(sessions, grid_of) -> None:
    record = CameraRecord(code="UAV1", name="river drone", kind="drone", maintainer="M1")
    with transaction(sessions) as session:
        import_cameras(session, [record], grid_of, BOX)
    feeds = DroneFeeds(CamerasConfig(), AlertsSink(AlertContext()))
    for seconds, mode, battery in ((0, 4, 60), (2, 9, 24), (4, 9, 23)):  # flying, then RTH
        with transaction(sessions) as session:
            feeds(session, [moved(seconds, mode, battery)])
    with sessions() as session:
        alerts = {a.kind: a for a in session.scalars(select(Alert))}
        assert set(alerts) == {"drone_return_home", "drone_low_battery"}
        assert all(a.is_open and a.count == 2 for a in alerts.values())  # one each, repeated
        assert title_in(alerts["drone_return_home"], "zh-CN") == (
            "无人机 river drone（UAV1）正在返航（电量 24%）"
        )
        told = set(session.scalars(select(Delivery.member_code)))
        assert "M1" in told and all(a.assignees == ["M1"] for a in alerts.values())
    with transaction(sessions) as session:  # landed and charged
        feeds(session, [moved(60, 0, 90)])
    with sessions() as session:
        assert set(session.scalars(select(Alert.status))) == {"resolved"}
