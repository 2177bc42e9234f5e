"""The living demo town: its cameras' RTSP streams show pictures (two wrong on purpose), and
the simulated town walks inside its grids and raises a water level past its line."""

import json
from collections.abc import Iterator

import cv2
import numpy as np
import pytest
from shapely.geometry import Point, shape

from gridhub.cameras.snapshots import grab_frame
from gridhub.config import load_settings
from gridhub.demo import simulate, streams
from gridhub.demo.loader import CAMERAS_FILE, GRIDS_FILE
from tests.support.services import free_port, unavailable


@pytest.fixture
def served() -> Iterator[streams.DemoStreams]:
    why = streams.unavailable()
    if why:
        unavailable(why)
    _, paths = streams.mounts(CAMERAS_FILE)
    server = streams.DemoStreams(free_port(), paths).start()
    yield server
    server.stop()


def test_every_demo_camera_has_a_stream_and_two_are_wrong_on_purpose() -> None:
    port, paths = streams.mounts(CAMERAS_FILE)
    assert port == 8554 and "/demo/cam001" in paths and "/demo/cam001/sub" in paths
    assert paths["/demo/cam007"] == "black" and paths["/demo/cam013"] == "frozen"
    assert sum(kind == "moving" for kind in paths.values()) >= len(paths) - 4


def test_the_streams_show_a_moving_picture_and_a_black_one(served, tmp_path) -> None:
    config = load_settings(data_dir=tmp_path).cameras
    url = f"rtsp://127.0.0.1:{served.port}"
    moving, black = (
        cv2.imdecode(np.frombuffer(grab_frame(f"{url}/demo/{cam}", config), np.uint8), 0)
        for cam in ("cam001", "cam007")
    )
    assert moving.shape == (240, 320) and moving.std() > 5
    assert black.mean() < 20 and black.std() < 5


def test_walkers_stay_inside_their_grids() -> None:
    grids = {
        f["properties"]["code"]: shape(f["geometry"])
        for f in json.loads(GRIDS_FILE.read_text(encoding="utf-8"))["features"]
        if f["properties"].get("level") == "grid"
    }
    walkers = simulate._walkers()
    assert len(walkers) >= 8
    for walker in walkers:
        home = [code for code, grid in grids.items() if grid.contains(Point(walker.path[0]))]
        assert len(home) == 1
        assert all(grids[home[0]].contains(Point(p)) for p in walker.path)


def test_the_first_gauge_swells_past_its_yellow_line_and_back() -> None:
    gauge = {"kind": "water_level", "unit": "m", "blue": "17.85", "yellow": "18.85"}
    values = [
        simulate._reading(gauge, 0, t)["value"]
        for t in range(0, simulate.TIDE_S, simulate.TIDE_S // 60)
    ]
    assert max(values) > 18.85 and min(values) < 17.85  # type: ignore[operator]
    quiet = [simulate._reading(gauge, 1, t)["value"] for t in range(0, simulate.TIDE_S, 60)]
    assert max(quiet) < 17.85  # type: ignore[operator]
