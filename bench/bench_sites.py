"""Benchmark: choosing sites at national size, and exact answers at regional size.

Demand points: the 83,246 real village polygons of Indonesia
(../shared/data/indonesia/villages_simplified.parquet; their representative points), with a
seeded synthetic gap per village (lognormal). Candidates: villages drawn at random (seeded).

Coverage table: **synthetic** (this benchmark exercises the optimiser, not travel times): a
village is covered by every candidate within a radius chosen so that villages have about 72
candidates within reach on average, the density of the issue's measurement. Distances are
chord distances on the sphere.

  national  83,246 villages x 5,000 candidates, k = 100: greedy + swap with a Lagrangian
            bound (the planner's method="auto" at this size); proven gap and seconds.
  regional  5,000 villages x 1,000 candidates (a seeded regional subset), k = 20: the exact
            optimum through HiGHS, and spopt's MCLP (PuLP + CBC) on the same table.

Run:  python bench/bench_sites.py [--skip-spopt]   (spopt: pip install -e '.[bench]')
Results are printed as JSON and written to bench/results/sites.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from planner.decide.optimise import CoverageProblem, max_coverage

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "indonesia"
EARTH_KM = 6371.0


def unit_xyz(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lo, la = np.radians(lon), np.radians(lat)
    return np.c_[np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)]


def coverage_table(xyz_d: np.ndarray, xyz_c: np.ndarray, per_point: float,
                   rng: np.random.Generator) -> tuple[pd.DataFrame, float]:
    """Pairs within a radius giving about ``per_point`` candidates per demand point."""
    tree = cKDTree(xyz_c)
    sample = xyz_d[rng.choice(len(xyz_d), min(3000, len(xyz_d)), replace=False)]
    lo, hi = 1.0, 500.0
    for _ in range(30):
        r = (lo + hi) / 2
        mean = np.mean([len(x) for x in tree.query_ball_point(sample, r / EARTH_KM)])
        lo, hi = (r, hi) if mean < per_point else (lo, r)
    radius = (lo + hi) / 2
    lists = tree.query_ball_point(xyz_d, radius / EARTH_KM)
    vi = np.repeat(np.arange(len(xyz_d)), [len(x) for x in lists])
    si = np.fromiter((j for x in lists for j in x), dtype=np.int64, count=len(vi))
    dist = np.linalg.norm(xyz_d[vi] - xyz_c[si], axis=1) * EARTH_KM
    return pd.DataFrame({"village": vi, "site": si, "minutes": dist}), radius


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-spopt", action="store_true")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "sites.json")
    args = ap.parse_args()
    rng = np.random.default_rng(2024)
    v = gpd.read_parquet(SHARED / "villages_simplified.parquet")
    pts = v.geometry.representative_point()
    xyz = unit_xyz(pts.x.to_numpy(), pts.y.to_numpy())
    demand = np.round(rng.lognormal(2.5, 1.0, len(v)))
    res: dict[str, object] = {}

    # national
    cand = rng.choice(len(v), 5000, replace=False)
    t0 = time.perf_counter()
    table, radius = coverage_table(xyz, xyz[cand], 72.0, rng)
    build = time.perf_counter() - t0
    p = CoverageProblem.from_table(table, demand, cand.astype(str), radius + 1e-9)
    t0 = time.perf_counter()
    sol = max_coverage(p, 100, time_limit=120.0)
    secs = time.perf_counter() - t0
    res["national"] = {"villages": len(v), "candidates": 5000, "k": 100,
                       "pairs": len(table), "pairs_per_village": round(len(table) / len(v), 1),
                       "radius_km": round(radius, 2), "table_build_s": round(build, 2),
                       "solver": sol.solver, "status": sol.status, "seconds": round(secs, 2),
                       "covered": sol.objective, "bound": round(sol.bound, 1),
                       "gap_percent": round(100 * sol.gap, 3),
                       "total_demand": float(demand.sum())}
    print(json.dumps(res["national"], indent=2), flush=True)

    # regional: 5,000 villages of one region (the nearest to a seeded village), 1,000 cands
    centre = xyz[rng.integers(len(v))]
    _, near = cKDTree(xyz).query(centre, k=5000)
    xyz_r, dem_r = xyz[near], demand[near]
    cand_r = rng.choice(5000, 1000, replace=False)
    table_r, radius_r = coverage_table(xyz_r, xyz_r[cand_r], 30.0, rng)
    p_r = CoverageProblem.from_table(table_r, dem_r, cand_r.astype(str), radius_r + 1e-9)
    t0 = time.perf_counter()
    sol_r = max_coverage(p_r, 20, time_limit=60.0)
    secs_r = time.perf_counter() - t0
    res["regional"] = {"villages": 5000, "candidates": 1000, "k": 20, "pairs": len(table_r),
                       "pairs_per_village": round(len(table_r) / 5000, 1),
                       "solver": sol_r.solver, "status": sol_r.status,
                       "seconds": round(secs_r, 3), "covered": sol_r.objective,
                       "gap_percent": round(100 * sol_r.gap, 4)}
    if not args.skip_spopt:
        import pulp
        from spopt.locate import MCLP

        cost = np.full((5000, 1000), 1e9)
        cost[table_r["village"], table_r["site"]] = table_r["minutes"]
        t0 = time.perf_counter()
        model = MCLP.from_cost_matrix(cost, dem_r, radius_r + 1e-9, p_facilities=20)
        built = time.perf_counter() - t0
        model = model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=600))
        total = time.perf_counter() - t0
        chosen = [j for j in range(1000) if model.fac_vars[j].value() > 0.5]
        covered = float(dem_r[np.unique(table_r.loc[table_r["site"].isin(chosen),
                                                     "village"])].sum())
        res["regional"].update({"spopt_build_s": round(built, 2),
                                "spopt_total_s": round(total, 2),
                                "spopt_covered": covered,
                                "planner_over_spopt_speed": round(total / secs_r, 1)})
    print(json.dumps(res["regional"], indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
