"""Registering feeds from files: grid from the location or kept override, atomic errors."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from gridhub.cameras.models import Camera
from gridhub.cameras.registry import (
    CameraImportError,
    camera_feature,
    drone_sink,
    get_camera,
    grid_feeds,
    import_cameras,
    list_cameras,
    read_records,
)
from gridhub.events import DroneMoved
from gridhub.secrets import SecretBox

BOX = SecretBox([Fernet.generate_key()])
HEADER = "code,name,kind,lon,lat,stream_url,sub_stream_url,onvif_url,snapshot_url,maintainer,grid\n"
# G11 is the square 118.80–118.81 E, G12 the next one east, G21 the third.
CSV = HEADER + (
    "CAM1,Riverside gate,fixed,118.805,32.005,rtsp://10.0.0.1/main,rtsp://10.0.0.1/sub,,,M1,\n"
    "CAM2,Market dome,dome,118.815,32.005,rtsp://10.0.0.2/main,,,,,\n"
    "CAM3,Bridge PTZ,ptz,118.805,32.005,rtsp://10.0.0.3/main,,,,,G21\n"
    "CAM4,Far away,fixed,100.0,20.0,,,,,,\n"
)
NOW = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def import_file(sessions: sessionmaker[Session], path: Path, grid_of) -> None:
    with sessions() as session, session.begin():
        import_cameras(session, read_records(path), grid_of, BOX)


def grids(sessions: sessionmaker[Session]) -> dict[str, str | None]:
    with sessions() as session:
        return {c.code: (c.grid.code if c.grid else None) for c in list_cameras(session)}


def test_csv_import_places_cameras_in_grids_and_keeps_overrides(sessions, grid_of, tmp_path):
    import_file(sessions, write(tmp_path, "cams.csv", CSV), grid_of)

    assert grids(sessions) == {"CAM1": "G11", "CAM2": "G12", "CAM3": "G21", "CAM4": None}
    with sessions() as session:
        cam1 = get_camera(session, "CAM1")
        assert cam1.maintainer == "M1" and BOX.open(cam1.sub_stream_url) == "rtsp://10.0.0.1/sub"
        assert get_camera(session, "CAM3").ptz and get_camera(session, "CAM3").grid_override
        # scoped listing: everything under village V1 (G11, G12), not the override in V2
        v1 = [c.code for c in list_cameras(session, "/C1/T1/V1/")]
        assert v1 == ["CAM1", "CAM2"]

    # moving CAM1 into G12 re-locates it; CAM3's explicit grid is kept on re-import
    moved = CSV.replace("CAM1,Riverside gate,fixed,118.805", "CAM1,Riverside gate,fixed,118.815")
    import_file(sessions, write(tmp_path, "cams2.csv", moved), grid_of)
    assert grids(sessions)["CAM1"] == "G12"
    assert grids(sessions)["CAM3"] == "G21"
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Camera)) == 4


def test_yaml_import(sessions, grid_of, tmp_path):
    text = """
cameras:
  - {code: Y1, name: Yard, kind: body, lon: 118.825, lat: 32.005}
  - {code: D1, name: Drone one, kind: drone}
"""
    import_file(sessions, write(tmp_path, "cams.yaml", text), grid_of)
    assert grids(sessions) == {"D1": None, "Y1": "G21"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("code,name,kind,lon\n", "missing column 'lat'"),
        (HEADER.replace("grid", "gird"), "unknown column 'gird'"),
        (HEADER + "A,a,tripod,118.8,32.0,,,,,,\n", "line 2 (A): kind: must be one of"),
        (HEADER + "A,a,fixed,218.8,32.0,,,,,,\n", "line 2 (A): lon: Input should be less"),
        (HEADER + "A,a,fixed,,,,,,,,\n", "lon and lat are required"),
        (HEADER + "A,a,fixed,118.8,32.0,ftp://x,,,,,\n", "stream_url: must be a URL"),
        (
            HEADER + "A,a,fixed,118.8,32,,,,,,\nA,b,fixed,118.8,32,,,,,,\n",
            "line 3: code 'A' repeats",
        ),
    ],
)
def test_bad_rows_are_named_and_nothing_is_imported(sessions, grid_of, tmp_path, text, expected):
    path = write(tmp_path, "bad.csv", text + "OK1,fine,fixed,118.805,32.005,,,,,,\n")
    with pytest.raises(CameraImportError) as caught:
        import_file(sessions, path, grid_of)
    assert expected in str(caught.value)
    assert grids(sessions) == {}


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("A,a,fixed,118.805,32.005,,,,,,G99\n", "A: grid 'G99' does not exist"),
        ("A,a,fixed,118.805,32.005,,,,,,V1\n", "A: grid 'V1' does not exist"),
        ("A,a,fixed,118.805,32.005,,,,,NOBODY,\n", "A: maintainer 'NOBODY' is not a member"),
    ],
)
def test_unknown_references_reject_the_whole_file(sessions, grid_of, tmp_path, row, expected):
    path = write(tmp_path, "bad.csv", HEADER + "OK1,fine,fixed,118.805,32.005,,,,,,\n" + row)
    with pytest.raises(CameraImportError, match=expected):
        import_file(sessions, path, grid_of)
    assert grids(sessions) == {}


def test_drone_feeds_follow_telemetry(sessions, grid_of, tmp_path):
    text = HEADER + "D1,Drone one,drone,,,rtsp://10.0.0.9/live,,,,,\n" + CSV.split("\n", 1)[1]
    import_file(sessions, write(tmp_path, "cams.csv", text), grid_of)

    def feeds(grid: str, now: datetime) -> list[str]:
        with sessions() as session:
            return [c.code for c in grid_feeds(session, grid, now)]

    assert feeds("G11", NOW) == ["CAM1"]
    with sessions() as session, session.begin():
        drone_sink(session, [DroneMoved("D1", 118.805, 32.005, "G11", NOW)])
    assert feeds("G11", NOW) == ["CAM1", "D1"]
    with sessions() as session, session.begin():  # flies east into G12
        drone_sink(session, [DroneMoved("D1", 118.815, 32.005, "G12", NOW + timedelta(seconds=5))])
    assert feeds("G11", NOW) == ["CAM1"]
    assert feeds("G12", NOW + timedelta(seconds=10)) == ["CAM2", "D1"]
    # an older, late message does not move it back; a stale position drops it from the grid
    with sessions() as session, session.begin():
        drone_sink(session, [DroneMoved("D1", 118.805, 32.005, "G11", NOW)])
    assert feeds("G12", NOW + timedelta(seconds=10)) == ["CAM2", "D1"]
    assert feeds("G12", NOW + timedelta(minutes=10)) == ["CAM2"]


def test_a_drones_grid_in_the_file_is_its_home_unless_pinned(sessions, grid_of, tmp_path):
    header = HEADER.replace("grid\n", "grid,pinned\n")
    text = header + (
        "D1,Drone one,drone,118.805,32.005,rtsp://10.0.0.9/live,,,,,G11,\n"
        "D2,Drone two,drone,118.805,32.005,rtsp://10.0.0.8/live,,,,,G11,true\n"
    )
    import_file(sessions, write(tmp_path, "drones.csv", text), grid_of)
    with sessions() as session, session.begin():  # both fly east over G12
        moves = [DroneMoved(code, 118.815, 32.005, "G12", NOW) for code in ("D1", "D2")]
        drone_sink(session, moves)
    with sessions() as session:
        assert [c.code for c in grid_feeds(session, "G12", NOW)] == ["D1"]
        assert [c.code for c in grid_feeds(session, "G11", NOW)] == ["D2"]


def test_feature_shows_no_credentials(sessions, grid_of, tmp_path):
    import_file(sessions, write(tmp_path, "cams.csv", CSV), grid_of)
    with sessions() as session, session.begin():
        camera = get_camera(session, "CAM1")
        camera.onvif_user, camera.onvif_secret = "admin", "gAAAA-sealed"
        feature = camera_feature(camera)
    assert feature["geometry"] == {"type": "Point", "coordinates": [118.805, 32.005]}
    assert feature["properties"]["grid"] == "G11"
    text = str(feature)
    assert "gAAAA" not in text and "admin" not in text and "rtsp://" not in text
