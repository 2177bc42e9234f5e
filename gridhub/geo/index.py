"""The point → grid spatial index: shapely, numpy and numba-compiled loops, no database.

A point is answered from a precomputed raster (gridhub/geo/raster.py) when its cell lies wholly
inside one grid or outside every grid; a point in a cell that a boundary touches is tested
exactly against that cell's few candidate grids (gridhub/geo/edges.py, GEOS where in doubt);
where grids overlap the STRtree answers.

Ties: a point covered by several grids (on a shared border, or where grids overlap) belongs to
the grid whose code sorts first.
"""

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
import shapely.ops
from numpy.typing import ArrayLike, NDArray
from pyproj import Geod
from shapely import Geometry, STRtree

from gridhub.geo.edges import Edges, expand
from gridhub.geo.kernels import FIRST_SLOT, NO_GRID, TREE
from gridhub.geo.raster import BAND_CELLS, Raster, build_raster

# Raster resolution: about this many cells per grid, capped in memory (int32 cells, 1 GiB at
# most, reached by a province's 1M grids). 256 cells a grid leaves ~15 % of points (those near
# borders) to the exact test on Voronoi-like grids; the exact test costs ~10x a raster lookup,
# so fewer cells cost dearly: 32 a grid leave 40 % and locate ~8x slower.
CELLS_PER_GRID = 256
MAX_CELLS = 256_000_000
# Above this many vertices a grid's point test uses GEOS's prepared (indexed) polygon; below,
# preparing costs more than it saves.
PREPARE_ABOVE_VERTICES = 64
# Up to this many edges a candidate is tested by the compiled ray count (~1 µs at this size,
# about a prepared GEOS test with its call); above, GEOS's indexed test is cheaper.
COMPILED_TEST_MAX_EDGES = 1024
_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class Nearest:
    """The grid nearest to a point outside every grid and the geodesic distance to it."""

    code: str
    distance_m: float


class GridIndex:
    """Point → grid over a fixed set of grids (codes and WGS84 polygons)."""

    def __init__(
        self,
        codes: Sequence[str],
        geometries: Sequence[Geometry] | NDArray[np.object_],
        cells_per_grid: int = CELLS_PER_GRID,
        max_cells: int = MAX_CELLS,
        band_cells: int = BAND_CELLS,
        threads: int | None = None,
    ) -> None:
        if len(codes) != len(geometries):
            raise ValueError("codes and geometries differ in length")
        if len(set(codes)) != len(codes):
            raise ValueError("grid codes must be unique")
        # numpy sorts 1M codes several times faster than sorted() with a key; stable, like it.
        order = np.argsort(np.array(codes, dtype=str), kind="stable")
        self.codes: tuple[str, ...] = tuple(codes[i] for i in order)
        geoms = np.asarray(geometries, dtype=object)
        self.geometries: NDArray[np.object_] = geoms[order]
        self.tree = STRtree(self.geometries)
        self._edges = Edges.of(self.geometries)
        # GEOS point tests use prepared copies of the big grids (preparing the caller's own
        # objects would change them) and the polygons themselves for the rest: a copy of every
        # polygon would double the index's GEOS memory (~0.4 GiB per million grids).
        self._testers = self.geometries.copy()
        big = np.flatnonzero(shapely.get_num_coordinates(self.geometries) > PREPARE_ABOVE_VERTICES)
        if big.size:
            self._testers[big] = shapely.from_wkb(shapely.to_wkb(self.geometries[big]))
            shapely.prepare(self._testers[big])
        # Building and locating use every core this process may run on (numba and shapely
        # release the GIL).
        self._threads = threads or len(os.sched_getaffinity(0))
        self._raster = (
            build_raster(
                self.geometries, self._edges, cells_per_grid, max_cells, band_cells, self._threads
            )
            if len(self.codes)
            else None
        )

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def threads(self) -> int:
        """How many threads a build or a large lookup runs on."""
        return self._threads

    @property
    def raster_shape(self) -> tuple[int, int]:
        """(rows, columns) of the lookup raster."""
        return (self._raster.ny, self._raster.nx) if self._raster else (0, 0)

    def locate_indices(self, lons: ArrayLike, lats: ArrayLike) -> NDArray[np.int32]:
        """For each point the index into ``codes`` of its grid, or -1 (outside, in a hole)."""
        x = np.asarray(lons, dtype=np.float64).ravel()
        y = np.asarray(lats, dtype=np.float64).ravel()
        if x.shape != y.shape:
            raise ValueError("lons and lats differ in length")
        raster = self._raster
        if raster is None:
            return np.full(x.shape, NO_GRID, dtype=np.int32)
        result = raster.locate(x, y, self._edges, COMPILED_TEST_MAX_EDGES, self._threads)
        border = np.flatnonzero(result <= FIRST_SLOT)  # the compiled test left these to GEOS
        if border.size:
            result[border] = self._test_candidates(raster, x[border], y[border], result[border])
        tree = np.flatnonzero(result == TREE)
        if tree.size:
            result[tree] = self._query_tree(x[tree], y[tree])
        return result

    def locate_many(self, lons: ArrayLike, lats: ArrayLike) -> list[str | None]:
        """The grid code of each point (None outside every grid)."""
        codes = self.codes
        return [codes[i] if i >= 0 else None for i in self.locate_indices(lons, lats).tolist()]

    def locate(self, lon: float, lat: float) -> str | None:
        return self.locate_many([lon], [lat])[0]

    def covering(self, lon: float, lat: float) -> list[str]:
        """Every grid that covers the point (boundary included), in code order."""
        hits = self.tree.query(shapely.points(lon, lat), predicate="intersects")
        return [self.codes[i] for i in sorted(hits.tolist())]

    def _test_candidates(
        self,
        raster: Raster,
        x: NDArray[np.float64],
        y: NDArray[np.float64],
        values: NDArray[np.int32],
    ) -> NDArray[np.int32]:
        # Points near an edge, or with a big candidate: every (point, candidate) pair in GEOS.
        # Candidates are in code order, so a point's first covering candidate is its grid.
        slot = FIRST_SLOT - values.astype(np.int64)
        start = raster.offsets[slot].astype(np.int64)
        point, position = expand(start, raster.offsets[slot + 1] - start)
        grid = raster.candidates[position].astype(np.int64)
        covered = shapely.intersects_xy(self._testers[grid], x[point], y[point])
        point, grid = point[covered], grid[covered]
        first = np.ones(point.size, dtype=bool)
        first[1:] = point[1:] != point[:-1]
        result = np.full(x.shape, NO_GRID, dtype=np.int32)
        result[point[first]] = grid[first]
        return result

    def _query_tree(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.int32]:
        # Where grids overlap: bounding-box candidates from the tree, each tested; the smallest
        # index (= smallest code) among the grids covering a point wins.
        point_idx, grid_idx = self.tree.query(shapely.points(x, y))
        hit = shapely.intersects_xy(self._testers[grid_idx], x[point_idx], y[point_idx])
        point_idx = point_idx[hit]
        grid_idx = grid_idx[hit]
        result = np.full(x.shape, NO_GRID, dtype=np.int32)
        # Assign in descending grid order so the smallest index is written last and stays.
        order = np.argsort(grid_idx, kind="stable")[::-1]
        result[point_idx[order]] = grid_idx[order]
        return result

    def nearest(self, lon: float, lat: float) -> Nearest | None:
        """The grid nearest to the point (geodesic metres; 0 when inside one)."""
        if not self.codes:
            return None
        point = shapely.points(lon, lat)
        first = int(self.tree.nearest(point))
        degrees = float(shapely.distance(self.geometries[first], point))
        if degrees == 0.0:
            return Nearest(self.codes[first], 0.0)
        # Any grid nearer in metres lies within this many degrees (longitude shrinks by cos φ).
        cos_lat = max(math.cos(math.radians(lat)), 0.01)
        reach = degrees / cos_lat * 1.001 + 1e-12
        candidates = sorted(self.tree.query(point, predicate="dwithin", distance=reach).tolist())
        best: Nearest | None = None
        for index in candidates:
            distance = _geodesic_distance(self.geometries[index], lon, lat, cos_lat)
            if best is None or distance < best.distance_m:
                best = Nearest(self.codes[index], distance)
        return best

    def intersecting(self, area: Geometry) -> list[str]:
        """Codes of the grids whose polygons intersect ``area`` (WGS84), in code order."""
        hits = self.tree.query(area, predicate="intersects")
        return [self.codes[i] for i in sorted(hits.tolist())]


def _geodesic_distance(geometry: Geometry, lon: float, lat: float, cos_lat: float) -> float:
    # The nearest point is found in a local equirectangular frame (x scaled by cos φ, nearly
    # conformal over a town), its distance measured on the ellipsoid.
    def scale(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        return coords * np.array([cos_lat, 1.0])

    scaled = shapely.transform(geometry, scale)
    _, nearest = shapely.ops.nearest_points(shapely.points(lon * cos_lat, lat), scaled)
    _, _, distance = _GEOD.inv(lon, lat, nearest.x / cos_lat, nearest.y)
    return float(distance)


def compile_kernels() -> None:
    """Compile every compiled loop of the index once, or load it from numba's disk cache: a
    square located inside, outside and on its border. The install step runs this, so that a
    hub's first start does not spend seconds compiling while check-ins wait."""
    square = GridIndex(["square"], [shapely.box(0.0, 0.0, 1.0, 1.0)])
    square.locate_indices([0.5, 0.0, 2.0, 1e-12, 0.999], [0.5, 0.5, 2.0, 0.3, 0.999])


if __name__ == "__main__":
    compile_kernels()
