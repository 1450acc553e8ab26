"""Known answers on hand-built networks, worked out on paper in each test.

Coordinates are metres in EPSG:32650; a line's length is its drawn length unless given.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import CRS
from shapely.geometry import LineString

from planner.config import Access, ClassSpec, NetworkSpec, SeasonRule
from planner.errors import InputError
from planner.network.build import build_network
from planner.network.graph import Points
from planner.network.travel import legs, nearest_source, path_edges, route_modes, to_csr

UTM = CRS.from_epsg(32650)
WALK = Access(walk_kmh=4.0, detour=1.0, max_km=2.0)


def write_lines(tmp: Path, rows: list[dict], name: str = "lines.gpkg") -> Path:
    gdf = gpd.GeoDataFrame([{k: v for k, v in r.items() if k != "xy"} for r in rows],
                           geometry=[LineString(r["xy"]) for r in rows], crs=UTM)
    path = tmp / name
    gdf.to_file(path, driver="GPKG")
    return path


def pts(kind: str, xy: list[tuple[float, float]], refs: list[str] | None = None) -> Points:
    refs = refs or [f"{kind[0]}{i}" for i in range(len(xy))]
    return Points(kind, refs, refs, np.array(xy, dtype=float))


def times(net, reverse: bool = False):
    res = nearest_source(to_csr(net), net.origin("service"), net.destination("village"))
    return res


def route(net, i: int = 0):
    res = times(net)
    return path_edges(res, int(net.destination("village")[i]))


def test_boat_faster_than_road(tmp_path):
    # road S-V 30 km drawn via a bend: 15 + 15 km at 40 km/h = 45 min;
    # river S-V straight 20 km at 30 km/h = 40 min -> the boat wins.
    p = write_lines(tmp_path, [
        {"mode": "road", "xy": [(0, 0), (10_000, 11_180.34), (20_000, 0)]},
        {"mode": "river", "xy": [(0, 0), (20_000, 0)]},
    ])
    spec = NetworkSpec(lines=(p,), speed_kmh={"road": 40, "river": 30})
    net = build_network(spec, UTM, {"village": pts("village", [(20_000, 0)]),
                                    "service": pts("service", [(0, 0)])}, WALK)
    res = times(net)
    assert res.value[0] == pytest.approx(40.0, abs=1e-6)
    assert route_modes(net, route(net)) == "river"


def test_transfer_penalty_decides_the_route(tmp_path):
    # road S-V direct 100 km at 60 km/h = 100 min; road S-J 20 km = 20 min then sea J-V
    # 25 km at 30 km/h = 50 min: 70 min without a penalty, 70 + 40 = 110 with road>sea 40.
    p = write_lines(tmp_path, [
        {"mode": "road", "xy": [(0, 0), (0, 100_000)], "length_m": 100_000.0},
        {"mode": "road", "xy": [(0, 0), (20_000, 0)]},
        {"mode": "sea", "xy": [(20_000, 0), (0, 100_000)], "length_m": 25_000.0},
    ])
    base = NetworkSpec(lines=(p,), speed_kmh={"road": 60, "sea": 30})
    points = {"village": pts("village", [(0, 100_000)]), "service": pts("service", [(0, 0)])}
    net = build_network(base, UTM, points, WALK)
    assert times(net).value[0] == pytest.approx(70.0)
    assert route_modes(net, route(net)) == "road>sea"
    penalised = NetworkSpec(lines=(p,), speed_kmh={"road": 60, "sea": 30},
                            transfer_minutes={"road>sea": 40.0})
    net = build_network(penalised, UTM, points, WALK)
    assert times(net).value[0] == pytest.approx(100.0)
    assert route_modes(net, route(net)) == "road"


def test_twice_weekly_flight_expected_wait(tmp_path):
    # flight A-B: 60 min on board, 2 departures a week: headway 7*24*60/2 = 5040 min,
    # expected wait half of it = 2520 min -> 2580 min; plus "*>air" check-in 30 min = 2610.
    p = write_lines(tmp_path, [{"mode": "road", "xy": [(0, 0), (100, 0)]},
                               {"mode": "road", "xy": [(300_000, 0), (300_100, 0)]}])
    links = tmp_path / "links.csv"
    links.write_text("from,to,mode,minutes,departures_per_week,fare\n"
                     "airstrip:A,airstrip:B,air,60,2,1500000\n")
    air = gpd.GeoDataFrame({"code": ["A", "B"], "name": ["Strip A", "Strip B"]},
                           geometry=gpd.points_from_xy([100, 300_000], [0, 0]), crs=UTM)
    air.to_file(tmp_path / "air.gpkg", driver="GPKG")
    from planner.config import Layer, Places
    spec = NetworkSpec(lines=(p,), links=(links,), speed_kmh={"road": 60},
                       places=(Places(Layer(tmp_path / "air.gpkg", "code", "name"),
                                      "airstrip"),),
                       transfer_minutes={"*>air": 30.0})
    net = build_network(spec, UTM, {"village": pts("village", [(300_100, 0)]),
                                    "service": pts("service", [(0, 0)])}, WALK)
    # road 100 m at 60 km/h = 0.1 min at each end
    assert times(net).value[0] == pytest.approx(0.1 + 30 + 60 + 2520 + 0.1)
    lg = legs(net, route(net))
    assert lg["mode"].tolist() == ["road", "transfer", "air", "road"]
    assert lg.loc[2, "from"] == "Strip A" and lg.loc[2, "to"] == "Strip B"
    assert lg.loc[2, "cost"] == 1_500_000


def test_upstream_slower_than_downstream(tmp_path):
    # river drawn downstream from U to D, 24 km: downstream 24 km/h = 60 min,
    # upstream 8 km/h = 180 min.
    p = write_lines(tmp_path, [{"mode": "river", "xy": [(0, 0), (24_000, 0)]}])
    spec = NetworkSpec(lines=(p,), classes={"river": ClassSpec("river", 24.0, 8.0)})
    down = build_network(spec, UTM, {"village": pts("village", [(24_000, 0)]),
                                     "service": pts("service", [(0, 0)])}, WALK)
    up = build_network(spec, UTM, {"village": pts("village", [(0, 0)]),
                                   "service": pts("service", [(24_000, 0)])}, WALK)
    assert times(down).value[0] == pytest.approx(60.0)
    assert times(up).value[0] == pytest.approx(180.0)
    # a line drawn against the current says so
    q = write_lines(tmp_path, [{"mode": "river", "flow": "upstream",
                                "xy": [(24_000, 0), (0, 0)]}], "q.gpkg")
    spec_q = NetworkSpec(lines=(q,), classes={"river": ClassSpec("river", 24.0, 8.0)})
    up_q = build_network(spec_q, UTM, {"village": pts("village", [(0, 0)]),
                                       "service": pts("service", [(24_000, 0)])}, WALK)
    assert times(up_q).value[0] == pytest.approx(180.0)


def test_closed_season_and_slower_season(tmp_path):
    # track S-V 15 km at 15 km/h = 60 min; wet season: tracks closed -> unreachable;
    # a season with river speed x0.5 doubles river time.
    p = write_lines(tmp_path, [{"mode": "track", "xy": [(0, 0), (15_000, 0)]},
                               {"mode": "river", "xy": [(0, 0), (0, 10_000)]}])
    pts_ = {"village": pts("village", [(15_000, 0), (0, 10_000)]),
            "service": pts("service", [(0, 0)])}
    seasons = {"wet": {"track": SeasonRule(closed=True), "river": SeasonRule(0.5)}}
    dry = NetworkSpec(lines=(p,), speed_kmh={"track": 15, "river": 20}, seasons=seasons)
    wet = NetworkSpec(lines=(p,), speed_kmh={"track": 15, "river": 20}, seasons=seasons,
                      season="wet")
    assert times(build_network(dry, UTM, pts_, WALK)).value.tolist() == pytest.approx([60, 30])
    wet_net = build_network(wet, UTM, pts_, WALK)
    got = times(wet_net).value
    assert np.isinf(got[0]) and got[1] == pytest.approx(60.0)
    assert "closed in season 'wet'" in wet_net.report["closed"][0]


def test_island_reached_only_by_sea(tmp_path):
    # mainland road S-J 10 km at 40 km/h = 15 min; the island village I lies 30 km offshore,
    # beyond the 2 km walking limit, reached by a sea link J-I of 45 min, 7 departures a
    # week: wait 10080/14 = 720 min -> 15 + 45 + 720 = 780 min.
    p = write_lines(tmp_path, [{"mode": "road", "xy": [(0, 0), (10_000, 0)]}])
    links = tmp_path / "links.csv"
    links.write_text("from,to,mode,minutes,departures_per_week\n"
                     "service:JETTY,village:99.01.01.2001,sea,45,7\n")
    spec = NetworkSpec(lines=(p,), links=(links,), speed_kmh={"road": 40})
    points = {"village": pts("village", [(10_000, 30_000)], ["9901012001"]),
              "service": pts("service", [(0, 0), (10_000, 0)], ["OFFICE", "JETTY"])}
    net = build_network(spec, UTM, points, WALK)
    res = times(net)
    assert res.value[0] == pytest.approx(780.0 - 15.0)  # the jetty is itself a service point
    assert np.isnan(net.access_m["village"][0])  # no walking connector: only the sea link
    assert route_modes(net, route(net)) == "sea"


def test_village_beyond_walking_limit(tmp_path):
    # nearest node 3 km away, limit 2 km -> not connected; 1.5 km away -> walks 1.5 km at
    # 4 km/h = 22.5 min.
    p = write_lines(tmp_path, [{"mode": "road", "xy": [(0, 0), (10_000, 0)]}])
    spec = NetworkSpec(lines=(p,), speed_kmh={"road": 40})
    net = build_network(spec, UTM, {"village": pts("village", [(10_000, 3_000),
                                                               (10_000, 1_500)]),
                                    "service": pts("service", [(0, 0)])}, WALK)
    res = times(net)
    assert np.isinf(res.value[0]) and np.isnan(net.access_m["village"][0])
    assert res.value[1] == pytest.approx(15 + 22.5)
    assert net.access_m["village"][1] == pytest.approx(1500.0)


def test_costs_per_km_and_networkx_copy(tmp_path):
    p = write_lines(tmp_path, [{"mode": "river", "xy": [(0, 0), (10_000, 0)]}])
    spec = NetworkSpec(lines=(p,), speed_kmh={"river": 20}, rupiah_per_km={"river": 15_000})
    net = build_network(spec, UTM, {"village": pts("village", [(10_000, 0)]),
                                    "service": pts("service", [(0, 0)])}, WALK)
    lg = legs(net, route(net))
    assert lg["cost"].sum() == pytest.approx(150_000)
    G = net.to_networkx()
    assert G.graph["crs"] == UTM
    e = next(d for _, _, d in G.edges(data=True) if d["kind"] == "line")
    assert set(e) >= {"mode", "length_m", "minutes", "cost"}


def test_bad_sources_all_reported(tmp_path):
    p = write_lines(tmp_path, [
        {"mode": "road", "xy": [(0, 0), (0, 0)]},
        {"mode": "boat", "xy": [(0, 0), (5, 0)]},
        {"mode": "road", "xy": [(0, 0), (9, 0)], "speed_kmh": -5.0},
        {"mode": "", "xy": [(0, 0), (7, 0)]},
    ])
    links = tmp_path / "links.csv"
    links.write_text("from,to,mode,minutes,departures_per_week\n"
                     "village:NOWHERE,service:S,sea,-3,0\n")
    spec = NetworkSpec(lines=(p,), links=(links,), speed_kmh={"road": 40})
    with pytest.raises(InputError) as err:
        build_network(spec, UTM, {"village": pts("village", [(0, 0)]),
                                  "service": pts("service", [(0, 0)], ["S"])}, WALK)
    msg = str(err.value)
    assert "feature 1, column 'length_m': zero-length line" in msg
    assert "feature 2, column 'speed_kmh': no speed for this class" in msg
    assert "feature 3, column 'speed_kmh': speed must be > 0" in msg
    assert "feature 4, column 'mode': empty class" in msg
    assert "links.csv: row 2, column 'minutes': minutes must be a finite number >= 0" in msg
    assert "row 2, column 'departures_per_week'" in msg
    assert "row 2, column 'from': unknown place 'village:NOWHERE'" in msg


def test_missing_class_column(tmp_path):
    p = tmp_path / "l.gpkg"
    gpd.GeoDataFrame({"kind": ["x"]}, geometry=[LineString([(0, 0), (1, 1)])],
                     crs=UTM).to_file(p, driver="GPKG")
    with pytest.raises(InputError, match="missing column 'mode'"):
        build_network(NetworkSpec(lines=(p,)), UTM, {"village": pts("village", [(0, 0)]),
                                                     "service": pts("service", [(0, 0)])}, WALK)


def test_osm_extract(tmp_path):
    """A PBF written here: a primary road with a junction, a track, a river, a ferry and an
    aerodrome; ways are split at shared nodes."""
    import osmium

    f = tmp_path / "tiny.osm.pbf"
    w = osmium.SimpleWriter(str(f))
    lon0, lat0 = 117.0, 3.0
    deg = 1 / 111_320  # about 1 m of latitude; longitudes at 3 deg N are close enough here
    coords = {1: (0, 0), 2: (1000, 0), 3: (2000, 0), 4: (1000, 1000), 5: (3000, 0), 6: (3000, 50)}
    for nid, (x, y) in coords.items():
        w.add_node(osmium.osm.mutable.Node(id=nid, location=(lon0 + x * deg, lat0 + y * deg),
                                           tags={}))
    w.add_node(osmium.osm.mutable.Node(id=9, location=(lon0 + 3000 * deg, lat0 + 50 * deg),
                                       tags={"aeroway": "aerodrome", "icao": "WXXX",
                                             "name": "Strip X"}))
    w.add_way(osmium.osm.mutable.Way(id=100, nodes=[1, 2, 3], tags={"highway": "primary"}))
    w.add_way(osmium.osm.mutable.Way(id=101, nodes=[2, 4], tags={"highway": "track"}))
    w.add_way(osmium.osm.mutable.Way(id=102, nodes=[3, 5], tags={"waterway": "river"}))
    w.add_way(osmium.osm.mutable.Way(id=103, nodes=[5, 6], tags={"route": "ferry"}))
    w.add_way(osmium.osm.mutable.Way(id=104, nodes=[1, 4], tags={"building": "yes"}))
    w.close()
    from planner.inputs.osm import read_osm
    lines, aero = read_osm(f)
    assert sorted(lines["class"]) == ["ferry", "primary", "primary", "river", "track"]
    assert aero["code"].tolist() == ["WXXX"]
    spec = NetworkSpec(osm=(f,), classes={"primary": ClassSpec("road", 60.0),
                                          "track": ClassSpec("track", 6.0)})
    from pyproj import Transformer
    to_utm = Transformer.from_crs(4326, UTM, always_xy=True)
    n1 = to_utm.transform(lon0, lat0)
    n4 = to_utm.transform(lon0 + 1000 * deg, lat0 + 1000 * deg)
    net = build_network(spec, UTM, {"village": pts("village", [n4]),
                                    "service": pts("service", [n1])},
                        Access(4.0, 1.0, 2.0))
    # primary 1 km at 60 km/h = 1 min, then track 1 km at 6 km/h = 10 min (distances in
    # degrees converted: allow 1% for the projection)
    assert times(net).value[0] == pytest.approx(11.0, rel=0.01)
    assert route_modes(net, route(net)) == "road>track"


def test_link_table_columns(tmp_path):
    links = tmp_path / "links.csv"
    links.write_text("origin,to,mode\n")
    spec = NetworkSpec(links=(links,))
    with pytest.raises(InputError) as err:
        build_network(spec, UTM, {"village": pts("village", [(0, 0)]),
                                  "service": pts("service", [(0, 0)])}, WALK)
    assert "missing column 'from'" in str(err.value) and "missing column 'minutes'" in str(
        err.value)
    _ = pd


def test_to_gdfs_matches_the_arrays_and_networkx(tmp_path):
    """Frames out, like osmnx's graph_to_gdfs: one row per node and per edge, the edge
    attributes and end points as in the arrays (and in the NetworkX copy)."""
    p = write_lines(tmp_path, [{"mode": "road", "xy": [(0, 0), (3000, 0)]},
                               {"mode": "road", "xy": [(3000, 0), (3000, 4000)]}])
    net = build_network(NetworkSpec(lines=(p,), speed_kmh={"road": 40}), UTM,
                        {"village": pts("village", [(3000, 4000)]),
                         "service": pts("service", [(0, 0)], ["S"])}, WALK)
    nodes, edges = net.to_gdfs()
    assert len(nodes) == net.n_nodes and len(edges) == len(net.u)
    assert nodes.crs == net.crs and edges.crs == net.crs
    np.testing.assert_allclose(edges["minutes"], net.minutes)
    road = edges[edges["kind"] == "line"]
    assert set(np.round(road.geometry.length)) == {3000.0, 4000.0}
    assert np.allclose(road["length_m"], road.geometry.length)
    G = net.to_networkx()
    e = edges.iloc[0]
    assert G.nodes[int(e["u"])]["x"] == nodes.geometry.iloc[int(e["u"])].x


def test_line_ends_merge_by_real_distance(tmp_path):
    """snap_m = 1: ends 2 cm apart on either side of a 1 m grid line are one node (a grid
    would split them); ends 1.39 m apart in one grid cell stay two (a grid would merge)."""
    close = write_lines(tmp_path, [{"mode": "road", "xy": [(-1000, 0), (0.49, 0)]},
                                   {"mode": "road", "xy": [(0.51, 0), (1000, 0)]}])
    spec = NetworkSpec(lines=(close,), speed_kmh={"road": 40})
    walk = Access(4.0, 1.0, 0.001)
    net = build_network(spec, UTM, {"village": pts("village", [(1000, 0)]),
                                    "service": pts("service", [(-1000, 0)])}, walk)
    assert times(net).value[0] == pytest.approx(2000.02 / 1000 / 40 * 60, rel=1e-4)
    apart = tmp_path / "apart"
    apart.mkdir()
    far = write_lines(apart, [{"mode": "road", "xy": [(-1000, 0), (0.51, 0.51)]},
                              {"mode": "road", "xy": [(1.49, 1.49), (1000, 0)]}])
    net = build_network(NetworkSpec(lines=(far,), speed_kmh={"road": 40}), UTM,
                        {"village": pts("village", [(1000, 0)]),
                         "service": pts("service", [(-1000, 0)])}, walk)
    assert not np.isfinite(times(net).value[0])


def test_points_join_the_nearest_point_on_a_line(tmp_path):
    """A village 100 m beside the middle of a 20 km track without junctions joins it there:
    10 km at 10 km/h = 60 min + 100 m on foot at 4 km/h = 1.5 min (its nearest node is 10 km
    away, beyond the 2 km walking limit: before, it was unreachable)."""
    p = write_lines(tmp_path, [{"mode": "track", "xy": [(0, 0), (20_000, 0)]}])
    spec = NetworkSpec(lines=(p,), speed_kmh={"track": 10})
    net = build_network(spec, UTM, {"village": pts("village", [(10_000, 100)]),
                                    "service": pts("service", [(0, 0)])}, WALK)
    assert times(net).value[0] == pytest.approx(61.5, rel=1e-9)
    assert net.access_m["village"][0] == pytest.approx(100.0)


def test_points_on_one_line_reach_each_other_along_it(tmp_path):
    """Office beside a road at x = 3 km, villages at 5 km and 9 km on a 10 km road: 2 km and
    6 km at 60 km/h = 2 and 6 min (the road is cut into pieces in order)."""
    p = write_lines(tmp_path, [{"mode": "road", "xy": [(0, 0), (10_000, 0)]}])
    spec = NetworkSpec(lines=(p,), speed_kmh={"road": 60})
    net = build_network(spec, UTM, {"village": pts("village", [(5_000, 0), (9_000, 0)]),
                                    "service": pts("service", [(3_000, 0)])}, WALK)
    assert times(net).value == pytest.approx([2.0, 6.0])


def test_boat_line_joined_mid_river_pays_one_wait(tmp_path):
    """River 0-30 km at 30 km/h with a 20 min wait: from the start, a village beside the
    river at 10 km is 20 + 20 min away, the end 20 + 60 min (one wait, not one per piece)."""
    p = write_lines(tmp_path, [{"mode": "river", "xy": [(0, 0), (30_000, 0)],
                                "wait_minutes": 20.0}])
    spec = NetworkSpec(lines=(p,), speed_kmh={"river": 30})
    net = build_network(spec, UTM, {"village": pts("village", [(10_000, 0), (30_000, 0)]),
                                    "service": pts("service", [(0, 0)])}, WALK)
    assert times(net).value == pytest.approx([40.0, 80.0])


def test_motorways_are_joined_only_when_nothing_else_is_near(tmp_path):
    """A village 50 m from a motorway and 300 m from a residential street joins the street;
    with the street gone it joins the motorway."""
    import geopandas as gpd

    both = gpd.GeoDataFrame({"mode": ["road", "road"], "class": ["motorway", "residential"],
                             "speed_kmh": [100.0, 20.0]},
                            geometry=[LineString([(0, 0), (2000, 0)]),
                                      LineString([(0, 350), (2000, 350)])], crs=UTM)
    for name, frame, walk_m in (("both", both, 300.0), ("one", both.iloc[:1], 50.0)):
        path = tmp_path / f"{name}.gpkg"
        frame.to_file(path, driver="GPKG")
        spec = NetworkSpec(lines=(path,), class_column="class",
                           classes={"motorway": ClassSpec("road", 100.0),
                                    "residential": ClassSpec("road", 20.0)})
        net = build_network(spec, UTM, {"village": pts("village", [(1000, 50)]),
                                        "service": pts("service", [(0, 0), (0, 350)])},
                            WALK)
        assert net.access_m["village"][0] == pytest.approx(walk_m), name


def test_villages_prefer_lines_of_a_part_with_an_office(tmp_path):
    """A village 200 m from an isolated stub and 800 m from the road from the office joins
    the road (reachable: 5 km at 60 km/h + 800 m at 4 km/h = 5 + 12 = 17 min), and its row
    says what it joined; with the road gone it joins the stub and says the part has no
    office."""
    both = write_lines(tmp_path, [{"mode": "road", "xy": [(0, 0), (10_000, 0)]},
                                  {"mode": "road", "xy": [(4_000, 1_000), (6_000, 1_000)]}])
    spec = NetworkSpec(lines=(both,), speed_kmh={"road": 60})
    points = {"village": pts("village", [(5_000, 800)]), "service": pts("service", [(0, 0)])}
    net = build_network(spec, UTM, points, WALK)
    assert times(net).value[0] == pytest.approx(17.0)
    assert net.joined["village"][0] == "road (road) along the line"
    stub = tmp_path / "stub"
    stub.mkdir()
    only = write_lines(stub, [{"mode": "road", "xy": [(4_000, 1_000), (6_000, 1_000)]},
                              {"mode": "road", "xy": [(0, 0), (1_000, 0)]}])
    net = build_network(NetworkSpec(lines=(only,), speed_kmh={"road": 60}), UTM, points, WALK)
    assert not np.isfinite(times(net).value[0])
    assert net.joined["village"][0] == ("road (road) along the line, in a part of the "
                                        "network without an office")


def test_network_stores_itself_and_comes_back_equal(tiny_scenario):
    """Network.to_arrays / from_arrays (what the cache stores) is a lossless round trip,
    and the NetworkX graph of the copy equals the original's."""
    import dataclasses

    import numpy as np

    import planner

    net = planner.run(planner.load_scenario(tiny_scenario), use_cache=False).network
    arrays, meta = net.to_arrays()
    assert all(a.dtype != object for a in arrays.values())  # storable without pickles
    back = type(net).from_arrays(arrays, meta)
    for f in dataclasses.fields(net):
        a, b = getattr(net, f.name), getattr(back, f.name)
        if isinstance(a, np.ndarray):
            assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), f.name
        elif f.name in ("stops", "access_m", "snapped", "joined"):
            assert a.keys() == b.keys()
            for k in a:
                if isinstance(a[k], dict):
                    assert all(np.array_equal(a[k][x], b[k][x]) for x in a[k])
                else:
                    assert np.array_equal(a[k], b[k], equal_nan=a[k].dtype.kind == "f"), k
        elif f.name == "points":
            assert {k: (p.refs, p.labels) for k, p in a.items()} == \
                {k: (p.refs, p.labels) for k, p in b.items()}
        else:
            assert a == b, f.name
    g, h = net.to_networkx(), back.to_networkx()
    assert list(g.nodes(data=True)) == list(h.nodes(data=True))
    assert list(g.edges) == list(h.edges)
    for (_, _, x), (_, _, y) in zip(g.edges(data=True), h.edges(data=True), strict=True):
        assert x.keys() == y.keys()
        assert all(x[k] == y[k] or (x[k] != x[k] and y[k] != y[k]) for k in x)  # NaN = NaN


def test_the_unseasonal_network_is_built_from_the_same_reads(tmp_path, tiny_scenario,
                                                           monkeypatch):
    """A village the season cuts off is told apart by building the network without the
    season too; that build reuses the files as read (no second read)."""
    import planner
    from planner.inputs import io as planner_io
    from planner.network import travel
    from planner.network.build import read_sources

    # the track S-(15 km, 0) closes in the wet season; the road beyond it stays open, so the
    # village at its end is cut off by the season; the river village is not
    p = write_lines(tmp_path, [{"mode": "track", "xy": [(0, 0), (15_000, 0)]},
                               {"mode": "road", "xy": [(15_000, 0), (15_000, 10_000)]},
                               {"mode": "river", "xy": [(0, 0), (0, 10_000)]}])
    pts_ = {"village": pts("village", [(15_000, 10_000), (0, 10_000)]),
            "service": pts("service", [(0, 0)])}
    s = planner.load_scenario(tiny_scenario).replace(
        lines=(p,), links=(), speed_kmh={"track": 15, "river": 20, "road": 40},
        class_column="mode",
        seasons={"wet": {"track": SeasonRule(closed=True)}}, season="wet")
    sources = read_sources(s.network)
    wet = build_network(s.network, UTM, pts_, WALK, sources=sources)
    reads: list[str] = []
    real = planner_io.read_vector
    monkeypatch.setattr(planner_io, "read_vector",
                        lambda path, *a, **k: reads.append(str(path)) or real(path, *a, **k))
    cols, _, _ = travel.travel_columns(wet, s, np.array(["S"]), sources=sources)
    assert cols["unreachable_reason"][0].startswith("closed in season 'wet'")
    assert cols["unreachable_reason"][1] == ""
    assert reads == []  # built from the reads given
    again, _, _ = travel.travel_columns(wet, s, np.array(["S"]))  # without them: read again
    assert reads == [str(p)] and again["unreachable_reason"][0] == cols["unreachable_reason"][0]
