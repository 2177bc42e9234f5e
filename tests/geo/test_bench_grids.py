"""bench.grids at CI size: it runs, and the index agrees with bare shapely on every figure."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_grids_small_run_agrees_with_shapely(tmp_path):
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.grids",
            "--grids",
            "3000",
            "--points",
            "30000",
            "--baseline-points",
            "30000",
            "--warning-grids",
            "150",
            "--runs",
            "1",
            "--cache",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    out = run.stdout
    assert re.search(r"disagreements\s+0 of [\d,]+ sampled points", out), out
    warned = re.search(r"grids\s+([\d,]+) \| ([\d,]+)\n?$", out.strip())
    assert warned and warned.group(1) == warned.group(2) and warned.group(1) != "0", out
    assert re.search(r"RSS retained\s+[\d.]+ GiB \| [\d.]+ GiB", out), out
    assert list(tmp_path.glob("grids-3000-*.npy")), "the grids are cached for the next run"
