"""The raster-accelerated grid index agrees with shapely's exact answer, point by point."""

import numpy as np
import pytest
import shapely
from shapely import box

from gridhub.geo.index import GridIndex


def voronoi(n: int, seed: int = 11) -> list[shapely.Geometry]:
    rng = np.random.default_rng(seed)
    frame = box(118.0, 30.0, 118.2, 30.15)
    seeds = shapely.multipoints(
        np.column_stack([rng.uniform(118, 118.2, n), rng.uniform(30, 30.15, n)])
    )
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=frame))
    return list(shapely.intersection(cells, frame))


def expected(geometries, codes, x, y) -> list[str | None]:
    """The definition: the smallest code among grids covering the point."""
    answers = []
    for px, py in zip(x, y, strict=True):
        point = shapely.Point(px, py)
        covering = [c for c, g in zip(codes, geometries, strict=True) if g.covers(point)]
        answers.append(min(covering) if covering else None)
    return answers


def test_matches_exact_answers_on_voronoi_grids_with_holes_and_overlaps():
    geometries = voronoi(300)
    # a hole in one grid, and one extra grid overlapping several others
    geometries[0] = geometries[0].difference(geometries[0].centroid.buffer(0.001))
    geometries.append(box(118.05, 30.05, 118.08, 30.07))
    codes = [f"G{i:04d}" for i in range(len(geometries))][::-1]  # codes not in input order
    index = GridIndex(codes, geometries)
    rng = np.random.default_rng(5)
    x = rng.uniform(117.99, 118.21, 4000)
    y = rng.uniform(29.99, 30.16, 4000)
    # plus points exactly on vertices, shared edges and the hole's rim
    vertices = shapely.get_coordinates(shapely.boundary(np.array(geometries[:40])))
    x = np.concatenate([x, vertices[:, 0]])
    y = np.concatenate([y, vertices[:, 1]])
    assert index.locate_many(x, y) == expected(geometries, codes, x, y)


def test_hole_outside_and_shared_border():
    index = GridIndex(
        ["B", "A", "C"],
        [
            box(118.01, 30.0, 118.02, 30.01),
            box(118.0, 30.0, 118.01, 30.01).difference(box(118.004, 30.004, 118.006, 30.006)),
            box(118.03, 30.0, 118.04, 30.01),
        ],
    )
    assert index.locate(118.002, 30.002) == "A"
    assert index.locate(118.005, 30.005) is None  # in A's hole
    assert index.locate(118.01, 30.005) == "A"  # shared border of A and B: smallest code
    assert index.covering(118.01, 30.005) == ["A", "B"]
    assert index.locate(118.004, 30.005) == "A"  # on the hole's rim: A covers it
    assert index.locate(118.5, 30.5) is None
    assert index.locate_many([np.nan], [30.0]) == [None]


def test_nearest_is_geodesic_metres():
    index = GridIndex(
        ["A", "B"], [box(118.0, 30.0, 118.01, 30.01), box(118.02, 30.0, 118.03, 30.01)]
    )
    nearest = index.nearest(118.0, 30.02)  # due north of A's edge by 0.01° of latitude
    assert nearest.code == "A"
    assert nearest.distance_m == pytest.approx(1109, rel=0.005)
    # east of A by 0.004°, west of B by 0.006°: A is nearer
    nearest = index.nearest(118.014, 30.005)
    assert nearest.code == "A"
    assert nearest.distance_m == pytest.approx(0.004 * 96_490, rel=0.005)
    assert index.nearest(118.005, 30.005).distance_m == 0.0


def test_intersecting_area():
    index = GridIndex(["A", "B", "C"], voronoi(3))
    assert index.intersecting(box(117, 29, 119, 31)) == ["A", "B", "C"]
    assert index.intersecting(box(100, 20, 101, 21)) == []


def test_empty_index_answers_none():
    index = GridIndex([], [])
    assert index.locate_many([118.0], [30.0]) == [None]
    assert index.nearest(118.0, 30.0) is None


def test_refuses_duplicate_codes():
    with pytest.raises(ValueError, match="unique"):
        GridIndex(["A", "A"], [box(0, 0, 1, 1), box(1, 0, 2, 1)])


@pytest.mark.parametrize("seed", range(6))
def test_random_overlapping_slivers_holes_and_multipolygons(seed):
    """Grids that overlap, slivers thinner than a raster cell, holes, circles, multipolygons."""
    rng = np.random.default_rng(seed)
    geometries = []
    for _ in range(25):
        x0, y0 = rng.uniform(0, 1, 2)
        w, h = rng.uniform(0.0005, 0.3, 2)
        shape = box(x0, y0, x0 + w, y0 + h)
        kind = rng.random()
        if kind < 0.2:
            shape = shape.difference(shape.centroid.buffer(min(w, h) / 4))
        elif kind < 0.3:
            shape = shapely.MultiPolygon([shape, box(x0 + w + 0.01, y0, x0 + w + 0.02, y0 + 0.01)])
        elif kind < 0.5:
            shape = shapely.Point(x0, y0).buffer(rng.uniform(0.001, 0.2))
        elif kind < 0.6:
            shape = box(x0, y0, x0 + 1e-6, y0 + 0.5)
        geometries.append(shape)
    codes = [f"C{i:03d}" for i in rng.permutation(len(geometries))]
    index = GridIndex(codes, geometries, cells_per_grid=int(rng.choice([4, 64, 256])))
    vertices = shapely.get_coordinates(shapely.boundary(np.array(geometries)))
    x = np.concatenate([rng.uniform(-0.1, 1.4, 1500), vertices[::3, 0]])
    y = np.concatenate([rng.uniform(-0.1, 1.4, 1500), vertices[::3, 1]])
    assert index.locate_many(x, y) == expected(geometries, codes, x, y)


@pytest.mark.parametrize("band_cells", [1, 97, 5000])
def test_raster_built_in_bands_answers_like_one_band(band_cells):
    """A province's raster is built band by band; thin bands cut every grid and edge, and the
    answers (holes, overlaps, points on borders and band lines) stay exact."""
    geometries = voronoi(200, seed=3)
    geometries[5] = geometries[5].difference(geometries[5].centroid.buffer(0.002))
    geometries.append(box(118.02, 30.02, 118.09, 30.08))  # overlaps many
    codes = [f"B{i:04d}" for i in range(len(geometries))]
    banded = GridIndex(codes, geometries, band_cells=band_cells)
    whole = GridIndex(codes, geometries, band_cells=10**9)
    assert banded.raster_shape == whole.raster_shape
    rows, _ = banded.raster_shape
    rng = np.random.default_rng(band_cells)
    x = rng.uniform(117.99, 118.21, 3000)
    y = rng.uniform(29.99, 30.16, 3000)
    # points on the band lines themselves: every raster row boundary
    y_lines = 30.0 + np.arange(rows + 1) * (0.15 / rows)
    x = np.concatenate([x, rng.uniform(118.0, 118.2, y_lines.size)])
    y = np.concatenate([y, y_lines])
    vertices = shapely.get_coordinates(shapely.boundary(np.array(geometries[:30])))
    x = np.concatenate([x, vertices[:, 0]])
    y = np.concatenate([y, vertices[:, 1]])
    answers = banded.locate_many(x, y)
    assert answers == whole.locate_many(x, y)
    assert answers == expected(geometries, codes, x, y)
