"""Trip sheets (planner/outputs/sheets.py) and the call-in table they list
(Result.call_in): each stop names the villages whose people it serves, the people add up to
what the site choice credits the stop, each village's minutes equal NetworkX's own shortest
path to the stop, and the route map draws the plan's land, lines and places around the
route."""

from __future__ import annotations

import itertools
import re

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from planner.outputs import sheets


@pytest.fixture(scope="module")
def chosen(kaltara_plan):
    choice = kaltara_plan.choose_sites(target=0.994)
    return kaltara_plan.with_sites(choice), choice


def test_call_in_conserves_the_people_credited_to_each_stop(chosen):
    plan, choice = chosen
    table = plan.call_in()
    stops = choice.sites[choice.sites["rank"] > 0]
    key = plan.scenario.sites.indicator or plan.scenario.indicators[0].key
    people = table.groupby("site_code")[key].sum()
    for code, credited in zip(stops["site_code"], stops["people_newly_covered"], strict=True):
        assert people.get(code, 0) == pytest.approx(credited), code
    # every village credited to a stop, once, in the stops' rank order
    a = choice.assignment[choice.assignment["site"].isin(set(stops["site_code"]))]
    assert sorted(table["kode"]) == sorted(a["kode"]) and table["kode"].is_unique
    order = table["site_code"].drop_duplicates().tolist()
    assert order == [c for c in stops["site_code"] if c in set(order)]
    # the people are the villages' gaps; a stop's own village is reached on the spot
    v = plan.villages.set_index("kode")
    for ind in plan.scenario.indicators:
        assert (table[ind.key].to_numpy() == v.loc[table["kode"], ind.gap_col]
                .astype(float).round().to_numpy()).all()
    spot = table[table["minutes"] == 0]
    assert len(spot) and (spot["way"] == "on the spot").all()


def test_call_in_minutes_equal_networkx_paths_to_the_stop(chosen):
    plan, _ = chosen
    table = plan.call_in()
    net = plan.network
    G = net.to_networkx()
    vil = {r: i for i, r in enumerate(net.points["village"].refs)}
    sample = table.iloc[np.linspace(0, len(table) - 1, 25).astype(int)]
    for r in sample.itertuples():
        src = int(net.origin("village")[vil[r.kode]])
        dst = int(net.destination("village")[vil[r.site_code]])
        assert nx.shortest_path_length(G, src, dst, weight="minutes") == \
            pytest.approx(r.minutes, abs=1e-3), (r.kode, r.site_code)
        if r.minutes > 0:
            modes = {leg.split(" ")[0] for leg in r.way.split(" → ")}
            path = nx.shortest_path(G, src, dst, weight="minutes")
            on_path = {G.edges[a, b]["mode"] for a, b in itertools.pairwise(path)}
            assert modes <= on_path, (r.way, on_path)


def test_sheet_lists_each_stops_villages_with_totals_and_a_map_with_context(chosen):
    plan, _ = chosen
    tp = plan.plan_trips()
    trip = tp.trips.iloc[0]
    places = tp.places[tp.places["trip"] == trip["trip"]]
    table = plan.call_in()
    labels = {i.key: i.label for i in plan.scenario.indicators}
    context = sheets.MapContext.from_plan(plan.villages, plan.network, table, labels)
    html = sheets.trip_sheet("Kaltara", trip, tp.activities[tp.activities["trip"]
                                                           == trip["trip"]],
                             tp.lines.geometry.iloc[0], places, "", context)
    stops = places[~places["office"].astype(bool)]
    mine = table[table["site_code"].isin(set(stops["code"]))]
    assert len(mine)
    for name in mine["nama"]:
        assert f"<td>{name}</td>" in html
    key = plan.scenario.sites.indicator or plan.scenario.indicators[0].key
    assert int(mine[key].sum()) == int(trip["people"])  # the facts and the lists agree
    for r in stops.itertuples():
        rows = mine[mine["site_code"] == r.code]
        total = re.search(rf"<h3>{int(r.order)}\. .*?<tr><th>Total</th><th>(\d+) villages"
                          r"</th>(.*?)</tr>", html, re.S)
        assert total and int(total.group(1)) == len(rows)
        cells = [int(c.replace(",", "")) for c in re.findall(r"<th class=n>([\d,]+)</th>",
                                                              total.group(2))]
        assert cells == [int(rows[k].sum()) for k in labels]
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert 'fill="#f4f1ea"' in svg                     # land
    assert any(f'stroke="{c}"' in svg for c, _, _ in sheets._LINE_STYLE.values())  # lines
    office = places[places["office"].astype(bool)]["name"].iloc[0]
    assert f">{office}</text>" in svg                   # place names
    assert svg.count('r="2.5"') == len(mine)            # the villages called in


def test_sheet_without_context_or_call_in_still_lists_the_stops():
    trip = pd.Series({"trip": 1, "team": "T", "office_name": "O", "office": "S",
                      "leaves": "2024-01-01 07:00", "returns": "2024-01-01 17:00", "days": 1,
                      "nights": 0, "people": 5, "cost": 0, "travel_cost": 0, "night_cost": 0,
                      "day_cost": 0, "stop_cost": 0})
    places = pd.DataFrame({"order": [0, 1], "code": ["S", "V<1>"], "name": ["O", "Desa <b>"],
                           "office": [True, False], "x": [0.0, 1000.0], "y": [0.0, 0.0]})
    acts = pd.DataFrame(columns=["date", "day", "start", "end", "activity", "from", "to",
                                 "mode", "minutes", "people", "cost", "note"])
    html = sheets.trip_sheet("T", trip, acts, None, places)
    assert "<li>Desa &lt;b&gt; (V&lt;1&gt;)</li>" in html and "Desa <b>" not in html
