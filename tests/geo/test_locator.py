"""The hub's locator: built from the store, rebuilt after a re-import, on both backends."""

import threading

import pytest
from shapely import box
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker

from gridhub.db import make_engine, transaction
from gridhub.geo.crs import from_wgs84
from gridhub.geo.importer import import_grids
from gridhub.geo.locator import GridLocator
from tests.geo.town import by_code, polygon, square, town


def load(sessions, collection, **options):
    with transaction(sessions) as session:
        return import_grids(session, collection, **options)


def test_locate_inside_hole_outside_and_border(sessions):
    load(sessions, town())
    locator = GridLocator(sessions)
    inside = locator.locate(118.002, 30.002)
    assert (inside.grid, inside.path) == ("G1", ("C1", "T1", "V1", "G1"))
    assert inside.nearest is None and inside.distance_m is None
    hole = locator.locate(118.005, 30.005)
    assert hole.grid is None and hole.nearest == "G1"
    # to the rim east or west: 0.001° of longitude at 30° N
    assert hole.distance_m == pytest.approx(0.001 * 96_490, rel=0.005)
    border = locator.locate(118.01, 30.005)
    assert border.grid == "G1"  # shared with G2: the smallest code
    far = locator.locate(118.2, 30.005)
    assert far.grid is None and far.nearest == "G3"
    assert locator.locate_many([118.015, 118.035, 118.0], [30.005, 30.005, 29.0]) == [
        "G2",
        "G3",
        None,
    ]
    assert locator.grids_intersecting(box(118.005, 30.005, 118.015, 30.015)) == ["G1", "G2", "G3"]


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_locate_converts_map_sdk_coordinates(sessions, crs):
    load(sessions, town())
    lon, lat = from_wgs84(118.015, 30.005, crs)
    location = GridLocator(sessions).locate(lon, lat, crs)
    assert location.grid == "G2"
    assert (location.lon, location.lat) == pytest.approx((118.015, 30.005), abs=1e-9)


def test_rebuilt_after_reimport(sessions):
    load(sessions, town())
    locator = GridLocator(sessions, check_interval_s=3600)
    assert locator.locate(118.025, 30.005).grid is None
    revision = locator.revision
    moved = town()
    by_code(moved)["G2"]["geometry"] = polygon(square(118.02, 30.0, 0.01))
    load(sessions, moved)
    assert locator.locate(118.025, 30.005).grid is None  # not checked again yet
    locator.refresh()
    assert locator.revision == revision + 1
    assert locator.locate(118.025, 30.005).grid == "G2"
    assert locator.locate(118.015, 30.005).grid is None


def test_checks_the_revision_by_itself(sessions):
    locator = GridLocator(sessions, check_interval_s=0)
    assert locator.locate(118.002, 30.002).grid is None  # empty store
    load(sessions, town())
    assert locator.locate(118.002, 30.002).grid == "G1"


def test_concurrent_lookups_during_rebuilds(sessions):
    load(sessions, town())
    locator = GridLocator(sessions, check_interval_s=0)
    answers: list[str | None] = []

    def work() -> None:
        for _ in range(20):
            answers.append(locator.locate(118.002, 30.002).grid)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == ["G1"] * 80


def test_keeps_answering_while_the_store_is_away(sessions):
    load(sessions, town())
    away = sessionmaker(make_engine("postgresql+psycopg://postgres@127.0.0.1:1/gone"))
    switch = {"sessions": sessions}
    locator = GridLocator(lambda: switch["sessions"](), check_interval_s=0)
    assert locator.locate(118.002, 30.002).grid == "G1"
    switch["sessions"] = away
    assert locator.locate(118.002, 30.002).grid == "G1"
    with pytest.raises(DBAPIError):
        GridLocator(away).locate(118.002, 30.002)
