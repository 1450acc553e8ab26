"""What-if comparisons: which villages change reach band, travel time, rank or coverage
between two plans, totals before and after, and a difference map."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from .config import REACH_BANDS
from .errors import InputError, Problem
from .outputs import render
from .text import minutes_text

if TYPE_CHECKING:  # pragma: no cover
    from .result import Result

CHANGE_COLOURS = (("much faster (> 1 h)", "#1a9850"), ("faster", "#91cf60"),
                  ("no change", "#f7f7f7"), ("slower", "#fc8d59"),
                  ("much slower (> 1 h)", "#d73027"))
"""Classes of the difference map: travel-time change, minutes (B minus A)."""


@dataclass
class Comparison:
    """Two plans side by side.

    Attributes
    ----------
    villages : DataFrame
        Every village: travel minutes, reach band, rank and (when both plans chose sites)
        coverage in A and B, the change in minutes and flags of what changed.
    totals : DataFrame
        ``metric, a, b, change`` for villages and e-KTP gap per band, mean minutes and more.
    """

    name_a: str
    name_b: str
    villages: pd.DataFrame
    totals: pd.DataFrame
    geometry: gpd.GeoSeries

    def summary(self) -> str:
        """One line: how many villages change band, get faster or slower.

        Returns
        -------
        str
            E.g. ``kaltara -> kaltara_dry: 12 villages change reach band; 30 are faster ...``.
        """
        v = self.villages
        return (f"{self.name_a} -> {self.name_b}: {int(v['band_changed'].sum())} villages "
                f"change reach band; {int((v['delta_minutes'] < -60).sum())} are faster and "
                f"{int((v['delta_minutes'] > 60).sum())} slower by more than an hour; "
                f"{int(v['changed'].sum())} change in some way")

    def changed(self) -> pd.DataFrame:
        """The villages whose band, time (by more than a minute), rank or coverage changed.

        Returns
        -------
        DataFrame
            The rows of :attr:`villages` marked ``changed``.
        """
        return self.villages[self.villages["changed"]].reset_index(drop=True)

    def band_changes(self) -> pd.DataFrame:
        """Counts of villages moving from each band (rows, A) to each band (columns, B).

        Returns
        -------
        DataFrame
            A square table in reach-band order.
        """
        t = pd.crosstab(self.villages["band_a"], self.villages["band_b"])
        order = [b for b in REACH_BANDS if b in t.index or b in t.columns]
        return t.reindex(index=order, columns=order, fill_value=0)

    def map(self) -> folium.Map:
        """Difference map: villages coloured by the change in travel time.

        Returns
        -------
        folium.Map
            The tooltip gives both plans' time, band and rank (offline once saved).
        """
        v = self.villages
        delta = v["delta_minutes"].to_numpy(float)
        cls = np.select([delta < -60, delta < -1, delta <= 1, delta <= 60],
                        [0, 1, 2, 3], default=4)
        cls = np.where(np.isnan(delta), 2, cls)
        g = gpd.GeoDataFrame(v, geometry=self.geometry.values, crs=self.geometry.crs)
        props = pd.DataFrame({
            "nama": v["nama"].map(render.display_text), "kode": v["kode"].map(render.display_text),
            "a": [f"{minutes_text(m)} ({b}), rank {r}" for m, b, r in
                  zip(v["minutes_a"], v["band_a"], v["rank_a"], strict=True)],
            "b": [f"{minutes_text(m)} ({b}), rank {r}" for m, b, r in
                  zip(v["minutes_b"], v["band_b"], v["rank_b"], strict=True)],
            "change": [("unreachable in one plan" if np.isnan(d) else f"{d:+.0f} min")
                       for d in delta],
            "color": [CHANGE_COLOURS[c][1] for c in cls],
            "weight": np.where(v["band_changed"], 2.5, 0.4),
        })
        vg = render.village_layer_data(g, props, 40.0)
        n_band = int(v["band_changed"].sum())
        fields = [["nama", "Village"], ["kode", "Code"], ["a", str(self.name_a)],
                  ["b", str(self.name_b)], ["change", "Change"]]
        data = {
            "title": f"What changes from {self.name_a} to {self.name_b}",
            "subtitle": [f"{n_band} villages change reach band (thick outline)"],
            "layers": [{"name": "Change in travel time", "type": "polygons",
                        "data": render.feature_collection(vg), "heading": "nama",
                        "style": {"color": "#222", "fillOpacity": 0.8},
                        "style_properties": [["color", "fillColor"], ["weight", "weight"]],
                        "fields": fields, "popup": fields, "search": True,
                        "highlight": True}],
            "legend": [{"title": "Travel time, B minus A",
                        "items": [{"label": label, "color": c}
                                  for label, c in CHANGE_COLOURS]}],
        }
        return render.make_map(vg.total_bounds, data)


def compare(plan_a: Result, plan_b: Result) -> Comparison:
    """Compare two plans of the same villages (e.g. two seasons, a new flight, a new office).

    Parameters
    ----------
    plan_a, plan_b : Result
        The two runs (A before, B after).

    Returns
    -------
    Comparison
        Per village both plans' minutes, band, rank and coverage and what changed, with the
        totals and a difference map.

    Raises
    ------
    InputError
        If the plans do not hold the same villages (a ``ValueError``); the message counts
        and names the villages found in only one of them.
    """
    a = plan_a.villages.set_index("kode")
    b = plan_b.villages.set_index("kode")
    if set(a.index) != set(b.index):
        only_a = sorted(set(a.index) - set(b.index))
        only_b = sorted(set(b.index) - set(a.index))

        def some(codes: list[str]) -> str:
            return ", ".join(codes[:5]) + (f" and {len(codes) - 5} more" if len(codes) > 5
                                           else "")
        problems = []
        for plan, only in ((plan_a, only_a), (plan_b, only_b)):
            if only:
                problems.append(Problem(
                    str(plan.scenario.source), f"{len(only)} village(s) only in this plan "
                    f"({some(only)}); compare two plans of the same villages (one study area)"))
        raise InputError(problems)
    b = b.loc[a.index]
    ma = a["travel_minutes"].to_numpy(float)
    mb = b["travel_minutes"].to_numpy(float)
    with np.errstate(invalid="ignore"):
        delta = np.where(np.isfinite(ma) & np.isfinite(mb), mb - ma, np.nan)
    out = pd.DataFrame({
        "kode": a.index, "nama": a["nama"].to_numpy(),
        "kecamatan": a.get("kecamatan", pd.Series("", index=a.index)).to_numpy(),
        "kabupaten": a.get("kabupaten", pd.Series("", index=a.index)).to_numpy(),
        "minutes_a": ma, "minutes_b": mb, "delta_minutes": np.round(delta, 3),
        "band_a": a["reach_band"].to_numpy(), "band_b": b["reach_band"].to_numpy(),
        "rank_a": a["priority_rank"].to_numpy(), "rank_b": b["priority_rank"].to_numpy(),
        "route_modes_a": a["route_modes"].to_numpy(), "route_modes_b": b["route_modes"].to_numpy(),
    })
    out["band_changed"] = out["band_a"] != out["band_b"]
    out["rank_change"] = out["rank_b"] - out["rank_a"]
    covered = []
    for plan, col in ((plan_a, "covered_a"), (plan_b, "covered_b")):
        if plan.site_choice is not None:
            codes = set(plan.site_choice.assignment["kode"])
            out[col] = out["kode"].isin(codes)
            covered.append(col)
    time_changed = (np.abs(np.nan_to_num(delta, nan=0.0)) > 1.0) | (
        np.isfinite(ma) != np.isfinite(mb))
    out["changed"] = out["band_changed"] | time_changed | (out["rank_change"] != 0)
    if len(covered) == 2:
        out["changed"] |= out["covered_a"] != out["covered_b"]
    out = out.sort_values(["band_changed", "delta_minutes"], ascending=[False, True],
                          kind="mergesort", na_position="first").reset_index(drop=True)
    geometry = gpd.GeoSeries(a.geometry.loc[out["kode"]].values, crs=plan_a.villages.crs)
    return Comparison(plan_a.scenario.name, plan_b.scenario.name, out,
                      _totals(plan_a, plan_b, out), geometry)


def _totals(plan_a: Result, plan_b: Result, v: pd.DataFrame) -> pd.DataFrame:
    gap = plan_a.scenario.indicators[0].gap_col
    ga = plan_a.villages.set_index("kode")[gap].astype("Float64").fillna(0)
    rows: list[tuple[str, float, float]] = []
    for band in REACH_BANDS:
        na, nb = int((v["band_a"] == band).sum()), int((v["band_b"] == band).sum())
        rows.append((f"villages {band}", na, nb))
        rows.append((f"{gap} in villages {band}", float(ga[v.loc[v['band_a'] == band, 'kode']]
                                                        .sum()),
                     float(ga[v.loc[v["band_b"] == band, "kode"]].sum())))
    for label, col in (("mean travel minutes (reached villages)", "minutes"),):
        a_vals = v[f"{col}_a"].replace(np.inf, np.nan)
        b_vals = v[f"{col}_b"].replace(np.inf, np.nan)
        rows.append((label, round(float(a_vals.mean()), 1), round(float(b_vals.mean()), 1)))
    ca, cb = plan_a.site_choice, plan_b.site_choice
    if ca is not None and cb is not None:
        rows.append(("new sites", int((ca.sites["rank"] > 0).sum()),
                     int((cb.sites["rank"] > 0).sum())))
        rows.append(("people covered (offices and new sites)",
                     float(ca.sites["people_newly_covered"].sum()),
                     float(cb.sites["people_newly_covered"].sum())))
    t = pd.DataFrame(rows, columns=["metric", "a", "b"])
    t["change"] = t["b"] - t["a"]
    return t
