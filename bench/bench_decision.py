"""Joint stops and trips against choosing sites, then routing: what the office pays.

For the bundled Kaltara scenario (and, with ``--level``, a target of ``--share`` in every
unit of that admin level as well), the decision is made twice: the site choice first and
its trips after (``decide(joint=False)``: the baseline, with unservable stops replaced)
and the joint search (``decide()``). Each line: stops, trips, team days, people served,
real cost (travel, nights), targets met, seconds. Run from the repository root:

    python bench/bench_decision.py
    python bench/bench_decision.py --level kabupaten                  # 99.4% in each too
    python bench/bench_decision.py --level kecamatan --share 0.998    # ~100 stops
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    import planner
    from planner.config import TargetSpec

    ap = argparse.ArgumentParser()
    ap.add_argument("--level", default="", help="also a target in every unit of this level")
    ap.add_argument("--share", type=float, default=0.994, help="that target's share")
    ap.add_argument("--teams", type=int)
    ap.add_argument("--days", type=int)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "decision.json"))
    args = ap.parse_args()
    s = planner.load_scenario()
    if args.level:
        s = s.replace(targets=(TargetSpec("ktp", args.share, args.level),))
    plan = planner.run(s)
    rows = []
    for joint in (False, True):
        t0 = time.perf_counter()
        d = plan.decide(joint=joint, teams=args.teams, days=args.days)
        seconds = time.perf_counter() - t0
        t = d.trips.trips
        cost = d.cost()
        rows.append({"how": "joint" if joint else "sites, then trips", "method": d.method,
                     "stops": int((d.choice.sites["rank"] > 0).sum()), "trips": len(t),
                     "team_days": int(t["days"].sum()), "people": int(t["people"].sum()),
                     "cost": round(cost["total"]), "travel": round(cost["travel"]),
                     "nights": round(cost["nights"]), "met": d.met,
                     "headline": d.headline(), "bound": round(d.bound),
                     "gap": round(d.gap, 4), "proven": d.proven,
                     "trips_gap": round(d.trips.gap, 4),
                     "seconds": round(seconds, 1)})
        print(json.dumps(rows[-1]))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"level": args.level, "share": args.share,
                                          "teams": args.teams,
                                          "days": args.days, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
