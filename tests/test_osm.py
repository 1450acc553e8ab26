"""OpenStreetMap rules (planner/inputs/osm.py) on small extracts written here with osmium, with
answers worked out by hand: clipped and damaged extracts, excluded classes and default speeds,
one-way conventions, maxspeed and condition factors, ferries, fords."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import CRS, Transformer

from planner.config import Access, NetworkSpec
from planner.inputs import osm
from planner.network.build import build_network
from planner.network.graph import Points
from planner.network.travel import nearest_source, to_csr

UTM = CRS.from_epsg(32650)
TO_WGS = Transformer.from_crs(UTM, 4326, always_xy=True)
X0, Y0 = 500_000.0, 330_000.0  # about 117.0 E, 3.0 N


def lonlat(x: float, y: float) -> tuple[float, float]:
    return TO_WGS.transform(X0 + x, Y0 + y)


def write_osm(path, nodes: dict[int, tuple[float, float]], ways: list[tuple[int, list[int],
                                                                           dict]]) -> None:
    """Nodes at metre offsets (x, y) from (X0, Y0) in UTM 50N; ways as (id, node ids, tags).
    Node ids a way uses but ``nodes`` lacks are left out of the file (a clipped extract)."""
    import osmium

    w = osmium.SimpleWriter(str(path))
    for nid, (x, y) in sorted(nodes.items()):
        w.add_node(osmium.osm.mutable.Node(id=nid, location=lonlat(x, y), tags={}))
    for wid, refs, tags in ways:
        w.add_way(osmium.osm.mutable.Way(id=wid, nodes=refs, tags=tags))
    w.close()


def test_clipped_and_damaged_extracts_are_cut_and_counted(tmp_path):
    f = tmp_path / "clip.osm.pbf"
    write_osm(f, {1: (0, 0), 2: (1000, 0), 4: (3000, 0), 5: (4000, 0), 6: (5000, 0),
                  7: (6000, 0)},
              [(100, [1, 2, 3, 4, 5], {"highway": "primary"}),   # 3 outside: 1-2 and 4-5
               (101, [8, 9], {"highway": "primary"}),            # wholly outside
               (102, [5, 6, 6, 7], {"highway": "primary"}),      # a repeated node
               (103, [7, 7], {"highway": "primary"})])           # zero length
    lines, _ = osm.read_osm(f)
    rep = lines.attrs["osm_report"]
    assert rep["ways_cut_at_missing_nodes"] == 1 and rep["ways_outside_the_extract"] == 1
    assert rep["missing_node_refs"] == 3 and rep["parts_too_short"] == 1
    lengths = sorted(np.round(lines.to_crs(UTM).length.to_numpy(), -1))
    assert lengths == [1000, 1000, 2000]  # 1-2, 4-5, 5-6-7 (the repeated node merged)
    # the network builds, and the two kept parts stay apart (node 3 is missing)
    spec = NetworkSpec(osm=(f,))
    net = build_network(spec, UTM, {"village": pts("village", [(X0 + 4000, Y0)]),
                                    "service": pts("service", [(X0 + 3000, Y0)])},
                        Access(4.0, 1.0, 0.1))
    res = nearest_source(to_csr(net), net.origin("service"), net.destination("village"))
    assert res.value[0] == pytest.approx(1000 / 1000 / 50 * 60, rel=1e-3)  # 1 km at 50
    assert net.report["osm"][0]["ways_cut_at_missing_nodes"] == 1


def pts(kind: str, xy: list[tuple[float, float]]) -> Points:
    refs = [f"{kind[0]}{i}" for i in range(len(xy))]
    return Points(kind, refs, refs, np.array(xy, dtype=float))


def test_classes_excluded_defaults_and_fallback(tmp_path):
    f = tmp_path / "classes.osm.pbf"
    n = {i: (1000 * i, 0) for i in range(1, 12)}
    ways = [(100 + i, [i, i + 1], tags) for i, tags in enumerate([
        {"highway": "construction"}, {"highway": "proposed"}, {"highway": "platform"},
        {"highway": "service", "area": "yes"}, {"highway": "residential", "access": "private"},
        {"highway": "residential", "access": "no", "foot": "yes"},
        {"highway": "cycleway"}, {"highway": "corridor"}, {"highway": "busway"},
        {"highway": "escape"}], start=1)]
    write_osm(f, n, ways)
    lines, _ = osm.read_osm(f)
    rep = lines.attrs["osm_report"]
    assert rep["excluded"] == {"highway=construction": 1, "highway=proposed": 1,
                               "highway=platform": 1, "area=yes": 1, "access=private": 1}
    assert sorted(lines["class"]) == ["busway", "corridor", "cycleway", "escape",
                                      "residential"]
    assert rep["classes_at_fallback_speed"] == ["escape"]
    spec = osm_spec(f, lines)
    speeds = dict(zip(lines["class"], osm.with_speeds(lines, speeds_of(spec, lines))
                      ["speed_kmh"], strict=True))
    assert speeds == {"residential": 20, "cycleway": 4, "corridor": 4, "busway": 30,
                      "escape": 15}
    assert {c: spec.class_spec(c).mode for c in speeds} == {
        "residential": "road", "cycleway": "foot", "corridor": "foot", "busway": "road",
        "escape": "road"}


def osm_spec(f, lines):
    from planner.network.build import spec_with_osm_defaults

    return spec_with_osm_defaults(NetworkSpec(osm=(f,)), lines)


def speeds_of(spec, lines):
    return {c: spec.class_spec(c).speed_kmh for c in set(lines["class"])}


@pytest.mark.parametrize(("tags", "oneway", "reversed_"), [
    ({"highway": "primary", "oneway": "yes"}, True, False),
    ({"highway": "primary", "oneway": "-1"}, True, True),
    ({"highway": "primary", "junction": "roundabout"}, True, False),
    ({"highway": "motorway"}, True, False),
    ({"highway": "motorway", "oneway": "no"}, False, False),
    ({"highway": "footway", "oneway": "yes"}, False, False),   # walking ignores it
    ({"highway": "primary"}, False, False),
])
def test_oneway_conventions(tmp_path, tags, oneway, reversed_):
    f = tmp_path / "ow.osm.pbf"
    write_osm(f, {1: (0, 0), 2: (1000, 0)}, [(100, [1, 2], tags)])
    lines, _ = osm.read_osm(f)
    assert bool(lines["oneway"].iloc[0]) is oneway
    x_first = lines.to_crs(UTM).geometry.iloc[0].coords[0][0] - X0
    assert x_first == pytest.approx(1000 if reversed_ else 0, abs=0.01)


def test_oneway_minus_one_is_travelled_against_the_drawing(tmp_path):
    """Road 1 -> 2 drawn west to east, tagged oneway=-1: vehicles east to west only; west
    to east people walk it (1 km at 4 km/h, 15 min)."""
    f = tmp_path / "ow.osm.pbf"
    write_osm(f, {1: (0, 0), 2: (1000, 0)},
              [(100, [1, 2], {"highway": "primary", "oneway": "-1"})])
    spec = NetworkSpec(osm=(f,))
    west, east = (X0, Y0), (X0 + 1000, Y0)
    walk = Access(4.0, 1.0, 0.01)
    net = build_network(spec, UTM, {"village": pts("village", [west]),
                                    "service": pts("service", [east])}, walk)
    res = nearest_source(to_csr(net), net.origin("service"), net.destination("village"))
    assert res.value[0] == pytest.approx(1.2, rel=1e-3)  # 1 km at 50 km/h
    net = build_network(spec, UTM, {"village": pts("village", [east]),
                                    "service": pts("service", [west])}, walk)
    res = nearest_source(to_csr(net), net.origin("service"), net.destination("village"))
    assert res.value[0] == pytest.approx(15.0, rel=1e-3)


def test_maxspeed_and_condition_factors(tmp_path):
    f = tmp_path / "speed.osm.pbf"
    n = {i: (1000 * i, 0) for i in range(1, 10)}
    cases = [({"highway": "primary", "maxspeed": "30"}, 30.0),            # lower: used
             ({"highway": "primary", "maxspeed": "80"}, 50.0),            # higher: class
             ({"highway": "primary", "maxspeed": "20 mph"}, 20 * 1.609344),
             ({"highway": "primary", "maxspeed": "RU:urban"}, 50.0),      # not a number
             ({"highway": "primary", "maxspeed": "0"}, 50.0),             # 0: a mapping error
             ({"highway": "track", "tracktype": "grade3"}, 10 * 0.6),
             ({"highway": "unclassified", "surface": "dirt"}, 25 * 0.6),
             ({"highway": "track", "tracktype": "grade2", "surface": "mud"}, 10 * 0.4)]
    write_osm(f, n, [(100 + i, [i, i + 1], t) for i, (t, _) in enumerate(cases, start=1)])
    lines, _ = osm.read_osm(f)
    spec = osm_spec(f, lines)
    got = osm.with_speeds(lines, speeds_of(spec, lines))["speed_kmh"].to_numpy()
    assert got == pytest.approx([kmh for _, kmh in cases])


def test_ferry_duration_and_wait_and_a_ford_in_the_wet_season(tmp_path):
    """Ferry 1-2 (2 km) tagged duration 01:30: 90 min + 30 min stated wait = 120 min, not
    2 km at 15 km/h; the ford 2-3 closes in the wet season."""
    f = tmp_path / "ferry.osm.pbf"
    write_osm(f, {1: (0, 0), 2: (2000, 0), 3: (3000, 0)},
              [(100, [1, 2], {"route": "ferry", "duration": "01:30"}),
               (101, [2, 3], {"highway": "track", "ford": "yes"})])
    lines, _ = osm.read_osm(f)
    assert lines.loc[lines["class"] == "ferry", "minutes"].item() == 90
    assert lines.loc[lines["class"] == "track", "closed_seasons"].item() == "wet"
    walk = Access(4.0, 1.0, 0.01)
    points = {"village": pts("village", [(X0 + 3000, Y0)]),
              "service": pts("service", [(X0, Y0)])}
    for season, expected in (("", 120 + 6.0), ("wet", np.inf)):
        # + track 1 km at 10 km/h = 6 min (no transfer penalty set)
        spec = NetworkSpec(osm=(f,), season=season)
        net = build_network(spec, UTM, points, walk)
        res = nearest_source(to_csr(net), net.origin("service"), net.destination("village"))
        assert res.value[0] == pytest.approx(expected, rel=1e-6) if np.isfinite(expected) \
            else not np.isfinite(res.value[0])


@pytest.mark.parametrize(("text", "minutes"), [("01:30", 90), ("1:05:30", 65.5), ("45", 45),
                                                ("PT1H30M", 90), ("PT20M", 20), ("soon", None)])
def test_duration_formats(text, minutes):
    got = osm.duration_minutes(text)
    assert (np.isnan(got) if minutes is None else got == pytest.approx(minutes))


def test_readme_lists_every_rule_and_default():
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = text[text.index("#### OpenStreetMap rules"):]
    for k, v in osm.DEFAULT_KMH.items():
        assert f"`{k}` {v:g}" in section, k
    for k in osm.EXCLUDED_HIGHWAY:
        assert f"`{k}`" in section, k
    for table in (osm.TRACKTYPE_FACTOR, osm.SURFACE_FACTOR):
        for k, v in table.items():
            assert f"`{k}` ×{v:g}" in section, k
    assert f"{osm.FERRY_WAIT_MINUTES:g} min" in section
    assert f"{osm.FALLBACK_KMH:g} km/h" in section


def _river_and_track(tmp_path, name, track_y, pier):
    """A track from (-2000, y) to (0, y) and a river along y = 0 from x = -3000 to 3000 that
    shares no node with it (as in OSM); a pier at (0, -150) when ``pier``."""
    import osmium

    f = tmp_path / name
    w = osmium.SimpleWriter(str(f))
    nodes = {1: (-2000, track_y), 2: (0, track_y), 3: (-3000, 0), 4: (3000, 0)}
    for nid, (x, y) in nodes.items():
        w.add_node(osmium.osm.mutable.Node(id=nid, location=lonlat(x, y), tags={}))
    if pier:
        w.add_node(osmium.osm.mutable.Node(id=5, location=lonlat(0, -150),
                                           tags={"man_made": "pier"}))
    w.add_way(osmium.osm.mutable.Way(id=100, nodes=[1, 2], tags={"highway": "track"}))
    w.add_way(osmium.osm.mutable.Way(id=101, nodes=[3, 4], tags={"waterway": "river"}))
    w.close()
    return f


@pytest.mark.parametrize(("track_y", "pier", "transfer", "expected"), [
    # track 2 km at 10 km/h = 12 min; walk 150 m to the pier + 150 m to the river at 4 km/h
    # = 4.5 min; river 2 km downstream at 12 km/h = 10 min
    (-300, True, 0.0, 12 + 4.5 + 10),
    (-300, True, 20.0, 12 + 4.5 + 10 + 20),     # the track>river transfer penalty is paid
    (-300, False, 0.0, np.inf),                  # no landing, the track ends 300 m away
    # fallback: both track ends lie within 250 m of the river; from the office's end, walk
    # 200 m (3 min) and take the river 4 km at 12 km/h (20 min), faster than the track
    (-200, False, 0.0, 3.0 + 20),
])
def test_roads_meet_rivers_at_landings(tmp_path, track_y, pier, transfer, expected):
    f = _river_and_track(tmp_path, "water.osm.pbf", track_y, pier)
    lines, _ = osm.read_osm(f)
    assert lines.attrs["osm_report"]["landings"] == int(pier)
    spec = NetworkSpec(osm=(f,), transfer_minutes={"track>river": transfer})
    net = build_network(spec, UTM, {"village": pts("village", [(X0 + 2000, Y0)]),
                                    "service": pts("service", [(X0 - 2000, Y0 + track_y)])},
                        Access(4.0, 1.0, 0.01))
    res = nearest_source(to_csr(net), net.origin("service"), net.destination("village"))
    if np.isfinite(expected):  # OSM stores degrees to 1e-7 (about 1 cm): minutes to 1e-3
        assert res.value[0] == pytest.approx(expected, abs=1e-3)
        connections = net.report["road_water_connections"]
        assert connections == ({"landings": 1, "dead_ends": 0} if pier
                               else {"landings": 0, "dead_ends": 2})
    else:
        assert not np.isfinite(res.value[0])


def test_a_real_extract_clipped_at_a_border(tmp_path):
    """A real extract (West Oakland, ODbL; tests/data/osm/README.md) clipped to a smaller box
    the way regional downloads are (nodes outside dropped, ways kept whole): it reads without
    a crash, the cut ways are counted, and every village's time from the office equals
    NetworkX's Dijkstra on the same graph (an independent computation)."""
    from pathlib import Path

    import networkx as nx
    import osmium

    src = Path(__file__).parent / "data" / "osm" / "West-Oakland.osm.bz2"
    lon0, lon1, lat0, lat1 = -122.3020, -122.2990, 37.8065, 37.8088
    clipped = tmp_path / "clipped.osm.pbf"
    w = osmium.SimpleWriter(str(clipped))
    kept_nodes = 0
    for o in osmium.FileProcessor(str(src)):
        if o.is_node():
            if lon0 <= o.location.lon <= lon1 and lat0 <= o.location.lat <= lat1:
                w.add_node(o)
                kept_nodes += 1
        elif o.is_way():
            w.add_way(o)
    w.close()
    lines, _ = osm.read_osm(clipped)
    rep = lines.attrs["osm_report"]
    assert kept_nodes > 10 and rep["ways_cut_at_missing_nodes"] > 0
    assert rep["missing_node_refs"] > 0 and len(lines) > 0
    utm10 = CRS.from_epsg(32610)
    # office and villages 20 m beside the middle of the five longest two-way pieces (a
    # one-way street cut at the border leads nowhere)
    m = lines[~lines["oneway"].astype(bool)].to_crs(utm10)
    longest = m.geometry.length.sort_values(ascending=False).index[:5]
    xy = np.array([[p.x + 20, p.y] for p in m.geometry[longest].interpolate(0.5,
                                                                            normalized=True)])
    net = build_network(NetworkSpec(osm=(clipped,)), utm10,
                        {"village": pts("village", xy[1:].tolist()),
                         "service": pts("service", xy[:1].tolist())},
                        Access(4.0, 1.3, 0.3))
    res = nearest_source(to_csr(net), net.origin("service"), net.destination("village"))
    assert np.isfinite(res.value).sum() >= 2  # the cut leaves parts; most are reached
    G = net.to_networkx()
    ref = nx.single_source_dijkstra_path_length(G, int(net.origin("service")[0]),
                                                weight="minutes")
    for t, v in zip(net.destination("village"), res.value, strict=True):
        assert ref.get(int(t), np.inf) == pytest.approx(v, abs=1e-9)


def test_a_damaged_extract_runs_with_a_warning(tmp_path):
    """A clipped extract with a repeated node and a zero-length way runs end to end; the run's
    warnings say what was cut and dropped."""
    import planner

    from .conftest import write_tiny

    scenario = write_tiny(tmp_path / "tiny")
    f = scenario.parent / "roads.osm.pbf"
    # the tiny area's road A-B (1..11 km at y = 1 km, EPSG:32650 offsets 500000, 300000)
    to_wgs = Transformer.from_crs(UTM, 4326, always_xy=True)
    import osmium

    w = osmium.SimpleWriter(str(f))
    for nid, x in ((1, 1000), (2, 6000), (4, 11_000)):
        w.add_node(osmium.osm.mutable.Node(id=nid, location=to_wgs.transform(
            500_000 + x, 301_000), tags={}))
    w.add_way(osmium.osm.mutable.Way(id=100, nodes=[1, 2, 2, 4], tags={"highway": "primary"}))
    w.add_way(osmium.osm.mutable.Way(id=101, nodes=[4, 2, 9], tags={"highway": "escape"}))
    w.add_way(osmium.osm.mutable.Way(id=102, nodes=[2, 2], tags={"highway": "primary"}))
    w.close()
    text = scenario.read_text().replace('path = "network.gpkg"', 'osm = ["roads.osm.pbf"]')
    scenario.write_text(text)
    plan = planner.run(planner.load_scenario(scenario), use_cache=False)
    warnings = " ".join(plan.report["warnings"])
    assert "1 way(s) cut at nodes missing from the extract" in warnings
    assert "1 part(s) too short to keep" in warnings  # way 102: one node, twice
    assert "without a default speed, at 15 km/h as roads: escape" in warnings
    b = plan.table().set_index("kode").loc["99.01.01.2002", "travel_minutes"]
    assert b == pytest.approx(10 / 50 * 60, rel=1e-3)  # A to B: 10 km at 50 km/h


def test_an_unchanged_extract_is_read_once_per_process(tmp_path, monkeypatch):
    """Building twice (as a seasonal run does, to tell why a village is unreachable) reads
    the file once; a changed file is read again; callers get their own copies."""
    monkeypatch.setenv("JANGKAU_CACHE", str(tmp_path / "cache"))  # nothing kept from before
    f = tmp_path / "once.osm.pbf"
    write_osm(f, {1: (0, 0), 2: (1000, 0)}, [(100, [1, 2], {"highway": "primary"})])
    calls = []
    real = osm._read_osm
    monkeypatch.setattr(osm, "_read_osm", lambda *a: calls.append(a) or real(*a))
    osm._read_osm_once.cache_clear()
    a, _ = osm.read_osm(f)
    a.loc[0, "class"] = "changed by a caller"
    b, _ = osm.read_osm(f)
    assert len(calls) == 1 and b.loc[0, "class"] == "primary"
    f.unlink()
    write_osm(f, {1: (0, 0), 2: (1000, 0), 3: (2000, 0)},
              [(100, [1, 2, 3], {"highway": "primary"})])
    c, _ = osm.read_osm(f)
    assert len(calls) == 2 and c.to_crs(UTM).length.sum() == pytest.approx(2000, abs=0.1)


def test_complete_and_cut_ways_split_each_other_at_junctions(tmp_path):
    """A complete way (read by pyosmium's C++ line builder) and a way cut at a missing node
    (read node by node) cross at a shared inner node: both are split there, so the route
    turns at the junction. A way drawn against its direction (``oneway=-1``) on the cut path
    is reversed. A distinct node at the very location of another is the same junction (a
    node is known by its location)."""
    f = tmp_path / "junctions.osm.pbf"
    write_osm(f, {1: (0, 0), 2: (1000, 0), 3: (2000, 0),
                  11: (1000, -1000), 12: (1000, 1000),
                  40: (2000, 0), 41: (2000, 1000), 42: (2000, -1000)},
              [(100, [1, 2, 3], {"highway": "primary"}),                       # complete
               (101, [11, 2, 12, 99], {"highway": "primary", "oneway": "-1"}),  # 99 missing
               (102, [42, 40, 41], {"highway": "primary"})])  # 40 lies where 3 does
    lines, _ = osm.read_osm(f)
    utm = lines.to_crs(UTM)
    assert sorted(np.round(utm.length.to_numpy(), -1)) == [1000] * 6  # three ways, two each
    assert lines.attrs["osm_report"]["ways_cut_at_missing_nodes"] == 1
    cut = utm[lines["oneway"].astype(bool).to_numpy()]
    ends = sorted((round(g.coords[0][1] - Y0, -1), round(g.coords[-1][1] - Y0, -1))
                  for g in cut.geometry)
    assert ends == [(0, -1000), (1000, 0)]  # travelled 12 -> 2 -> 11, against the drawing
    net = build_network(NetworkSpec(osm=(f,)), UTM,
                        {"village": pts("village", [(X0 + 1000, Y0 - 1000),
                                                    (X0 + 2000, Y0 + 1000)]),
                         "service": pts("service", [(X0, Y0)])}, Access(4.0, 1.0, 0.01))
    res = nearest_source(to_csr(net), net.origin("service"), net.destination("village"))
    # 1 -> 2 -> 11: 2 km at 50 km/h; 1 -> 2 -> 3 (= 40) -> 41: 3 km at 50 km/h
    assert res.value == pytest.approx([2.4, 3.6], rel=1e-3)


def test_a_places_layer_of_jetties_joins_road_and_river(tmp_path):
    """A jetty the office knows of (a ``[[network.places]]`` layer with ``landing = true``)
    joins the track and the river like an OSM pier: the same hand-worked 26.5 min as
    above; without ``landing`` the layer is only a place for link tables (unreachable)."""
    import geopandas as gpd
    import shapely

    from planner.config import Layer, Places

    f = _river_and_track(tmp_path, "water.osm.pbf", -300, pier=False)
    jetty = tmp_path / "jetties.geojson"
    gpd.GeoDataFrame({"kode": ["J1"], "nama": ["Jetty"]},
                     geometry=[shapely.Point(lonlat(0, -150))], crs=4326).to_file(jetty)
    for landing, expected in ((True, 12 + 4.5 + 10), (False, np.inf)):
        spec = NetworkSpec(osm=(f,), places=(Places(Layer(jetty, "kode", "nama"), "jetty",
                                                    landing=landing),))
        net = build_network(spec, UTM, {"village": pts("village", [(X0 + 2000, Y0)]),
                                        "service": pts("service", [(X0 - 2000, Y0 - 300)])},
                            Access(4.0, 1.0, 0.01))
        res = nearest_source(to_csr(net), net.origin("service"), net.destination("village"))
        assert res.value[0] == pytest.approx(expected, abs=1e-3)
    assert net.report.get("road_water_connections") is None


def test_read_extracts_are_kept_in_the_cache_folder(tmp_path, monkeypatch):
    """Another process (here: a cleared per-process memory) takes the lines of an unchanged
    extract from the cache folder instead of reading it: the same lines, report and
    aerodromes; a damaged stored copy is ignored with a warning and the extract read again;
    with the store off (run(use_cache=False)) nothing is kept."""
    import logging

    monkeypatch.setenv("JANGKAU_CACHE", str(tmp_path / "cache"))
    f = _river_and_track(tmp_path, "kept.osm.pbf", -300, pier=True)
    osm._read_osm_once.cache_clear()
    first, aero = osm.read_osm(f)
    stored = list((tmp_path / "cache").glob("osm-*"))
    assert len(stored) == 1 and (stored[0] / "lines.parquet").is_file()
    osm._read_osm_once.cache_clear()
    real = osm._read_osm
    monkeypatch.setattr(osm, "_read_osm", lambda *a: pytest.fail("read again"))
    again, aero2 = osm.read_osm(f)
    assert again.drop(columns="geometry").astype(str).equals(
        first.drop(columns="geometry").astype(str))
    assert again.geometry.geom_equals_exact(first.geometry, 0).all()
    assert again.attrs["osm_report"] == first.attrs["osm_report"]
    assert np.array_equal(again.attrs["landings"], first.attrs["landings"])
    assert len(aero2) == len(aero)
    # a damaged copy: a warning, and the extract is read again
    (stored[0] / "lines.parquet").write_bytes(b"not parquet")
    calls = []
    monkeypatch.setattr(osm, "_read_osm", lambda *a: calls.append(a) or real(*a))
    osm._read_osm_once.cache_clear()
    said: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            said.append(record.getMessage())

    handler, planner_log = Keep(logging.WARNING), logging.getLogger("planner")
    level = planner_log.level
    planner_log.addHandler(handler)  # the CLI tests may stop "planner" propagating
    planner_log.setLevel(logging.WARNING)
    try:
        fixed, _ = osm.read_osm(f)
    finally:
        planner_log.removeHandler(handler)
        planner_log.setLevel(level)
    assert len(calls) == 1 and any("damaged stored copy" in m for m in said)
    assert len(fixed) == len(first)
    # store off: not kept, not taken
    for folder in (tmp_path / "cache").glob("osm-*"):
        import shutil
        shutil.rmtree(folder)
    token = osm.use_store.set(False)
    try:
        osm._read_osm_once.cache_clear()
        osm.read_osm(f)
    finally:
        osm.use_store.reset(token)
    assert not list((tmp_path / "cache").glob("osm-*")) and len(calls) == 2


@pytest.mark.parametrize("node, words", [
    ('<node id="99999999999999999999999" lat="3.0" lon="117.0"/>', "illegal id"),
    ('<node id="1" lat="999.0" lon="117.0"/>', "wrong format for coordinate")])
def test_an_extract_the_parser_refuses_is_a_clear_error(tmp_path, node, words):
    """An id beyond 64 bits or a malformed coordinate: the file and the value are named
    (exit 2), never a traceback."""
    from planner.errors import InputError
    from planner.inputs import osm

    ref = node.split('"')[1]
    f = tmp_path / "bad.osm"
    f.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n {node}\n'
                 ' <node id="2" lat="3.01" lon="117.01"/>\n'
                 f' <way id="5"><nd ref="{ref}"/><nd ref="2"/><tag k="highway" v="track"/>'
                 '</way>\n</osm>\n')
    with pytest.raises(InputError, match=f"bad.osm: cannot be read as an OSM extract.*{words}"):
        osm.read_osm(f)


def test_an_extract_that_adds_nothing_is_said(tiny_scenario):
    """An OSM extract whose ways are none the rules keep (here a building) adds no line:
    the run says so, naming the file."""
    import planner

    f = tiny_scenario.parent / "buildings.osm"
    f.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n'
                 ' <node id="1" lat="2.72" lon="117.0"/><node id="2" lat="2.721" lon="117.0"/>\n'
                 ' <way id="5"><nd ref="1"/><nd ref="2"/><tag k="building" v="yes"/></way>\n'
                 '</osm>\n')
    text = tiny_scenario.read_text().replace('path = "network.gpkg"\n',
                                             'path = "network.gpkg"\nosm = ["buildings.osm"]\n')
    tiny_scenario.write_text(text)
    plan = planner.run(planner.load_scenario(tiny_scenario), use_cache=False)
    assert any("buildings.osm: the extract adds no line to the network" in w
               for w in plan.report["warnings"])


def test_a_class_the_scenario_walks_gets_no_vehicle_rules(tiny_scenario):
    """A track from F (11, 5) to B (11, 1), 4 km, tagged surface=gravel and oneway=yes
    (drawn B -> F): the scenario walks tracks (mode foot, 4 km/h), so neither the surface
    factor nor the one-way applies: F is 60 min from B on foot, 75 min from the office S
    (15 min by road to B)."""
    from pyproj import Transformer

    import planner

    to_wgs = Transformer.from_crs("EPSG:32650", "EPSG:4326", always_xy=True)
    (lon_b, lat_b), (lon_f, lat_f) = (to_wgs.transform(500_000 + x * 1000, 300_000 + y * 1000)
                                      for x, y in ((11, 1), (11, 5)))
    f = tiny_scenario.parent / "track.osm"
    f.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n'
                 f' <node id="1" lat="{lat_b:.7f}" lon="{lon_b:.7f}"/>\n'
                 f' <node id="2" lat="{lat_f:.7f}" lon="{lon_f:.7f}"/>\n'
                 ' <way id="5"><nd ref="1"/><nd ref="2"/><tag k="highway" v="track"/>'
                 '<tag k="surface" v="gravel"/><tag k="oneway" v="yes"/></way>\n</osm>\n')
    text = tiny_scenario.read_text().replace('path = "network.gpkg"\n',
                                             'path = "network.gpkg"\nosm = ["track.osm"]\n')
    tiny_scenario.write_text(text + '\n[network.classes.track]\nmode = "foot"\n'
                                    'speed_kmh = 4\n')
    plan = planner.run(planner.load_scenario(tiny_scenario), use_cache=False)
    t = plan.table().set_index("nama")
    assert t.loc["Desa F", "travel_minutes"] == pytest.approx(75, abs=0.5)
    assert t.loc["Desa F", "route_modes"].endswith("foot")


def test_warnings_say_what_the_scenario_sets(tiny_scenario):
    """A class without a default speed that the scenario sets is not reported at the
    fallback speed; a class the rules never travel (highway=construction) that the
    scenario gives a speed is said to stay out."""
    from pyproj import Transformer

    import planner

    to_wgs = Transformer.from_crs("EPSG:32650", "EPSG:4326", always_xy=True)
    pts = [to_wgs.transform(500_000 + x * 1000, 300_000 + y * 1000)
           for x, y in ((1, 1), (1, 3), (11, 1), (11, 3))]
    nodes = "".join(f' <node id="{i + 1}" lat="{lat:.7f}" lon="{lon:.7f}"/>\n'
                    for i, (lon, lat) in enumerate(pts))
    f = tiny_scenario.parent / "mixed.osm"
    f.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n' + nodes +
                 ' <way id="5"><nd ref="1"/><nd ref="2"/><tag k="highway" v="jalan_desa"/>'
                 '</way>\n <way id="6"><nd ref="3"/><nd ref="4"/>'
                 '<tag k="highway" v="construction"/></way>\n</osm>\n')
    text = tiny_scenario.read_text().replace('path = "network.gpkg"\n',
                                             'path = "network.gpkg"\nosm = ["mixed.osm"]\n')
    tiny_scenario.write_text(text + '\n[network.classes.jalan_desa]\nspeed_kmh = 20\n'
                                    '\n[network.classes.construction]\nspeed_kmh = 10\n')
    warnings = planner.run(planner.load_scenario(tiny_scenario),
                           use_cache=False).report["warnings"]
    assert not [w for w in warnings if "without a default speed" in w]
    assert any("1 way(s) highway=construction are not travelled" in w
               and "speed for class 'construction' is not used" in w for w in warnings)
