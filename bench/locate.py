"""Point → grid: gridhub's GridIndex against PostGIS ST_Contains + GiST, same data, same run.

    .venv/bin/python bench/locate.py                      # 100,000 grids, 1,000,000 points
    .venv/bin/python bench/locate.py --grids 10000 --points 200000 --no-postgis

Grids are Voronoi cells over ~50 × 50 km near Hefei; points are uniform over the same area.
PostGIS runs in a throwaway database on the local server and is measured on a sample of points
unnested in one query (its best batch form), then scaled to a rate.
"""

import argparse
import os
import sys
import time
import uuid

import numpy as np
import psycopg
import shapely
from psycopg import sql

from gridhub.geo.index import GridIndex, compile_kernels

FRAME = (117.0, 31.6, 117.52, 32.05)  # lon/lat box, ~49 km × 50 km
DEFAULT_ADMIN_URL = os.environ.get(
    "GRIDHUB_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def voronoi_grids(count: int, seed: int) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = FRAME
    frame = shapely.box(*FRAME)
    seeds = shapely.multipoints(
        np.column_stack([rng.uniform(xmin, xmax, count), rng.uniform(ymin, ymax, count)])
    )
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=frame))
    cells = shapely.intersection(cells, frame)
    return [f"G{i:06d}" for i in range(len(cells))], cells


def measure_index(
    index: GridIndex, x: np.ndarray, y: np.ndarray, runs: int
) -> tuple[float, float, np.ndarray]:
    """Median wall-clock rate and median rate per CPU second (telling on a shared machine)."""
    rates, cpu_rates = [], []
    result = np.empty(0)
    for run in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        result = index.locate_indices(x, y)
        elapsed = time.perf_counter() - started
        cpu = max(time.process_time() - cpu_started, 1e-9)
        rates.append(len(x) / elapsed)
        cpu_rates.append(len(x) / cpu)
        say(f"  index run {run + 1}/{runs}: {rates[-1]:,.0f} points/s, {cpu_rates[-1]:,.0f}/CPU s")
    return float(np.median(rates)), float(np.median(cpu_rates)), result


def measure_postgis(
    admin_url: str, codes: list[str], cells: np.ndarray, x: np.ndarray, y: np.ndarray
) -> tuple[float, list[str | None]]:
    name = f"gridhub_bench_{uuid.uuid4().hex[:8]}"
    base = admin_url.rsplit("/", 1)[0]
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        with psycopg.connect(f"{base}/{name}", autocommit=True) as db:
            db.execute("CREATE EXTENSION postgis")
            db.execute("CREATE TABLE grids (code text PRIMARY KEY, geom geometry(Polygon, 4326))")
            say(f"  PostGIS: loading {len(codes):,} polygons into {name}")
            ewkb = shapely.to_wkb(shapely.set_srid(cells, 4326), hex=True, include_srid=True)
            with db.cursor().copy("COPY grids (code, geom) FROM STDIN") as copy:
                for code, hex_ewkb in zip(codes, ewkb, strict=True):
                    copy.write_row((code, hex_ewkb))
            db.execute("CREATE INDEX grids_geom ON grids USING gist (geom)")
            db.execute("ANALYZE grids")
            query = """
                WITH p AS MATERIALIZED (
                    SELECT i, ST_SetSRID(ST_MakePoint(x, y), 4326) AS point
                    FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS u(x, y, i)
                )
                SELECT p.i, g.code FROM p JOIN grids g ON ST_Contains(g.geom, p.point)
            """
            say(f"  PostGIS: ST_Contains for {len(x):,} points in one query")
            started = time.perf_counter()
            rows = db.execute(query, (x.tolist(), y.tolist())).fetchall()
            elapsed = time.perf_counter() - started
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    found: list[str | None] = [None] * len(x)
    for i, code in rows:
        found[i - 1] = code if found[i - 1] is None else min(found[i - 1], code)
    return len(x) / elapsed, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", type=int, default=100_000)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3, help="index runs (median reported)")
    parser.add_argument("--postgis-sample", type=int, default=100_000)
    parser.add_argument("--postgres", default=DEFAULT_ADMIN_URL, help="admin URL of PostgreSQL")
    parser.add_argument("--no-postgis", action="store_true")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    say(f"building {args.grids:,} Voronoi grids over ~50 × 50 km")
    started = time.perf_counter()
    codes, cells = voronoi_grids(args.grids, args.seed)
    say(f"  {len(codes):,} grids in {time.perf_counter() - started:.1f} s")
    rng = np.random.default_rng(args.seed + 1)
    x = rng.uniform(FRAME[0], FRAME[2], args.points)
    y = rng.uniform(FRAME[1], FRAME[3], args.points)

    # The index's compiled loops are compiled once per machine and cached on disk; loading
    # them is not part of a build.
    compile_kernels()
    say("building the GridIndex")
    started = time.perf_counter()
    index = GridIndex(codes, cells)
    build_s = time.perf_counter() - started
    rows, cols = index.raster_shape
    say(f"  built in {build_s:.1f} s (raster {rows:,} × {cols:,})")
    say(f"locating {args.points:,} points with the index")
    index_rate, index_cpu_rate, found = measure_index(index, x, y, args.runs)

    print(f"load average         {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"grids                {len(codes):,}")
    print(f"points               {args.points:,}")
    print(f"index build          {build_s:.1f} s")
    print(f"index locate         {index_rate:,.0f} points/s (median of {args.runs})")
    print(f"index per CPU second {index_cpu_rate:,.0f} points/s")
    if args.no_postgis:
        return
    sample = min(args.postgis_sample, args.points)
    try:
        postgis_rate, postgis_found = measure_postgis(
            args.postgres, codes, cells, x[:sample], y[:sample]
        )
    except psycopg.OperationalError as exc:
        print(f"PostGIS unavailable: {str(exc).splitlines()[0]}")
        return
    ours = [codes[i] if i >= 0 else None for i in found[:sample].tolist()]
    disagree = sum(1 for a, b in zip(ours, postgis_found, strict=True) if a != b and b is not None)
    print(f"PostGIS ST_Contains  {postgis_rate:,.0f} points/s ({sample:,} points in one query)")
    print(f"ratio                {index_rate / postgis_rate:,.1f}× PostGIS")
    # Points on a shared border: ST_Contains excludes boundaries, the index picks a grid.
    print(f"disagreements        {disagree} of {sample:,} (points PostGIS places differently)")


if __name__ == "__main__":
    main()
