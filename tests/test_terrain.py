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
from scipy.sparse.csgraph import dijkstra

from planner.network import terrain
from planner.network.terrain import Surface

from .conftest import add_terrain

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


def test_a_village_beyond_the_walking_limit_is_reached_over_terrain(tiny_scenario):
    """On flat land at 4 km/h every step of the plan runs on the network with the land's
    cells. By hand: D lies 20 km beyond the river's end at C, out of the old walking limit
    (5 km): unreachable before, now C's 60 min (road 15, river 30 + 15 wait) + 20 km on
    foot (300 min) = 360; F, 4 km north of B, walked 5.2 km straight (78 min) after the
    road's 15: now 4 km across the land (60 min) after it, 75; A, B and C keep their
    times; the route of D ends with a leg over the land from C."""
    import planner

    before = planner.run(planner.load_scenario(tiny_scenario), use_cache=False)
    add_terrain(tiny_scenario)
    plan = planner.run(planner.load_scenario(tiny_scenario), use_cache=False)
    v = plan.villages.set_index("nama")
    b = before.villages.set_index("nama")
    assert not np.isfinite(b.loc["Desa D", "travel_minutes"])
    assert v.loc["Desa D", "travel_minutes"] == pytest.approx(360.0)
    assert v.loc["Desa F", "travel_minutes"] == pytest.approx(75.0)
    assert b.loc["Desa F", "travel_minutes"] == pytest.approx(93.0)
    for name, want in (("Desa A", 0.0), ("Desa B", 15.0), ("Desa C", 60.0)):
        assert v.loc[name, "travel_minutes"] == pytest.approx(want)
    assert bool(v.loc["Desa D", "reached_over_terrain"])
    assert not np.isfinite(v.loc["Desa D", "network_minutes"])
    assert v.loc["Desa F", "network_minutes"] == pytest.approx(93.0)
    assert v.loc["Desa D", "terrain_walk_minutes"] == pytest.approx(300.0)
    assert v.loc["Desa B", "terrain_walk_minutes"] == 0.0
    assert v.loc["Desa D", "route_modes"] == "road>river>terrain"
    legs, line = plan.route(v.loc["Desa D", "kode"])
    last = legs.iloc[-1]
    assert (last["mode"], last["from"]) == ("terrain", "Desa C (99.01.01.2003)")
    assert last["minutes"] == pytest.approx(300.0) and last["length_m"] == pytest.approx(20_000)
    assert legs["minutes"].sum() == pytest.approx(360.0)
    assert line is not None and line.length > 0
    # E's road holds no office, and the land now joins it to the rest: 20 km from D
    assert v.loc["Desa E", "travel_minutes"] == pytest.approx(360.0 + 300.0)
    # the travel-time raster: every cell's minutes; a village's cell is its own time
    g = plan.terrain
    for name, (x, y) in (("Desa D", (41, 1)), ("Desa F", (11, 5))):
        r, c = int((306_250 - 300_000 - y * 1000) // 500), int((x * 1000 + 250) // 500)
        assert g.values[r, c] == pytest.approx(v.loc[name, "travel_minutes"])


def _add_moves(G, s, n_net):
    """The grid's 8-neighbour moves, cell by cell, cell c as node n_net + c."""
    rows, cols = s.shape
    ok = s.passable()
    for r, c in np.ndindex(rows, cols):
        G.add_node(n_net + r * cols + c)
        for dr, dc in ((a, b) for a in (-1, 0, 1) for b in (-1, 0, 1) if (a, b) != (0, 0)):
            r2, c2 = r + dr, c + dc
            if 0 <= r2 < rows and 0 <= c2 < cols and ok[r, c] and ok[r2, c2]:
                length = s.cell_m * math.hypot(dr, dc)
                G.add_edge(n_net + r * cols + c, n_net + r2 * cols + c2,
                           minutes=(length / 2 / 1000 / s.speed_kmh[r, c]
                                    + length / 2 / 1000 / s.speed_kmh[r2, c2]) * 60)


def _independent_graph(base, s, penalty):
    """The network with the land's cells built here one link at a time from the rules (not
    by terrain.extend): the base network's own graph less the straight walks of the points
    in a passable cell, the grid's moves, the links between a cell's centre and what lies
    in it."""
    G = base.to_networkx()
    rows, cols = s.shape
    n_net = base.n_nodes
    ok = s.passable()

    def cell_of(x, y):
        c, r = int(np.floor((x - s.x0) / s.cell_m)), int(np.floor((s.y0 - y) / s.cell_m))
        return (r, c) if 0 <= r < rows and 0 <= c < cols and ok[r, c] else None

    def walk(x, y, rc):
        cx, cy = s.x0 + (rc[1] + 0.5) * s.cell_m, s.y0 - (rc[0] + 0.5) * s.cell_m
        return math.hypot(x - cx, y - cy) / 1000 / s.speed_kmh[rc] * 60

    _add_moves(G, s, n_net)
    own_walkers = set()
    for kind, st in base.stops.items():
        for i, (x, y) in enumerate(base.points[kind].xy):
            rc = cell_of(x, y)
            if rc is None:
                continue
            cell = n_net + rc[0] * cols + rc[1]
            G.add_edge(int(st["out"][i]), cell, minutes=walk(x, y, rc))
            G.add_edge(cell, int(st["in"][i]), minutes=walk(x, y, rc))
            if not base.snapped[kind][i]:
                own_walkers.add(int(base.node_phys[st["out"][i]]))
    for a, b, data in list(G.edges(data=True)):
        if data.get("kind") == "access" and ({G.nodes[a]["phys"], G.nodes[b]["phys"]}
                                         & own_walkers):
            G.remove_edge(a, b)
    for i in range(n_net):
        mode, phys = base.node_mode[i], base.node_phys[i]
        x, y = base.phys_xy[phys]
        rc = cell_of(x, y)
        if rc is None or mode == "" or not (mode in ("foot", "road", "track")
                                           or base.phys_label[phys]):
            continue
        w = walk(x, y, rc)
        p = 0.0 if mode == "foot" else penalty
        cell = n_net + rc[0] * cols + rc[1]
        for a, bb in ((cell, i), (i, cell)):
            if not G.has_edge(a, bb) or G.edges[a, bb]["minutes"] > w + p:
                G.add_edge(a, bb, minutes=w + p)
    return G


def test_the_network_with_cells_equals_networkx(tiny_scenario):
    """A random surface (speeds 1-5 km/h, 5% barrier cells, 1 km cells, the villages off
    the cell centres) and a change-of-mode penalty of 7 min: the minutes to every node and
    cell from the office (and towards it) equal NetworkX on the graph built independently
    from the rules; the network's own NetworkX graph gives them too."""
    import planner
    from planner.config import NetworkSpec
    from planner.network import travel

    add_terrain(tiny_scenario, extra="cell_m = 1000\n")
    text = tiny_scenario.read_text().replace("[network.speed_kmh]",
                                             '[network.transfer_minutes]\n"*>*" = 7\n'
                                             "[network.speed_kmh]")
    tiny_scenario.write_text(text)
    plan = planner.run(planner.load_scenario(tiny_scenario), use_cache=False)
    base = plan.network.cells.source.base
    rng = np.random.default_rng(5)
    shape = plan.network.cells.shape
    s = Surface(rng.uniform(1.0, 5.0, shape), 1000.0, plan.network.cells.x0,
                plan.network.cells.y0, barrier=rng.random(shape) < 0.05)
    spec = NetworkSpec(transfer_minutes={"*>*": 7.0})
    net = terrain.extend(base, s, transfer=spec.transfer)
    G = _independent_graph(base, s, 7.0)
    src = int(net.origin("service")[0])
    csr = travel.to_csr(net).matrix
    for rev in (False, True):
        got = np.asarray(dijkstra(csr.T.tocsr() if rev else csr, indices=src))
        want = nx.single_source_dijkstra_path_length(G.reverse(copy=True) if rev else G, src,
                                                     weight="minutes")
        expect = np.array([want.get(i, np.inf) for i in range(len(got))])
        np.testing.assert_allclose(got, expect, rtol=1e-9)
        own = nx.single_source_dijkstra_path_length(
            net.to_networkx().reverse(copy=True) if rev else net.to_networkx(), src,
            weight="minutes")
        np.testing.assert_allclose(got, [own.get(i, np.inf) for i in range(len(got))],
                                   rtol=1e-9)


def test_nodes_along_lines_keep_every_time(tiny_scenario):
    """build_network(node_every_m=...) cuts the land lines into pieces no longer than asked
    (the road A-B's 10 km into 40 of 250 m), their lengths adding up to the line's, and
    every village's minutes from the office, both ways, are unchanged."""
    import planner
    from planner.network import travel
    from planner.network.build import build_network

    plan = planner.run(planner.load_scenario(tiny_scenario), use_cache=False)
    net = plan.network
    s = plan.scenario
    points = {k: net.points[k] for k in ("village", "service")}
    dense = build_network(s.network, net.crs, points, s.access, node_every_m=250.0)
    line = (dense.kind == "line") & (dense.mode == "road")
    xy = dense.phys_xy[dense.node_phys]
    assert np.hypot(*(xy[dense.u[line]] - xy[dense.v[line]]).T).max() <= 250.0 + 1e-6
    ab = line & (xy[dense.u, 0] < 511_000 + 1) & (xy[dense.v, 0] < 511_000 + 1)
    assert dense.length_m[ab].sum() == pytest.approx(2 * 10_000.0)   # both directions
    for rev in (False, True):
        want = travel.nearest_source(travel.to_csr(net), net.origin("service"),
                                     net.destination("village"), reverse=rev).value
        got = travel.nearest_source(travel.to_csr(dense), dense.origin("service"),
                                    dense.destination("village"), reverse=rev).value
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_a_scenario_walks_over_terrain_end_to_end(tiny_scenario, tmp_path, capsys):
    """[terrain] in a scenario, through the CLI: villages.csv says how each route crosses
    the land (terrain_walk_minutes, network_minutes, reached_over_terrain, route_modes);
    the travel-time raster (D's cell 360 min) the same bytes twice; a cached run equals a
    fresh one; a class without a speed and a raster that misses villages are named
    (exit 2)."""
    import pandas as pd
    import rasterio

    import planner
    from planner.cli import main

    text = add_terrain(tiny_scenario)
    out = tmp_path / "out"
    assert main(["-q", "run", str(tiny_scenario), "--out", str(out)]) == 0
    table = pd.read_csv(out / "villages.csv", dtype={"kode": str}).set_index("nama")
    assert {"terrain_walk_minutes", "network_minutes", "reached_over_terrain"} <= set(
        table.columns)
    assert table.loc["Desa D", "terrain_walk_minutes"] == pytest.approx(300.0)
    assert "terrain" in table.loc["Desa D", "route_modes"]
    assert bool(table.loc["Desa D", "reached_over_terrain"])
    with rasterio.open(out / "travel_time_terrain.tif") as r:
        grid = r.read(1)
        assert r.crs.to_epsg() == 32650 and grid.shape == (13, 145)
        assert grid[10, 82] == pytest.approx(360.0)           # D's cell (41 km, 1 km)
    fresh = planner.run(planner.load_scenario(tiny_scenario), use_cache=False)
    cached = planner.run(planner.load_scenario(tiny_scenario))   # the CLI stored it
    assert cached.timings.get("cache_load") == 0.0
    pd.testing.assert_frame_equal(cached.table(), fresh.table())
    for f in ("u", "v", "minutes", "length_m", "node_phys", "phys_xy"):
        np.testing.assert_array_equal(getattr(cached.network, f), getattr(fresh.network, f))
    # the reach over terrain: on the map (a layer) and in the GeoPackage, the bands' areas
    # adding up to the cells reached
    import pyogrio

    assert "Reach over terrain" in (out / "map.html").read_text(encoding="utf-8")
    assert "terrain_reach" in pyogrio.list_layers(out / "villages.gpkg")[:, 0]
    areas = terrain.reach_areas(fresh.terrain)
    assert areas["cells"].sum() == int(np.isfinite(fresh.terrain.values).sum())
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
    tiny_scenario.write_text(text)
    add_terrain(tiny_scenario, cols=60)
    assert main(["-q", "run", str(tiny_scenario), "--out", str(tmp_path / "y")]) == 2
    err = capsys.readouterr().err
    assert "does not cover 2 point(s)" in err and "Desa D" in err and "Traceback" not in err


def test_an_office_off_the_network_walks_to_it_over_terrain(tiny_scenario):
    """Without terrain, an office farther than the walking limit from every line stops the
    run; with [terrain] it walks to the lines: from D, C is 20 km on foot (300 min), B the
    boat up the river after it (+ 45 min), A the road after that (+ 15 min); the network
    alone reaches nobody."""
    import geopandas as gpd
    from shapely.geometry import Point

    import planner

    d = tiny_scenario.parent
    gpd.GeoDataFrame({"id": ["S"], "nama": ["Office S"]}, geometry=[Point(541_000, 301_000)],
                     crs="EPSG:32650").to_crs(4326).to_file(d / "service.geojson")
    with pytest.raises(planner.InputError, match="no service point lies within 5 km"):
        planner.run(planner.load_scenario(tiny_scenario), use_cache=False)
    add_terrain(tiny_scenario)
    plan = planner.run(planner.load_scenario(tiny_scenario), use_cache=False)
    t = plan.table().set_index("nama")
    assert not np.isfinite(t["network_minutes"].astype(float)).any()
    assert t.loc["Desa D", "travel_minutes"] == 0.0            # the office is in D
    assert t.loc["Desa C", "travel_minutes"] == pytest.approx(300.0)
    assert t.loc["Desa B", "travel_minutes"] == pytest.approx(345.0)
    assert t.loc["Desa A", "travel_minutes"] == pytest.approx(360.0)
    assert t.loc["Desa A", "route_modes"] == "terrain>river>road"
    assert t["reached_over_terrain"].all()


def test_bundled_terrain_is_reproducible_and_only_adds_ways(tmp_path):
    """tools/make_kaltara_terrain.py gives the bundled rasters byte for byte; with them every
    Kaltara village is reached, never later than over the lines alone (network_minutes),
    often sooner."""
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
    over_land = t["travel_minutes"].astype(float).to_numpy()
    network = t["network_minutes"].astype(float).to_numpy()
    assert np.isfinite(over_land).all()
    ok = np.isfinite(network)
    assert (over_land[ok] <= network[ok] + 1e-6).all()
    assert (over_land[ok] < network[ok] - 1).sum() > 50     # walking across saves time often
    walked = int((t["terrain_walk_minutes"] > 0).sum())
    assert walked > 50
    # labelled illustrative on the map, in the summary and in the raster; the summary's
    # figures are the table's
    import rasterio

    paths = plan.write(tmp_path / "out")
    note = "land cover and elevation are generated demo layers"
    page = paths["map"].read_text(encoding="utf-8")
    assert note in page and "times on the planner's network and across the land" in page
    summary = paths["summary_md"].read_text(encoding="utf-8")
    assert note in summary
    assert f"Walking over terrain: {walked:,} village(s)' fastest routes" in summary
    with rasterio.open(paths["terrain_tif"]) as r:
        assert note in r.tags()["note"]


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


def test_catchments_split_the_land_by_the_nearest_service(tiny_scenario, tmp_path):
    """Catchments over the land: with the office alone, every cell within 24 h of it, the
    minutes equal to the travel-time raster towards it (terrain.cell_minutes, reverse);
    with a new stop too, each cell goes to the service whose own raster is least (each
    computed alone here; a tie to either), the catchments' cells add up to the cells
    within 24 h of either, and the areas are the cells'. planner sites writes them
    (terrain_catchments) and the raster towards the nearest office or stop."""
    import pyogrio
    import rasterio

    import planner
    from planner.cli import main

    add_terrain(tiny_scenario)
    plan = planner.run(planner.load_scenario(tiny_scenario), use_cache=False)
    net = plan.network
    grid, areas = plan.terrain_catchments()
    office = terrain.cell_minutes(net, net.destination("service"), reverse=True).values
    np.testing.assert_allclose(grid.values, office)
    assert areas["code"].tolist() == ["S"] and areas["kind"].tolist() == ["office"]
    assert areas["cells"].iloc[0] == int((office <= 1440).sum())
    choice = plan.choose_sites(k=1)
    stop = choice.sites.loc[choice.sites["rank"] == 1, "site_code"].iloc[0]
    grid, areas = plan.terrain_catchments(choice)
    assert areas["code"].tolist() == ["S", stop]
    at_stop = terrain.cell_minutes(
        net, net.destination("village")[[list(net.points["village"].refs).index(stop)]],
        reverse=True).values
    np.testing.assert_allclose(grid.values, np.minimum(office, at_stop))
    within = np.minimum(office, at_stop) <= 1440
    assert areas["cells"].sum() == int(within.sum())
    mine, tied = within & (at_stop < office), within & (at_stop == office)
    assert mine.sum() <= areas["cells"].iloc[1] <= mine.sum() + tied.sum()  # ties: either
    np.testing.assert_allclose(areas["area_km2"], areas["cells"] * 0.25)
    np.testing.assert_allclose(areas.geometry.area / 1e6, areas["area_km2"])
    out = tmp_path / "out"
    assert main(["-q", "sites", str(tiny_scenario), "--k", "1", "--out", str(out)]) == 0
    assert "terrain_catchments" in pyogrio.list_layers(out / "villages.gpkg")[:, 0]
    with rasterio.open(out / "travel_time_to_stops_terrain.tif") as r:
        assert "nearest office or new stop" in r.tags(1)["units"]
    assert "Catchments over terrain" in (out / "map.html").read_text(encoding="utf-8")


def test_a_river_on_the_land_is_crossed_only_by_a_line_over_it(tiny_scenario):
    """A barrier row (a river, 500 m wide at y = 3 km, the whole width) cuts F (11, 5) off
    the road; a bridge (a short road from (8, 2.5) to (8, 3.5)) crosses it. By hand: the
    road to (8, 1) 10.5 min, 1.5 km north on foot 22.5, the bridge 1.5, then to F 3 km east
    and 1.5 km north (3 diagonal and 3 straight steps of 500 m: 54.3) = 88.8 min; F does not
    walk straight across the river to the bridge (as it would without terrain). Without
    the bridge, nothing reaches F, and the reason says why."""
    import geopandas as gpd
    import rasterio
    from rasterio.transform import from_origin
    from shapely.geometry import LineString

    import planner

    d = tiny_scenario.parent
    with rasterio.open(d / "river.tif", "w", driver="GTiff", height=13, width=145, count=1,
                       dtype="uint8", crs="EPSG:32650",
                       transform=from_origin(499_750.0, 306_250.0, 500.0, 500.0)) as dst:
        water = np.zeros((13, 145), np.uint8)
        water[6, :] = 1                                        # centres at y = 3 km
        dst.write(water, 1)
    add_terrain(tiny_scenario, extra='barriers = "river.tif"\n')
    plan = planner.run(planner.load_scenario(tiny_scenario), use_cache=False)
    v = plan.villages.set_index("nama")
    assert not np.isfinite(v.loc["Desa F", "travel_minutes"])
    assert "impassable cells, barriers" in v.loc["Desa F", "unreachable_reason"]
    lines = gpd.read_file(d / "network.gpkg")
    bridge = gpd.GeoDataFrame({"mode": ["road"], "speed_kmh": [None], "wait_minutes": [None]},
                              geometry=[LineString([(508_000, 302_500), (508_000, 303_500)])],
                              crs=lines.crs)
    gpd.pd.concat([lines, bridge], ignore_index=True).to_file(d / "network.gpkg",
                                                               driver="GPKG")
    plan = planner.run(planner.load_scenario(tiny_scenario), use_cache=False)
    v = plan.villages.set_index("nama")
    by_hand = 10.5 + 22.5 + 1.5 + 3 * 500 * math.sqrt(2) / 1000 / 4 * 60 + 22.5
    assert v.loc["Desa F", "travel_minutes"] == pytest.approx(by_hand, abs=1e-3)
    assert v.loc["Desa F", "route_modes"] == "road>terrain>road>terrain"
    assert np.isfinite(v.loc["Desa F", "network_minutes"])    # straight across, no terrain
