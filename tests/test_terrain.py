"""Walking over terrain (planner/network/terrain.py): known answers worked out by hand (flat
land, straight and diagonal steps; a slope walked up and down by Tobler's function; a river
barrier with one bridge), and equality with independent computations on random surfaces: a
NetworkX grid graph built here, cell by cell, and scikit-image's MCP_Geometric on isotropic
surfaces."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from planner.network import terrain
from planner.network.terrain import Surface

STRAIGHT = 0.1 / 4 * 60          # 100 m at 4 km/h: 1.5 min
DIAGONAL = STRAIGHT * math.sqrt(2)


def test_flat_land_straight_and_diagonal_steps():
    s = Surface(np.full((5, 5), 4.0), cell_m=100.0)
    t = terrain.travel_minutes(s, np.array([2 * 5 + 2]))
    assert t[2, 2] == 0
    assert t[2, 3] == pytest.approx(STRAIGHT) and t[1, 1] == pytest.approx(DIAGONAL)
    assert t[2, 4] == pytest.approx(2 * STRAIGHT)
    assert t[0, 4] == pytest.approx(2 * DIAGONAL)
    assert t[0, 3] == pytest.approx(DIAGONAL + STRAIGHT)
    # 16 neighbours: a knight's move is one straight line, sqrt(5) cells
    t16 = terrain.travel_minutes(s, np.array([12]), neighbours=16)
    assert t16[0, 3] == pytest.approx(STRAIGHT * math.sqrt(5))
    assert t16[0, 3] < t[0, 3]


def test_a_slope_is_slower_up_than_down_by_toblers_function():
    """Three cells 100 m apart rising 10 m each (slope 0.1), walked at Tobler's speed:
    up, 6 exp(-3.5 x 0.15) = 3.549 km/h; down, 6 exp(-3.5 x 0.05) = 5.036 km/h."""
    flat = 6 * math.exp(-3.5 * 0.05)
    s = Surface(np.full((1, 3), flat), cell_m=100.0,
                elevation_m=np.array([[0.0, 10.0, 20.0]]))
    up = 0.1 / (6 * math.exp(-3.5 * 0.15)) * 60
    down = 0.1 / (6 * math.exp(-3.5 * 0.05)) * 60
    t_up = terrain.travel_minutes(s, np.array([0]))          # from the foot
    assert t_up[0, 2] == pytest.approx(2 * up)
    t_down = terrain.travel_minutes(s, np.array([2]))        # from the top
    assert t_down[0, 0] == pytest.approx(2 * down)
    # reverse: from every cell to the source (residents walking to a stop at the foot)
    to_foot = terrain.travel_minutes(s, np.array([0]), reverse=True)
    assert to_foot[0, 2] == pytest.approx(2 * down)
    assert terrain.tobler_factor(np.array([-0.05]))[0] == pytest.approx(6 / flat)


def test_a_river_barrier_is_crossed_only_at_its_bridge():
    """Row 2 of a 5 x 5 grid is water except its last cell (a bridge): from the top-left
    corner to the bottom-left one the walk goes by the bridge, 2 x (2 diagonal + 2 straight
    steps); without the bridge no walk reaches."""
    water = np.zeros((5, 5), bool)
    water[2, :4] = True
    s = Surface(np.full((5, 5), 4.0), cell_m=100.0, barrier=water)
    t = terrain.travel_minutes(s, np.array([0]))
    assert t[4, 0] == pytest.approx(2 * (2 * DIAGONAL + 2 * STRAIGHT))
    assert np.isinf(t[2, 0])                                   # in the river
    water[2, 4] = True
    closed = terrain.travel_minutes(Surface(np.full((5, 5), 4.0), 100.0, barrier=water),
                                    np.array([0]))
    assert np.isinf(closed[4, 0]) and np.isfinite(closed[1, 4])


def _networkx_minutes(s: Surface, sources: list[int], neighbours: int) -> np.ndarray:
    """The same walk built independently: a NetworkX graph of the grid, cell by cell."""
    rows, cols = s.shape
    steps = [(dr, dc) for dr in range(-2, 3) for dc in range(-2, 3)
             if (dr, dc) != (0, 0) and (max(abs(dr), abs(dc)) == 1 or (
                 neighbours == 16 and sorted((abs(dr), abs(dc))) == [1, 2]))]
    G = nx.DiGraph()
    v = s.speed_kmh
    ok = np.isfinite(v) & (v > 0) & ~(s.barrier if s.barrier is not None
                                      else np.zeros_like(v, bool))
    for r in range(rows):
        for c in range(cols):
            G.add_node(r * cols + c)
            for dr, dc in steps:
                r2, c2 = r + dr, c + dc
                if not (0 <= r2 < rows and 0 <= c2 < cols) or not (ok[r, c] and ok[r2, c2]):
                    continue
                length = s.cell_m * math.hypot(dr, dc)
                minutes = (length / 2 / 1000 / v[r, c] + length / 2 / 1000 / v[r2, c2]) * 60
                if s.elevation_m is not None:
                    slope = (s.elevation_m[r2, c2] - s.elevation_m[r, c]) / length
                    minutes /= 6 * math.exp(-3.5 * abs(slope + 0.05)) / (
                        6 * math.exp(-3.5 * 0.05))
                G.add_edge(r * cols + c, r2 * cols + c2, minutes=minutes)
    out = np.full(rows * cols, np.inf)
    if not sources:
        return out.reshape(rows, cols)
    dist = nx.multi_source_dijkstra_path_length(G, set(sources), weight="minutes")
    for node, d in dist.items():
        out[node] = d
    return out.reshape(rows, cols)


@pytest.mark.parametrize("seed", range(6))
def test_random_surfaces_equal_networkx(seed):
    rng = np.random.default_rng(seed)
    rows, cols = rng.integers(4, 12, size=2)
    speed = rng.uniform(0.5, 6.0, (rows, cols))
    speed[rng.random((rows, cols)) < 0.1] = 0.0              # impassable cells
    barrier = rng.random((rows, cols)) < 0.1
    elevation = rng.uniform(0, 300, (rows, cols)) if seed % 2 else None
    s = Surface(speed, cell_m=float(rng.uniform(30, 250)), elevation_m=elevation,
                barrier=barrier)
    sources = [int(x) for x in rng.choice(rows * cols, 2, replace=False)]
    for neighbours in (8, 16):
        got = terrain.travel_minutes(s, np.array(sources), neighbours=neighbours)
        want = _networkx_minutes(s, [x for x in sources
                                     if s.passable().ravel()[x]], neighbours)
        np.testing.assert_allclose(got, want, rtol=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_isotropic_surfaces_equal_scikit_image_mcp(seed):
    graph = pytest.importorskip("skimage.graph", reason="scikit-image is in the test extra")
    rng = np.random.default_rng(100 + seed)
    rows, cols = 30, 40
    speed = rng.uniform(0.5, 6.0, (rows, cols))
    cell = 90.0
    s = Surface(speed, cell_m=cell)
    src = (int(rng.integers(rows)), int(rng.integers(cols)))
    got = terrain.travel_minutes(s, np.array([src[0] * cols + src[1]]))
    costs = cell / 1000 / speed * 60                          # minutes to cross one cell
    mcp = graph.MCP_Geometric(costs, fully_connected=True)
    want, _ = mcp.find_costs([src])
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_surface_checks_and_cells_of_points():
    with pytest.raises(ValueError, match="expected a 2-D grid"):
        Surface(np.zeros(3), 100.0)
    with pytest.raises(ValueError, match="cell_m: expected a size above 0"):
        Surface(np.ones((2, 2)), 0.0)
    with pytest.raises(ValueError, match=r"elevation_m: expected the speed grid's shape"):
        Surface(np.ones((2, 2)), 10.0, elevation_m=np.ones((3, 2)))
    with pytest.raises(ValueError, match="neighbours: expected 8 or 16"):
        terrain.moves(Surface(np.ones((2, 2)), 10.0), neighbours=4)
    s = Surface(np.ones((3, 4)), cell_m=10.0, x0=1000.0, y0=500.0)
    cells = s.cell_of(np.array([1005.0, 1035.0, 999.0, 1039.9]),
                      np.array([495.0, 471.0, 495.0, 470.1]))
    assert cells.tolist() == [0, 2 * 4 + 3, -1, 2 * 4 + 3]
    assert np.isinf(terrain.travel_minutes(s, np.array([-1]))).all()


def _tiny_surface(plan, cell=500.0):
    """4 km/h everywhere over the tiny area (0..72 km x 0..6 km from 500000, 300000), the
    villages' centres (whole kilometres) at cell centres."""
    cols, rows = int(72_000 / cell) + 1, int(6_000 / cell) + 1
    return Surface(np.full((rows, cols), 4.0), cell_m=cell, x0=500_000.0 - cell / 2,
                   y0=306_000.0 + cell / 2)


def test_a_village_beyond_the_walking_limit_is_reached_over_terrain(tiny_scenario):
    """D lies 20 km beyond the river's end at C, out of the old walking limit (5 km):
    unreachable before; joined to the terrain it is reached by the road and the river to C
    and 20 km on foot at 4 km/h (300 min) after, and its cell's time equals its stop's."""
    import planner

    plan = planner.run(planner.load_scenario(tiny_scenario), use_cache=False)
    v = plan.villages.set_index("nama")
    assert not np.isfinite(v.loc["Desa D", "travel_minutes"])
    c_minutes = float(v.loc["Desa C", "travel_minutes"])
    net = plan.network
    s = _tiny_surface(plan)
    joined = terrain.join(s, net)
    nodes, cells = terrain.joined_minutes(joined, net.origin("service"))
    refs = list(net.points["village"].refs)
    d = refs.index(v.loc["Desa D", "kode"])
    assert nodes[net.destination("village")[d]] == pytest.approx(c_minutes + 300.0)
    row, col = divmod(int(s.cell_of(np.array([541_000.0]), np.array([301_000.0]))[0]),
                      s.shape[1])
    assert cells[row, col] == pytest.approx(c_minutes + 300.0)
    # the villages the network reached keep their times (walking is no faster here)
    for name in ("Desa A", "Desa B", "Desa C"):
        j = refs.index(v.loc[name, "kode"])
        assert nodes[net.destination("village")[j]] == pytest.approx(
            float(v.loc[name, "travel_minutes"]))


def test_the_joined_graph_equals_networkx(tiny_scenario):
    """The network's own graph (to_networkx), the grid and the links built here one by one
    give the same minutes to every node and cell, from the office and towards it."""
    import planner

    plan = planner.run(planner.load_scenario(tiny_scenario), use_cache=False)
    net = plan.network
    rng = np.random.default_rng(5)
    s = _tiny_surface(plan, cell=1000.0)
    s = Surface(rng.uniform(1.0, 5.0, s.shape), 1000.0, s.x0, s.y0,
                barrier=rng.random(s.shape) < 0.05)
    G = net.to_networkx()
    rows, cols = s.shape
    n_net = net.n_nodes
    ok = s.passable()
    for (r, c) in np.ndindex(rows, cols):
        G.add_node(n_net + r * cols + c)
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                r2, c2 = r + dr, c + dc
                if (dr, dc) == (0, 0) or not (0 <= r2 < rows and 0 <= c2 < cols):
                    continue
                if ok[r, c] and ok[r2, c2]:
                    length = 1000.0 * math.hypot(dr, dc)
                    G.add_edge(n_net + r * cols + c, n_net + r2 * cols + c2,
                               minutes=(length / 2 / 1000 / s.speed_kmh[r, c]
                                        + length / 2 / 1000 / s.speed_kmh[r2, c2]) * 60)
    stops = {int(x) for k in net.stops for side in ("in", "out") for x in net.stops[k][side]}
    for i in range(n_net):
        x, y = net.phys_xy[net.node_phys[i]]
        c, r = int(np.floor((x - s.x0) / 1000)), int(np.floor((s.y0 - y) / 1000))
        mode = net.node_mode[i]
        if not (0 <= r < rows and 0 <= c < cols and ok[r, c]):
            continue
        if i in stops or mode == "foot":
            w = 0.0
        elif mode in ("road", "track"):
            w = 7.0
        else:
            continue
        cell = n_net + r * cols + c
        for a, b in ((cell, i), (i, cell)):
            if not G.has_edge(a, b) or G.edges[a, b]["minutes"] > w:
                G.add_edge(a, b, minutes=w)
    joined = terrain.join(s, net, transfer_minutes=7.0)
    src = int(net.origin("service")[0])
    nodes, cells = terrain.joined_minutes(joined, np.array([src]))
    want = nx.single_source_dijkstra_path_length(G, src, weight="minutes")
    got = np.r_[nodes, cells.ravel()]
    expect = np.array([want.get(i, np.inf) for i in range(len(got))])
    np.testing.assert_allclose(got, expect, rtol=1e-9)
    back_nodes, back_cells = terrain.joined_minutes(joined, np.array([src]), reverse=True)
    want_back = nx.single_source_dijkstra_path_length(G.reverse(copy=True), src,
                                                      weight="minutes")
    expect = np.array([want_back.get(i, np.inf) for i in range(len(got))])
    np.testing.assert_allclose(np.r_[back_nodes, back_cells.ravel()], expect, rtol=1e-9)


def test_a_scenario_walks_over_terrain_end_to_end(tiny_scenario, tmp_path, capsys):
    """[terrain] in a scenario: a land-cover GeoTIFF (one class, 4 km/h, 500 m cells, the
    village centres at cell centres) over the tiny area. planner run adds terrain_minutes
    (D, beyond the old walking limit: C's 60 min + 300 min on foot) and
    reached_over_terrain to villages.csv and writes the travel-time raster, the same bytes
    twice; a class without a speed and a raster that misses villages are named (exit 2)."""
    import pandas as pd
    import rasterio
    from rasterio.transform import from_origin

    import planner
    from planner.cli import main

    cover = np.full((13, 145), 20, np.uint8)
    path = tiny_scenario.parent / "landcover.tif"
    with rasterio.open(path, "w", driver="GTiff", height=13, width=145, count=1,
                       dtype="uint8", crs="EPSG:32650",
                       transform=from_origin(499_750.0, 306_250.0, 500.0, 500.0)) as dst:
        dst.write(cover, 1)
    text = tiny_scenario.read_text()
    tiny_scenario.write_text(text + '\n[terrain]\nlandcover = "landcover.tif"\n'
                             '[terrain.speeds]\n20 = 4.0\n')
    plan = planner.run(planner.load_scenario(tiny_scenario), use_cache=False)
    t = plan.table().set_index("nama")
    assert t.loc["Desa D", "terrain_minutes"] == pytest.approx(60.0 + 300.0)
    assert bool(t.loc["Desa D", "reached_over_terrain"])
    assert not bool(t.loc["Desa C", "reached_over_terrain"])
    assert t.loc["Desa C", "terrain_minutes"] == pytest.approx(t.loc["Desa C",
                                                                   "travel_minutes"])
    out = tmp_path / "out"
    assert main(["-q", "run", str(tiny_scenario), "--out", str(out)]) == 0
    table = pd.read_csv(out / "villages.csv", dtype={"kode": str})
    assert {"terrain_minutes", "reached_over_terrain"} <= set(table.columns)
    with rasterio.open(out / "travel_time_terrain.tif") as r:
        grid = r.read(1)
        assert r.crs.to_epsg() == 32650 and grid.shape == (13, 145)
        assert grid[10, 82] == pytest.approx(360.0)           # D's cell (41 km, 1 km)
    # the reach over terrain: on the map (a layer) and in the GeoPackage, the bands' areas
    # adding up to the cells reached
    import pyogrio

    assert "Reach over terrain" in (out / "map.html").read_text(encoding="utf-8")
    assert "terrain_reach" in pyogrio.list_layers(out / "villages.gpkg")[:, 0]
    areas = terrain.reach_areas(plan.terrain)
    assert areas["cells"].sum() == int(np.isfinite(plan.terrain.values).sum())
    assert areas.geometry.area.sum() == pytest.approx(areas["cells"].sum() * 500.0 ** 2)
    assert areas["reach_band"].tolist()[0] == "<=1h"
    first = (out / "travel_time_terrain.tif").read_bytes()
    assert main(["-q", "run", str(tiny_scenario), "--out", str(tmp_path / "again")]) == 0
    assert (tmp_path / "again" / "travel_time_terrain.tif").read_bytes() == first
    capsys.readouterr()
    tiny_scenario.write_text(text + '\n[terrain]\nlandcover = "landcover.tif"\n'
                             '[terrain.speeds]\n10 = 2.0\n')
    assert main(["-q", "run", str(tiny_scenario), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "landcover.tif" in err and "classes without a walking speed: 20" in err
    with rasterio.open(path, "w", driver="GTiff", height=13, width=60, count=1,
                       dtype="uint8", crs="EPSG:32650",
                       transform=from_origin(499_750.0, 306_250.0, 500.0, 500.0)) as dst:
        dst.write(cover[:, :60], 1)
    tiny_scenario.write_text(text + '\n[terrain]\nlandcover = "landcover.tif"\n'
                             '[terrain.speeds]\n20 = 4.0\n')
    assert main(["-q", "run", str(tiny_scenario), "--out", str(tmp_path / "y")]) == 2
    err = capsys.readouterr().err
    assert "does not cover 2 point(s)" in err and "Desa D" in err and "Traceback" not in err


def test_an_office_off_the_network_walks_to_it_over_terrain(tiny_scenario):
    """Without terrain, an office farther than the walking limit from every line stops the
    run; with [terrain] it runs: the network alone reaches nobody, the terrain times say how
    long the walk (and then road and river) takes, and a warning says why."""
    import geopandas as gpd
    import rasterio
    from rasterio.transform import from_origin
    from shapely.geometry import Point

    import planner

    d = tiny_scenario.parent
    gpd.GeoDataFrame({"id": ["S"], "nama": ["Office S"]}, geometry=[Point(541_000, 301_000)],
                     crs="EPSG:32650").to_crs(4326).to_file(d / "service.geojson")
    with pytest.raises(planner.InputError, match="no service point lies within 5 km"):
        planner.run(planner.load_scenario(tiny_scenario), use_cache=False)
    with rasterio.open(d / "landcover.tif", "w", driver="GTiff", height=13, width=145,
                       count=1, dtype="uint8", crs="EPSG:32650",
                       transform=from_origin(499_750.0, 306_250.0, 500.0, 500.0)) as dst:
        dst.write(np.full((13, 145), 20, np.uint8), 1)
    tiny_scenario.write_text(tiny_scenario.read_text() + '\n[terrain]\nlandcover = '
                             '"landcover.tif"\n[terrain.speeds]\n20 = 4.0\n')
    plan = planner.run(planner.load_scenario(tiny_scenario), use_cache=False)
    t = plan.table().set_index("nama")
    assert not np.isfinite(t["travel_minutes"].astype(float)).any()
    assert t.loc["Desa D", "terrain_minutes"] == 0.0            # the office is in D
    assert t.loc["Desa C", "terrain_minutes"] == pytest.approx(300.0)  # 20 km on foot
    assert t["reached_over_terrain"].sum() >= 4
    assert any("reaches the lines over terrain only" in w for w in plan.report["warnings"])


def test_bundled_terrain_is_reproducible_and_only_adds_ways(tmp_path):
    """tools/make_kaltara_terrain.py gives the bundled rasters byte for byte; with them the
    Kaltara plan's terrain times are never longer than the network's (the joined graph holds
    every network edge and only adds walks), and every village gets one."""
    import subprocess
    import sys
    from pathlib import Path

    import planner

    root = Path(__file__).resolve().parent.parent
    res = subprocess.run([sys.executable, str(root / "tools" / "make_kaltara_terrain.py"),
                          "--out", str(tmp_path)], capture_output=True, text=True, cwd=root)
    assert res.returncode == 0, res.stderr
    for name in ("landcover_illustrative.tif", "elevation_illustrative.tif"):
        assert (tmp_path / name).read_bytes() == (root / "data" / "terrain" / name
                                                  ).read_bytes(), name
    plan = planner.run(planner.load_scenario(root / "scenarios" / "kaltara_terrain.toml"))
    t = plan.table()
    network = t["travel_minutes"].astype(float).to_numpy()
    walk = t["terrain_minutes"].astype(float).to_numpy()
    assert np.isfinite(walk).all()
    ok = np.isfinite(network)
    assert (walk[ok] <= network[ok] + 0.05).all()       # rounded to 0.1 min
    assert (walk[ok] < network[ok] - 1).sum() > 50        # walking across saves time often


def test_reach_areas_by_hand():
    """Six 100 m cells: 0 and 30 min (within 1 h), 90 (1-3 h), 200 (3-8 h), 600 (8-24 h)
    and one no walk reaches: four bands, their areas the cells'."""
    from planner.inputs.raster import Grid

    g = Grid(np.array([[0.0, 30.0, 90.0], [200.0, 600.0, np.inf]]), 100.0, 0.0, 200.0,
             "EPSG:32650")
    a = terrain.reach_areas(g)
    assert a["reach_band"].tolist() == ["<=1h", "1-3h", "3-8h", "8-24h"]
    assert a["cells"].tolist() == [2, 1, 1, 1]
    assert a.geometry.area.round(6).tolist() == [20_000.0, 10_000.0, 10_000.0, 10_000.0]
    assert a.geometry.iloc[0].bounds == (0.0, 100.0, 200.0, 200.0)
