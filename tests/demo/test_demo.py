"""The demo town: its files tile the town cleanly and load (twice) into both stores."""

import csv
import json
from datetime import UTC, datetime

import pytest
import shapely
from cryptography.fernet import Fernet
from shapely.geometry import Point, shape
from sqlalchemy import func, select
from typer.testing import CliRunner

from gridhub.api.users import authenticate, linked_member
from gridhub.cameras.models import Camera
from gridhub.cli import app
from gridhub.db import make_engine, make_session_factory, transaction
from gridhub.demo.loader import (
    CAMERAS_FILE,
    GRIDS_FILE,
    MEMBERS_FILE,
    RIVER_FILE,
    SENSORS_FILE,
    load_demo,
    reset_admin,
)
from gridhub.geo.locator import GridLocator
from gridhub.geo.models import Member, Region
from gridhub.geo.roster import responsible_members
from gridhub.ingest.models import Sensor
from gridhub.secrets import SecretBox

M2_PER_DEG2 = 111_320.0 * 111_320.0 * 0.874  # cos(29.1°): good enough to compare areas


def features(level: str) -> dict[str, dict]:
    collection = json.loads(GRIDS_FILE.read_text(encoding="utf-8"))
    return {
        f["properties"]["code"]: f
        for f in collection["features"]
        if f["properties"]["level"] == level
    }


def rows(path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_grids_tile_each_village_and_the_town_without_gaps_or_overlaps() -> None:
    grids = {code: shape(f["geometry"]) for code, f in features("grid").items()}
    villages = {code: shape(f["geometry"]) for code, f in features("village").items()}
    town = shape(next(iter(features("town").values()))["geometry"])
    assert 55 <= len(grids) <= 65 and len(villages) == 10
    assert all(g.is_valid and g.geom_type == "Polygon" for g in grids.values())
    union = shapely.union_all(list(grids.values()))
    overlap_m2 = (sum(g.area for g in grids.values()) - union.area) * M2_PER_DEG2
    assert overlap_m2 < 1.0
    assert union.symmetric_difference(town).area * M2_PER_DEG2 < 10.0
    for code, feature in features("grid").items():
        parent = villages[feature["properties"]["parent"]]
        assert parent.buffer(1e-6).contains(grids[code]), code
    # Believable shapes: between ~0.2 and ~3 km², not rectangles.
    areas_km2 = sorted(g.area * M2_PER_DEG2 / 1e6 for g in grids.values())
    assert areas_km2[0] > 0.1 and areas_km2[-1] < 4.0
    assert min(len(g.exterior.coords) for g in grids.values()) > 12


def test_the_river_crosses_the_town_past_riverside_grids_and_gauges() -> None:
    river = json.loads(RIVER_FILE.read_text(encoding="utf-8"))["features"]
    centreline = shape(
        next(f for f in river if f["properties"]["kind"] == "centreline")["geometry"]
    )
    grids = features("grid")
    crossed = {code for code, f in grids.items() if shape(f["geometry"]).intersects(centreline)}
    assert len(crossed) >= 8
    assert crossed <= {code for code, f in grids.items() if f["properties"].get("riverside")}
    gauges = [r for r in rows(SENSORS_FILE) if r["kind"] == "water_level"]
    assert len(gauges) >= 4
    for gauge in gauges:
        assert centreline.distance(Point(float(gauge["lon"]), float(gauge["lat"]))) < 1e-5
        assert (
            float(gauge["blue"])
            < float(gauge["yellow"])
            < float(gauge["orange"])
            < float(gauge["red"])
        )


def test_every_grid_has_a_leader_and_a_worker_and_cameras_sit_in_their_grid() -> None:
    members = rows(MEMBERS_FILE)
    grids = features("grid")
    assert 130 <= len(members) <= 180
    for role in ("grid_leader", "grid_worker"):
        covered = {g for m in members if m["role"] == role for g in m["grids"].split(";")}
        assert covered == set(grids), role
    assert {m["role"] for m in members} >= {"police", "legal_adviser", "village_cadre"}
    assert len({m["phone"] for m in members}) == len(members)
    for camera in rows(CAMERAS_FILE):
        where = Point(float(camera["lon"]), float(camera["lat"]))
        assert shape(grids[camera["grid"]]["geometry"]).contains(where), camera["code"]


def test_demo_loads_into_the_store_once_and_again_without_changes(sessions) -> None:
    locator = GridLocator(sessions)
    box = SecretBox([Fernet.generate_key()])
    first = load_demo(sessions, locator, box)
    again = load_demo(sessions, locator, box)
    assert first.changed["members"] == first.counts["members"] > 100
    assert sum(again.changed.values()) == 0
    with sessions() as session:
        grid_count = session.scalar(select(func.count()).where(Region.level == "grid"))
        assert grid_count == len(features("grid"))
        assert session.scalar(select(func.count(Member.id))) == len(rows(MEMBERS_FILE))
        assert session.scalar(select(func.count(Camera.id))) == len(rows(CAMERAS_FILE))
        # Every sensor lies in the grid the locator gives, e.g. gauges in riverside grids.
        sensors = {s.code: s for s in session.scalars(select(Sensor))}
        assert len(sensors) == len(rows(SENSORS_FILE))
        grids = features("grid")
        for code, sensor in sensors.items():
            assert sensor.grid_code in grids, code
            if sensor.kind == "water_level":
                assert grids[sensor.grid_code]["properties"].get("riverside"), code
        # The first grid's roster: its workers first, then its leader, cadres, operators.
        roster = responsible_members(session, "G0101", datetime(2026, 7, 1, 10, tzinfo=UTC))
        roles = [r.role for r in roster]
        assert roles[0] == "grid_worker" and "grid_leader" in roles
        assert (
            roles.index("grid_leader") < roles.index("village_cadre") < roles.index("town_operator")
        )
    camera = rows(CAMERAS_FILE)[0]
    assert locator.locate(float(camera["lon"]), float(camera["lat"])).grid == camera["grid"]


def test_admin_password_is_reset_on_every_demo_start(sessions) -> None:
    with transaction(sessions) as session:
        first = reset_admin(session)
    with transaction(sessions) as session:
        second = reset_admin(session)
    assert first != second
    with transaction(sessions) as session:
        assert authenticate(session, "admin", first) is None
        user = authenticate(session, "admin", second)
        assert user is not None and user.role == "admin" and user.scope is None


@pytest.mark.parametrize("database_url", ["spatialite"], indirect=True)
def test_demo_command_loads_and_prints_a_password_that_signs_in(database_url, tmp_path) -> None:
    env = {"GRIDHUB_DATABASE_URL": database_url, "GRIDHUB_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(app, ["demo", "--no-serve"], env=env)
    assert result.exit_code == 0, result.output
    assert f"{len(rows(MEMBERS_FILE))} members" in result.output
    password = result.output.rsplit("one-time password: ", 1)[1].split()[0]
    engine = make_engine(database_url)
    phone = (
        result.output.split("the grid worker's phone: ", 1)[1].split("password ", 1)[1].split()[0]
    )
    with transaction(make_session_factory(engine)) as session:
        assert authenticate(session, "admin", password) is not None
        worker = authenticate(session, "gw0101a", phone)
        assert worker is not None and worker.role == "grid_worker"
        assert linked_member(session, worker).code == "GW0101A"
    engine.dispose()


def test_the_demo_has_reports_in_every_state_for_the_board_and_charts(database_url, tmp_path):
    from gridhub.config import load_settings
    from gridhub.demo.reports import load_reports
    from gridhub.hub import Hub
    from gridhub.reports.models import Report

    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    hub = Hub(settings=load_settings(database_url=database_url, data_dir=tmp_path),
              engine=engine, sessions=sessions)  # fmt: skip
    load_demo(sessions, hub.locator, hub.secret_box)
    assert load_reports(hub) == 40
    with sessions() as session:
        rows = session.execute(select(Report.state, Report.rating, Report.merged_into)).all()
    states = {state for state, _, _ in rows}
    assert {"received", "dispatched", "in_progress", "done", "rejected"} <= states
    assert any(rating for _, rating, _ in rows) and any(merged for _, _, merged in rows)
    assert load_reports(hub) == 0  # loaded once
    engine.dispose()


def test_every_grid_has_checkpoints_inside_it_with_ids_of_their_own() -> None:
    grids = features("grid")
    ids = []
    for code, grid in grids.items():
        points = grid["properties"]["checkpoints"]
        assert len(points) >= 2, code
        area = shape(grid["geometry"])
        assert all(area.contains(Point(p["lon"], p["lat"])) for p in points), code
        assert len({(p["lon"], p["lat"]) for p in points}) == len(points), code
        assert all(p["id"].startswith(f"{code}-") and p["name"] for p in points), code
        ids += [p["id"] for p in points]
    assert len(set(ids)) == len(ids)
