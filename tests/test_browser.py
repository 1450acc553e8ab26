"""Real-browser tests of the outreach map in headless Chromium (Debian's chromium, driven by
Playwright). The network is blocked: every request other than the file itself is aborted and
recorded. Skipped, with the reason, only where Chromium or Playwright is missing."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

import planner

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# screenshots and figures go outside the repository (the suite never writes inside it)
ARTIFACTS = Path(os.environ.get("JANGKAU_TEST_ARTIFACTS",
                                Path(tempfile.gettempdir()) / "jangkau-test-screenshots"))
EVIL = '<img src=x onerror="window.__xss=1">'

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if CHROMIUM is None:  # pragma: no cover - CI installs it
    pytest.skip("chromium is not installed (apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield b
        b.close()


def open_map(browser, path: Path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    errors: list[str] = []

    def block(route):
        url = route.request.url
        if url.startswith(("file://", "data:")):
            route.continue_()
        else:
            requests.append(url)
            route.abort()

    page.route("**/*", block)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.wait_for_function("() => window.jkFind !== undefined")
    return page, requests, errors


def layer_names(page) -> set[str]:
    return set(page.evaluate(
        "() => Array.from(document.querySelectorAll('.leaflet-control-layers label span'))"
        ".map(s => s.textContent.trim())"))


def test_kaltara_map_offline_layers_search(browser, kaltara_plan, tmp_path):
    paths = kaltara_plan.write(tmp_path / "out", sites=kaltara_plan.choose_sites(k=5))
    page, requests, errors = open_map(browser, paths["map"])
    assert requests == [], "the map asked the network for " + ", ".join(requests)
    assert errors == []
    assert layer_names(page) >= {
        "Villages by priority", "Signal blank spots", "Reach bands (travel time from an office)",
        "Villages served by each new site", "Routes from the office to each new site",
        "Proposed mobile-service sites (by rank)", "Service points (offices)",
        "Airstrips and ports", "OpenStreetMap basemap (needs internet)"}
    assert page.locator(".jk-site").count() == 5
    assert page.locator("#jk-legend").is_visible() and page.locator(".leaflet-control-scale")\
        .count() == 1
    assert "ILLUSTRATIVE DATA" in page.inner_text("#jk-title")
    # search by a code written without dots, then by name
    page.fill("#jk-search", "6502052001")
    page.keyboard.press("Enter")
    page.wait_for_selector(".leaflet-tooltip")
    tip = page.inner_text(".leaflet-tooltip")
    assert "Long Nawang" in tip and "Travel time" in tip and "Why" in tip
    page.fill("#jk-search", "long nawang")
    assert "65.02.05.2001" in page.inner_text("#jk-results")
    # colour by an indicator's gap, then back
    page.select_option("#jk-colour", "c_kia")
    assert page.inner_text("#jk-legend-title") == "Child ID card (KIA) gap"
    page.select_option("#jk-colour", "color")
    # clicking a village opens its profile with the route legs
    page.evaluate("() => { const l = window.jkFind('6502052001')[0];"
                  " l.fire('click', {latlng: l.getBounds().getCenter()}, true); }")
    page.wait_for_selector(".leaflet-popup-content")
    popup = page.inner_text(".leaflet-popup-content")
    assert "Route legs" in popup and "air" in popup and "wait" in popup
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "kaltara_map.png"))
    assert errors == [] and requests == []
    page.close()


def test_names_from_input_files_never_run(browser, tiny_scenario, tmp_path):
    vil = gpd.read_file(tiny_scenario.parent / "villages.geojson")
    vil.loc[1, "nama"] = EVIL  # village B
    vil.to_file(tiny_scenario.parent / "villages.geojson")
    plan = planner.run(planner.load_scenario(tiny_scenario))
    paths = plan.write(tmp_path / "out")
    page, requests, errors = open_map(browser, paths["map"])
    page.fill("#jk-search", "9901012002")
    page.keyboard.press("Enter")
    page.wait_for_selector(".leaflet-tooltip")
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__xss") is None
    assert page.locator("img[src='x']").count() == 0
    assert EVIL in page.inner_text(".leaflet-tooltip")  # shown as text
    page.fill("#jk-search", "img")
    assert EVIL.lower() in page.inner_text("#jk-results")
    assert page.evaluate("() => window.__xss") is None
    assert errors == [] and requests == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "escaped_name.png"))
    page.close()


def test_hostile_strings_in_every_field_stay_text(browser, tmp_path):
    """Payloads in every text field (tests/hostile.py): the map opens, draws every village,
    runs none of them and shows each as the text it is."""
    from .hostile import PAYLOADS, TITLE, write_hostile

    scenario = write_hostile(tmp_path / "tiny")
    plan = planner.run(planner.load_scenario(scenario))
    paths = plan.write(tmp_path / "out", sites=plan.choose_sites())
    page, requests, errors = open_map(browser, paths["map"])
    assert page.evaluate("() => window.jkReady") is True
    assert len(page.evaluate("() => window.jkFind('99.01').map(l => l.feature.properties.kode)")
               ) == 6
    assert page.inner_text("#jk-title").startswith(TITLE)
    for i, p in enumerate(PAYLOADS[:6]):
        kode = f"990101200{i + 1}"
        head = page.evaluate(
            "k => { const l = window.jkFind(k)[0]; l.openTooltip(l.getBounds().getCenter());"
            " const t = l.getTooltip().getElement().querySelector('.jk-card-head').textContent;"
            " l.closeTooltip(); return t; }", kode)
        assert head == p, (p, head)
    page.fill("#jk-search", "desa{{")
    assert "Desa{{ 7*7 }}Lama" in page.inner_text("#jk-results")
    page.fill("#jk-search", "zzzz-no-such-village")
    assert "No village matches" in page.inner_text("#jk-results")
    # office and site markers: their tooltips hold the payload ids and names as text
    page.evaluate("() => window.jkMap.eachLayer(l => { if (l.getTooltip && l.getTooltip() && "
                  "!l.feature?.properties?.kode) { l.openTooltip(); } })")
    tips = page.evaluate("() => Array.from(document.querySelectorAll('.leaflet-tooltip'))"
                         ".map(t => t.textContent).join('\\n')")
    assert "S ${window.__xss=7}" in tips and PAYLOADS[9] in tips
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__xss") is None
    assert page.locator("img[src='x']").count() == 0
    assert errors == [] and requests == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "hostile_names.png"))
    page.close()


def _points_in_villages(plan, n: int, seed: int = 20261128):
    """``n`` random points inside random villages (lat, lng, name), seeded."""
    import numpy as np
    import shapely

    v = plan.villages.to_crs(4326)
    rng = np.random.default_rng(seed)
    out = []
    for i in rng.choice(len(v), n, replace=False):
        g = v.geometry.iloc[i]
        minx, miny, maxx, maxy = g.bounds
        for _ in range(500):
            x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if g.contains(shapely.Point(x, y)):
                out.append((float(y), float(x), v["nama"].iloc[i]))
                break
    return out


def _hover_profiles(page, points, width, height):
    """Move the mouse to each point: (points on screen, points giving a village profile,
    bounding boxes of the profiles)."""
    on_screen = profiles = 0
    boxes = []
    for lat, lng, _name in points:
        x, y = page.evaluate("([a, b]) => { const p = window.jkMap.latLngToContainerPoint("
                             "[a, b]); return [p.x, p.y]; }", [lat, lng])
        if not (0 <= x < width and 0 <= y < height):
            continue
        on_screen += 1
        page.mouse.move(x + 1, y + 1)
        page.wait_for_timeout(35)
        page.mouse.move(x, y)
        page.wait_for_timeout(35)
        box = page.evaluate(
            "() => { const t = Array.from(document.querySelectorAll('.leaflet-tooltip'))"
            ".filter(t => t.querySelector('.jk-card-head') && t.querySelector('.jk-row'))"
            ".pop(); if (!t) return null; const r = t.getBoundingClientRect();"
            " return [r.left, r.top, r.right, r.bottom]; }")
        if box is not None:
            profiles += 1
            boxes.append(box)
    return on_screen, profiles, boxes


def _overlaps(rects):
    bad = []
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]:
                bad.append((a[0], b[0]))
    return bad


CONTROL_RECTS = ("() => Array.from(document.querySelectorAll('.leaflet-control'))"
                 ".filter(e => e.offsetParent).map(e => { const r = e.getBoundingClientRect();"
                 " return [e.id || e.className.split(' ')[0], r.left, r.top, r.right, r.bottom];"
                 " })")


def test_map_usability_figures(browser, kaltara_plan, tmp_path):
    """Issue 14's figures: hover reach over villages (default layers, reach bands on), the
    profile card fits a 1400 x 900 window, no control overlaps another at 412 x 915 and the
    illustrative warning stays readable, the legend lists every layer, search tells
    villages of one name apart and says when nothing matches. Figures are written to
    $JANGKAU_TEST_ARTIFACTS (default: the temp folder's jangkau-test-screenshots)/
    map_usability.json."""
    import json

    paths = kaltara_plan.write(tmp_path / "out",
                               sites=kaltara_plan.choose_sites(target=0.994))
    points = _points_in_villages(kaltara_plan, 120)
    figures = {}
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(paths["map"].as_uri())
    page.wait_for_function("() => window.jkReady")
    page.wait_for_timeout(400)
    n, hit, boxes = _hover_profiles(page, points, 1400, 900)
    figures["desktop_default"] = {"points": n, "profiles": hit}
    fits = sum(b[0] >= 0 and b[1] >= 0 and b[2] <= 1400 and b[3] <= 900 for b in boxes)
    widths = [b[2] - b[0] for b in boxes]
    figures["profile_fit"] = {"profiles": len(boxes), "fully_visible": fits,
                              "widest_px": max(widths)}
    page.evaluate("() => document.querySelectorAll('.leaflet-control-layers label').forEach("
                  "l => { if (l.textContent.includes('Reach bands')) "
                  "l.querySelector('input').click(); })")
    page.wait_for_timeout(200)
    n2, hit2, _ = _hover_profiles(page, points, 1400, 900)
    figures["desktop_reach_bands"] = {"points": n2, "profiles": hit2}
    figures["desktop_overlaps"] = _overlaps(page.evaluate(CONTROL_RECTS))
    # legend: an entry for every layer drawn
    legend = page.inner_text("#jk-legend")
    for entry in ("no signal", "village served by a new site", "route from the office",
                  "proposed mobile-service site", "airstrip", "port", "service point",
                  "Reach band", "top 10%"):
        assert entry in legend, entry
    # search: villages of one name told apart; no match says so
    page.fill("#jk-search", "long")
    hits = page.evaluate("() => Array.from(document.querySelectorAll('#jk-results .jk-hit'))"
                         ".map(d => d.textContent)")
    assert len(hits) == len(set(hits)) and all("(65." in h for h in hits)
    page.fill("#jk-search", "qqqq")
    assert "No village matches" in page.inner_text("#jk-results")
    page.close()

    phone = browser.new_page(viewport={"width": 412, "height": 915})
    phone.goto(paths["map"].as_uri())
    phone.wait_for_function("() => window.jkReady")
    phone.wait_for_timeout(400)
    rects = phone.evaluate(CONTROL_RECTS)
    figures["phone_controls"] = rects
    figures["phone_overlaps"] = _overlaps(rects)
    note = phone.evaluate("() => { const r = document.querySelector('#jk-title .jk-note')"
                          ".getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom];"
                          " }")
    n3, hit3, _ = _hover_profiles(phone, points[:40], 412, 915)
    figures["phone_default"] = {"points": n3, "profiles": hit3}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "kaltara_map_phone.png"))
    phone.close()
    (ARTIFACTS / "map_usability.json").write_text(json.dumps(figures, indent=1))

    assert hit >= 0.95 * n and n >= 100, figures
    assert hit2 >= 0.95 * n2, figures
    assert fits >= 0.95 * len(boxes) and max(widths) <= 360, figures
    assert figures["desktop_overlaps"] == [] and figures["phone_overlaps"] == [], figures
    assert note[0] >= 0 and note[2] <= 412 and note[3] <= 915, note
    assert hit3 >= 0.9 * n3, figures


def test_trips_on_the_map_and_printable_sheets_offline(browser, kaltara_plan, tmp_path):
    """The trips layer is on the map with its legend entry; hovering a trip line tells its
    dates, people and cost; each trip sheet opens offline without an error and prints."""
    choice = kaltara_plan.choose_sites()
    trips = kaltara_plan.plan_trips(sites=choice)
    paths = kaltara_plan.write(tmp_path / "out", sites=choice, trips=trips)
    page, requests, errors = open_map(browser, paths["map"])
    assert "Trips (one line per trip)" in layer_names(page)
    assert "outreach trip" in page.inner_text("#jk-legend")
    label = page.evaluate(
        "() => { let found = null; window.jkMap.eachLayer(l => { if (!found && l.feature &&"
        " l.feature.properties && String(l.feature.properties.label || '').startsWith('Trip 1 '))"
        " { l.fire('mouseover', {latlng: l.getBounds().getCenter()}, true);"
        " found = l.feature.properties.label; } }); return found; }")
    assert label and "people" in label and "Rp" in label
    assert errors == [] and requests == []
    page.close()
    sheet = tmp_path / "out" / "sheets" / "trip_001.html"
    page = browser.new_page()
    asked: list[str] = []
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file://")
               else (asked.append(r.request.url), r.abort()))
    page.goto(sheet.as_uri(), wait_until="load")
    assert "Day 1" in page.inner_text("body") and page.locator("svg polyline").count() == 1
    page.pdf(path=str(tmp_path / "trip_001.pdf"))
    assert asked == [] and (tmp_path / "trip_001.pdf").stat().st_size > 1000
    page.close()
    # on a phone (390 × 844) and a laptop (1366 × 768): every page lays out at the screen's
    # width, nothing scrolls the whole page sideways (wide tables scroll in their own box);
    # every sheet lists the villages to call in; every text of the trade-off chart lies
    # inside its image
    out = tmp_path / "out"
    pages = [*sorted((out / "sheets").glob("trip_*.html")), out / "summary.html",
             out / "map.html"]
    for w, h in ((390, 844), (1366, 768)):
        view = browser.new_page(viewport={"width": w, "height": h})
        for page_file in pages:
            view.goto(page_file.as_uri(), wait_until="load")
            width = view.evaluate("() => document.documentElement.scrollWidth")
            assert width <= w, (page_file.name, w, width)
            if page_file.parent.name == "sheets":
                assert "Stops and the villages to call in" in view.inner_text("body")
                assert view.locator("h3 + div.scroll table").count() >= 1
        view.goto((out / "tradeoff.svg").as_uri(), wait_until="load")
        outside = view.evaluate("""() => { const svg = document.querySelector('svg');
            const box = svg.getBoundingClientRect();
            return Array.from(svg.querySelectorAll('text')).map(t => {
              const r = t.getBoundingClientRect();
              return [t.textContent, r.left - box.left, r.right - box.right,
                      r.top - box.top, r.bottom - box.bottom]; })
              .filter(x => x[1] < -0.5 || x[2] > 0.5 || x[3] < -0.5 || x[4] > 0.5); }""")
        assert outside == [], outside
        view.close()


def test_phone_search_closes_the_panel_and_the_legend_says_it_scrolls(browser, kaltara_plan,
                                                                      tmp_path):
    """At 390 × 844: choosing a search result folds the search panel and shows the village's
    whole card inside the screen, clear of the panels; the legend, opened, shows a "more
    below" line while part of it is hidden, and not once scrolled to its end."""
    paths = kaltara_plan.write(tmp_path / "out", sites=kaltara_plan.choose_sites())
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(paths["map"].as_uri())
    page.wait_for_function("() => window.jkReady")
    page.click("#jk-tools .jk-fold")                       # open the (folded) search panel
    page.fill("#jk-search", "long")
    page.click("#jk-results .jk-hit >> nth=0")
    page.wait_for_timeout(300)
    assert page.evaluate("() => document.querySelector('#jk-tools .jk-panel-body')"
                         ".style.display") == "none"
    card = page.evaluate("() => { const t = document.querySelector('.leaflet-tooltip.jk-tip');"
                         " if (!t) return null; const r = t.getBoundingClientRect();"
                         " return [r.left, r.top, r.right, r.bottom]; }")
    assert card is not None
    assert card[0] >= 0 and card[1] >= 0 and card[2] <= 390 and card[3] <= 844, card
    for panel in ("#jk-tools", "#jk-title"):
        r = page.evaluate(f"() => {{ const r = document.querySelector('{panel}')"
                          ".getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }")
        overlap = not (card[2] <= r[0] or r[2] <= card[0] or card[3] <= r[1] or r[3] <= card[1])
        assert not overlap, (panel, card, r)
    page.click("#jk-legend .jk-fold")                      # open the (folded) legend
    page.wait_for_timeout(100)
    sizes = page.evaluate("() => { const b = document.getElementById('jk-legend');"
                          " return [b.scrollHeight, b.clientHeight]; }")
    hint = "() => getComputedStyle(document.querySelector('#jk-legend .jk-more')).display"
    if sizes[0] > sizes[1] + 2:                            # it scrolls: it says so
        assert page.evaluate(hint) != "none", sizes
        page.evaluate("() => { const b = document.getElementById('jk-legend');"
                      " b.scrollTop = b.scrollHeight; b.dispatchEvent(new Event('scroll')); }")
        page.wait_for_timeout(100)
    assert page.evaluate(hint) == "none"
    assert sizes[0] > sizes[1] + 2, f"the Kaltara legend fits a phone: {sizes}"
    page.close()


def test_try_other_stops_in_the_map_equals_the_planner(browser, kaltara_plan, tmp_path):
    """The map's "try other stops" panel prices any stop set in the browser: for random
    stop sets its people per stop, cost, kits, coverage per indicator and area and every
    target's status equal the planner's own stops_choice for that set; the set downloaded
    from the panel plans its trips through `planner trips --stops`."""
    import json
    import random

    import pandas as pd

    from planner.cli import main
    from planner.decide import sites

    choice = kaltara_plan.choose_sites()
    paths = kaltara_plan.write(tmp_path / "out", sites=choice)
    page, requests, errors = open_map(browser, paths["map"])
    page.wait_for_function("() => window.jkReady")
    tables = sites.whatif_tables(kaltara_plan, choice)
    candidates = [c for c, f in zip(tables["sites"]["code"], tables["sites"]["forced"],
                                    strict=True) if not f]
    rng = random.Random(7)
    sets = [tables["chosen"], [], candidates[:1]] + [
        rng.sample(candidates, rng.randint(1, 25)) for _ in range(17)]
    for codes in sets:
        got = page.evaluate("codes => window.jkWhatIf(codes)", codes)
        ref = sites.stops_choice(kaltara_plan, codes)
        stops = ref.sites[ref.sites["rank"] > 0]
        assert [(s["code"], s["people"]) for s in got["stops"]] == list(
            zip(stops["site_code"], stops["people_newly_covered"], strict=True)), codes
        assert got["cost"] == stops["round_trip_cost"].sum()
        assert got["kits"] == int(stops["satellite_kit_needed"].sum())
        assert sorted(got["dropped"]) == sorted(ref.dropped)
        cov = ref.coverage.set_index(["indicator", "area"])
        for row in got["coverage"]:
            r = cov.loc[(row["indicator"], row["area"])]
            assert row["reached_by_new_sites"] == r["reached_by_new_sites"], row
            assert row["covered_by_offices"] == r["covered_by_offices"], row
            assert row["coverage_after"] == pytest.approx(r["coverage_after"], abs=1e-9)
        assert len(got["coverage"]) == len(cov)
        t = ref.targets
        assert [(g["reached"], g["short"], g["met"]) for g in got["targets"]] == list(
            zip(t["reached"], t["short"], t["met"], strict=True))
    # the panel: untick a stop, add one from the list, download the set
    page.click("#jk-whatif .jk-fold")
    page.uncheck("#jk-whatif .jk-wi-list input >> nth=0")
    page.select_option("#jk-wi-add", candidates[-1])
    shown = page.evaluate("() => window.jkWhatIfResult.stops.map(s => s.code)")
    want = [c for c in tables["chosen"][1:]] + [candidates[-1]]
    ref = sites.stops_choice(kaltara_plan, want)
    assert shown == list(ref.sites.loc[ref.sites["rank"] > 0, "site_code"])
    with page.expect_download() as info:
        page.click("#jk-wi-download")
    saved = tmp_path / "stops.csv"
    info.value.save_as(saved)
    assert pd.read_csv(saved, dtype=str)["code"].tolist() == want
    assert not requests and not errors, (requests, errors)
    page.close()
    out = tmp_path / "trips"
    code = main(["-q", "trips", "--stops", str(saved), "--out", str(out)])
    assert code in (0, 3)
    decision = json.loads((out / "decision.json").read_text())
    planned = {s["code"] for s in decision["stops"]} | {
        u["code"] for u in decision.get("unreached", [])}
    assert planned == set(ref.sites.loc[ref.sites["rank"] > 0, "site_code"])


def test_terrain_layers_offline_and_names_stay_text(browser, tiny_scenario, tmp_path):
    """With [terrain] and a new stop: the map's "Reach over terrain" and "Catchments over
    terrain" layers open offline without an error, and an office's hostile name in a
    catchment's tooltip stays text."""
    from .conftest import add_terrain

    svc = gpd.read_file(tiny_scenario.parent / "service.geojson")
    svc.loc[0, "nama"] = EVIL
    svc.to_file(tiny_scenario.parent / "service.geojson")
    add_terrain(tiny_scenario)
    plan = planner.run(planner.load_scenario(tiny_scenario))
    paths = plan.write(tmp_path / "out", sites=plan.choose_sites(k=1))
    page, requests, errors = open_map(browser, paths["map"])
    names = layer_names(page)
    catch = "Catchments over terrain (nearest office or new stop, within 24 h)"
    assert {"Reach over terrain (walking across the land allowed)", catch} <= names
    page.locator(".leaflet-control-layers").hover()
    page.get_by_text(catch, exact=True).click()
    page.get_by_text("Villages by priority", exact=True).click()   # off: the land shows
    page.mouse.move(5, 5)
    page.wait_for_timeout(200)
    box = page.locator("#map, .folium-map").first.bounding_box()
    tips = []
    for fx in np.linspace(0.05, 0.95, 19):   # across the land: the stop's and the office's
        page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] / 2)
        page.wait_for_timeout(100)
        if page.locator(".leaflet-tooltip").count():
            tips.append(page.inner_text(".leaflet-tooltip"))
    assert any(EVIL in t and "office" in t for t in tips), tips      # shown as text
    assert any("new stop" in t for t in tips)
    assert page.evaluate("() => window.__xss") is None
    assert page.locator("img[src='x']").count() == 0
    assert errors == [] and requests == []
    page.close()
