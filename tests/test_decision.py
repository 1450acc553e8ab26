"""One decision (planner/decide/decision.py): stops and trips chosen together at the cost the
office pays, against every area's target, on a study area worked out by hand.

Layout (EPSG:32650 km from X0, Y0; villages are 2 km squares):

    A (1, 1)    the office S sits on it; kabupaten 99.01; gap 0
    P (31, 1)   kabupaten 99.01; road S-P 30 km at 40 km/h = 45 min, Rp 150,000/km:
                Rp 4.5 M each way; a lone trip returns the same day: Rp 9.0 M
    Q (1, 31)   kabupaten 99.02; river S-Q 30 km at 3 km/h = 10 h, Rp 10,000/km: Rp 0.3 M
                each way; a river boat travels only 07:00-17:00, so a lone trip takes 3
                days (arrive 17:00, serve next morning, 8 h 40 min of the way back, the rest
                the morning after): 2 nights at Rp 5 M -> Rp 10.6 M

Each of P and Q has 20 people without e-KTP and covers only itself (cover time 30 min).
The province (1,200 eligible, 1,160 recorded) at 98% needs ceil(1,176) - 1,160 = 16 people:
one stop, P or Q. By round trip Q is cheaper (Rp 0.6 M against Rp 9.0 M); by the trips the
office pays P is (Rp 9.0 M against Rp 10.6 M).
Kabupaten 99.02 (Q only: 100 eligible, 80 recorded) at 98% needs 18: only Q serves it;
kabupaten 99.01 (1,100 eligible, 1,080 recorded) already has 98.2%.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

import planner
from planner.cli import main
from planner.decide import decision

X0, Y0 = 500_000.0, 300_000.0
CRS = "EPSG:32650"
CODES = {"A": "99.01.01.2001", "P": "99.01.01.2002", "Q": "99.02.01.2001"}
CENTRES = {"A": (1, 1), "P": (31, 1), "Q": (1, 31)}


def km(x: float, y: float) -> tuple[float, float]:
    return X0 + x * 1000, Y0 + y * 1000


def write_area(folder: Path, *, kabupaten_target: bool = False, minimise: str = "sites",
               trips: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    gpd.GeoDataFrame({"kode": list(CODES.values()), "nama": [f"Desa {k}" for k in CODES]},
                     geometry=[box(*km(x - 1, y - 1), *km(x + 1, y + 1))
                               for x, y in CENTRES.values()], crs=CRS
                     ).to_crs(4326).to_file(folder / "villages.geojson")
    gpd.GeoDataFrame({"kode": ["99.01", "99.02"], "nama": ["Kab Satu", "Kab Dua"]},
                     geometry=[box(*km(-1, -1), *km(40, 10)), box(*km(-1, 20), *km(10, 40))],
                     crs=CRS).to_crs(4326).to_file(folder / "kabupaten.geojson")
    gpd.GeoDataFrame({"id": ["S"], "nama": ["Office S"]}, geometry=[Point(km(1, 1))],
                     crs=CRS).to_crs(4326).to_file(folder / "service.geojson")
    gpd.GeoDataFrame({"mode": ["road", "river"], "speed_kmh": [40.0, 3.0]},
                     geometry=[LineString([km(1, 1), km(31, 1)]),
                               LineString([km(1, 1), km(1, 31)])], crs=CRS
                     ).to_file(folder / "network.gpkg", driver="GPKG")
    (folder / "estimates.csv").write_text(textwrap.dedent(f"""\
        kode,eligible,recorded
        {CODES['A']},1000,1000
        {CODES['P']},100,80
        {CODES['Q']},100,80
        """), encoding="utf-8")
    extra = textwrap.dedent("""\
        [[targets]]
        indicator = "ktp"
        share = 0.98
        level = "kabupaten"
        """) if kabupaten_target else ""
    scenario = folder / "area.toml"
    scenario.write_text(textwrap.dedent(f"""\
        name = "decision"
        [villages]
        path = "villages.geojson"
        [[admin]]
        level = "kabupaten"
        path = "kabupaten.geojson"
        prefix_digits = 4
        [estimates]
        path = "estimates.csv"
        [[indicators]]
        key = "ktp"
        label = "e-KTP"
        eligible = "eligible"
        served = "recorded"
        served_suffix = "recorded"
        target = 0.98
        [service_points]
        path = "service.geojson"
        [network]
        path = "network.gpkg"
        [network.rupiah_per_km]
        road = 150000
        river = 10000
        [access]
        walk_kmh = 4
        detour = 1.0
        max_km = 2
        [sites]
        model = "target"
        cover_minutes = 30
        minimise = "{minimise}"
        [trips]
        start = "2024-11-04"
        max_days = 5
        workday = ["07:00", "17:00"]
        after_dark = ["road"]
        serve_minutes = 5
        setup_minutes = 30
        people_per_day = 100
        night_rupiah = 5000000
        {trips}
        """) + extra, encoding="utf-8")
    return scenario


def stops_of(d: decision.Decision) -> list[str]:
    return d.choice.sites.loc[d.choice.sites["rank"] > 0, "site_name"].tolist()


@pytest.fixture
def area(tmp_path):
    return planner.run(planner.load_scenario(write_area(tmp_path / "a", minimise="cost")),
                       use_cache=False)


def test_round_trip_cost_is_not_what_the_office_pays(area):
    # the site choice by round-trip cost takes Q (Rp 0.6 M); its trip costs Rp 10.6 M
    choice = area.choose_sites()
    assert choice.sites.loc[choice.sites["rank"] > 0, "site_name"].tolist() == ["Desa Q"]
    first = area.decide(joint=False)
    assert stops_of(first) == ["Desa Q"]
    assert first.cost() == pytest.approx({"travel": 600_000, "nights": 10_000_000,
                                          "days": 0, "stops": 0, "total": 10_600_000})
    # together: P, whose trip returns the same day (Rp 9.0 M), proven on every stop set
    d = area.decide()
    assert stops_of(d) == ["Desa P"]
    assert d.cost()["total"] == pytest.approx(9_000_000)
    assert d.cost()["nights"] == 0
    assert d.proven and d.met and d.headline() == "target met"
    # every stop set meeting the target was routed: {P}, {Q}, {P, Q}
    sets = d.tried[d.tried["how"] == "every stop set"]
    assert sorted(sets["cost"].round()) == [9_000_000, 10_600_000, 19_600_000]
    assert d.tried["kept"].sum() == 1


def test_a_kabupaten_target_forces_a_stop_the_province_does_not(tmp_path):
    plan = planner.run(planner.load_scenario(write_area(tmp_path / "k",
                                                         kabupaten_target=True)),
                       use_cache=False)
    d = plan.decide()
    assert stops_of(d) == ["Desa Q"]  # Q alone meets the province (16) and Kab Dua (18)
    t = d.targets.set_index("area")
    assert t.loc["Kab Dua", "needed"] == 18 and t.loc["Kab Dua", "reached"] == 20
    assert t.loc["Kab Satu", "needed"] == 0 and t.loc["all", "needed"] == 16
    assert t["met"].all()
    assert d.cost()["total"] == pytest.approx(10_600_000)


def test_a_days_limit_forces_another_stop(tmp_path):
    # at most 2 days: no trip serves Q; sites first (least round trip) proposes Q, which is
    # replaced by P before the plan gives up
    plan = planner.run(planner.load_scenario(write_area(tmp_path / "d", minimise="cost",
                                                         trips="")), use_cache=False)
    d = plan.decide(joint=False, days=2)
    assert stops_of(d) == ["Desa P"] and d.met
    first = d.tried.iloc[0]
    assert first["how"] == "choose sites, then route" and not first["met"]


def test_no_plan_meets_the_targets_exit_3_names_the_area(tmp_path, capsys):
    scenario = write_area(tmp_path / "n", kabupaten_target=True)
    plan = planner.run(planner.load_scenario(scenario), use_cache=False)
    d = plan.decide(days=2)
    assert not d.met
    assert d.headline() == "not met: 18 people short in Kab Dua (e-KTP 98%)"
    # people count only when a trip serves them: nothing reaches Kab Dua
    assert d.targets.set_index("area").loc["Kab Dua", "reached"] == 0
    out = tmp_path / "out"
    assert main(["-q", "plan", str(scenario), "--days", "2", "--out", str(out)]) == 3
    printed = capsys.readouterr().out
    assert "not met: 18 people short in Kab Dua" in printed
    saved = json.loads((out / "decision.json").read_text())
    assert saved["met"] is False and saved["headline"] == d.headline()
    summary = (out / "summary.md").read_text()
    assert "not met: 18 people short in Kab Dua" in summary


def test_a_total_budget_no_trip_fits(tmp_path):
    scenario = write_area(tmp_path / "b")
    plan = planner.run(planner.load_scenario(scenario), use_cache=False)
    d = plan.decide(budget=5_000_000)
    assert not d.met and "16 people short in the study area" in d.headline()


def test_every_page_agrees_with_decision_json(tmp_path):
    scenario = write_area(tmp_path / "e", kabupaten_target=True)
    out = tmp_path / "out"
    assert main(["-q", "plan", str(scenario), "--out", str(out)]) == 0
    saved = json.loads((out / "decision.json").read_text())
    trips = pd.read_csv(out / "trips_summary.csv")
    acts = pd.read_csv(out / "trips.csv")
    sites = pd.read_csv(out / "sites.csv", dtype={"site_code": str})
    assert saved["totals"]["cost"]["total"] == pytest.approx(trips["cost"].sum())
    assert saved["totals"]["cost"]["total"] == pytest.approx(acts["cost"].sum())
    assert saved["totals"]["cost"]["nights"] == pytest.approx(trips["night_cost"].sum())
    assert [s["code"] for s in saved["stops"]] == \
        sites.loc[sites["rank"] > 0, "site_code"].tolist()
    assert saved["totals"]["people"] == sites.loc[sites["rank"] > 0,
                                                  "people_newly_covered"].sum()
    summary = (out / "summary.md").read_text()
    assert "every target met" in summary
    assert "Rp 10.6 M" in summary


def test_the_joint_bound_by_hand(tmp_path, area):
    """The dearest stop a decision must serve, there and back at the least: P's road trip
    (Rp 9.0 M, same day) for the province; Q's river trip (Rp 0.6 M and 2 nights: 10 h of
    daylight travel each way and 130 min of service are 1,330 workday minutes, 3 days) when
    Kab Dua needs Q."""
    from planner.decide import sites

    spec = area.scenario.trips
    assert decision.joint_bound(area, sites.choose_sites(area), spec) == pytest.approx(9e6)
    kab = planner.run(planner.load_scenario(write_area(tmp_path / "k2",
                                                        kabupaten_target=True)),
                      use_cache=False)
    assert decision.joint_bound(kab, sites.choose_sites(kab), spec) == pytest.approx(10.6e6)


def test_lone_trip_bounds_never_exceed_the_exact_lone_trip(kaltara_plan):
    """The bound on any trip serving a stop is at most the exact clock's cheapest lone trip
    to it (from any office, any weekday), for every Kaltara candidate that could help."""
    from planner.decide import sites, trips

    base = sites.choose_sites(kaltara_plan)
    useful = decision._useful(kaltara_plan, base)[::7]
    st = decision._alone(kaltara_plan, base, useful)
    spec = kaltara_plan.scenario.trips
    exact = trips.lone_trip_costs(kaltara_plan.network, st, spec)
    bound = trips.lone_trip_bounds(kaltara_plan.network, st, spec)
    finite = np.isfinite(exact)
    assert finite.sum() > 40
    assert (bound[finite] <= exact[finite] + 1e-6).all()
    assert (bound[finite] > 0).all()


def test_bundled_plan_every_page_agrees_with_decision_json(tmp_path):
    """planner plan on Kaltara: every figure the pages show comes from decision.json, the
    joint decision is never worse than choosing sites first, and its bound is below it."""
    out = tmp_path / "plan"
    assert main(["-q", "plan", "--out", str(out)]) == 0
    d = json.loads((out / "decision.json").read_text())
    trips = pd.read_csv(out / "trips_summary.csv")
    acts = pd.read_csv(out / "trips.csv")
    sites = pd.read_csv(out / "sites.csv", dtype={"site_code": str})
    cov = pd.read_csv(out / "coverage.csv")
    total = d["totals"]["cost"]
    assert total["total"] == pytest.approx(trips["cost"].sum())
    assert total["total"] == pytest.approx(acts["cost"].sum())
    assert total["total"] == pytest.approx(total["travel"] + total["nights"] + total["days"])
    assert d["totals"]["trips"] == len(trips)
    stops = sites[sites["rank"] > 0]
    assert [s["code"] for s in d["stops"]] == stops["site_code"].tolist()
    served = acts[acts["activity"] == "serve"].groupby("stop")["people"].sum()
    assert served.sum() == d["totals"]["people"] == stops["people_newly_covered"].sum()
    prov = cov[(cov["indicator"] == "ktp") & (cov["level"] == "province")].iloc[0]
    target = d["targets"][0]
    assert target["reached"] == prov["covered_by_offices"] + prov["reached_by_new_sites"]
    assert target["coverage_after"] == pytest.approx(prov["coverage_after"])
    assert d["offices"]["people"] == prov["covered_by_offices"]
    summary = (out / "summary.md").read_text()
    from planner.text import rupiah_text

    assert f"**{rupiah_text(total['total'], short=True)}** for {len(trips)} trip(s)" in summary
    assert d["headline"] == "target met" and "**target met**" in summary
    for r in trips.itertuples():  # each trip sheet states its trip's cost
        sheet = (out / "sheets" / f"trip_{r.trip:03d}.html").read_text()
        assert f"Rp {r.cost:,.0f}" in sheet
    first = [t for t in d["tried"] if t["how"] == "choose sites, then route"]
    assert first and min(t["objective"] for t in first if t["met"]) >= d["objective"] - 1e-6
    assert 0 < d["bound"] <= d["objective"] and d["proven_optimal"] is False


def test_after_dark_modes_must_be_the_networks(area):
    """[trips] after_dark naming a mode the network does not have (a typo) is refused,
    naming the network's modes, for the trips and the decision alike."""
    for call in (area.plan_trips, area.decide):
        with pytest.raises(planner.InputError, match=r"after_dark.*unknown mode\(s\) 'bost'; "
                                                     r"the network's modes are river, road"):
            call(after_dark=("road", "bost"))


def test_log_paths_that_are_folders_or_loops_are_named(tmp_path, capsys):
    scenario = write_area(tmp_path / "l")
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    code = main(["-q", "progress", str(tmp_path / "a"), str(tmp_path), "--scenario",
                 str(scenario), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "a loop of symbolic links" in err and "a folder; expected a log file" in err


def test_stops_given_are_served_as_they_are(tmp_path, capsys):
    """`planner plan --stops FILE`: the stops given, not another set. P alone (Rp 9.0 M)
    meets the province but not Kab Dua (18 short, exit 3); a code that is no candidate
    stops the run at once, naming the file, row and code (exit 2)."""
    scenario = write_area(tmp_path / "g", kabupaten_target=True)
    plan = planner.run(planner.load_scenario(scenario), use_cache=False)
    p_code = plan.villages.set_index("nama").loc["Desa P", "kode"]
    stops = tmp_path / "stops.csv"
    stops.write_text(f"code,name\n{p_code},Desa P\n", encoding="utf-8")
    d = plan.decide(stops=[p_code])
    assert stops_of(d) == ["Desa P"] and d.method == "the stops given, then trips"
    assert d.headline() == "not met: 18 people short in Kab Dua (e-KTP 98%)"
    assert d.cost()["total"] == pytest.approx(9_000_000)
    out = tmp_path / "out"
    assert main(["-q", "plan", str(scenario), "--stops", str(stops), "--out", str(out)]) == 3
    saved = json.loads((out / "decision.json").read_text())
    assert [s["name"] for s in saved["stops"]] == ["Desa P"]
    bad = tmp_path / "bad.csv"
    bad.write_text(f"code\n{p_code}\nNOPE\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["-q", "plan", str(scenario), "--stops", str(bad), "--out",
                 str(tmp_path / "o2")]) == 2
    err = capsys.readouterr().err
    assert "bad.csv" in err and "row 3" in err and "'NOPE' is not a candidate" in err
    assert "Traceback" not in err
