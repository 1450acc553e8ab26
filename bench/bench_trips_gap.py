"""Where the trips' gap lies: small sub-instances of the trips benchmark solved exactly.

The 100-stop benchmark (``bench_trips.py``) reports a gap between its answer and a lower
bound; the bound may be weak, or the answer far from the optimum. This draws sub-instances
of ``--size`` stops (seeded) from the same 100 villages, solves each exactly (dynamic
programming, proven optimal) and by the heuristic alone, and takes the heuristic's lower
bound: the heuristic's excess over the optimum and the bound's shortfall below it say which
side the gap is on. Run from the repository root:

    python bench/bench_trips_gap.py                  # 12 sub-instances of 8 stops
    python bench/bench_trips_gap.py --count 20 --size 7
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from _common import trip_villages

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    import planner
    from planner.decide import trips

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=12)
    ap.add_argument("--size", type=int, default=8)
    args = ap.parse_args()
    scenario = planner.load_scenario(ROOT / "scenarios" / "kaltara.toml")
    plan = planner.run(scenario)
    pick, offices = trip_villages(plan)  # the benchmark's 100 villages
    spec = replace(scenario.trips, teams=2, max_days=7,
                   start=scenario.trips.start or "2024-11-04")
    draw = np.random.default_rng(7)
    rows = []
    for k in range(args.count):
        stops = pick.iloc[np.sort(draw.choice(len(pick), args.size, replace=False))]
        stops = stops.reset_index(drop=True)
        st = trips.Stops(stops, offices)
        t0 = time.perf_counter()
        exact = trips.plan_trips(plan.network, st, spec)
        t1 = time.perf_counter()
        heur = trips.plan_trips(plan.network, st, spec, exact_limit=0)
        t2 = time.perf_counter()
        rows.append({"instance": k, "served": len(stops) - len(exact.unreached),
                     "optimum": round(exact.objective), "heuristic": round(heur.objective),
                     "bound": round(heur.bound),
                     "heuristic_excess": round(heur.objective / exact.objective - 1, 4)
                     if exact.objective else 0.0,
                     "bound_shortfall": round(1 - heur.bound / exact.objective, 4)
                     if exact.objective else 0.0,
                     "exact_s": round(t1 - t0, 1), "heuristic_s": round(t2 - t1, 1)})
    df = pd.DataFrame(rows)
    print(df.to_string(index=False))
    print(json.dumps({
        "instances": args.count, "stops_each": args.size,
        "heuristic_excess_mean": round(float(df["heuristic_excess"].mean()), 4),
        "heuristic_excess_max": round(float(df["heuristic_excess"].max()), 4),
        "heuristic_optimal": int((df["heuristic_excess"] < 1e-6).sum()),
        "bound_shortfall_mean": round(float(df["bound_shortfall"].mean()), 4),
        "bound_shortfall_max": round(float(df["bound_shortfall"].max()), 4)}, indent=2))


if __name__ == "__main__":
    main()
