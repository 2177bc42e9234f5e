"""Polygon edges and the compiled ray-crossing test: agrees with GEOS where it is sure, and
knows when it is not."""

import numpy as np
import shapely
from shapely import Polygon, box

from gridhub.geo.edges import Edges
from gridhub.geo.kernels import COVERED, OUTSIDE, UNSURE, covers_point


def answers(edges: Edges, polygons, x, y) -> list[int]:
    return [
        covers_point(edges.starts, edges.ends, edges.offsets[p], edges.offsets[p + 1], px, py)
        for p, px, py in zip(polygons, x, y, strict=True)
    ]


def test_inside_outside_hole_and_multipart():
    holed = box(0, 0, 10, 10).difference(box(4, 4, 6, 6))
    parts = shapely.MultiPolygon([box(20, 0, 21, 1), box(30, 0, 31, 1)])
    edges = Edges.of(np.array([holed, parts], dtype=object))
    polygons = [0, 0, 0, 1, 1, 1]
    x = [1.0, 5.0, 11.0, 20.5, 30.5, 25.0]
    y = [1.0, 5.0, 5.0, 0.5, 0.5, 0.5]
    assert answers(edges, polygons, x, y) == [COVERED, OUTSIDE, OUTSIDE, COVERED, COVERED, OUTSIDE]


def test_points_on_edges_and_vertices_are_left_to_geos():
    edges = Edges.of(np.array([box(0, 0, 1, 1)], dtype=object))
    x = [0.0, 0.5, 1.0, 0.3, 1.0 + 1e-17]
    y = [0.0, 0.0, 0.5, 1.0, 0.5]
    assert answers(edges, [0] * 5, x, y) == [UNSURE] * 5


def test_rings_are_oriented_exterior_counter_clockwise_holes_clockwise():
    """Whatever way the rings are given: the raster's winding numbers count on it."""
    clockwise = Polygon(
        [(0, 0), (0, 4), (4, 4), (4, 0)], [[(1, 1), (2, 1), (2, 2), (1, 2)]]
    )  # a counter-clockwise hole
    parts = shapely.MultiPolygon([box(10, 0, 11, 1, ccw=False), box(12, 0, 13, 1)])
    edges = Edges.of(np.array([clockwise, box(5, 0, 6, 1), parts], dtype=object))
    # The signed (shoelace) area of each polygon's edges is its area: + exterior, − holes.
    x0, y0, x1, y1 = edges.starts[:, 0], edges.starts[:, 1], edges.ends[:, 0], edges.ends[:, 1]
    signed = np.bincount(edges.owners, weights=(x0 * y1 - x1 * y0) / 2)
    assert signed.tolist() == [15.0, 1.0, 2.0]
    assert edges.offsets.tolist() == [0, 8, 12, 20]


def test_agrees_with_geos_on_random_points():
    rng = np.random.default_rng(2)
    shapes = [
        shapely.Point(rng.uniform(0, 1, 2)).buffer(rng.uniform(0.05, 0.3), 3) for _ in range(20)
    ]
    edges = Edges.of(np.array(shapes, dtype=object))
    polygons = rng.integers(0, 20, 20000)
    x, y = rng.uniform(-0.3, 1.3, 20000), rng.uniform(-0.3, 1.3, 20000)
    found = np.array(answers(edges, polygons, x, y))
    geos = shapely.intersects_xy(np.array(shapes, dtype=object)[polygons], x, y)
    certain = found != UNSURE
    assert certain.mean() > 0.99
    assert ((found == COVERED) == geos)[certain].all()
