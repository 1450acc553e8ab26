"""Real-browser tests of the outreach map in headless Chromium (Debian's chromium, driven by
Playwright). The network is blocked: every request other than the file itself is aborted and
recorded. Skipped, with the reason, only where Chromium or Playwright is missing."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pytest

import planner

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = ROOT / "out" / "test-screenshots"
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
    kaltara_plan.choose_sites(k=5)
    paths = kaltara_plan.write(tmp_path / "out")
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
    plan.choose_sites()
    paths = plan.write(tmp_path / "out")
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
