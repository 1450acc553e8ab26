from __future__ import annotations

import geopandas as gpd
import pytest
from pyproj import CRS
from shapely.geometry import LineString, Point

from planner.config import Access
from planner.errors import InputError
from planner.network import attach_points, build_graph, components_report

UTM = CRS.from_epsg(32650)


def lines(rows, **cols):
    return gpd.GeoDataFrame(cols, geometry=[LineString(r) for r in rows], crs=UTM)


def test_minutes_from_length_speed_and_wait():
    # 10 km at 40 km/h = 15 min; 6 km given as length_m at 12 km/h = 30 min + 10 wait = 40.
    g = build_graph(lines([[(0, 0), (10_000, 0)], [(10_000, 0), (10_000, 3_000)]],
                          mode=["road", "river"], length_m=[None, 6000.0],
                          speed_kmh=[None, 12.0], wait_minutes=[None, 10.0]),
                    UTM, {"road": 40})
    assert g.graph["crs"] == UTM
    assert g.number_of_nodes() == 3 and g.number_of_edges() == 4  # two-way
    e = {d["mode"]: d for _, _, d in g.edges(data=True)}
    assert e["road"]["minutes"] == pytest.approx(15.0)
    assert e["road"]["length_m"] == pytest.approx(10_000.0)
    assert e["river"]["minutes"] == pytest.approx(40.0)


def test_given_minutes_and_oneway():
    g = build_graph(lines([[(0, 0), (1000, 0)]], mode=["air"], minutes=[50.0],
                          wait_minutes=[720.0], oneway=[True]), UTM, {})
    assert g.number_of_edges() == 1
    (_, _, d), = g.edges(data=True)
    assert d["minutes"] == pytest.approx(770.0)


def test_fastest_parallel_line_kept_and_snapping():
    g = build_graph(lines([[(0, 0), (1000, 0)], [(0.3, 0.2), (1000.4, 0)]],
                          mode=["track", "road"]), UTM, {"track": 10, "road": 60}, snap_m=1.0)
    assert g.number_of_nodes() == 2
    assert {d["mode"] for _, _, d in g.edges(data=True)} == {"road"}


def test_bad_lines_all_reported():
    bad = lines([[(0, 0), (0, 0)], [(0, 0), (5, 0)], [(0, 0), (9, 0)], [(0, 0), (7, 0)]],
                mode=["road", "boat", "road", ""], speed_kmh=[None, None, -5.0, 3.0])
    with pytest.raises(InputError) as err:
        build_graph(bad, UTM, {"road": 40})
    msg = str(err.value)
    assert "feature 1, column 'length_m': zero-length line" in msg
    assert "feature 2, column 'speed_kmh': no speed for this mode" in msg
    assert "feature 3, column 'speed_kmh': speed must be > 0" in msg
    assert "feature 4, column 'mode': empty mode" in msg


def test_missing_mode_column():
    with pytest.raises(InputError, match="missing column 'mode'"):
        build_graph(gpd.GeoDataFrame(geometry=[LineString([(0, 0), (1, 1)])], crs=UTM), UTM, {})


def test_attach_points_walk_and_limit():
    g = build_graph(lines([[(0, 0), (10_000, 0)]], mode=["road"]), UTM, {"road": 40})
    pts = gpd.GeoSeries([Point(0, 0), Point(10_000, 3_000), Point(0, 9_000)], crs=UTM)
    att = attach_points(g, pts, ["a", "b", "c"], "village",
                        Access(walk_kmh=4.0, detour=1.5, max_km=5))
    assert att.node[0] in (0, 1) and att.access_m[0] == 0.0
    # b: 3 km straight x 1.5 = 4.5 km at 4 km/h = 67.5 min each way
    assert att.access_m[1] == pytest.approx(4500.0)
    walk = g.edges[att.node[1], next(iter(g.successors(att.node[1])))]
    assert walk["mode"] == "foot" and walk["minutes"] == pytest.approx(67.5)
    assert att.node[2] == -1  # 9 km > 5 km limit


def test_components():
    g = build_graph(lines([[(0, 0), (10, 0)], [(100, 0), (110, 0)], [(110, 0), (120, 0)]],
                          mode=["road"] * 3), UTM, {"road": 40})
    assert components_report(g) == [3, 2]
