"""Camera outages roll up: several cameras of one village offline in the same probe round make
one alert for the village, sent to its cadres; a single outage still alerts its maintainer."""

from dataclasses import replace

from sqlalchemy import select

from gridhub.alerts.models import Alert, Delivery
from gridhub.alerts.sink import AlertsSink
from gridhub.events import CameraStatusChanged
from gridhub.i18n import text
from tests.alerts.conftest import NOON

PATHS = {"G1": "/C1/T1/V1/G1/", "G2": "/C1/T1/V1/G2/", "G3": "/C1/T1/V2/G3/"}


def offline(code: str, grid: str, maintainer: str | None = None) -> CameraStatusChanged:
    return CameraStatusChanged(
        camera=code, name=f"{code} 路口", before="online", after="offline",
        reason="no server", lon=None, lat=None, grid=grid, grid_path=PATHS[grid],
        maintainer=maintainer, severity="yellow", ts=NOON,
    )  # fmt: skip


def test_a_village_outage_is_one_alert_and_a_lone_one_alerts_its_maintainer(
    town, ctx, sessions
) -> None:
    with sessions() as session, session.begin():
        AlertsSink(ctx)(
            session,
            [offline("CAM1", "G1", "W1"), offline("CAM2", "G2", "W2"), offline("CAM3", "G3", "W3")],
        )
    with sessions() as session:
        alerts = {a.source_id: a for a in session.scalars(select(Alert))}
        assert sorted(alerts) == ["CAM3", "village:V1"]
        village = alerts["village:V1"]
        assert village.kind == "camera_offline" and sorted(village.grids) == ["G1", "G2"]
        title = text("zh-CN", village.title_key or "", village.title_args)
        assert title.startswith("V1 2 个摄像头同时离线") and "CAM1" in title and "CAM2" in title
        told = set(session.scalars(select(Delivery.member_code).where(
            Delivery.alert_id == village.id, Delivery.member_code.is_not(None))))  # fmt: skip
        assert told == {"VC1"}  # the village's cadre, not each camera's maintainer
        assert alerts["CAM3"].assignees == ["W3"]


def test_outages_in_different_rounds_alert_one_by_one(town, ctx, sessions) -> None:
    for event in (offline("CAM1", "G1", "W1"), offline("CAM2", "G2", "W2")):
        with sessions() as session, session.begin():
            AlertsSink(ctx)(session, [event])
    with sessions() as session:
        assert sorted(session.scalars(select(Alert.source_id))) == ["CAM1", "CAM2"]


def back(code: str, grid: str) -> CameraStatusChanged:
    return replace(offline(code, grid), before="offline", after="online", severity=None)


def test_the_village_alert_clears_when_its_last_camera_is_back(town, ctx, sessions) -> None:
    with sessions() as session, session.begin():
        AlertsSink(ctx)(session, [offline("CAM1", "G1"), offline("CAM2", "G2")])
    with sessions() as session, session.begin():
        AlertsSink(ctx)(session, [back("CAM1", "G1")])
    with sessions() as session:
        village = session.scalars(select(Alert).where(Alert.source_id == "village:V1")).one()
        assert village.is_open and (village.title_args or {})["down"] == ["CAM2"]
    with sessions() as session, session.begin():
        AlertsSink(ctx)(session, [back("CAM2", "G2")])
    with sessions() as session:
        village = session.scalars(select(Alert).where(Alert.source_id == "village:V1")).one()
        assert village.status == "resolved"
