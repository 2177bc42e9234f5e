"""Overlaps between grids: which pairs share area, and how many square metres."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely import Geometry, STRtree

# Interiors meet in two dimensions: neighbours that only share an edge or a corner do not count.
INTERIORS_OVERLAP = "2********"


@dataclass(frozen=True)
class Overlap:
    a: str
    b: str
    area_m2: float

    def __str__(self) -> str:
        return f"{self.a} overlaps {self.b}: {self.area_m2:,.1f} m²"


def find_overlaps(codes: Sequence[str], geometries: Sequence[Geometry]) -> list[Overlap]:
    """Every pair of grids whose interiors overlap, with the area they share, in code order."""
    if len(codes) < 2:
        return []
    geoms = np.asarray(geometries, dtype=object)
    tree = STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    real = shapely.relate_pattern(geoms[left], geoms[right], INTERIORS_OVERLAP)
    left, right = left[real], right[real]
    if left.size == 0:
        return []
    shared = shapely.intersection(geoms[left], geoms[right])
    areas = _areas_m2(shared)
    overlaps = [
        Overlap(min(codes[i], codes[j]), max(codes[i], codes[j]), float(area))
        for i, j, area in zip(left.tolist(), right.tolist(), areas.tolist(), strict=True)
    ]
    return sorted(overlaps, key=lambda overlap: (overlap.a, overlap.b))


def _areas_m2(geometries: np.ndarray) -> np.ndarray:
    # Lambert azimuthal equal-area keeps areas exact anywhere, so one centre serves the data.
    centre = shapely.centroid(shapely.union_all(shapely.envelope(geometries)))
    laea = CRS.from_proj4(f"+proj=laea +lat_0={centre.y} +lon_0={centre.x} +ellps=WGS84 +units=m")
    transformer = Transformer.from_crs("EPSG:4326", laea, always_xy=True)
    projected = shapely.transform(
        geometries, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
    )
    return shapely.area(projected)
