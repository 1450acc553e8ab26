"""Multi-day trips (planner/decide/trips.py) on tiny networks of link tables, with answers worked
out by hand: a twice-weekly flight deciding the day, a boat that cannot run after dark forcing
a night, a budget forcing two trips instead of one; the exact method equals an enumeration
of every assignment and order; every itinerary passes an independent feasibility check."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyproj import CRS

from planner.config import Access, NetworkSpec, TripSpec
from planner.decide import trips
from planner.network import schedule
from planner.network.build import build_network
from planner.network.graph import Points

UTM = CRS.from_epsg(32650)
MONDAY = "2024-11-04"
SPEC = TripSpec(teams=1, max_days=5, workday=(7 * 60, 17 * 60), after_dark=("road",),
                travel_until=21 * 60, serve_minutes=5.0, setup_minutes=30.0,
                people_per_day=100.0, night_rupiah=500_000.0, start=MONDAY)


def network(tmp_path: Path, links: list[dict], villages: list[str], offices: list[str]):
    """Villages and offices 10 km apart on a line (no roads between them): only the link
    table connects them."""
    f = tmp_path / "links.csv"
    pd.DataFrame(links).to_csv(f, index=False)
    vil = Points("village", villages, villages,
                 np.array([[500_000.0 + 10_000 * (i + 1), 330_000.0]
                           for i in range(len(villages))]))
    svc = Points("service", offices, offices,
                 np.array([[500_000.0 - 10_000 * i, 330_000.0] for i in range(len(offices))]))
    return build_network(NetworkSpec(links=(f,)), UTM, {"village": vil, "service": svc},
                         Access(4.0, 1.0, 0.1))


def stops(people: dict[str, float], offices: list[str], villages: list[str],
          blank: tuple[str, ...] = ()) -> trips.Stops:
    st = pd.DataFrame({"code": list(people), "name": list(people),
                       "people": list(people.values()),
                       "blank": [c in blank for c in people],
                       "index": [villages.index(c) for c in people]})
    off = pd.DataFrame({"code": offices, "name": offices, "index": range(len(offices))})
    return trips.Stops(st, off)


def link(a: str, b: str, mode: str, minutes: float, fare: float = 0.0, **kw) -> dict:
    return {"from": a, "to": b, "mode": mode, "minutes": minutes, "fare": fare, **kw}


# --- the independent check ---------------------------------------------------------------

def check_feasible(plan: trips.TripPlan, st: trips.Stops, spec: TripSpec,
                   hop_minutes: dict[tuple[str, str], float],
                   scheduled_modes: tuple[str, ...] = ()) -> None:
    """Every itinerary obeys the rules, from trips.csv alone: activities follow each other
    in time and place; travel of a mode not allowed after dark lies within the workday
    (scheduled services leave when they leave); serving lies within the workday and at most
    people_per_day a day; each stop is served once, wholly, by one trip; the minutes moving
    between two stops equal the network's (given per hop); a trip's cost adds up."""
    a = plan.activities
    ws, we = spec.workday

    def minute(text: str) -> float:
        t = dt.datetime.strptime(text, "%Y-%m-%d %H:%M")
        return (t - dt.datetime.fromisoformat(spec.start)).total_seconds() / 60

    for trip, rows in a.groupby("trip"):
        rows = rows.sort_values("sequence")
        starts = rows["start"].map(minute).to_numpy()
        ends = rows["end"].map(minute).to_numpy()
        assert (ends >= starts - 0.5).all() and (starts[1:] >= ends[:-1] - 0.5).all()
        for r, s, e in zip(rows.itertuples(), starts, ends, strict=True):
            day = math.floor(s / 1440) * 1440
            if r.activity in ("serve", "set up") or (
                    r.activity == "travel" and r.mode not in spec.after_dark
                    and r.mode not in scheduled_modes):
                assert s >= day + ws - 0.5 and e <= day + we + 0.5, r
            if r.activity == "travel" and r.mode in spec.after_dark:
                assert e <= day + spec.travel_until + 0.5, r
        served_day = rows[rows["activity"] == "serve"].groupby("date")["people"].sum()
        assert (served_day <= spec.people_per_day + 1e-6).all()
        # moving minutes between consecutive places of the trip equal the network's
        moving = rows[rows["activity"].isin(["travel"])]
        place_order = [r.to for r in rows.itertuples() if r.activity == "set up"]
        summary = plan.trips.set_index("trip").loc[trip]
        office = summary["office"]
        hops = list(itertools.pairwise([office, *place_order, office]))
        assert moving["minutes"].sum() == pytest.approx(
            sum(hop_minutes[h] for h in hops), abs=0.01)
        nights = summary["days"] - 1
        assert summary["nights"] == nights
        # every night away has its row, at its price, and the rows add up to the trip
        night_rows = rows[rows["activity"] == "overnight"]
        assert len(night_rows) == nights
        assert (night_rows["cost"] == spec.night_rupiah).all()
        assert rows["cost"].sum() == pytest.approx(summary["cost"])
        assert rows.loc[rows["activity"] == "travel", "cost"].sum() == pytest.approx(
            summary["travel_cost"])
    served = a[a["activity"] == "serve"].groupby("stop")["people"].sum()
    wanted = st.stops.set_index("code")["people"]
    done = [c for c in wanted.index if c not in set(plan.unreached["code"])]
    assert served.reindex(done).to_numpy() == pytest.approx(wanted[done].to_numpy())
    per_trip = a[a["activity"] == "set up"].groupby("stop")["trip"].nunique()
    assert (per_trip == 1).all() and sorted(per_trip.index) == sorted(done)


# --- known answers -------------------------------------------------------------------------

def test_a_twice_weekly_flight_decides_the_day(tmp_path):
    """A flight S <-> A on Tuesdays and Fridays at 08:30 (60 min, Rp 1 M each way); 60
    people at A (30 min set-up + 60 x 5 min = 5 h 30). Leaving Monday 4 Nov 2024: the team
    flies Tuesday 08:30-09:30, serves 09:30-15:00, waits for Friday's 08:30 flight, lands
    09:30: Tuesday to Friday, 4 days, 3 nights, Rp 2 M + 3 x 0.5 M = Rp 3.5 M. Leaving
    Wednesday: Friday out, Tuesday back: 5 days."""
    net = network(tmp_path, [link("service:S", "village:A", "air", 60, 1_000_000,
                                  days="Tue,Fri", depart="08:30")], ["A"], ["S"])
    st = stops({"A": 60}, ["S"], ["A"])
    plan = trips.plan_trips(net, st, SPEC)
    t = plan.trips.iloc[0]
    assert (t["leaves"], t["returns"], t["days"], t["nights"]) == (
        "2024-11-05", "2024-11-08", 4, 3)
    assert t["cost"] == pytest.approx(3_500_000) and plan.method == "exact"
    a = plan.activities
    flights = a[a["activity"] == "travel"][["start", "end"]].to_numpy().tolist()
    assert flights == [["2024-11-05 08:30", "2024-11-05 09:30"],
                       ["2024-11-08 08:30", "2024-11-08 09:30"]]
    serve = a[a["activity"] == "serve"]
    assert serve["end"].tolist() == ["2024-11-05 15:00"]
    assert "Tue,Fri 08:30" in a[a["activity"] == "wait"]["note"].iloc[0]
    check_feasible(plan, st, SPEC, {("S", "A"): 60, ("A", "S"): 60}, ("air",))
    later = trips.plan_trips(net, st, SPEC, start="2024-11-06")
    t = later.trips.iloc[0]
    assert (t["leaves"], t["returns"], t["days"]) == ("2024-11-08", "2024-11-12", 5)


def test_a_boat_that_cannot_run_after_dark_forces_a_night(tmp_path):
    """Road S - A 2 h, river A - B 4 h; 12 people at B (30 + 60 min). Monday: road
    07:00-09:00, river 09:00-13:00, serve 13:00-14:30; back on the river 14:30-17:00 (2 h 30),
    a night on the way, 07:00-08:30, road 08:30-10:30 Tuesday: 2 days, 1 night. When boats
    may run until 21:00: river 14:30-18:30, road 18:30-20:30, home the same day."""
    net = network(tmp_path, [link("service:S", "village:A", "road", 120),
                             link("village:A", "village:B", "river", 240)], ["A", "B"], ["S"])
    st = stops({"B": 12}, ["S"], ["A", "B"])
    plan = trips.plan_trips(net, st, SPEC)
    t = plan.trips.iloc[0]
    assert (t["days"], t["nights"], t["returns"]) == (2, 1, "2024-11-05")
    a = plan.activities
    assert a["end"].iloc[-1] == "2024-11-05 10:30"
    night = a[a["activity"] == "overnight"].iloc[0]
    assert night["from"] == "on the way B - A"
    assert (night["start"], night["end"]) == ("2024-11-04 17:00", "2024-11-05 07:00")
    check_feasible(plan, st, SPEC, {("S", "B"): 360, ("B", "S"): 360})
    boats_at_night = replace(SPEC, after_dark=("road", "river"))
    plan = trips.plan_trips(net, st, boats_at_night)
    t = plan.trips.iloc[0]
    assert (t["days"], t["nights"]) == (1, 0)
    assert plan.activities["end"].iloc[-1] == "2024-11-04 20:30"
    check_feasible(plan, st, boats_at_night, {("S", "B"): 360, ("B", "S"): 360})


def star(tmp_path):
    """S - A and S - B 60 min by road (Rp 1 M each way), A - B 90 min (Rp 1.2 M); 60
    people at A and at B (5 h 30 each)."""
    net = network(tmp_path, [link("service:S", "village:A", "road", 60, 1_000_000),
                             link("service:S", "village:B", "road", 60, 1_000_000),
                             link("village:A", "village:B", "road", 90, 1_200_000)],
                  ["A", "B"], ["S"])
    return net, stops({"A": 60, "B": 60}, ["S"], ["A", "B"])


HOPS = {("S", "A"): 60, ("A", "S"): 60, ("S", "B"): 60, ("B", "S"): 60, ("A", "B"): 90,
        ("B", "A"): 90}


def test_a_trip_budget_forces_two_trips_instead_of_one(tmp_path):
    """One trip S-A-B-S: road 07:00-08:00, A 08:00-13:30, road 13:30-15:00, B set up
    15:00-15:30 and 18 people by 17:00, the other 42 Tuesday 07:00-10:30, home 11:30:
    Rp 1 + 1.2 + 1 M + one night 0.5 M = Rp 3.7 M. Two day trips cost Rp 2 M each = 4 M.
    With at most Rp 3.5 M a trip: two trips, Monday and Tuesday."""
    net, st = star(tmp_path)
    one = trips.plan_trips(net, st, SPEC)
    assert len(one.trips) == 1 and one.objective == pytest.approx(3_700_000)
    assert one.trips.iloc[0]["returns"] == "2024-11-05"
    check_feasible(one, st, SPEC, HOPS)
    capped = replace(SPEC, trip_budget=3_500_000)
    two = trips.plan_trips(net, st, capped)
    assert len(two.trips) == 2 and two.objective == pytest.approx(4_000_000)
    assert two.trips["leaves"].tolist() == ["2024-11-04", "2024-11-05"]
    assert (two.trips["days"] == 1).all()
    check_feasible(two, st, capped, HOPS)


def test_stop_and_satellite_costs_are_paid_where_they_are_incurred(tmp_path):
    """Each stop set up costs Rp 0.3 M and B, in a blank spot, Rp 0.2 M more for its
    satellite link: the one trip S-A-B-S costs Rp 3.7 + 0.3 + 0.5 = 4.5 M, its set-up rows
    carry them and trips.csv still adds up; under a Rp 4.3 M trip budget the two day trips
    (Rp 2.3 M and 2.5 M) are taken instead, by both methods."""
    net, _ = star(tmp_path)
    st = stops({"A": 60, "B": 60}, ["S"], ["A", "B"], blank=("B",))
    priced = replace(SPEC, stop_rupiah=300_000, kit_rupiah=200_000)
    one = trips.plan_trips(net, st, priced)
    t = one.trips.iloc[0]
    assert one.objective == pytest.approx(4_500_000)
    assert (t["stop_cost"], t["cost"]) == (pytest.approx(800_000), pytest.approx(4_500_000))
    setups = one.activities[one.activities["activity"] == "set up"]
    assert setups.set_index("stop")["cost"].to_dict() == {"A": 300_000, "B": 500_000}
    check_feasible(one, st, priced, HOPS)
    assert one.bound <= one.objective + 1e-6 and one.bound >= 800_000
    capped = replace(priced, trip_budget=4_300_000)
    for limit in (8, 0):
        two = trips.plan_trips(net, st, capped, exact_limit=limit)
        assert sorted(two.trips["cost"]) == [pytest.approx(2_300_000),
                                             pytest.approx(2_500_000)]
        assert two.activities["cost"].sum() == pytest.approx(4_800_000)


def test_a_total_budget_too_small_serves_what_it_can(tmp_path):
    """Rp 3 M in all: one day trip (Rp 2 M) to one stop; the other is reported."""
    net, st = star(tmp_path)
    for limit in (8, 0):  # the exact method and the heuristic one
        plan = trips.plan_trips(net, st, replace(SPEC, total_budget=3_000_000),
                                exact_limit=limit)
        assert len(plan.trips) == 1 and plan.trips.iloc[0]["cost"] == pytest.approx(2_000_000)
        assert plan.unreached["reason"].tolist() == ["over the total budget"]


def test_unreachable_stops_say_why(tmp_path):
    """A stop with no route, one in a blank spot without kits, one too far for the days."""
    net = network(tmp_path, [link("service:S", "village:A", "road", 60),
                             link("service:S", "village:C", "river", 3000)],
                  ["A", "B", "C"], ["S"])
    st = stops({"A": 10, "B": 10, "C": 10}, ["S"], ["A", "B", "C"], blank=("A",))
    plan = trips.plan_trips(net, st, replace(SPEC, kits=0))
    why = dict(zip(plan.unreached["code"], plan.unreached["reason"], strict=True))
    assert "satellite kit" in why["A"] and why["B"] == "no route from any office"
    assert "days (at most 5)" in why["C"]


# --- the exact method against an enumeration ----------------------------------------------

def enumerate_best(plan_input, spec: TripSpec) -> float:
    """The lowest objective over every assignment of stops to teams, every order and every
    cut of each team's order into trips, each timed by trips.evaluate."""
    net, st = plan_input
    p = trips._problem(net, st, spec, dt.date.fromisoformat(spec.start).weekday())
    return best_serving(p, list(range(len(p.people))))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_exact_equals_enumeration(tmp_path, seed):
    """Five stops, two offices, random road/river/flight links (a flight Mon,Thu 09:00):
    the dynamic programme's optimum equals the enumeration's, for cost and for days."""
    rng = np.random.default_rng(seed)
    villages = [f"V{i}" for i in range(5)]
    links = []
    for i, v in enumerate(villages):
        links.append(link(f"service:{'S' if i % 2 else 'T'}", f"village:{v}",
                          ["road", "river"][i % 2], float(rng.integers(40, 400)),
                          float(rng.integers(1, 20)) * 100_000))
    for a, b in itertools.combinations(villages, 2):
        if rng.random() < 0.6:
            links.append(link(f"village:{a}", f"village:{b}", "road",
                              float(rng.integers(30, 300)), float(rng.integers(1, 10)) * 100_000))
    links.append(link("service:S", "village:V4", "air", 50, 900_000, days="Mon,Thu",
                      depart="09:00"))
    net = network(tmp_path, links, villages, ["S", "T"])
    people = {v: float(rng.integers(5, 140)) for v in villages}
    st = stops(people, ["S", "T"], villages)
    spec = replace(SPEC, max_days=4, day_rupiah=100_000)
    for minimise in ("cost", "days"):
        sp = replace(spec, minimise=minimise)
        plan = trips.plan_trips(net, st, sp)
        assert plan.method == "exact" and plan.gap == 0
        assert plan.objective == pytest.approx(enumerate_best((net, st), sp))
        heuristic = trips.plan_trips(net, st, sp, exact_limit=0)
        assert heuristic.objective >= plan.objective - 1e-6
        assert heuristic.bound <= plan.objective + 1e-6  # the bound is a bound


def test_schedule_parsing():
    assert schedule.parse_days("Tue,Fri") == 0b10010
    assert schedule.parse_days("Senin-Rabu") == 0b111
    assert schedule.parse_days("Fri-Mon") == 0b1110001
    assert schedule.parse_times("14:00;08:30") == (510, 840)
    # Monday 4 Nov 2024 10:00 (day 0): the next Tue/Fri 08:30 departure is Tuesday 08:30
    assert schedule.next_departure(600, 0b10010, (510,), 0) == 1440 + 510
    assert schedule.next_departure(1440 + 510, 0b10010, (510,), 0) == 1440 + 510
    for bad in ("Tuesday-ish", ""):
        with pytest.raises(ValueError):
            schedule.parse_days(bad)
    with pytest.raises(ValueError):
        schedule.parse_times("25:00")


def test_link_schedules_are_checked(tmp_path):
    from planner.errors import InputError

    with pytest.raises(InputError) as err:
        network(tmp_path, [link("service:S", "village:A", "air", 60, days="Tue,Frx",
                                depart="08:30"),
                           link("service:S", "village:A", "air", 60, days="Tue"),
                           link("service:S", "village:A", "air", 60, days="Tue",
                                depart="8h")], ["A"], ["S"])
    msg = str(err.value)
    assert "'frx' is not a day name" in msg and "row 2" in msg
    assert "needs its departure time" in msg and "'8h' is not a time of day" in msg


def test_planner_trips_end_to_end(tmp_path, capsys):
    """The tiny area (tests/conftest.py) with two new stops (C and F) and one team: one day
    trip, worked out by hand: road A-B 07:00-07:15, walk to F (5.2 km at 4 km/h) 07:15-08:33,
    set up 08:33-09:03, 20 people 09:03-10:43, walk back to 12:01, boat wait 15 min, river
    12:16-12:46, set up until 13:16, 30 people until 15:46, wait, river 16:01-16:31, road
    home 16:46. Road at Rp 10,000 a km: Rp 200,000. The whole plan, the trips layer, the
    sheet and the map are written as one generation; a budget of Rp 100,000 exits 3."""
    import json

    import pyogrio

    from planner.cli import main
    from planner.inputs import io

    from .conftest import write_tiny

    sc = write_tiny(tmp_path / "tiny")
    sc.write_text(sc.read_text() + '[network.rupiah_per_km]\nroad = 10000\n\n'
                  '[sites]\nmodel = "max_coverage"\nk = 2\ncover_minutes = 30\n\n'
                  '[trips]\nstart = "2024-11-04"\nnight_rupiah = 500000\n')
    out = tmp_path / "out"
    assert main(["-q", "trips", str(sc), "--out", str(out)]) == 0
    a = pd.read_csv(out / "trips.csv", dtype=str)
    assert a["end"].iloc[-1] == "2024-11-04 16:46"
    assert a[a["activity"] == "serve"][["to", "start", "end", "people"]].to_numpy().tolist() \
        == [["Desa F", "2024-11-04 09:03", "2024-11-04 10:43", "20.0"],
            ["Desa C", "2024-11-04 13:16", "2024-11-04 15:46", "30.0"]]
    summary = pd.read_csv(out / "trips_summary.csv")
    assert summary["cost"].tolist() == [200_000.0] and summary["days"].tolist() == [1]
    assert "trips" in pyogrio.list_layers(out / "villages.gpkg")[:, 0]
    sheet = (out / "sheets" / "trip_001.html").read_text()
    assert "Desa F" in sheet and "<script" not in sheet and "<svg" in sheet
    assert "Trips (one line per trip)" in (out / "map.html").read_text()
    assert "## Trips" in (out / "summary.md").read_text()
    assert io.check_generation(out) == []
    run = json.loads((out / "run.json").read_text())
    assert run["trips"]["method"] == "exact" and "sheets/trip_001.html" in run["files"]
    capsys.readouterr()
    assert main(["-q", "trips", str(sc), "--budget", "100000", "--out",
                 str(tmp_path / "poor")]) == 3
    said = capsys.readouterr().out
    assert "over the total budget" in said and "the budget reaches 0 people" in said



def test_kaltara_trips_are_feasible_on_the_network(kaltara_plan):
    """The bundled Kaltara trips (illustrative [trips], the default site choice): every
    itinerary passes the independent check, with each hop's moving minutes (on board and
    walking; waits are timed apart) taken from NetworkX's Dijkstra on the same graph; every
    chosen stop is served or reported with its reason."""
    import networkx as nx

    from planner.decide.decision import trip_stops

    plan = kaltara_plan
    choice = plan.choose_sites()
    tp = plan.plan_trips(sites=choice)
    st = trip_stops(plan, choice)
    net = plan.network
    G = net.to_networkx()
    where = {c: ("service", int(i)) for c, i in zip(st.offices["code"], st.offices["index"],
                                                    strict=True)}
    where |= {c: ("village", int(i)) for c, i in zip(st.stops["code"], st.stops["index"],
                                                     strict=True)}
    label = {**dict(zip(st.offices["code"], st.offices["code"], strict=True)),
             **dict(zip(st.stops["code"], st.stops["name"], strict=True))}
    hop_minutes = {}
    for t in tp.trips.itertuples():
        codes = [t.office, *t.stops.split(";"), t.office]
        for a, b in itertools.pairwise(codes):
            path = nx.dijkstra_path(G, int(net.origin(where[a][0])[where[a][1]]),
                                    int(net.destination(where[b][0])[where[b][1]]),
                                    weight="minutes")
            moving = sum(float(net.minutes[e] - net.wait[e])
                         for e in (G.edges[u, v]["edge"] for u, v in itertools.pairwise(path))
                         if net.mode[e] not in ("transfer", "stop"))
            hop_minutes[label[a], label[b]] = moving
    scheduled = tuple(sorted(set(net.mode[net.days > 0])))
    assert len(tp.trips) >= 5
    check_feasible(tp, st, tp.spec, hop_minutes, scheduled)
    served = set(";".join(tp.trips["stops"]).split(";"))
    assert served | set(tp.unreached["code"]) == set(st.stops["code"])
    assert not served & set(tp.unreached["code"])


def test_pyvrp_start_serves_every_stop_once_within_the_limits(tmp_path):
    """PyVRP's routes on the static model, timed exactly and dealt to the teams: every stop
    once, every team's trips feasible, and the heuristic (the better of PyVRP's and the
    insertion start, then relocation) never beats the proven optimum."""
    net, st = star(tmp_path)
    spec = replace(SPEC, teams=2)
    p = trips._problem(net, st, spec, 0)
    teams = trips._library_start(p, [0, 1])
    assert teams is not None
    assert sorted(s for team in teams for t in team for s in t) == [0, 1]
    for ti, team in enumerate(teams):
        assert trips.evaluate(p, p.teams[ti][0], team).feasible
    exact = trips.plan_trips(net, st, spec)
    heuristic = trips.plan_trips(net, st, spec, exact_limit=0)
    assert heuristic.method.startswith("heuristic (")
    assert heuristic.objective >= exact.objective - 1e-6


def test_equal_costs_share_the_work_between_teams(tmp_path):
    """With A - B at Rp 1.5 M, one trip S-A-B-S (Rp 1 + 1.5 + 1 M and a night 0.5 M) costs
    what two day trips do (Rp 4 M): with two teams the tie goes to the plan whose teams are
    free first, both day trips on Monday, exact and heuristic alike."""
    net = network(tmp_path, [link("service:S", "village:A", "road", 60, 1_000_000),
                             link("service:S", "village:B", "road", 60, 1_000_000),
                             link("village:A", "village:B", "road", 90, 1_500_000)],
                  ["A", "B"], ["S"])
    st = stops({"A": 60, "B": 60}, ["S"], ["A", "B"])
    spec = replace(SPEC, teams=2)
    for limit in (8, 0):
        plan = trips.plan_trips(net, st, spec, exact_limit=limit)
        assert plan.objective == pytest.approx(4_000_000)
        assert plan.trips["leaves"].tolist() == ["2024-11-04", "2024-11-04"]
        assert plan.trips["team"].nunique() == 2


def test_no_stops_no_trips_and_the_folder_is_reused(tmp_path):
    """A site choice without new stops gives no trips (exit 0, no sheets folder), and the
    same output folder takes the next run (every entry in it is a listed output)."""
    from planner.cli import main
    from planner.inputs import io

    from .conftest import write_tiny

    sc = write_tiny(tmp_path / "tiny")
    sc.write_text(sc.read_text() + '[sites]\nmodel = "max_coverage"\nk = 0\n\n'
                  '[trips]\nstart = "2024-11-04"\n')
    out = tmp_path / "out"
    for _ in range(2):
        assert main(["-q", "trips", str(sc), "--out", str(out)]) == 0
    assert not (out / "sheets").exists() and io.check_generation(out) == []
    assert len(pd.read_csv(out / "trips_summary.csv")) == 0


# --- weekly services: the weekday a team is free decides what comes next ---------------------

def weekly_network(tmp_path: Path, back: str = "Wed", back_at: str = "15:00"):
    """Two villages B1, B2 an hour's drive from the office S (no fares), and an airstrip A
    two hours away with one flight a week to X: Wednesday 10:00 out, ``back`` ``back_at``
    home (60 min each, Rp 1 M each way)."""
    links = [link("service:S", "village:B1", "road", 60),
             link("service:S", "village:B2", "road", 60),
             link("village:B1", "village:B2", "road", 30),
             link("service:S", "village:A", "road", 120),
             link("village:A", "village:X", "air", 60, 1_000_000, days="Wed", depart="10:00",
                  oneway="yes"),
             link("village:X", "village:A", "air", 60, 1_000_000, days=back, depart=back_at,
                  oneway="yes")]
    villages = ["B1", "B2", "A", "X"]
    return network(tmp_path, links, villages, ["S"]), villages


def test_exact_sees_that_a_later_start_saves_nights(tmp_path):
    """Leaving Monday 4 Nov 2024, nights Rp 0.5 M. Serving B1 and B2 in one day trip frees
    the team on Tuesday: it drives to A and sleeps there for Wednesday's flight (1 night,
    Rp 2.5 M in all). Two day trips (Monday B1 or B2, Tuesday the other) free it on
    Wednesday: A at 09:00, the 10:00 flight, X served 11:00-12:20, the 15:00 flight back,
    home by road at 18:00 (road after dark until 21:00): no night, Rp 2.0 M. The exact
    method must not take the team free earlier as never worse off."""
    net, villages = weekly_network(tmp_path)
    st = stops({"B1": 10, "B2": 10, "X": 10}, ["S"], villages)
    spec = replace(SPEC, night_rupiah=500_000, day_rupiah=0)
    plan = trips.plan_trips(net, st, spec)
    assert plan.method == "exact" and plan.objective == pytest.approx(2_000_000)
    t = plan.trips
    assert t["leaves"].tolist() == ["2024-11-04", "2024-11-05", "2024-11-06"]
    assert t["nights"].tolist() == [0, 0, 0] and t["stops"].iloc[2] == "X"
    assert plan.objective == pytest.approx(enumerate_best((net, st), spec))


def test_a_stop_served_only_on_another_weekday_is_served(tmp_path):
    """At most one day a trip: X fits only a Wednesday day trip. A lone trip leaving on the
    start date (Monday) cannot serve it, yet two trips before it make the team leave on
    Wednesday: X is served, not dropped."""
    net, villages = weekly_network(tmp_path)
    st = stops({"B1": 10, "B2": 10, "X": 10}, ["S"], villages)
    spec = replace(SPEC, night_rupiah=500_000, max_days=1)
    for exact_limit in (8, 0):  # the exact method and the heuristic
        plan = trips.plan_trips(net, st, spec, exact_limit=exact_limit)
        assert plan.unreached.empty, plan.unreached
        assert plan.trips.set_index("stops").loc["X", "leaves"] == "2024-11-06"


def test_the_unservable_reason_names_the_best_office_and_day(tmp_path):
    """The flight back leaves on Fridays only: from Wednesday's flight out, X takes three
    days at best (leaving Wednesday), more from any other day; with at most two days a
    trip no plan serves X, and the reason says so for the best start."""
    net, villages = weekly_network(tmp_path, back="Fri")
    st = stops({"X": 10}, ["S"], villages)
    plan = trips.plan_trips(net, st, replace(SPEC, max_days=2))
    assert plan.unreached["reason"].tolist() == [
        "no trip can serve it within the limits: at best, from S leaving Wed 2024-11-06, "
        "a trip would take 3 days (at most 2)"]


def random_weekly_instance(tmp_path: Path, seed: int, n_stops: int | None = None,
                           one_team: bool = False):
    """1-2 offices; an airstrip by road with one or two flights a week to some villages and
    back (at random hours), daylight-only boats, roads (some free), dear or cheap nights,
    1-2 teams, trips of 3-7 days, cost or days; 2-5 stops unless ``n_stops`` says (with
    ``one_team``: one office, one team)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 6))
    offices = ["S", "T"][:int(rng.integers(1, 3))]
    if n_stops is not None:
        n = n_stops
    if one_team:
        offices = ["S"]
    villages = ["A"] + [f"V{i}" for i in range(n)]
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    links = [link(f"service:{o}", "village:A", "road", float(rng.integers(60, 400)), 200_000)
             for o in offices]

    def weekly() -> str:
        return ",".join(sorted(rng.choice(days, size=int(rng.integers(1, 3)), replace=False),
                               key=days.index))

    for i in range(n):
        kind = rng.choice(["flight", "boat", "road"])
        if kind == "flight":
            for a, b in (("village:A", f"village:V{i}"), (f"village:V{i}", "village:A")):
                links.append(link(a, b, "air", 60, 1_000_000, days=weekly(), oneway="yes",
                                  depart=f"{int(rng.integers(8, 15)):02d}:00"))
        else:
            links.append(link(f"service:{rng.choice(offices)}", f"village:V{i}",
                              "river" if kind == "boat" else "road",
                              float(rng.integers(30, 700)), float(rng.choice([0, 300_000]))))
    for a, b in itertools.combinations(villages[1:], 2):
        if rng.random() < 0.3:
            links.append(link(f"village:{a}", f"village:{b}", "road",
                              float(rng.integers(30, 200)), float(rng.choice([0, 100_000]))))
    net = network(tmp_path, links, villages, offices)
    st = stops({f"V{i}": float(rng.integers(5, 150)) for i in range(n)}, offices, villages)
    spec = replace(SPEC, teams=1 if one_team else int(rng.integers(1, 3)),
                   max_days=int(rng.integers(3, 8)),
                   night_rupiah=float(rng.choice([300_000, 1_500_000, 3_000_000])),
                   day_rupiah=float(rng.choice([0, 200_000])),
                   minimise=str(rng.choice(["cost", "days"])))
    return net, st, spec


def best_over(p, subset: list[int], timed) -> float:
    """The lowest objective over every assignment of ``subset``'s stops to teams, every
    order and every cut of each team's order into trips; ``timed(office, trips)`` gives a
    team's objective (inf: infeasible)."""
    best = math.inf
    for owner in itertools.product(range(len(p.teams)), repeat=len(subset)):
        total = 0.0
        for ti, (office, _) in enumerate(p.teams):
            mine = [s for s, o in zip(subset, owner, strict=True) if o == ti]
            team_best = 0.0 if not mine else math.inf
            for order in (itertools.permutations(mine) if mine else []):
                for cuts in itertools.product([False, True], repeat=len(order) - 1):
                    tr, cur = [], [order[0]]
                    for s, cut in zip(order[1:], cuts, strict=True):
                        if cut:
                            tr.append(cur)
                            cur = []
                        cur.append(s)
                    team_best = min(team_best, timed(office, [*tr, cur]))
            total += team_best
        best = min(best, total)
    return best


def best_serving(p, subset: list[int]) -> float:
    """:func:`best_over` with each plan timed by the planner's evaluator."""
    def timed(office, team_trips):
        ev = trips.evaluate(p, office, team_trips)
        return ev.objective if ev.feasible else math.inf

    return best_over(p, subset, timed)


def test_exact_on_random_weekly_timetables(tmp_path):
    """On 50 random timetable-sensitive instances (flights away from the office, first
    legs by road), the exact method's answer equals the enumeration of every assignment,
    order and cut into trips of the stops it serves, and every stop it leaves out cannot
    be added: no plan serves it with them (for one and two teams, cost and days)."""
    for seed in range(50):
        (tmp_path / str(seed)).mkdir()
        net, st, spec = random_weekly_instance(tmp_path / str(seed), seed)
        plan = trips.plan_trips(net, st, spec)
        assert plan.method == "exact"
        p = trips._problem(net, st, spec, dt.date.fromisoformat(spec.start).weekday())
        codes = st.stops["code"].tolist()
        left = set(plan.unreached["code"])
        served = [i for i, c in enumerate(codes) if c not in left]
        assert plan.objective == pytest.approx(best_serving(p, served)), seed
        # one cost model: every night (waiting for a flight too) and day has its row
        a, t = plan.activities, plan.trips.set_index("trip")
        assert a.groupby("trip")["cost"].sum().reindex(t.index).fillna(0).to_numpy() == \
            pytest.approx(t["cost"].to_numpy())
        nights = a[a["activity"] == "overnight"].groupby("trip").size()
        assert (nights.reindex(t.index).fillna(0) == t["nights"]).all(), seed
        for i, c in enumerate(codes):
            if c in left:
                assert best_serving(p, [*served, i]) == math.inf, (seed, c)


def test_heuristic_leaves_out_no_stop_a_plan_could_add(tmp_path):
    """On the random weekly-timetable instances the heuristic (insertion, PyVRP, relocation
    and repair) serves as many stops as the exact method, and each stop it leaves out could
    not be added to its plan: no plan serves it together with the stops it serves."""
    for seed in range(60):
        (tmp_path / str(seed)).mkdir()
        net, st, spec = random_weekly_instance(tmp_path / str(seed), seed)
        exact = trips.plan_trips(net, st, spec)
        heuristic = trips.plan_trips(net, st, spec, exact_limit=0)
        assert len(heuristic.unreached) <= len(exact.unreached), seed
        p = trips._problem(net, st, spec, dt.date.fromisoformat(spec.start).weekday())
        codes = st.stops["code"].tolist()
        left = set(heuristic.unreached["code"])
        served = [i for i, c in enumerate(codes) if c not in left]
        for i, c in enumerate(codes):
            if c in left:
                assert best_serving(p, [*served, i]) == math.inf, (seed, c)


# --- an enumeration with a clock of its own -------------------------------------------------

class OwnClock:
    """A clock written from the README's rules, not the planner's (see
    :func:`own_clock_team`); ``t`` counts minutes from 00:00 of the start date."""

    def __init__(self, spec: TripSpec) -> None:
        self.spec, self.t = spec, float(spec.workday[0])
        self.weekday0 = dt.date.fromisoformat(spec.start).weekday()
        self.left: float | None = None  # when the current trip first moved
        self.served_on, self.served = -1, 0.0

    def spend(self, minutes: float, end: int) -> None:
        """Minutes within [workday start, ``end``] of each day, going on next morning."""
        ws = self.spec.workday[0]
        while minutes > 1e-9:
            day = self.t // 1440
            self.t = max(self.t, day * 1440 + ws)
            if self.t >= day * 1440 + end - 1e-9:
                self.t = (day + 1) * 1440 + ws
                continue
            if self.left is None and self.moving:
                self.left = self.t
            step = min(minutes, day * 1440 + end - self.t)
            self.t, minutes = self.t + step, minutes - step

    def ride(self, leg) -> None:
        """A leg: a scheduled service at its next departure on its weekdays; a change of
        mode its penalty; else the stated wait, then the ride, within the mode's hours."""
        sp = self.spec
        if leg.kind == "scheduled":
            d = int(self.t // 1440)
            dep = min(day * 1440 + at for day in range(d, d + 8) for at in leg.times
                      if leg.days >> ((self.weekday0 + day) % 7) & 1
                      and day * 1440 + at >= self.t - 1e-9)
            self.left = dep if self.left is None else self.left
            self.t = dep + leg.minutes
        elif leg.kind == "transfer":
            self.t += leg.minutes
        else:
            end = sp.travel_until if leg.mode in sp.after_dark else sp.workday[1]
            self.moving = False
            self.spend(leg.wait, end)
            self.moving = True
            self.spend(leg.minutes, end)

    def serve(self, people: float) -> None:
        """Set up once, then whole persons within the workday, at most people_per_day."""
        sp, set_up = self.spec, False
        ws, we = sp.workday
        while True:
            day = int(self.t // 1440)
            self.t = max(self.t, day * 1440 + ws)
            if day != self.served_on:
                self.served_on, self.served = day, 0.0
            room = day * 1440 + we - self.t - (0 if set_up else sp.setup_minutes)
            n = min(people, math.floor(max(room, 0) / sp.serve_minutes + 1e-9),
                    math.floor(sp.people_per_day - self.served + 1e-9))
            if room < 0 or (n <= 0 and people > 0):
                self.t = (day + 1) * 1440 + ws
                continue
            if not set_up:
                self.t, set_up = self.t + sp.setup_minutes, True
            self.t += n * sp.serve_minutes
            self.served += n
            people -= n
            if people <= 1e-9:
                return


def own_clock_team(p, spec: TripSpec, office: int, team_trips: list[list[int]]) -> float:
    """One team's trips timed by :class:`OwnClock`: the first trip leaves on the start
    date at the start of the workday, each next one the morning after the team is back; a
    trip lasts from the day it first moves to the day it is back, at most ``max_days``, and
    costs its fares plus its nights and days. Only the routes (their legs) are the
    planner's. Returns the objective (inf: infeasible)."""
    clock, total = OwnClock(spec), 0.0
    for trip in team_trips:
        clock.left, clock.moving, fares, here = None, True, 0.0, office
        for s in [*trip, None]:
            to = office if s is None else p.n_off + s
            if (here, to) not in p.legs:
                return math.inf
            for leg in p.legs[here, to]:
                clock.ride(leg)
                fares += leg.cost
            here = to
            if s is not None:
                clock.serve(float(p.people[s]))
        back = math.floor((clock.t - 1e-9) / 1440)
        days = back - int((clock.left if clock.left is not None else clock.t) // 1440) + 1
        cost = fares + (days - 1) * spec.night_rupiah + days * spec.day_rupiah
        if days > spec.max_days or cost > spec.trip_budget + 1e-6:
            return math.inf
        total += cost if spec.minimise == "cost" else days
        clock.t = (back + 1) * 1440 + spec.workday[0]
    return total


def own_clock_best(p, spec: TripSpec, subset: list[int]) -> float:
    """:func:`best_over` with each plan timed by the own clock."""
    return best_over(p, subset, lambda office, team_trips: own_clock_team(p, spec, office,
                                                                          team_trips))


def test_exact_equals_an_enumeration_with_its_own_clock(tmp_path):
    """The exact method's answer on 100 random weekly-timetable instances equals the best
    plan found by enumerating every plan of the stops it serves, each timed by the clock
    above (written from the README's rules, sharing only the routes), and no stop it leaves
    out can be served with them by any plan so timed."""
    for seed in range(100):
        (tmp_path / str(seed)).mkdir()
        net, st, spec = random_weekly_instance(tmp_path / str(seed), seed)
        plan = trips.plan_trips(net, st, spec)
        p = trips._problem(net, st, spec, dt.date.fromisoformat(spec.start).weekday())
        left = set(plan.unreached["code"])
        served = [i for i, c in enumerate(st.stops["code"]) if c not in left]
        assert plan.objective == pytest.approx(own_clock_best(p, spec, served)), seed
        for i, c in enumerate(st.stops["code"]):  # and none left out could be added
            if c in left:
                assert own_clock_best(p, spec, [*served, i]) == math.inf, (seed, c)


def test_a_total_budget_reaches_the_most_people(tmp_path):
    """Three day trips from S: A (100 people) costs Rp 3 M (fares 1.5 M each way), B and C
    (60 each) Rp 2 M each. Within Rp 4 M, B and C reach 120 people; A alone 100. Dropping
    the stops with the fewest people per rupiah saved keeps A; giving A up for B and C is
    what reaches the most. Both methods serve B and C; the exact one proves it."""
    villages = ["A", "B", "C"]
    net = network(tmp_path, [link("service:S", "village:A", "road", 60, 1_500_000),
                             link("service:S", "village:B", "road", 60, 1_000_000),
                             link("service:S", "village:C", "road", 60, 1_000_000)],
                  villages, ["S"])
    st = stops({"A": 100, "B": 60, "C": 60}, ["S"], villages)
    spec = replace(SPEC, teams=3, total_budget=4_000_000)
    for exact_limit in (8, 0):
        plan = trips.plan_trips(net, st, spec, exact_limit=exact_limit)
        assert sorted(plan.trips["stops"]) == ["B", "C"], exact_limit
        assert plan.trips["cost"].sum() == pytest.approx(4_000_000)
        assert plan.unreached["reason"].tolist() == ["over the total budget"]
        assert plan.people_bound >= 120  # a bound: no plan reaches more
    assert trips.plan_trips(net, st, spec).people_bound == 120  # proven by the exact method


def test_total_budget_on_random_weekly_timetables(tmp_path):
    """With a total budget (cost minimised), on 30 random weekly-timetable instances the
    exact method serves a set of stops reaching the most people any plan reaches within
    the budget (every subset enumerated, each plan timed by the own clock), at the least
    cost for that set, and its people bound is that number."""
    checked = 0
    for seed in range(200):
        if checked == 30:
            break
        (tmp_path / str(seed)).mkdir()
        net, st, spec = random_weekly_instance(tmp_path / str(seed), seed)
        spec = replace(spec, minimise="cost")
        p = trips._problem(net, st, spec, dt.date.fromisoformat(spec.start).weekday())
        n = len(st.stops)
        cost = {mask: own_clock_best(p, spec, [s for s in range(n) if mask >> s & 1])
                for mask in range(1 << n)}
        full = cost[(1 << n) - 1]
        if not math.isfinite(full) or full <= 0:
            continue
        checked += 1
        budget = 0.6 * full
        people = {m: sum(float(st.stops["people"].iat[s]) for s in range(n) if m >> s & 1)
                  for m in cost}
        best_people = max(people[m] for m in cost if cost[m] <= budget + 1e-6)
        plan = trips.plan_trips(net, st, replace(spec, total_budget=budget))
        served = plan.trips["people"].sum()
        assert served == pytest.approx(best_people), seed
        assert plan.people_bound == pytest.approx(best_people), seed
        mask = sum(1 << s for s in range(n)
                   if st.stops["code"].iat[s] not in set(plan.unreached["code"]))
        assert plan.objective == pytest.approx(cost[mask]) and cost[mask] <= budget + 1e-6
    assert checked == 30


def test_fewest_days_within_a_total_budget(tmp_path):
    """Minimising days with a total budget: B1 and B2 are an hour from S (free roads) and
    half an hour apart by a road with a Rp 5 M toll. One day trip serving both takes 1 team
    day for Rp 5 M; two day trips take 2 days for nothing. Within Rp 1 M the fewest-days
    plan is over the budget, yet both stops fit: both are served, in 2 days, and the answer
    says the fewest days within the budget are not proven (the gap to 1 day)."""
    villages = ["B1", "B2"]
    net = network(tmp_path, [link("service:S", "village:B1", "road", 60),
                             link("service:S", "village:B2", "road", 60),
                             link("village:B1", "village:B2", "road", 30, 5_000_000)],
                  villages, ["S"])
    st = stops({"B1": 10, "B2": 10}, ["S"], villages)
    spec = replace(SPEC, minimise="days")
    free = trips.plan_trips(net, st, spec)
    assert free.objective == 1 and free.gap == 0  # no budget: one day, the toll road
    plan = trips.plan_trips(net, st, replace(spec, total_budget=1_000_000))
    assert plan.unreached.empty and plan.objective == 2 and plan.bound == 1
    assert plan.trips["cost"].sum() == pytest.approx(0)


@pytest.mark.parametrize("n_stops, seeds", [(6, range(4)), (7, range(2))])
def test_exact_equals_the_own_clock_on_six_and_seven_stops(tmp_path, n_stops, seeds):
    """Larger instances (one office, one team: the enumeration is every order and cut):
    the exact method equals the own clock's best plan, and leaves out no stop it could
    serve."""
    for seed in seeds:
        (tmp_path / str(seed)).mkdir()
        net, st, spec = random_weekly_instance(tmp_path / str(seed), 1000 + seed,
                                               n_stops=n_stops, one_team=True)
        plan = trips.plan_trips(net, st, spec)
        assert plan.method == "exact"
        p = trips._problem(net, st, spec, dt.date.fromisoformat(spec.start).weekday())
        left = set(plan.unreached["code"])
        served = [i for i, c in enumerate(st.stops["code"]) if c not in left]
        assert plan.objective == pytest.approx(own_clock_best(p, spec, served)), seed
        for i, c in enumerate(st.stops["code"]):
            if c in left:
                assert own_clock_best(p, spec, [*served, i]) == math.inf, (seed, c)

