from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pytest

import planner
from planner.outputs.render import PRIORITY_CLASSES, map_html, priority_class

EVIL = "<img src=x onerror=alert(1)>"


def test_priority_classes_by_rank_share():
    cls = priority_class(np.arange(1, 101), 100)
    # ranks 1-10 -> class 0, 11-25 -> 1, 26-50 -> 2, 51-75 -> 3, 76-100 -> 4
    assert np.bincount(cls).tolist() == [10, 15, 25, 25, 25]
    assert len(PRIORITY_CLASSES) == 5


@pytest.fixture
def evil_plan(tiny_scenario):
    vil = gpd.read_file(tiny_scenario.parent / "villages.geojson")
    vil.loc[0, "nama"] = EVIL
    vil.to_file(tiny_scenario.parent / "villages.geojson")
    return planner.run(planner.load_scenario(tiny_scenario))


def test_map_is_offline_and_escaped(evil_plan):
    html = map_html(evil_plan.map())
    # no script or stylesheet is fetched from anywhere: Leaflet is inlined
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=\"http", html)
    assert "L.map(" in html and "leaflet-container" in html and "jangkauMap(" in html
    # the only remote URL left is the optional basemap, off by default
    urls = set(re.findall(r"https?://[a-z0-9.]+", html))
    assert urls <= {"https://tile.openstreetmap.org", "https://www.openstreetmap.org",
                    "https://leafletjs.com", "http://www.w3.org", "https://bugs.chromium.org",
                    "https://bugzilla.mozilla.org"}
    assert EVIL not in html
    # data travel as JSON with < > & escaped; the page shows them with textContent
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in html


def test_map_content_and_determinism(evil_plan):
    a = map_html(evil_plan.map())
    b = map_html(evil_plan.map())
    assert a == b
    for text in ("Outreach priority", "Villages by priority", "Signal blank spots",
                 "Service points (offices)", "Tiny test area", "Data as of 2024-01-01",
                 "Travel time", "Blank spot", "Office S"):
        assert text in a, text
    assert "ILLUSTRATIVE" not in a  # the tiny scenario is not marked illustrative


def test_illustrative_note_on_kaltara_map(kaltara_plan):
    html = map_html(kaltara_plan.map())
    assert "ILLUSTRATIVE DATA" in html
    assert len(html.encode()) < 4_000_000


def test_map_of_one_area(kaltara_plan):
    """A map of one kabupaten (code prefix, dots optional) holds only its villages."""
    html = map_html(kaltara_plan.map(area="6502"))
    assert "Long Nawang" in html and "Karang Anyar Pantai" not in html
    assert html.count('"kode":"65.02.') > 100 and '"kode":"65.71.' not in html
    with pytest.raises(planner.InputError, match="no village code starts with"):
        kaltara_plan.map(area="99")


def test_many_logged_sessions_are_drawn_per_village():
    """200,000 sessions are one dot per village and status (with their count, people and
    dates), never 200,000 dots a phone cannot open; a few are drawn one by one."""
    import numpy as np
    import pandas as pd

    from planner.outputs import render

    n = 200_000
    rng = np.random.default_rng(3)
    village = rng.integers(0, 3, n)
    rows = pd.DataFrame({
        "lat": 3.0 + village * 0.1, "lon": 117.0 + village * 0.1,
        "status": np.where(rng.random(n) < 0.9, "applied", "set_aside"),
        "date": "2024-07-0" + pd.Series(rng.integers(1, 9, n)).astype(str),
        "team": "T", "nama": "Desa " + pd.Series(village).astype(str),
        "kode": "99.01.01.200" + pd.Series(village).astype(str), "reason": "",
        "file": "logs.csv", "row": "2", "ktp_logged": 1})
    (layer, _legend), = render._sessions_layer(rows)
    feats = layer["data"]["features"]
    assert len(feats) == 6 and "200,000" in layer["name"]
    assert sum(int(f["properties"]["sessions"].replace(",", "")) for f in feats) == n
    assert sum(int(f["properties"]["people"].split()[1]) for f in feats) == n
    (few, _), = render._sessions_layer(rows.head(50))
    assert len(few["data"]["features"]) == 50
