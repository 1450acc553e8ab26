"""Benchmark: the Kaltara outreach map's size and how fast it becomes interactive in headless
Chromium (network blocked), over several loads.

"Interactive" = from navigation start until the page's search function exists and Leaflet
has drawn the villages (the map's `load` event fired and its layers are on the map).

Run:  python bench/bench_map.py [--repeat 5]   (needs Debian's chromium and playwright)
Results are printed as JSON and written to bench/results/map.json.
"""

from __future__ import annotations

import argparse
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

    plan = planner.run(planner.load_scenario())
    plan.choose_sites()
    folder = Path(tempfile.mkdtemp())
    path = plan.write(folder)["map"]
    times = []
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
            page.close()
        b.close()
    res = {"map_bytes": path.stat().st_size, "map_mb": round(path.stat().st_size / 1e6, 2),
           "interactive_s_median": round(statistics.median(times), 3),
           "interactive_s_runs": [round(t, 3) for t in times]}
    record(res, args.out)


if __name__ == "__main__":
    main()
