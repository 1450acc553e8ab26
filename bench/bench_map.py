"""Benchmark: the Kaltara outreach map's size and how fast it becomes interactive in headless
Chromium (network blocked), over several loads; the size of the "try other stops" tables it
carries and how long the panel takes to price a stop set in the browser.

"Interactive" = from navigation start until the page's search function exists and Leaflet
has drawn the villages (the map's `load` event fired and its layers are on the map).

Run:  python bench/bench_map.py [--repeat 5]   (needs Debian's chromium and playwright)
Results are printed as JSON and written to bench/results/map.json.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from _common import record

import planner


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "map.json")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    from planner.decide import sites

    plan = planner.run(planner.load_scenario())
    choice = plan.choose_sites()
    folder = Path(tempfile.mkdtemp())
    path = plan.write(folder, sites=choice)["map"]
    tables = sites.whatif_tables(plan, choice)
    assert tables is not None
    candidates = [c for c, f in zip(tables["sites"]["code"], tables["sites"]["forced"],
                                    strict=True) if not f]
    rng = random.Random(1)
    sets = [rng.sample(candidates, 20) for _ in range(50)]
    times = []
    price_ms: list[float] = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=shutil.which("chromium"),
                              args=["--no-sandbox", "--disable-gpu",
                                    "--disable-background-networking"])
        for _ in range(args.repeat):
            page = b.new_page(viewport={"width": 1280, "height": 900})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
                ("file:", "data:")) else r.abort())
            t0 = time.perf_counter()
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_function("() => window.jkFind !== undefined && "
                                   "document.querySelector('.leaflet-overlay-pane canvas')")
            times.append(time.perf_counter() - t0)
            if not price_ms:  # pricing a 20-stop set in the browser, 50 sets
                price_ms = page.evaluate("""sets => sets.map(s => {
                    const t = performance.now(); window.jkWhatIf(s);
                    return performance.now() - t; })""", sets)
            page.close()
        b.close()
    res = {"map_bytes": path.stat().st_size, "map_mb": round(path.stat().st_size / 1e6, 2),
           "whatif_table_bytes": len(json.dumps(tables)),
           "whatif_pairs": len(tables["rows"]),
           "interactive_s_median": round(statistics.median(times), 3),
           "interactive_s_runs": [round(t, 3) for t in times],
           "price_20_stops_ms_median": round(statistics.median(price_ms), 2),
           "price_20_stops_ms_max": round(max(price_ms), 2)}
    record(res, args.out)


if __name__ == "__main__":
    main()
