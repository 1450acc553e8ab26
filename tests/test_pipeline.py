"""End to end on the tiny study area: travel times and ranks worked out by hand."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import planner


@pytest.fixture
def plan(tiny_scenario):
    return planner.run(planner.load_scenario(tiny_scenario))


def by_name(plan):
    return plan.villages.set_index("nama")


def test_travel_times_by_hand(plan):
    v = by_name(plan)
    # A: the office is on A's centre -> 0 min.
    assert v.loc["Desa A", "travel_minutes"] == pytest.approx(0.0, abs=1e-9)
    # B: road 10 km at 40 km/h = 15 min.
    assert v.loc["Desa B", "travel_minutes"] == pytest.approx(15.0, abs=1e-6)
    # C: 15 + river 10 km at 20 km/h (30 min) + 15 min wait = 60 min.
    assert v.loc["Desa C", "travel_minutes"] == pytest.approx(60.0, abs=1e-6)
    # F: 15 + walk 4 km x 1.3 = 5.2 km at 4 km/h = 78 min -> 93 min.
    assert v.loc["Desa F", "travel_minutes"] == pytest.approx(93.0, abs=1e-6)
    assert v.loc["Desa F", "access_m"] == pytest.approx(5200.0, abs=0.1)
    assert v.loc["Desa F", "route_modes"] == "road>foot"
    assert v.loc["Desa C", "route_modes"] == "road>river"
    assert list(v.loc[["Desa A", "Desa B", "Desa C", "Desa F"], "reach_band"]) == [
        "<=1h", "<=1h", "<=1h", "1-3h"]


def test_unreachable_with_reasons(plan):
    v = by_name(plan)
    assert v.loc["Desa D", "reach_band"] == "unreachable"
    assert "walking limit" in v.loc["Desa D", "unreachable_reason"]
    assert v.loc["Desa E", "reach_band"] == "unreachable"
    assert "no path from any service point" in v.loc["Desa E", "unreachable_reason"]
    assert not math.isfinite(v.loc["Desa E", "travel_minutes"])


def test_blank_spot_share_metric(plan):
    v = by_name(plan)
    # blank polygon covers x 21..22 km of C's square 20..22 km -> half; D fully covered.
    assert v.loc["Desa C", "blank_spot_share"] == pytest.approx(0.5, abs=1e-6)
    assert v.loc["Desa D", "blank_spot_share"] == pytest.approx(1.0, abs=1e-6)
    assert v.loc["Desa A", "blank_spot_share"] == 0.0


def test_scores_and_ranks_by_hand(plan):
    v = by_name(plan)
    # weighted gaps: A 10, B 50, C 30, D 0, E none (0), F 20; max 50.
    # remoteness = ln(1+min)/ln(10081): B ln16/ln10081 = 0.300766, C ln61/.. = 0.445941,
    # F ln94/.. = 0.492849; D, E unreachable = 1; A 0.
    # score = .6 gap + .25 remoteness + .15 blank:
    expected = {
        "Desa A": 0.6 * 0.2,
        "Desa B": 0.6 * 1.0 + 0.25 * math.log(16) / math.log(10081),
        "Desa C": 0.6 * 0.6 + 0.25 * math.log(61) / math.log(10081) + 0.15 * 0.5,
        "Desa D": 0.25 + 0.15,
        "Desa E": 0.25,
        "Desa F": 0.6 * 0.4 + 0.25 * math.log(94) / math.log(10081),
    }
    for name, score in expected.items():
        assert v.loc[name, "priority_score"] == pytest.approx(score, abs=2e-6), name
    order = list(plan.villages.sort_values("priority_rank")["nama"])
    assert order == ["Desa B", "Desa C", "Desa D", "Desa F", "Desa E", "Desa A"]
    parts = v[["score_gap", "score_remoteness", "score_blank_spot"]].sum(axis=1)
    assert np.allclose(parts, v["priority_score"], atol=3e-6)


def test_nothing_lost_and_totals_conserved(plan):
    v = plan.villages
    assert len(v) == 6 and v["kode"].is_unique
    # input gap: 10 + 50 + 30 + 0 + 20 + 5 (unmatched row) = 115
    join = plan.report["join"]
    assert [r["kode_input"] for r in join["unmatched_estimate_rows"]] == ["99.01.01.2099"]
    assert join["villages_without_estimate"] == ["99.01.01.2005"]
    t = plan.report["totals"]["ktp"]
    assert t["gap"] + t["unmatched_gap"] == 115
    assert t["eligible"] == 100 + 200 + 50 + 40 + 80


def test_outputs_written_and_deterministic(plan, tmp_path):
    """Two runs of the same inputs give byte-identical files (run.json aside: it records
    timings)."""
    p1 = plan.write(tmp_path / "a")
    again = planner.run(planner.load_scenario(plan.scenario.source))
    p2 = again.write(tmp_path / "b")
    assert set(p1) == set(p2)
    for key in p1:
        if key != "run":
            assert p1[key].read_bytes() == p2[key].read_bytes(), key
    table = pd.read_csv(p1["csv"], dtype={"kode": str})
    assert list(table["priority_rank"]) == [1, 2, 3, 4, 5, 6]
    run = json.loads(p1["run"].read_text())
    assert set(run["inputs"]) >= {"villages", "network_1", "service_points", "estimates", "signal"}
    assert all(len(x["sha256"]) == 64 for x in run["inputs"].values())
    assert run["report"]["reach_bands"]["unreachable"] == 2


def test_explain(plan):
    text = plan.explain("9901012006")
    assert "Desa F" in text and "93 min" in text and "road>foot" in text
    with pytest.raises(planner.InputError):
        plan.explain("nope")


def test_travel_table_and_reach_areas(plan):
    t = plan.travel_table(cutoff=60.0)
    by = dict(zip(t["kode"], t["minutes"], strict=True))
    # A 0, B 15, C 60 (within the cut-off); F 93 is beyond it; D, E unreachable
    assert by == pytest.approx({"99.01.01.2001": 0.0, "99.01.01.2002": 15.0,
                                "99.01.01.2003": 60.0})
    assert set(plan.travel_table()["kode"]) == {"99.01.01.2001", "99.01.01.2002",
                                                "99.01.01.2003", "99.01.01.2006"}
    areas = plan.reach_band_areas()
    assert areas["reach_band"].tolist() == ["<=1h", "1-3h", "unreachable"]
    assert areas["villages"].tolist() == [3, 1, 2]
    assert areas.area.sum() == pytest.approx(plan.villages.area.sum())


def test_route_legs_by_hand(plan):
    legs, line = plan.route("99.01.01.2006")
    # office S at A: road A-B 15 min, then walk 5.2 km to F 78 min
    assert legs["mode"].tolist() == ["road", "foot"]
    assert legs["minutes"].tolist() == pytest.approx([15.0, 78.0])
    assert legs["to"].iloc[-1] == "Desa F (99.01.01.2006)"
    assert line is not None and line.length > 0
    legs_d, line_d = plan.route("99.01.01.2004")
    assert legs_d.empty and line_d is None


def test_short_repr(tiny_scenario):
    plan = planner.run(planner.load_scenario(tiny_scenario))
    assert len(repr(plan)) < 200 and "villages=6" in repr(plan)
    assert "<table>" in plan._repr_html_()
    choice = plan.choose_sites(k=1)
    assert len(repr(choice)) < 200 and "new_sites=1" in repr(choice)


def test_site_choice_is_a_result_the_plan_is_unchanged(tiny_scenario, tmp_path):
    """choose_sites returns its answer and leaves the plan as it was; write and map use the
    choice they are given, whatever was chosen later."""
    plan = planner.run(planner.load_scenario(tiny_scenario))
    before = repr(plan)
    one = plan.choose_sites(k=1, cover_minutes=30)      # C (30 people)
    other = plan.choose_sites(k=1, model="p_center")    # F (the longest trip)
    assert plan.site_choice is None and repr(plan) == before
    assert list(one.sites["site_code"]) != list(other.sites["site_code"])
    paths = plan.write(tmp_path / "one", sites=one)
    sites = pd.read_csv(paths["sites"], dtype=str)
    assert list(sites["site_code"]) == list(one.sites["site_code"])
    plain = plan.write(tmp_path / "plain")
    assert "sites" not in plain and not (tmp_path / "plain" / "sites.csv").exists()
    html = planner.outputs.render.map_html(plan.map(sites=other))
    assert html.count('"site":"#') == int((other.sites["rank"] > 0).sum())
    code = other.sites.loc[other.sites["rank"] > 0, "site_code"].iloc[0]
    assert f"({code})" in html


def test_site_layers_as_frames(tiny_scenario):
    plan = planner.run(planner.load_scenario(tiny_scenario))
    choice = plan.choose_sites(k=1, cover_minutes=30)
    points, links, routes = plan.site_layers(choice)
    new = choice.sites[choice.sites["rank"] > 0]
    assert list(points["site_code"]) == list(new["site_code"]) and points.crs == plan.villages.crs
    assert len(links) == int(new["villages_served"].sum())
    assert len(routes) == len(new)


def test_unreachable_reason_one_way_inside_a_part_with_an_office(tmp_path):
    """A one-way link (a boat downstream) from B to the office S, and the river B-C: B (and
    C, F behind it) cannot be reached from S although they share its part of the network;
    E's part has no office. A one-way road, by contrast, stops vehicles, not people: drawn
    from B to A, B is reached walking it back (10 km at 4 km/h, 150 min)."""
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import LineString

    from .conftest import CRS, km, write_tiny

    scenario = write_tiny(tmp_path / "tiny")
    lines = gpd.GeoDataFrame(
        {"mode": ["river", "road"], "speed_kmh": [20.0, None], "wait_minutes": [15.0, None]},
        geometry=[LineString([km(11, 1), km(21, 1)]), LineString([km(61, 1), km(71, 1)])],
        crs=CRS)
    lines.to_file(scenario.parent / "network.gpkg", driver="GPKG")
    pd.DataFrame({"from": ["village:99.01.01.2002"], "to": ["service:S"], "mode": ["boat"],
                  "minutes": [30], "oneway": [True]}).to_csv(scenario.parent / "links.csv",
                                                              index=False)
    text = scenario.read_text().replace('path = "network.gpkg"\n',
                                        'path = "network.gpkg"\nlinks = ["links.csv"]\n')
    scenario.write_text(text)
    t = planner.run(planner.load_scenario(scenario), use_cache=False).table().set_index("kode")
    for v in ("2002", "2003", "2006"):
        assert t.loc[f"99.01.01.{v}", "unreachable_reason"].startswith(
            "no route from any service point in the direction of travel"), v
    assert t.loc["99.01.01.2005", "unreachable_reason"].startswith(
        "no path from any service point: its part of the network holds no service point")
    road = gpd.GeoDataFrame({"mode": ["road"], "oneway": [True]},
                            geometry=[LineString([km(11, 1), km(1, 1)])], crs=CRS)
    road.to_file(scenario.parent / "network.gpkg", driver="GPKG")
    scenario.write_text(text.replace('links = ["links.csv"]\n', ""))
    t = planner.run(planner.load_scenario(scenario), use_cache=False).table().set_index("kode")
    b = t.loc["99.01.01.2002"]
    assert b["travel_minutes"] == pytest.approx(150, abs=0.5) and "foot" in b["route_modes"]


def test_commands_do_not_clobber_each_other(tiny_scenario, tmp_path, capsys):
    """`planner sites` into the folder `planner run` wrote exits 2 naming the other command
    (the run's outputs stay whole) and writes into a folder of its own; `planner run`
    labels the highest-priority villages as such (not the stops)."""
    from planner.cli import main
    from planner.inputs import io

    out = tmp_path / "o"
    assert main(["run", str(tiny_scenario), "--out", str(out), "-q"]) == 0
    printed = capsys.readouterr().out
    assert "highest-priority villages (by score, not the stops)" in printed
    assert main(["sites", str(tiny_scenario), "--k", "1", "--out", str(out), "-q"]) == 2
    assert "holds the outputs of `planner run`" in capsys.readouterr().err
    assert io.check_generation(out) == []
    assert main(["sites", str(tiny_scenario), "--k", "1", "--out", str(tmp_path / "s"),
                 "-q"]) == 0
    assert "1 new site(s)" in capsys.readouterr().out


def test_a_network_far_from_the_villages_is_named_not_the_offices(tiny_scenario):
    """A line layer of another area (500 km away): the message names the network's file and
    the distance, not the offices."""
    import geopandas as gpd
    from shapely import affinity

    import planner

    f = tiny_scenario.parent / "network.gpkg"
    lines = gpd.read_file(f)
    lines["geometry"] = lines.geometry.map(lambda g: affinity.translate(g, 500_000, 0))
    lines.to_file(f, driver="GPKG")
    with pytest.raises(planner.InputError, match=r"network.gpkg: the network lies 4\d\d km "
                                                  r"from the study area's villages"):
        planner.run(planner.load_scenario(tiny_scenario), use_cache=False)
