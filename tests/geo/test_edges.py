"""The numpy ray-crossing test: agrees with GEOS where it is sure, and knows when it is not."""

import numpy as np
import shapely
from shapely import box

from gridhub.geo.edges import Edges


def test_inside_outside_hole_and_multipart():
    holed = box(0, 0, 10, 10).difference(box(4, 4, 6, 6))
    parts = shapely.MultiPolygon([box(20, 0, 21, 1), box(30, 0, 31, 1)])
    edges = Edges.of(np.array([holed, parts], dtype=object))
    polygons = np.array([0, 0, 0, 1, 1, 1])
    x = np.array([1.0, 5.0, 11.0, 20.5, 30.5, 25.0])
    y = np.array([1.0, 5.0, 5.0, 0.5, 0.5, 0.5])
    covered, certain = edges.covers(polygons, x, y)
    assert covered.tolist() == [True, False, False, True, True, False]
    assert certain.all()


def test_points_on_edges_and_vertices_are_left_to_geos():
    edges = Edges.of(np.array([box(0, 0, 1, 1)], dtype=object))
    x = np.array([0.0, 0.5, 1.0, 0.3, 1.0 + 1e-17])
    y = np.array([0.0, 0.0, 0.5, 1.0, 0.5])
    _, certain = edges.covers(np.zeros(5, dtype=np.int64), x, y)
    assert not certain.any()


def test_agrees_with_geos_on_random_points():
    rng = np.random.default_rng(2)
    shapes = [
        shapely.Point(rng.uniform(0, 1, 2)).buffer(rng.uniform(0.05, 0.3), 3) for _ in range(20)
    ]
    edges = Edges.of(np.array(shapes, dtype=object))
    polygons = rng.integers(0, 20, 20000)
    x, y = rng.uniform(-0.3, 1.3, 20000), rng.uniform(-0.3, 1.3, 20000)
    covered, certain = edges.covers(polygons, x, y)
    geos = shapely.intersects_xy(np.array(shapes, dtype=object)[polygons], x, y)
    assert certain.mean() > 0.99
    assert (covered[certain] == geos[certain]).all()
