"""A province's grids: GridIndex over 1,000,000 polygons beside bare shapely 2 in the same run.

    .venv/bin/python -m bench.grids                          # 1,000,000 grids, 5,000,000 points
    .venv/bin/python -m bench.grids --grids 20000 --points 200000    # CI-sized

Grids are Voronoi cells over a ~450 × 550 km box (a province); they reach the index as WKB, the
form the store hands over. Memory is the process's resident set (RSS, from /proc: GEOS allocates
outside Python, so tracemalloc would miss most of it), sampled every 5 ms during a build (peak)
and read after it (retained), each above the RSS before the build. CPU seconds are of every
thread of the process: the index builds and locates on all cores, the baselines on one.

Baselines on the same polygons and points:
- build: ``shapely.from_wkb`` + ``STRtree`` (the least any shapely index does);
- locate: ``STRtree.query(points, predicate="intersects")``, and the bounding-box query followed by
  ``shapely.contains_xy`` on prepared polygons (the best plain shapely form), on a sample;
- warning: ``STRtree.query(area, predicate="intersects")`` for an area over ~50,000 grids.
"""

import argparse
import ctypes
import gc
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import shapely
from numpy.typing import NDArray

from gridhub.geo.index import GridIndex, compile_kernels

FRAME = (115.0, 29.5, 119.5, 34.5)  # lon/lat box, ~430 × 555 km (about Anhui)
T = TypeVar("T")


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def rss() -> int:
    """Resident set size of this process in bytes."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def release() -> None:
    # Freed GEOS and numpy memory goes back to the system, so the next RSS reading starts clean.
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)


def measured(build: Callable[[], T]) -> tuple[T, tuple[float, float], int, int]:
    """(result, (seconds, CPU seconds), peak RSS above the start, retained RSS above it)."""
    release()
    start = rss()
    peak = start
    done = threading.Event()

    sampler_cpu = 0.0

    def sample() -> None:
        nonlocal peak, sampler_cpu
        while not done.wait(0.005):
            peak = max(peak, rss())
        sampler_cpu = time.thread_time()

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    result = build()
    done.set()
    sampler.join()
    # CPU of every thread of the build (it uses all cores), less the sampler's own.
    elapsed = (time.perf_counter() - started, time.process_time() - cpu_started - sampler_cpu)
    release()
    retained = rss()
    return result, elapsed, max(peak, retained) - start, retained - start


def voronoi_wkb(count: int, seed: int, cache: Path | None) -> NDArray[np.object_]:
    """WKB of ``count`` Voronoi cells over FRAME (cached on disk: 1M cells take a while)."""
    path = cache / f"grids-{count}-{seed}.npy" if cache else None
    if path is not None and path.exists():
        return np.load(path, allow_pickle=True)
    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = FRAME
    frame = shapely.box(*FRAME)
    seeds = shapely.multipoints(
        np.column_stack([rng.uniform(xmin, xmax, count), rng.uniform(ymin, ymax, count)])
    )
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=frame))
    wkb: NDArray[np.object_] = np.asarray(
        shapely.to_wkb(shapely.intersection(cells, frame)), dtype=object
    )
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, wkb, allow_pickle=True)
    return wkb


def warning_area(count: int, wanted: int, seed: int) -> shapely.Geometry:
    """An irregular area (a wobbly disc) covering about ``wanted`` of ``count`` grids."""
    xmin, ymin, xmax, ymax = FRAME
    share = min(1.0, wanted / count)
    radius = np.sqrt(share * (xmax - xmin) * (ymax - ymin) / np.pi)
    angles = np.linspace(0, 2 * np.pi, 720, endpoint=False)
    wobble = 1 + 0.05 * np.random.default_rng(seed).standard_normal(angles.size)
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    ring = np.column_stack([cx + radius * wobble * np.cos(angles), cy + radius * np.sin(angles)])
    return shapely.make_valid(shapely.Polygon(ring))


def best_of(runs: int, work: Callable[[], T]) -> tuple[T, tuple[float, float]]:
    """The result and the median (seconds, CPU seconds) of ``runs`` runs of ``work``.

    CPU seconds (of every thread: the index locates on all cores) tell more on a shared,
    loaded machine than the wall clock."""
    times, cpu_times, result = [], [], None
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        result = work()
        times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu_started)
    assert result is not None
    return result, (float(np.median(times)), float(np.median(cpu_times)))


def rate(count: int, seconds: tuple[float, float]) -> str:
    return f"{count / seconds[0]:,.0f} ({count / max(seconds[1], 1e-9):,.0f}/CPU s)"


def took(seconds: tuple[float, float], unit: float = 1.0, name: str = "s") -> str:
    return f"{seconds[0] * unit:,.1f} {name} ({seconds[1] * unit:,.1f} CPU)"


def gib(size: int) -> str:
    return f"{size / 2**30:.2f} GiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", type=int, default=1_000_000)
    parser.add_argument("--points", type=int, default=5_000_000)
    parser.add_argument("--baseline-points", type=int, default=500_000)
    parser.add_argument("--warning-grids", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3, help="timed runs (median reported)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/gridhub-bench-grids"))
    args = parser.parse_args()

    say(f"making {args.grids:,} Voronoi grids over ~430 × 555 km")
    started = time.perf_counter()
    wkb = voronoi_wkb(args.grids, args.seed, args.cache)
    codes = [f"G{i:07d}" for i in range(len(wkb))]
    say(f"  {len(wkb):,} grids in {time.perf_counter() - started:.1f} s")

    # The index's compiled loops are compiled once per machine and cached on disk; loading
    # them (or compiling, on a first run) is not part of a build.
    started = time.perf_counter()
    compile_kernels()
    warm_s = time.perf_counter() - started
    say(f"  compiled loops ready in {warm_s:.1f} s")
    say("baseline build: shapely.from_wkb + STRtree")
    (geoms, tree), base_s, base_peak, base_kept = measured(
        lambda: (lambda g: (g, shapely.STRtree(g)))(shapely.from_wkb(wkb))
    )
    say("GridIndex build (from the same WKB)")
    index, index_s, index_peak, index_kept = measured(
        lambda: GridIndex(codes, shapely.from_wkb(wkb))
    )

    rng = np.random.default_rng(args.seed + 1)
    x = rng.uniform(FRAME[0], FRAME[2], args.points)
    y = rng.uniform(FRAME[1], FRAME[3], args.points)
    say(f"GridIndex locate: {args.points:,} points × {args.runs}")
    found, index_locate_s = best_of(args.runs, lambda: index.locate_indices(x, y))
    sample = min(args.baseline_points, args.points)
    sx, sy = x[:sample], y[:sample]
    say(f"baselines locate: {sample:,} points")
    points = shapely.points(sx, sy)
    _, query_s = best_of(1, lambda: tree.query(points, predicate="intersects"))
    shapely.prepare(geoms)

    def prepared_contains() -> NDArray[np.int64]:
        p, g = tree.query(points)
        hit = shapely.contains_xy(geoms[g], sx[p], sy[p])
        result = np.full(sample, -1, dtype=np.int64)
        result[p[hit]] = g[hit]
        return result

    exact, contains_s = best_of(1, prepared_contains)
    # contains_xy leaves out points on a border (none, in practice, for random points)
    codes_array = np.array(codes)
    ours = codes_array[found[:sample]]
    theirs = codes_array[exact]
    mask = exact >= 0
    disagree = int(np.count_nonzero(ours[mask] != theirs[mask]))

    area = warning_area(len(wkb), args.warning_grids, args.seed)
    say("warning area → grids")
    hits, warn_s = best_of(args.runs, lambda: index.intersecting(area))
    base_hits, base_warn_s = best_of(args.runs, lambda: tree.query(area, predicate="intersects"))

    print(f"grids                    {len(wkb):,} (Voronoi cells over ~430 × 555 km)")
    print(f"load average             {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"GridIndex threads        {index.threads} (compiled loops ready in {warm_s:.1f} s)")
    print("build                    GridIndex | from_wkb + STRtree")
    print(f"  time                   {took(index_s)} | {took(base_s)}")
    print(f"  RSS retained           {gib(index_kept)} | {gib(base_kept)}")
    print(f"  RSS peak while building {gib(index_peak)} | {gib(base_peak)}")
    rows, cols = index.raster_shape
    print(f"  raster                 {rows:,} × {cols:,} cells")
    print("locate, points/s         GridIndex | STRtree query | bbox + prepared contains_xy")
    print(
        f"  rate                   {rate(args.points, index_locate_s)} | "
        f"{rate(sample, query_s)} | {rate(sample, contains_s)}"
    )
    print(f"  points                 {args.points:,} (median of {args.runs}) | {sample:,} sample")
    print(
        f"  disagreements          {disagree} of {int(mask.sum()):,} sampled points inside a grid"
    )
    print("warning area → grids     GridIndex | STRtree query intersects")
    print(f"  time                   {took(warn_s, 1000, 'ms')} | {took(base_warn_s, 1000, 'ms')}")
    print(f"  grids                  {len(hits):,} | {len(base_hits):,}")


if __name__ == "__main__":
    main()
