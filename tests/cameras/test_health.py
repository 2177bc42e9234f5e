"""Stream health against a real RTSP server: picture judgement, hysteresis, alerts."""

import socket
import time
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gridhub.alerts.context import AlertContext
from gridhub.alerts.models import Alert, Delivery, LiveEvent
from gridhub.alerts.sink import AlertsSink
from gridhub.cameras.health import online_fraction
from gridhub.cameras.probe import ProbeTarget, probe_pool, run_round
from gridhub.cameras.registry import CameraRecord, get_camera, import_cameras
from gridhub.cameras.status import apply_results, probe_targets
from gridhub.secrets import SecretBox
from tests.cameras.conftest import FAST
from tests.support.rtsp import RtspServer
from tests.support.services import free_port

BOX = SecretBox([Fernet.generate_key()])
NOW = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)  # noon in China: everyone on duty


def test_a_probe_of_four_cameras_starts_four_threads_not_its_ceiling(rtsp_server):
    config = FAST.model_copy(update={"probe_concurrency": 24})
    pool = probe_pool(config)
    try:
        names = ["ball", "black", "frozen", "nosuch"]
        targets = [ProbeTarget(name, rtsp_server.url(name)) for name in names]
        statuses = [r.status for r in run_round(targets, config, pool)]
        assert statuses == ["online", "degraded", "degraded", "offline"]
        assert 1 <= len(pool._threads) <= 4  # type: ignore[attr-defined]
    finally:
        pool.shutdown(cancel_futures=True)


def test_refused_streams_are_offline_at_once_not_after_the_open_timeout(pool):
    """Nothing listens: each probe ends on the refused connection, not on the 20 s timeout."""
    config = FAST.model_copy(update={"open_timeout_ms": 20_000, "probe_deadline_s": 30.0})
    targets = [ProbeTarget(f"C{i}", f"rtsp://127.0.0.1:{free_port()}/x") for i in range(10)]
    started = time.monotonic()
    results = run_round(targets, config, pool)
    wall = time.monotonic() - started
    assert {(r.status, r.reason) for r in results} == {("offline", "stream cannot be opened")}
    assert wall < 5.0, f"10 refused streams took {wall:.1f} s"


def test_round_tells_moving_black_frozen_and_missing_streams_apart(rtsp_server, pool):
    names = ["ball", "black", "frozen", "nosuch"]
    targets = [ProbeTarget(name, rtsp_server.url(name)) for name in names]
    targets.append(ProbeTarget("closed", f"rtsp://127.0.0.1:{free_port()}/x"))

    results = {r.code: r for r in run_round(targets, FAST, pool)}

    assert results["ball"].status == "online"
    assert results["ball"].fps == pytest.approx(10, rel=0.2)
    assert (results["ball"].width, results["ball"].height) == (320, 240)
    assert (results["black"].status, results["black"].reason) == ("degraded", "black picture")
    assert (results["frozen"].status, results["frozen"].reason) == ("degraded", "frozen picture")
    assert results["nosuch"].status == results["closed"].status == "offline"


def test_hung_stream_cannot_stall_the_round(rtsp_server, pool):
    """A server that accepts and never answers: the round ends at the probe deadline."""
    config = FAST.model_copy(update={"open_timeout_ms": 20_000, "probe_deadline_s": 2.0})
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        hung = f"rtsp://127.0.0.1:{silent.getsockname()[1]}/hung"
        started = time.monotonic()
        results = run_round(
            [ProbeTarget("hung", hung), ProbeTarget("ball", rtsp_server.url("ball"))], config, pool
        )
        wall = time.monotonic() - started
    assert results[0].status == "offline" and "hung" in results[0].reason
    assert results[1].status == "online"
    assert wall < 4.0, f"round took {wall:.1f} s"


def register(sessions: sessionmaker[Session], grid_of, server: RtspServer) -> None:
    records = [
        # G12, no maintainer: the alert goes to the grid's worker W12
        CameraRecord(code="CAMA", name="market", kind="fixed", lon=118.815, lat=32.005,
                     stream_url=server.url("cam0")),
        # G31 (another village: two outages of one village would roll up into one alert),
        # maintained by M1 (who works in G21): the alert goes to M1
        CameraRecord(code="CAMB", name="gate", kind="fixed", lon=118.835, lat=32.005,
                     stream_url=server.url("cam1"), maintainer="M1"),
    ]  # fmt: skip
    with sessions() as session, session.begin():
        import_cameras(session, records, grid_of, BOX)


def probe_once(sessions, pool, now: datetime, results: bool = False) -> list:
    """One round recorded: its status changes (or, with ``results``, its probe results)."""
    with sessions() as session, session.begin():
        targets = probe_targets(session, BOX)
    found = run_round(targets, FAST, pool)
    with sessions() as session, session.begin():
        changes = apply_results(session, found, FAST, now, AlertsSink(AlertContext()))
    return found if results else changes


def wait_until_serving(server: RtspServer, pool) -> None:
    """A restarted server listens before its pipelines play: wait until it shows pictures."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        targets = [ProbeTarget(name, server.url(name)) for name in ("cam0", "cam1")]
        if all(r.status == "online" for r in run_round(targets, FAST, pool)):
            return
    raise AssertionError("the RTSP server did not serve pictures again within 30 s")


def status(sessions, code: str) -> str:
    with sessions() as session:
        return get_camera(session, code).status


def open_alerts(session: Session) -> dict[str, set[str]]:
    alerts = session.scalars(select(Alert).where(Alert.is_open)).all()
    return {
        a.source_id: set(
            session.scalars(select(Delivery.member_code).where(Delivery.alert_id == a.id))
        )
        for a in alerts
    }


def test_offline_after_n_failures_alerts_the_right_member_and_recovery_resolves(
    sessions, grid_of, pool
):
    # Unshared mounts: a shared pipeline torn down and restarted under two clients may stall.
    server = RtspServer(free_port(), mounts=2).start()
    try:
        register(sessions, grid_of, server)
        now = NOW
        probe_once(sessions, pool, now)
        assert status(sessions, "CAMA") == status(sessions, "CAMB") == "online"

        server.stop()  # the cameras go dark; two failures are a blip, the third is news
        for round_number in (1, 2):
            now += timedelta(minutes=1)
            assert probe_once(sessions, pool, now) == [], f"changed after {round_number}"
            assert status(sessions, "CAMA") == "online"
        now += timedelta(minutes=1)
        changes = probe_once(sessions, pool, now)
        assert {(c.code, c.after) for c in changes} == {("CAMA", "offline"), ("CAMB", "offline")}
        with sessions() as session:
            alerts = open_alerts(session)
            assert "W12" in alerts["CAMA"] and "M1" not in alerts["CAMA"]
            assert "M1" in alerts["CAMB"]
            alert = session.scalars(select(Alert).where(Alert.source_id == "CAMA")).one()
            assert alert.kind == "camera_offline" and alert.grid == "G12"
            # The live map hears of each change too (first seen online, then offline),
            # placed in the camera's grid.
            shown = session.scalars(select(LiveEvent).where(LiveEvent.type == "camera.status"))
            assert [
                (e.data["code"], e.data["before"], e.data["status"], e.region_path[-5:])
                for e in sorted(shown, key=lambda e: (e.data["code"], e.id))
            ] == [
                ("CAMA", "unknown", "online", "/G12/"),
                ("CAMA", "online", "offline", "/G12/"),
                ("CAMB", "unknown", "online", "/G31/"),
                ("CAMB", "online", "offline", "/G31/"),
            ]

        server.start()  # back: the first good result is not enough either
        wait_until_serving(server, pool)
        good: dict[str, int] = {"CAMA": 0, "CAMB": 0}  # consecutive good rounds of each
        for _ in range(8):  # a loaded machine may fail a read now and then: that resets a count
            now += timedelta(minutes=1)
            for result in probe_once(sessions, pool, now, results=True):
                good[result.code] = good[result.code] + 1 if result.status == "online" else 0
                expected = "online" if good[result.code] >= FAST.hysteresis else "offline"
                assert status(sessions, result.code) == expected, (result, good)
            if min(good.values()) >= FAST.hysteresis:
                break
        assert status(sessions, "CAMA") == status(sessions, "CAMB") == "online"
        with sessions() as session:
            assert open_alerts(session) == {}
            resolved = session.scalars(select(Alert).where(Alert.source_id == "CAMA")).one()
            assert resolved.status == "resolved"
    finally:
        server.stop()


def test_black_stream_becomes_degraded_after_hysteresis(sessions, grid_of, rtsp_server, pool):
    record = CameraRecord(
        code="CAMK", name="black", kind="fixed", lon=118.815, lat=32.005,
        stream_url=rtsp_server.url("black"),
    )  # fmt: skip
    with sessions() as session, session.begin():
        import_cameras(session, [record], grid_of, BOX)
    for minute in range(3):
        probe_once(sessions, pool, NOW + timedelta(minutes=minute))
    with sessions() as session:
        camera = get_camera(session, "CAMK")
        assert (camera.status, camera.status_reason) == ("degraded", "black picture")
        assert open_alerts(session).keys() == {"CAMK"}


def test_online_fraction_over_a_window():
    start, end = NOW - timedelta(hours=24), NOW
    history = [
        (NOW - timedelta(days=3), "online"),  # online since before the window
        (NOW - timedelta(hours=6), "offline"),
        (NOW - timedelta(hours=3), "online"),
    ]
    assert online_fraction(history, start, end) == pytest.approx(21 / 24)
    assert online_fraction([], start, end) == 0.0
    assert online_fraction([(NOW - timedelta(hours=12), "degraded")], start, end) == 0.0
