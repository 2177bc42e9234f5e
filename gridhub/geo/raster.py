"""The lookup raster behind GridIndex: which grid each cell lies in, or which grids to test.

Each cell holds one of:
- a grid index ≥ 0: the cell lies wholly inside that grid (no boundary touches it);
- NO_GRID (-1): wholly outside every grid;
- TREE (-2): grids overlap here; ask the STRtree;
- ≤ -3: a border cell; ``-3 - value`` is its slot in the candidate lists (the grids that may
  cover a point of the cell, ascending), tested exactly at query time.

Built without per-cell geometry tests: cells touched by an edge come from the edges' crossings
of the cell lines; what contains a cell centre comes from winding numbers summed along rows.
"""

import math
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

from gridhub.geo.edges import Edges, expand

NO_GRID = -1
TREE = -2
FIRST_SLOT = -3
# Margin, in cells, around each boundary touch: absorbs float rounding where a point or an edge
# lies exactly on a cell line.
MARGIN = 1e-6
# Cells per build band: bounds the build's scratch arrays (~40 bytes a cell) at ~160 MB.
BAND_CELLS = 4_000_000

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Raster:
    x0: float
    y0: float
    inv_cell: float
    nx: int
    ny: int
    cells: NDArray[np.int32]  # flat, row-major (y, x)
    offsets: NDArray[np.int32]  # candidate lists: candidates[offsets[s]:offsets[s + 1]] for slot s
    candidates: NDArray[np.int32]

    def lookup(self, x: FloatArray, y: FloatArray) -> NDArray[np.int32]:
        fx = (x - self.x0) * self.inv_cell
        fy = (y - self.y0) * self.inv_cell
        inside = (fx >= 0) & (fx < self.nx) & (fy >= 0) & (fy < self.ny)  # False for NaN
        result = np.full(x.shape, NO_GRID, dtype=np.int32)
        flat = fy[inside].astype(np.int64) * self.nx + fx[inside].astype(np.int64)
        result[inside] = self.cells[flat]
        return result


def build_raster(
    geometries: NDArray[np.object_],
    edges: Edges,
    cells_per_grid: int,
    max_cells: int,
    band_cells: int = BAND_CELLS,
) -> Raster:
    """The raster over the bounds of ``geometries`` (non-empty), about square cells in degrees.

    Built in bands of whole rows, each from the edge pieces inside it, so the build's scratch
    memory is a band's worth (a few hundred MB over a province's 1M grids) whatever the size.
    """
    xmin, ymin, xmax, ymax = shapely.total_bounds(geometries).tolist()
    width = max(xmax - xmin, 1e-9)
    height = max(ymax - ymin, 1e-9)
    target = max(1, min(max_cells, cells_per_grid * len(geometries)))
    cell = math.sqrt(width * height / target)
    cell = max(cell, width / 2**24, height / 2**24)  # a degenerate (flat) extent stays sane
    nx = math.floor(width / cell) + 1
    ny = math.floor(height / cell) + 1
    origin = np.array([xmin, ymin])
    starts = (edges.starts - origin) / cell
    ends = (edges.ends - origin) / cell
    rows = max(1, band_cells // nx)
    bands = -(-ny // rows)
    # Each edge goes to every band its rows (with the margin) reach.
    low = np.minimum(starts[:, 1], ends[:, 1])
    high = np.maximum(starts[:, 1], ends[:, 1])
    first = np.clip(np.floor(low - MARGIN) // rows, 0, bands - 1).astype(np.int64)
    last = np.clip(np.floor(high + MARGIN) // rows, 0, bands - 1).astype(np.int64)
    edge, band = expand(first, last - first + 1)
    order = np.argsort(band, kind="stable")
    edge, bounds = edge[order], np.searchsorted(band[order], np.arange(bands + 1))
    del low, high, first, last, band, order  # ~0.3 GB over 1M grids, not needed past here
    count = len(geometries)
    cells = np.empty(nx * ny, dtype=np.int32)
    offsets: list[NDArray[np.int32]] = [np.zeros(1, dtype=np.int32)]
    candidates: list[NDArray[np.int32]] = []
    slots = listed = 0
    for index in range(bands):
        top = index * rows
        height_rows = min(rows, ny - top)
        chosen = edge[bounds[index] : bounds[index + 1]]
        piece_starts, piece_ends = _clip_rows(
            starts[chosen] - [0.0, top], ends[chosen] - [0.0, top], height_rows
        )
        block, band_offsets, band_candidates = _band(
            piece_starts, piece_ends, edges.owners[chosen], nx, height_rows, count
        )
        # Slots and candidate positions are numbered across bands, in row order.
        block[block <= FIRST_SLOT] -= slots
        cells[top * nx : (top + height_rows) * nx] = block
        offsets.append((band_offsets[1:] + listed).astype(np.int32))
        candidates.append(band_candidates)
        slots += band_offsets.size - 1
        listed += band_candidates.size
    return Raster(
        xmin,
        ymin,
        1.0 / cell,
        nx,
        ny,
        cells,
        np.concatenate(offsets),
        np.concatenate(candidates) if candidates else np.zeros(0, dtype=np.int32),
    )


def _clip_rows(starts: FloatArray, ends: FloatArray, height: int) -> tuple[FloatArray, FloatArray]:
    """The pieces of edges (in cells) with y in [-MARGIN, height + MARGIN]; an edge wholly
    inside keeps its exact ends."""
    ya, yb = starts[:, 1], ends[:, 1]
    dy = yb - ya
    flat = dy == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        t_low = (-MARGIN - ya) / dy
        t_high = (height + MARGIN - ya) / dy
    enter = np.where(flat, 0.0, np.clip(np.minimum(t_low, t_high), 0.0, 1.0))
    leave = np.where(flat, 1.0, np.clip(np.maximum(t_low, t_high), 0.0, 1.0))
    keep = enter < leave
    keep[flat] = (ya[flat] >= -MARGIN) & (ya[flat] <= height + MARGIN)
    starts, ends, enter, leave = starts[keep], ends[keep], enter[keep], leave[keep]
    step = ends - starts
    new_starts = np.where((enter > 0)[:, None], starts + enter[:, None] * step, starts)
    new_ends = np.where((leave < 1)[:, None], starts + leave[:, None] * step, ends)
    return new_starts, new_ends


def _band(
    starts: FloatArray, ends: FloatArray, owners: IntArray, nx: int, ny: int, count: int
) -> tuple[NDArray[np.int32], IntArray, NDArray[np.int32]]:
    """One band's cells (slots from 0), candidate offsets and candidates; edges in its cells."""
    depth, owner_sum = _winding(starts, ends, owners, nx, ny)
    touched, toucher = _touches(starts, ends, owners, nx, ny, count)

    cells = np.full(nx * ny, NO_GRID, dtype=np.int32)
    single = depth == 1
    cells[single] = owner_sum[single] - 1
    cells[(depth > 1) | (depth < 0)] = TREE
    # A border cell may also lie wholly inside a grid whose boundary misses it (only where grids
    # overlap): when exactly one grid contains its centre, that grid is a candidate too.
    border = _sorted_unique(touched)
    border = border[(depth[border] <= 1) & (depth[border] >= 0)]
    inner = border[depth[border] == 1]
    inner_owner = owner_sum[inner] - 1
    key = touched * count + toucher  # sorted: cell first, then grid
    wanted = inner * count + inner_owner
    position = np.clip(np.searchsorted(key, wanted), 0, max(key.size - 1, 0))
    missing = key[position] != wanted if key.size else np.ones(wanted.size, dtype=bool)
    if missing.any():
        key = np.sort(np.concatenate([key, wanted[missing]]))
    touched, toucher = key // count, key % count
    slot = np.clip(np.searchsorted(border, touched), 0, max(border.size - 1, 0))
    keep = border[slot] == touched if border.size else np.zeros(touched.size, dtype=bool)
    touched, toucher, slot = touched[keep], toucher[keep], slot[keep]

    counts = np.bincount(slot, minlength=border.size)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    cells[border] = FIRST_SLOT - np.arange(border.size, dtype=np.int32)
    return cells, offsets, toucher.astype(np.int32)


def _winding(
    starts: FloatArray, ends: FloatArray, owners: IntArray, nx: int, ny: int
) -> tuple[NDArray[np.int32], IntArray]:
    """Per cell centre: how many grids contain it, and the sum of (index + 1) of those grids.

    Each edge crossing a row of centres adds ±1 to every centre right of the crossing (a
    difference array summed along the row), so a centre covered once also names its grid.
    Coordinates are in cells, relative to the raster's corner.
    """
    ya, yb = starts[:, 1], ends[:, 1]
    moving = ya != yb
    xa, xb, ya, yb = starts[moving, 0], ends[moving, 0], ya[moving], yb[moving]
    owner = owners[moving]
    low = np.ceil(np.minimum(ya, yb) - 0.5).astype(np.int64)
    high = np.ceil(np.maximum(ya, yb) - 0.5).astype(np.int64)
    edge, row = expand(low, np.clip(high - low, 0, None))
    t = (row + 0.5 - ya[edge]) / (yb[edge] - ya[edge])
    cross_x = xa[edge] + t * (xb[edge] - xa[edge])
    column = np.clip(np.ceil(cross_x - 0.5), 0, nx).astype(np.int64)
    # Going down means entering on the right for a counter-clockwise exterior ring.
    sign = np.where(yb[edge] < ya[edge], 1, -1)
    flat = row * (nx + 1) + column
    size = ny * (nx + 1)
    depth = np.rint(np.bincount(flat, weights=sign, minlength=size)).astype(np.int32)
    depth = np.cumsum(depth.reshape(ny, nx + 1), axis=1, dtype=np.int32)[:, :nx].ravel()
    owned = np.rint(np.bincount(flat, weights=sign * (owner[edge] + 1), minlength=size))
    owned = np.cumsum(owned.astype(np.int64).reshape(ny, nx + 1), axis=1)[:, :nx].ravel()
    return depth, owned


def _touches(
    starts: FloatArray, ends: FloatArray, owners: IntArray, nx: int, ny: int, count: int
) -> tuple[IntArray, IntArray]:
    """Distinct (flat cell, grid) pairs where an edge of the grid touches the cell."""
    found_cells: list[IntArray] = []
    found_owners: list[IntArray] = []

    def mark(gx: FloatArray, gy: FloatArray, owner: IntArray) -> None:
        x_low = np.clip(np.floor(gx - MARGIN), 0, nx - 1).astype(np.int64)
        x_high = np.clip(np.floor(gx + MARGIN), 0, nx - 1).astype(np.int64)
        y_low = np.clip(np.floor(gy - MARGIN), 0, ny - 1).astype(np.int64)
        y_high = np.clip(np.floor(gy + MARGIN), 0, ny - 1).astype(np.int64)
        for xs, ys, where in (
            (x_low, y_low, slice(None)),
            (x_high, y_low, x_high != x_low),
            (x_low, y_high, y_high != y_low),
            (x_high, y_high, (x_high != x_low) & (y_high != y_low)),
        ):
            found_cells.append(ys[where] * nx + xs[where])
            found_owners.append(owner[where])

    mark(starts[:, 0], starts[:, 1], owners)
    for axis in (0, 1):
        a, b = starts[:, axis], ends[:, axis]
        moving = a != b
        a, b = a[moving], b[moving]
        other_a, other_b = starts[moving, 1 - axis], ends[moving, 1 - axis]
        first = np.ceil(np.minimum(a, b)).astype(np.int64)
        last = np.floor(np.maximum(a, b)).astype(np.int64)
        edge, line = expand(first, np.clip(last - first + 1, 0, None))
        t = (line - a[edge]) / (b[edge] - a[edge])
        other = other_a[edge] + t * (other_b[edge] - other_a[edge])
        along = line.astype(np.float64)
        owner = owners[moving][edge]
        if axis == 0:
            mark(along, other, owner)
        else:
            mark(other, along, owner)
    key = _sorted_unique(np.concatenate(found_cells) * count + np.concatenate(found_owners))
    return key // count, key % count


def _sorted_unique(values: IntArray) -> IntArray:
    # Sorting then dropping repeats is several times faster here than numpy 2's hash-based unique.
    values = np.sort(values)
    return values[np.concatenate([[True], values[1:] != values[:-1]])] if values.size else values
