"""Trips at scale: 100 stops from the 6 Kaltara offices, solved and timed.

The bundled Kaltara scenario's network (real boundaries, illustrative network and estimates)
with 100 villages drawn at random (seeded) among those a service point reaches, each with its
own e-KTP gap (at least 1 person) as the people to serve; 2 teams per office, trips of at most
7 days, the scenario's [trips] costs. Reports the seconds (network routes between all stops,
then the solve), the trips, the objective, the lower bound and the gap. Run from the
repository root:

    python bench/bench_trips.py               # 100 stops
    python bench/bench_trips.py --stops 40
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

from _common import trip_villages

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    import planner
    from planner.decide import trips

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--stops", type=int, default=100)
    ap.add_argument("--teams", type=int, default=2)
    ap.add_argument("--time-limit", type=float, default=300.0)
    args = ap.parse_args()
    scenario = planner.load_scenario(ROOT / "scenarios" / "kaltara.toml")
    plan = planner.run(scenario)
    stops, offices = trip_villages(plan, args.stops)
    spec = replace(scenario.trips, teams=args.teams, max_days=7,
                   start=scenario.trips.start or "2024-11-04")
    t0 = time.perf_counter()
    tp = trips.plan_trips(plan.network, trips.Stops(stops, offices), spec,
                          time_limit=args.time_limit)
    seconds = time.perf_counter() - t0
    print(json.dumps({
        "stops": args.stops, "offices": len(offices), "teams_per_office": args.teams,
        "people": float(stops["people"].sum()), "seconds": round(seconds, 1),
        "method": tp.method, "trips": len(tp.trips),
        "team_days": int(tp.trips["days"].sum()), "stops_unreached": len(tp.unreached),
        "minimise": spec.minimise, "objective": round(tp.objective),
        "lower_bound": round(tp.bound), "gap": round(tp.gap, 3),
        "note": tp.note}, indent=2))


if __name__ == "__main__":
    main()
