"""Benchmark: walking over terrain at province scale. A seeded synthetic friction surface
the size of Kaltara at 100 m (about 72,000 km²: 2,600 × 2,800 cells, 7.3 million), with
land-cover speeds, a DEM-like elevation (Tobler's slope factor) and rivers as barriers,
then travel minutes from 6 offices to every cell (planner.network.terrain: the 8-neighbour
moves as a CSR matrix, one multi-source Dijkstra in scipy).

Run:  python bench/bench_terrain.py [--rows 2600 --cols 2800]
Results are printed as JSON and written to bench/results/terrain.json (seconds per step and
the process's peak memory). The surface is generated here (illustrative), since the
benchmark measures the method.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np
from _common import record

from planner.network import terrain


def surface(rows: int, cols: int, seed: int = 29) -> terrain.Surface:
    """Land-cover speeds in patches (forest 2, shrub 3, fields 4, settlements 5 km/h), a
    smooth elevation up to ~1,500 m, and a few river bands as barriers."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 4, size=(rows // 50 + 1, cols // 50 + 1))
    cover = np.kron(coarse, np.ones((50, 50), np.int64))[:rows, :cols]
    speed = np.array([2.0, 3.0, 4.0, 5.0])[cover]
    y, x = np.mgrid[0:rows, 0:cols]
    elevation = (750 + 500 * np.sin(x / 400.0) * np.cos(y / 300.0)
                 + 250 * np.sin((x + y) / 150.0))
    barrier = np.zeros((rows, cols), bool)
    for k in range(1, 6):                          # rivers: bands two cells wide, gaps = fords
        r = k * rows // 6
        barrier[r:r + 2, :] = True
        for gap in rng.integers(0, cols, size=4):
            barrier[r:r + 2, gap:gap + 3] = False
    return terrain.Surface(speed, cell_m=100.0, elevation_m=elevation, barrier=barrier)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2600)
    ap.add_argument("--cols", type=int, default=2800)
    ap.add_argument("--out", type=Path,
                    default=Path(__file__).parent / "results" / "terrain.json")
    args = ap.parse_args()
    t0 = time.perf_counter()
    s = surface(args.rows, args.cols)
    t1 = time.perf_counter()
    m = terrain.to_csr(s)
    t2 = time.perf_counter()
    rng = np.random.default_rng(6)
    offices = rng.choice(args.rows * args.cols, 6, replace=False)
    minutes = terrain.travel_minutes(s, offices)
    t3 = time.perf_counter()
    reached = np.isfinite(minutes)
    record({"cells": args.rows * args.cols, "moves": int(m.nnz),
            "surface_s": round(t1 - t0, 2), "graph_s": round(t2 - t1, 2),
            "travel_s_including_graph": round(t3 - t2, 2),
            "cells_reached": int(reached.sum()),
            "median_hours": round(float(np.median(minutes[reached])) / 60, 2),
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)},
           args.out)


if __name__ == "__main__":
    main()
