"""Border cells: the compiled exact test, its hand-off to GEOS, and answers on any thread count."""

import numpy as np
import pytest
import shapely
from shapely import Polygon, box

from gridhub.db import transaction
from gridhub.geo.importer import import_grids
from gridhub.geo.index import COMPILED_TEST_MAX_EDGES, GridIndex
from gridhub.geo.locator import GridLocator
from gridhub.geo.raster import THREADED_ABOVE_POINTS
from tests.geo.test_index import expected, voronoi
from tests.geo.town import town


def smallest_covering(codes, geometries, x, y) -> list[str | None]:
    """The definition (smallest code among grids covering the point), vectorised by shapely."""
    order = np.argsort(codes)
    tree = shapely.STRtree(np.asarray(geometries, dtype=object)[order])
    point, grid = tree.query(shapely.points(x, y), predicate="intersects")
    best = np.full(len(x), len(codes), dtype=np.int64)
    np.minimum.at(best, point, grid)
    ordered = [codes[i] for i in order]
    return [ordered[i] if i < len(codes) else None for i in best.tolist()]


def crafted() -> tuple[list[str], list[shapely.Geometry]]:
    """Rings given the wrong way round, a T-junction, a grid too big for the compiled test."""
    clockwise = Polygon(
        [(0, 0), (0, 1), (1, 1), (1, 0)],  # exterior clockwise
        [[(0.2, 0.2), (0.6, 0.2), (0.6, 0.6), (0.2, 0.6)]],  # hole counter-clockwise
    )
    # shares clockwise's east edge, with its own vertex in the middle of it (a T-junction)
    junction = Polygon([(1, 0), (2, 0.5), (1, 1), (1, 0.5)])
    circle = shapely.Point(1.5, 1.5).buffer(0.6, quad_segs=400)  # ~1,600 edges, overlaps both
    parts = shapely.MultiPolygon(
        [box(2.1, 0, 2.4, 0.3), Polygon([(2.5, 0), (2.5, 0.3), (2.8, 0.3), (2.8, 0)])]
    )
    filler = box(0.2, 0.2, 0.6, 0.6)  # fills the hole exactly: its rim is shared
    return ["D", "B", "A", "C", "E"], [clockwise, junction, circle, parts, filler]


def test_crafted_borders_exact_in_compiled_test_and_geos():
    codes, geometries = crafted()
    assert shapely.get_num_coordinates(geometries[2]) > COMPILED_TEST_MAX_EDGES
    index = GridIndex(codes, geometries, cells_per_grid=64)
    rng = np.random.default_rng(1)
    x = [rng.uniform(-0.1, 2.9, 6000)]
    y = [rng.uniform(-0.1, 2.2, 6000)]
    for geometry in geometries:
        coords = shapely.get_coordinates(shapely.boundary(geometry))
        middles = (coords[:-1] + coords[1:]) / 2  # on an edge (rounding may put it just off)
        for points in (coords, middles, middles + 1e-13, middles - 1e-13):
            x.append(points[:, 0])
            y.append(points[:, 1])
    x, y = np.concatenate(x), np.concatenate(y)
    assert index.locate_many(x, y) == expected(geometries, codes, x, y)
    assert index.locate(0.4, 0.4) == "E"  # in D's hole, filled by E
    assert index.locate(0.6, 0.4) == "D"  # on the hole's rim: D and E cover it, D sorts first
    assert index.locate(1.0, 0.5) == "B"  # on the T-junction's vertex: B and D, B first
    assert index.locate(1.5, 1.5) == "A"
    assert index.locate(2.45, 0.1) is None  # between C's parts


@pytest.mark.parametrize("threads", [1, 3])
def test_answers_do_not_depend_on_threads(threads):
    geometries = voronoi(400, seed=8)
    geometries.append(box(118.03, 30.03, 118.1, 30.09))  # overlaps many: the tree answers
    codes = [f"T{i:04d}" for i in range(len(geometries))][::-1]
    one = GridIndex(codes, geometries, band_cells=3000, threads=1)
    many = GridIndex(codes, geometries, band_cells=3000, threads=threads)
    assert many.threads == threads
    rng = np.random.default_rng(threads)
    size = THREADED_ABOVE_POINTS + 10_001  # large enough to be split across threads
    x = rng.uniform(117.99, 118.21, size)
    y = rng.uniform(29.99, 30.16, size)
    answers = many.locate_many(x, y)
    assert answers == one.locate_many(x, y)
    assert answers == smallest_covering(codes, geometries, x, y)


def test_locator_answers_large_batches_from_the_store(sessions):
    with transaction(sessions) as session:
        import_grids(session, town())
    locator = GridLocator(sessions)
    geometries = [locator.index.geometries[i] for i in range(len(locator.index))]
    rng = np.random.default_rng(2)
    size = THREADED_ABOVE_POINTS * 2
    x = rng.uniform(117.995, 118.045, size)
    y = rng.uniform(29.995, 30.025, size)
    answers = locator.locate_many(x, y)
    assert answers == smallest_covering(list(locator.index.codes), geometries, x, y)
    assert {"G1", "G2", "G3", None} == set(answers)
