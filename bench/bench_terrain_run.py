"""Benchmark: the whole Kaltara plan with walking over terrain, the land's cells joined to
the network (scenarios/kaltara_terrain.toml, its illustrative 500 m land cover and elevation
read at the cell size asked: 500, 250 or 100 m), in one process:

- ``run``: load, join, the network with a node every half cell along its land lines, the
  cells made nodes of it (terrain.extend), travel from the nearest office to every village
  (routes, cheapest routes, parts), the travel-time raster from the offices;
- ``choose_sites``: the scenario's site choice on the travel table over lines and land;
- ``catchments``: each cell to the office or new stop its residents reach soonest.

Run:  python bench/bench_terrain_run.py [--cell 100]
Results are printed as JSON and written to bench/results/terrain_run_<cell>m.json (seconds per
step, the graph's size and the process's peak memory). No cache is used.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import time
from pathlib import Path

from _common import record

import planner

ROOT = Path(__file__).resolve().parent.parent


def peak_mb() -> int:
    """The process's peak resident memory so far, MB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cell", type=float, default=100.0, help="cell size, metres")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    s = planner.load_scenario(ROOT / "scenarios" / "kaltara_terrain.toml")
    s = dataclasses.replace(s, terrain=dataclasses.replace(s.terrain, cell_m=args.cell))
    res: dict[str, object] = {"cell_m": args.cell}
    t0 = time.perf_counter()
    plan = planner.run(s, use_cache=False)
    res["run_s"] = round(time.perf_counter() - t0, 1)
    res["run_steps_s"] = {k: round(v, 1) for k, v in plan.timings.items()}
    res["run_peak_mb"] = peak_mb()
    net = plan.network
    report = net.report["terrain"]
    res["graph"] = {"nodes": net.n_nodes, "edges": len(net.u), "cells": report["cells"],
                    "passable_cells": report["passable_cells"], "moves": report["moves"]}
    t0 = time.perf_counter()
    choice = plan.choose_sites()
    res["choose_sites_s"] = round(time.perf_counter() - t0, 1)
    res["choose_sites_peak_mb"] = peak_mb()
    t0 = time.perf_counter()
    made = plan.terrain_catchments(choice)
    res["catchments_s"] = round(time.perf_counter() - t0, 1)
    res["catchments"] = 0 if made is None else len(made[1])
    res["peak_mb"] = peak_mb()
    out = args.out or Path(__file__).parent / "results" / f"terrain_run_{args.cell:g}m.json"
    record(res, out)


if __name__ == "__main__":
    main()
