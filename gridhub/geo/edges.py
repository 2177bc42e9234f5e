"""The edges of a set of polygons, grouped by polygon, as the raster and its exact point test
(gridhub/geo/kernels.py) read them."""

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
_POLYGON = 3  # shapely's type id


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
        # Polygons are read as they are, and rings that run the wrong way have their edges
        # reversed: splitting and re-orienting copies every polygon in GEOS (~5 s per million).
        parts, part_owner = geometries, np.arange(len(geometries))
        if np.any(shapely.get_type_id(geometries) != _POLYGON):
            parts, part_owner = shapely.get_parts(geometries, return_index=True)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        exterior = np.ones(rings.size, dtype=bool)  # each part lists its exterior ring first
        exterior[1:] = ring_part[1:] != ring_part[:-1]
        reverse = shapely.is_ccw(rings) != exterior
        coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
        same_ring = coord_ring[:-1] == coord_ring[1:]
        edge_ring = coord_ring[:-1][same_ring]
        starts, ends = coords[:-1][same_ring], coords[1:][same_ring]
        flip = reverse[edge_ring][:, None]
        starts, ends = np.where(flip, ends, starts), np.where(flip, starts, ends)
        owners = part_owner[ring_part[edge_ring]]  # ascending: parts keep order
        offsets = np.searchsorted(owners, np.arange(len(geometries) + 1)).astype(np.int64)
        return cls(starts, ends, owners, offsets)


def expand(first: IntArray, counts: IntArray) -> tuple[IntArray, IntArray]:
    """For items with ``counts[i]`` consecutive integers from ``first[i]``: (item, integer)."""
    item = np.repeat(np.arange(counts.size), counts)
    within = np.arange(item.size) - np.repeat(np.cumsum(counts) - counts, counts)
    return item, first[item] + within
