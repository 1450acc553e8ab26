"""Shared by the benchmark scripts: print results and record them as JSON; the trips
benchmark's villages."""

from __future__ import annotations

import json
from pathlib import Path


def record(res: dict, out: Path) -> None:
    """Print ``res`` as JSON and write it to ``out``."""
    text = json.dumps(res, indent=2)
    print(text)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")


def trip_villages(plan, count: int = 100, seed: int = 2024):
    """The trips benchmark's villages: ``count`` drawn (seeded) among those an office
    reaches, as trip stops (each its e-KTP gap, at least 1 person) with the offices."""
    import numpy as np
    import pandas as pd

    v = plan.villages
    reach = v[np.isfinite(v["travel_minutes"].to_numpy(float))]
    pick = reach.iloc[np.sort(np.random.default_rng(seed).choice(len(reach), count,
                                                                 replace=False))]
    refs = {r: i for i, r in enumerate(plan.network.points["village"].refs)}
    stops = pd.DataFrame({"code": pick["kode"].to_numpy(), "name": pick["nama"].to_numpy(),
                          "people": np.maximum(pick["ktp_gap"].to_numpy(float).round(), 1),
                          "blank": pick["blank_spot_share"].to_numpy(float) > 0.5,
                          "index": [refs[k] for k in pick["kode"]]})
    svc = plan.network.points["service"]
    offices = pd.DataFrame({"code": svc.refs, "name": svc.labels,
                            "index": np.arange(len(svc.refs))})
    return stops, offices

