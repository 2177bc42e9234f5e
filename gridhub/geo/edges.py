"""The edges of a set of polygons, grouped by polygon, and a vectorised point-in-polygon test.

The test counts crossings of a rightward ray (even-odd rule, so holes and multi-part grids need
nothing special). Where floating point cannot decide — a point on or within rounding of an
edge, or level with a vertex — it says so, and the caller asks GEOS instead.
"""

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
# Relative error bound of the orientation determinant below (a few ulps, with a wide margin).
_UNCERTAIN = 1e-12


@dataclass(frozen=True)
class Edges:
    """Ring edges as (start, end) with the index of their polygon; rings oriented exterior
    counter-clockwise and holes clockwise; polygon ``i`` owns ``offsets[i]:offsets[i + 1]``."""

    starts: FloatArray
    ends: FloatArray
    owners: IntArray
    offsets: IntArray

    @classmethod
    def of(cls, geometries: NDArray[np.object_]) -> "Edges":
        parts, part_owner = shapely.get_parts(geometries, return_index=True)
        parts = shapely.orient_polygons(parts, exterior_cw=False)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
        same_ring = coord_ring[:-1] == coord_ring[1:]
        owners = part_owner[ring_part[coord_ring[:-1][same_ring]]]  # ascending: parts keep order
        offsets = np.searchsorted(owners, np.arange(len(geometries) + 1)).astype(np.int64)
        return cls(coords[:-1][same_ring], coords[1:][same_ring], owners, offsets)

    def counts(self, polygons: IntArray) -> IntArray:
        """How many edges each of ``polygons`` has."""
        return self.offsets[polygons + 1] - self.offsets[polygons]

    def covers(
        self, polygons: IntArray, x: FloatArray, y: FloatArray
    ) -> tuple[BoolArray, BoolArray]:
        """For each (polygon, point) pair: (covered, certain). Where not certain, ask GEOS."""
        start = self.offsets[polygons]
        pair, edge = expand(start, self.offsets[polygons + 1] - start)
        px, py = x[pair], y[pair]
        xa, ya = self.starts[edge, 0], self.starts[edge, 1]
        xb, yb = self.ends[edge, 0], self.ends[edge, 1]
        term_y = (xb - xa) * (py - ya)
        term_x = (px - xa) * (yb - ya)
        cross = term_y - term_x
        straddles = (ya > py) != (yb > py)
        # The ray meets an upward edge when the point is on its left, a downward one on its right.
        crossings = straddles & ((cross > 0) == (yb > ya))
        level = (py >= np.minimum(ya, yb)) & (py <= np.maximum(ya, yb))
        unsure = level & (np.abs(cross) <= _UNCERTAIN * (np.abs(term_y) + np.abs(term_x)))
        size = polygons.size
        covered = np.bincount(pair[crossings], minlength=size) % 2 == 1
        certain = np.bincount(pair[unsure], minlength=size) == 0
        return covered, certain


def expand(first: IntArray, counts: IntArray) -> tuple[IntArray, IntArray]:
    """For items with ``counts[i]`` consecutive integers from ``first[i]``: (item, integer)."""
    item = np.repeat(np.arange(counts.size), counts)
    within = np.arange(item.size) - np.repeat(np.cumsum(counts) - counts, counts)
    return item, first[item] + within
