"""Joins: villages ⨝ admin names (by code prefix) ⨝ estimates (by code) ⨝ blank-spot share
(by area, in the metric CRS).

Counts are extensive and conserved: every village stays, estimate rows that match no village
are returned separately, never dropped. Shares are intensive (area-weighted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypedDict, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..config import AdminLevel, Indicator
from ..jsontypes import JsonTable
from .validate import normalise_code


class JoinSection(TypedDict):
    """The join as reported in ``run.json``: the estimate rows that matched no village
    (whole rows), the villages without an estimate and the codes matched after restoring
    leading zeros."""

    unmatched_estimate_rows: list[JsonTable]
    villages_without_estimate: list[str]
    codes_matched_after_restoring_leading_zeros: list[str]


@dataclass
class JoinReport:
    """What the estimates join matched, repaired and could not match."""

    unmatched_estimates: pd.DataFrame = field(default_factory=pd.DataFrame)
    villages_without_estimate: list[str] = field(default_factory=list)
    padded_codes: list[str] = field(default_factory=list)

    def as_dict(self) -> JoinSection:
        """The join for ``run.json``.

        Returns
        -------
        JoinSection
            Unmatched rows, villages without an estimate, codes repaired.
        """
        rows = cast(list[JsonTable], self.unmatched_estimates.to_dict(orient="records"))
        return {
            "unmatched_estimate_rows": rows,
            "villages_without_estimate": self.villages_without_estimate,
            "codes_matched_after_restoring_leading_zeros": self.padded_codes,
        }


def add_admin_names(villages: gpd.GeoDataFrame, levels: tuple[AdminLevel, ...],
                    tables: dict[str, pd.DataFrame], warnings: list[str]) -> gpd.GeoDataFrame:
    """Add one column per admin level (its name), matched on the village code's prefix.

    Parameters
    ----------
    villages : GeoDataFrame
        Villages with ``code_key``.
    levels : tuple of AdminLevel
        The levels (kecamatan, kabupaten...) and their code prefix lengths.
    tables : dict of str to DataFrame
        Each level's layer as read.
    warnings : list of str
        Where unmatched prefixes are said.

    Returns
    -------
    GeoDataFrame
        The villages with a column per level.
    """
    out = villages.copy()
    for lvl in levels:
        t = tables[lvl.level]
        names = dict(zip(t[lvl.layer.code].map(normalise_code), t[lvl.layer.name].astype(str),
                         strict=True))
        prefix = out["code_key"].str[: lvl.prefix_digits]
        out[lvl.level] = prefix.map(names).fillna("")
        miss = out.loc[out[lvl.level] == "", "kode"]
        if len(miss):
            warnings.append(f"{lvl.layer.path}: no {lvl.level} matches the code prefix of "
                            f"{len(miss)} village(s), e.g. {miss.iloc[0]}; their "
                            f"'{lvl.level}' is left empty")
    return out


def join_estimates(villages: gpd.GeoDataFrame, estimates: pd.DataFrame,
                   indicators: tuple[Indicator, ...]) -> tuple[gpd.GeoDataFrame, JoinReport]:
    """Left-join estimates to villages by normalised code.

    Codes that lost their leading zeros (a spreadsheet turned them into numbers) match when
    zero-padding to the village code length makes them unique matches; they are listed in
    the report. Villages without an estimate keep empty counts; unmatched rows are returned.

    Parameters
    ----------
    villages : GeoDataFrame
        Villages with ``code_key``.
    estimates : DataFrame
        A checked registry table (:func:`planner.inputs.validate.check_estimates`).
    indicators : tuple of Indicator
        The indicators joined.

    Returns
    -------
    villages : GeoDataFrame
        Every input village, with the counts and the gap per indicator.
    report : JoinReport
        Rows that matched no village, villages without an estimate, codes repaired.
    """
    report = JoinReport()
    est = estimates.copy()
    vkeys = set(villages["code_key"])
    width = int(villages["code_key"].str.len().max())
    unmatched = ~est["code_key"].isin(vkeys)
    padded = est.loc[unmatched, "code_key"].str.zfill(width)
    # two rows that pad to the same code (e.g. "6501" and "06501") stay unmatched: which one
    # is meant cannot be known
    fixable = padded.isin(vkeys) & ~padded.isin(est["code_key"]) & ~padded.duplicated(False)
    if fixable.any():
        idx = fixable[fixable].index
        report.padded_codes = sorted(est.loc[idx, "kode_input"].tolist())
        est.loc[idx, "code_key"] = padded[fixable]
    matched = est["code_key"].isin(vkeys)
    cols = [c for ind in indicators for c in (ind.eligible_col, ind.served_col)]
    report.unmatched_estimates = est.loc[~matched, ["kode_input", *cols]].reset_index(drop=True)
    out = villages.merge(est.loc[matched, ["code_key", *cols]], on="code_key", how="left",
                         validate="one_to_one")
    has = out[cols[0]].notna() if cols else pd.Series(True, index=out.index)
    report.villages_without_estimate = out.loc[~has, "kode"].tolist()
    out["has_estimate"] = has.to_numpy()
    for ind in indicators:
        for c in (ind.eligible_col, ind.served_col):
            out[c] = out[c].astype("Int64")
        out[ind.gap_col] = (out[ind.eligible_col] - out[ind.served_col]).astype("Int64")
    return out, report


def _covered_area(villages_m: gpd.GeoDataFrame, polys: np.ndarray) -> np.ndarray:
    """Area (m²) of each village inside the union of ``polys`` (which may overlap).

    Villages lying within one polygon count whole; the others take the union of their
    intersections with the polygons they touch, so no area counts twice and no union of the
    whole layer is ever built (it stays fast at national size).
    """
    n = len(villages_m)
    geoms = villages_m.geometry.values
    area = shapely.area(geoms)
    out = np.zeros(n)
    if len(polys) == 0:
        return out
    tree = shapely.STRtree(polys)
    vi, _ = tree.query(geoms, predicate="within")
    whole = np.zeros(n, bool)
    whole[vi] = True
    out[whole] = area[whole]
    rest = np.flatnonzero(~whole)
    if len(rest) == 0:
        return out
    vi, pi = tree.query(geoms[rest], predicate="intersects")
    if len(vi) == 0:
        return out
    pieces = shapely.intersection(geoms[rest][vi], polys[pi])
    order = np.argsort(vi, kind="stable")
    vi, pieces = vi[order], pieces[order]
    bounds = np.flatnonzero(np.r_[True, vi[1:] != vi[:-1]])
    ends = np.r_[bounds[1:], len(vi)]
    single = (ends - bounds) == 1
    out[rest[vi[bounds[single]]]] = shapely.area(pieces[bounds[single]])
    for b0, b1 in zip(bounds[~single], ends[~single], strict=True):
        out[rest[vi[b0]]] = shapely.area(shapely.union_all(pieces[b0:b1]))
    return np.asarray(np.minimum(out, area), dtype=float)


def blank_spot_share(villages_m: gpd.GeoDataFrame, signal_m: gpd.GeoDataFrame | None,
                     kind: str = "blank_spot") -> np.ndarray:
    """Share (0..1) of each village's area that lies in a blank spot.

    Parameters
    ----------
    villages_m : GeoDataFrame
        Villages in a metric CRS.
    signal_m : GeoDataFrame or None
        Polygons in the same CRS: blank spots (``kind="blank_spot"``) or areas with coverage
        (``kind="coverage"``). Overlapping polygons count once. ``None`` means no signal
        layer: the share is NaN (unknown).
    kind : {"blank_spot", "coverage"}, default "blank_spot"
        What the polygons are.

    Returns
    -------
    ndarray of float
        The share per village (area-weighted, an intensive variable).
    """
    n = len(villages_m)
    if signal_m is None:
        return np.full(n, np.nan)
    polys = signal_m.geometry.values if len(signal_m) else np.array([], dtype=object)
    inside = _covered_area(villages_m, polys)
    area = villages_m.geometry.area.to_numpy()
    share = np.clip(np.divide(inside, area, out=np.zeros(n), where=area > 0), 0.0, 1.0)
    return np.asarray(share if kind == "blank_spot" else 1.0 - share, dtype=float)


def blank_from_coverage(villages_m: gpd.GeoDataFrame,
                        coverage_m: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Blank spots: each village minus the coverage polygons it touches.

    A spatial index, no union of the whole study area. Villages with no blank spot give no
    feature.

    Parameters
    ----------
    villages_m : GeoDataFrame
        Villages, metric CRS.
    coverage_m : GeoDataFrame
        Areas with signal, same CRS.

    Returns
    -------
    GeoDataFrame
        The blank-spot polygons.
    """
    geoms = villages_m.geometry.values
    polys = coverage_m.geometry.values
    out = list(geoms)
    if len(polys):
        tree = shapely.STRtree(polys)
        vi, pi = tree.query(geoms, predicate="intersects")
        order = np.argsort(vi, kind="stable")
        vi, pi = vi[order], pi[order]
        bounds = np.flatnonzero(np.r_[True, vi[1:] != vi[:-1]]) if len(vi) else vi
        for b0, b1 in zip(bounds, np.r_[bounds[1:], len(vi)], strict=True):
            i = vi[b0]
            out[i] = shapely.difference(geoms[i], shapely.union_all(polys[pi[b0:b1]]))
    g = gpd.GeoDataFrame(geometry=out, crs=villages_m.crs)
    return g[~g.geometry.is_empty & (g.geometry.area > 1.0)].reset_index(drop=True)
