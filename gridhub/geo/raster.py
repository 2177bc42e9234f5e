"""The lookup raster behind GridIndex: which grid each cell lies in, or which grids to test.

Each cell holds one of:
- a grid index ≥ 0: the cell lies wholly inside that grid (no boundary touches it);
- NO_GRID (-1): wholly outside every grid;
- TREE (-2): grids overlap here; ask the STRtree;
- ≤ -3: a border cell; ``-3 - value`` is its slot in the candidate lists (the grids that may
  cover a point of the cell, ascending), tested exactly at query time.

Built without per-cell geometry tests: cells touched by an edge come from the edges' crossings
of the cell lines; what contains a cell centre comes from winding numbers summed along rows.
The per-cell work (the fill, the lookup and its border test) is in gridhub/geo/kernels.py,
compiled and run on every core.
"""

import math
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import shapely
from numpy.typing import NDArray

from gridhub.geo import kernels
from gridhub.geo.edges import Edges, expand
from gridhub.geo.kernels import MARGIN

# Cells per build band: bounds a band's scratch arrays (~30 bytes a cell) at ~120 MB per thread.
BAND_CELLS = 4_000_000
# Below this many points a lookup stays on the calling thread: starting threads costs more.
THREADED_ABOVE_POINTS = 50_000

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
T = TypeVar("T")
R = TypeVar("R")
_NO_LISTS = (np.zeros(1, dtype=np.int32), np.zeros(0, dtype=np.int32))


def in_threads(work: Callable[[T], R], items: Iterable[T], threads: int) -> Iterator[R]:
    """``work`` over ``items`` on up to ``threads`` threads, results in order."""
    if threads <= 1:
        yield from map(work, items)
        return
    with ThreadPoolExecutor(threads) as pool:
        yield from pool.map(work, items)


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

    def locate(
        self, x: FloatArray, y: FloatArray, edges: Edges, max_edges: int, threads: int
    ) -> NDArray[np.int32]:
        """Each point's cell value, border cells resolved by the exact test where it is sure
        and the candidates have at most ``max_edges`` edges; other border points keep their
        slot value (≤ FIRST_SLOT) for GEOS."""
        result = np.empty(x.shape, dtype=np.int32)
        chunks = threads if x.size > THREADED_ABOVE_POINTS else 1
        bounds = np.linspace(0, x.size, chunks + 1).astype(np.int64)

        def chunk(index: int) -> None:
            part = slice(bounds[index], bounds[index + 1])
            kernels.locate(
                x[part], y[part], self.x0, self.y0, self.inv_cell, self.nx, self.ny, self.cells,
                self.offsets, self.candidates, edges.starts, edges.ends, edges.offsets,
                max_edges, result[part],
            )  # fmt: skip

        list(in_threads(chunk, range(chunks), chunks))
        return result


def build_raster(
    geometries: NDArray[np.object_],
    edges: Edges,
    cells_per_grid: int,
    max_cells: int,
    band_cells: int = BAND_CELLS,
    threads: int = 1,
) -> Raster:
    """The raster over the bounds of ``geometries`` (non-empty), about square cells in degrees.

    Built in bands of whole rows, each from the edge pieces inside it, so the build's scratch
    memory is a band's worth per thread whatever the size.
    """
    xmin, ymin, xmax, ymax = shapely.total_bounds(geometries).tolist()
    width = max(xmax - xmin, 1e-9)
    height = max(ymax - ymin, 1e-9)
    target = max(1, min(max_cells, cells_per_grid * len(geometries)))
    cell = math.sqrt(width * height / target)
    cell = max(cell, width / 2**24, height / 2**24)  # a degenerate (flat) extent stays sane
    nx = math.floor(width / cell) + 1
    ny = math.floor(height / cell) + 1
    cells = np.empty(nx * ny, dtype=np.int32)
    rows = max(1, band_cells // nx)
    found = _fill(cells, edges, np.array([xmin, ymin]), cell, nx, ny, rows, threads)
    # The bands' lists are copied into place one by one and dropped, so the build never holds
    # two copies of them (~0.5 GB over 1M grids).
    offsets = np.empty(1 + sum(band[0].size - 1 for band in found), dtype=np.int32)
    candidates = np.empty(sum(band[1].size for band in found), dtype=np.int32)
    offsets[0] = 0
    slots = listed = 0
    for index in range(len(found)):
        band_offsets, band_candidates = found[index]
        found[index] = _NO_LISTS
        # Slots and candidate positions are numbered across bands, in row order.
        top = index * rows
        kernels.renumber(cells[top * nx : min(top + rows, ny) * nx], slots)
        offsets[slots + 1 : slots + band_offsets.size] = band_offsets[1:] + np.int32(listed)
        candidates[listed : listed + band_candidates.size] = band_candidates
        slots += band_offsets.size - 1
        listed += band_candidates.size
    return Raster(xmin, ymin, 1.0 / cell, nx, ny, cells, offsets, candidates)


def _fill(
    cells: NDArray[np.int32],
    edges: Edges,
    origin: FloatArray,
    cell: float,
    nx: int,
    ny: int,
    rows: int,
    threads: int,
) -> list[tuple[NDArray[np.int32], NDArray[np.int32]]]:
    """Fill ``cells`` band by band (``rows`` rows each); each band's candidate lists."""
    starts = (edges.starts - origin) / cell
    ends = (edges.ends - origin) / cell
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
    workers = max(1, min(threads, bands))
    found: list[tuple[NDArray[np.int32], NDArray[np.int32]]] = [_NO_LISTS] * bands

    def work(worker: int) -> None:
        # Each thread takes every ``workers``-th band and reuses its scratch arrays, which the
        # kernel leaves zeroed: fresh ones per band cost a page fault every 4 KiB.
        depth = np.zeros(rows * (nx + 1), dtype=np.int32)
        owned = np.zeros(rows * (nx + 1), dtype=np.int64)
        heads = np.zeros(rows * nx + 1, dtype=np.int64)
        for index in range(worker, bands, workers):
            top = index * rows
            height_rows = min(rows, ny - top)
            chosen = edge[bounds[index] : bounds[index + 1]]
            piece_starts, piece_ends = _clip_rows(
                starts[chosen] - [0.0, top], ends[chosen] - [0.0, top], height_rows
            )
            found[index] = kernels.band(
                piece_starts, piece_ends, edges.owners[chosen], nx, height_rows,
                cells[top * nx : (top + height_rows) * nx], depth, owned, heads,
            )  # fmt: skip

    list(in_threads(work, range(workers), workers))
    return found


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
