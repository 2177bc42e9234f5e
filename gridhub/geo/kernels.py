"""The compiled loops behind the raster: its fill, its lookup and the exact border test.

Compiled by numba with the GIL released, so callers run bands of rows and chunks of points on
every core: the same steps in numpy needed sorts and searches over tens of millions of
(cell, grid) pairs to build, and spent ~90 % of a lookup building (point, edge) arrays for a
border point's few candidates of a few edges each.

numba's on-disk cache is checked file by file, not through calls into other files: every
compiled function lives in this one file, so a change to any of them recompiles its callers.

The point test counts crossings of a rightward ray (even-odd rule, so holes and multi-part
grids need nothing special). Where floating point cannot decide — a point on or within rounding
of an edge, or level with a vertex — it says so, and the caller asks GEOS instead.
"""

import math

import numba
import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

NO_GRID = -1
TREE = -2
FIRST_SLOT = -3
# Margin, in cells, around each boundary touch: absorbs float rounding where a point or an edge
# lies exactly on a cell line.
MARGIN = 1e-6
# Relative error bound of the orientation determinant below (a few ulps, with a wide margin).
_UNCERTAIN = 1e-12
OUTSIDE = 0
COVERED = 1
UNSURE = 2
# Border points tested together (see _resolve): their cache lines stay within L2.
_BLOCK = 256


@numba.njit(nogil=True, cache=True)
def locate(
    x: FloatArray,
    y: FloatArray,
    x0: float,
    y0: float,
    inv_cell: float,
    nx: int,
    ny: int,
    cells: NDArray[np.int32],
    offsets: NDArray[np.int32],
    candidates: NDArray[np.int32],
    starts: FloatArray,
    ends: FloatArray,
    edge_offsets: IntArray,
    max_edges: int,
    out: NDArray[np.int32],
) -> float:
    """Each point's raster value into ``out``, border values resolved where the exact test is
    sure and the candidates have at most ``max_edges`` edges (others are left for GEOS).

    Returns a sum of coordinates read ahead (see _resolve), of no meaning."""
    # The raster reads come first, in a loop of their own: they miss the cache (1 GiB over a
    # province), and with no border test between them the processor overlaps many at once.
    for i in range(x.size):
        fx = (x[i] - x0) * inv_cell
        fy = (y[i] - y0) * inv_cell
        inside = fx >= 0 and fx < nx and fy >= 0 and fy < ny  # False for NaN
        out[i] = cells[int(fy) * nx + int(fx)] if inside else NO_GRID
    pending = np.empty(_BLOCK, dtype=np.int64)
    count = 0
    read_ahead = 0.0
    for i in range(x.size):
        if out[i] <= FIRST_SLOT:
            pending[count] = i
            count += 1
            if count == _BLOCK:
                read_ahead += _resolve(
                    pending, count, x, y, offsets, candidates, starts, ends, edge_offsets,
                    max_edges, out,
                )  # fmt: skip
                count = 0
    return read_ahead + _resolve(
        pending, count, x, y, offsets, candidates, starts, ends, edge_offsets, max_edges, out
    )


@numba.njit(nogil=True, cache=True)
def _resolve(
    pending: IntArray,
    count: int,
    x: FloatArray,
    y: FloatArray,
    offsets: NDArray[np.int32],
    candidates: NDArray[np.int32],
    starts: FloatArray,
    ends: FloatArray,
    edge_offsets: IntArray,
    max_edges: int,
    out: NDArray[np.int32],
) -> float:
    """The exact test for a block of border points (their indices in ``pending[:count]``)."""
    # A border point's test follows a chain of cache misses (its slot's candidates, their edge
    # offsets, their edges), each waiting on the one before: ~0.8 µs a point. Reading each link
    # for the whole block first lets the processor wait on many at once; the sum keeps the
    # compiler from dropping reads whose values are not otherwise used.
    read_ahead = 0.0
    for j in range(count):
        slot = FIRST_SLOT - out[pending[j]]
        read_ahead += candidates[offsets[slot]]
    for j in range(count):
        slot = FIRST_SLOT - out[pending[j]]
        for position in range(offsets[slot], offsets[slot + 1]):
            read_ahead += edge_offsets[candidates[position]]
    for j in range(count):
        slot = FIRST_SLOT - out[pending[j]]
        for position in range(offsets[slot], offsets[slot + 1]):
            edge = edge_offsets[candidates[position]]
            read_ahead += starts[edge, 0] + ends[edge, 0]
    for j in range(count):
        i = pending[j]
        value = out[i]
        slot = FIRST_SLOT - value
        found = NO_GRID
        # Candidates are in code order: a point's first covering candidate is its grid.
        for position in range(offsets[slot], offsets[slot + 1]):
            grid = candidates[position]
            first, last = edge_offsets[grid], edge_offsets[grid + 1]
            answer = UNSURE
            if last - first <= max_edges:
                answer = covers_point(starts, ends, first, last, x[i], y[i])
            if answer == UNSURE:
                found = value
                break
            if answer == COVERED:
                found = grid
                break
        out[i] = found
    return read_ahead


@numba.njit(nogil=True, cache=True)
def covers_point(
    starts: FloatArray, ends: FloatArray, first: int, last: int, px: float, py: float
) -> int:
    """COVERED, OUTSIDE or UNSURE: whether edges ``first:last`` (a polygon) cover the point."""
    inside = False
    for edge in range(first, last):
        xa, ya = starts[edge, 0], starts[edge, 1]
        xb, yb = ends[edge, 0], ends[edge, 1]
        term_y = (xb - xa) * (py - ya)
        term_x = (px - xa) * (yb - ya)
        cross = term_y - term_x
        if (min(ya, yb) <= py <= max(ya, yb)) and abs(cross) <= _UNCERTAIN * (
            abs(term_y) + abs(term_x)
        ):
            return UNSURE
        # The ray meets an upward edge when the point is on its left, a downward one on its right.
        if ((ya > py) != (yb > py)) and ((cross > 0) == (yb > ya)):
            inside = not inside
    return COVERED if inside else OUTSIDE


@numba.njit(nogil=True, cache=True)
def renumber(block: NDArray[np.int32], slots: int) -> None:
    for i in range(block.size):
        if block[i] <= FIRST_SLOT:
            block[i] -= slots


@numba.njit(nogil=True, cache=True)
def band(
    starts: FloatArray,
    ends: FloatArray,
    owners: IntArray,
    nx: int,
    ny: int,
    cells: NDArray[np.int32],
    depth: NDArray[np.int32],
    owned: IntArray,
    heads: IntArray,
) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
    """Fill one band's ``cells`` (slots from 0); return its candidate offsets and candidates.

    Coordinates are in cells, relative to the band's corner. ``depth``, ``owned`` and
    ``heads`` are zeroed scratch (at least a band's worth), left zeroed.
    """
    _fill_winding(starts, ends, owners, nx, ny, cells, depth, owned)
    # Edge touches per cell, counted, then listed by cell (a counting sort: no global sort).
    size = nx * ny
    _touches(starts, ends, owners, nx, ny, heads[1:], np.empty(0, dtype=np.int32), False)
    total = 0
    for flat in range(1, size + 1):
        total += heads[flat]
        heads[flat] = total  # where the touches of cell ``flat`` start
    touches = np.empty(total, dtype=np.int32)
    _touches(starts, ends, owners, nx, ny, heads, touches, True)  # heads[f]: where f's end
    heads[size] = 0
    offsets = np.zeros(total + 1, dtype=np.int32)  # a slot per touched cell at most
    candidates = np.empty(2 * total, dtype=np.int32)  # each touched cell adds ≤ 1
    slot = listed = begin = 0
    for flat in range(size):
        end = heads[flat]
        heads[flat] = 0
        value = cells[flat]
        if end == begin or value == TREE:
            begin = end
            continue
        first = listed
        # A border cell may also lie wholly inside a grid whose boundary misses it (only where
        # grids overlap): when exactly one grid contains its centre, that grid is a candidate.
        if value >= 0:
            candidates[listed] = value
            listed += 1
        for position in range(begin, end):
            owner = touches[position]
            # Insert in order, skipping repeats: a cell has a handful of candidates.
            at = listed
            while at > first and candidates[at - 1] > owner:
                at -= 1
            if at > first and candidates[at - 1] == owner:
                continue
            for move in range(listed, at, -1):
                candidates[move] = candidates[move - 1]
            candidates[at] = owner
            listed += 1
        begin = end
        cells[flat] = FIRST_SLOT - slot
        slot += 1
        offsets[slot] = listed
    return offsets[: slot + 1].copy(), candidates[:listed].copy()


@numba.njit(nogil=True, cache=True)
def _fill_winding(
    starts: FloatArray,
    ends: FloatArray,
    owners: IntArray,
    nx: int,
    ny: int,
    cells: NDArray[np.int32],
    depth: NDArray[np.int32],
    owned: IntArray,
) -> None:
    """Per cell centre: the grid containing it, NO_GRID, or TREE where several grids do.

    Each edge crossing a row of centres adds ±1 to every centre right of the crossing (a
    difference array summed along the row), and ±(grid + 1) to a second one, so a centre
    covered once also names its grid.
    """
    width = nx + 1
    for edge in range(starts.shape[0]):
        xa, ya = starts[edge, 0], starts[edge, 1]
        xb, yb = ends[edge, 0], ends[edge, 1]
        if ya == yb:
            continue
        # Going down means entering on the right for a counter-clockwise exterior ring.
        sign = 1 if yb < ya else -1
        low = max(math.ceil(min(ya, yb) - 0.5), 0)
        high = min(math.ceil(max(ya, yb) - 0.5), ny)
        for row in range(low, high):
            t = (row + 0.5 - ya) / (yb - ya)
            column = min(max(math.ceil(xa + t * (xb - xa) - 0.5), 0), nx)
            depth[row * width + column] += sign
            owned[row * width + column] += sign * (owners[edge] + 1)
    for row in range(ny):
        count = 0
        total = 0
        for column in range(nx):
            count += depth[row * width + column]
            total += owned[row * width + column]
            depth[row * width + column] = 0
            owned[row * width + column] = 0
            flat = row * nx + column
            if count == 1:
                cells[flat] = total - 1
            elif count == 0:
                cells[flat] = NO_GRID
            else:
                cells[flat] = TREE
        depth[row * width + nx] = 0  # the column right of the last, never read
        owned[row * width + nx] = 0


@numba.njit(nogil=True, cache=True)
def _touches(
    starts: FloatArray,
    ends: FloatArray,
    owners: IntArray,
    nx: int,
    ny: int,
    heads: IntArray,
    out: NDArray[np.int32],
    write: bool,
) -> None:
    """Every (cell, grid) touch of an edge with its margin: counted into ``heads[cell]``, or
    with ``write``, the grid stored at ``out[heads[cell]]`` and ``heads[cell]`` advanced."""
    for edge in range(starts.shape[0]):
        owner = owners[edge]
        _mark(starts[edge, 0], starts[edge, 1], owner, nx, ny, heads, out, write)
        for axis in range(2):
            a, b = starts[edge, axis], ends[edge, axis]
            if a == b:
                continue
            other_a, other_b = starts[edge, 1 - axis], ends[edge, 1 - axis]
            for line in range(math.ceil(min(a, b)), math.floor(max(a, b)) + 1):
                t = (line - a) / (b - a)
                other = other_a + t * (other_b - other_a)
                if axis == 0:
                    _mark(float(line), other, owner, nx, ny, heads, out, write)
                else:
                    _mark(other, float(line), owner, nx, ny, heads, out, write)


@numba.njit(nogil=True, cache=True, inline="always")
def _mark(
    gx: float,
    gy: float,
    owner: int,
    nx: int,
    ny: int,
    heads: IntArray,
    out: NDArray[np.int32],
    write: bool,
) -> None:
    x_low = min(max(math.floor(gx - MARGIN), 0), nx - 1)
    x_high = min(max(math.floor(gx + MARGIN), 0), nx - 1)
    y_low = min(max(math.floor(gy - MARGIN), 0), ny - 1)
    y_high = min(max(math.floor(gy + MARGIN), 0), ny - 1)
    for cell_y in range(y_low, y_high + 1):
        for cell_x in range(x_low, x_high + 1):
            flat = cell_y * nx + cell_x
            if write:
                out[heads[flat]] = owner
            heads[flat] += 1
