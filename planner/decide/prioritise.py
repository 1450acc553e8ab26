"""A transparent priority score; every part is its own column.

For village ``v``::

    weighted_gap(v)   = Σ_indicator weight_i × gap_i(v)                          (people)
    gap_part(v)       = weighted_gap(v) / max_v weighted_gap                        (0..1)
    remoteness_part(v)= min(1, ln(1 + minutes(v)) / ln(1 + 10080))  (0..1; one week = 1;
                        unreachable = 1)
    blank_part(v)     = blank-spot share of the village's area                      (0..1)
    priority_score(v) = w_gap × gap_part + w_remoteness × remoteness_part
                        + w_blank_spot × blank_part

Weights come from the scenario's ``[priority.weights]``. Villages without an estimate get a
gap part of 0 (and are listed in the run report); an unknown blank-spot share counts as 0.
Rank 1 is the highest score; ties go to the larger weighted gap, then the smaller code.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..config import Indicator

REMOTENESS_REF_MIN = 10080.0
"""Travel time (minutes) that counts as fully remote: one week."""

SCORE_COLUMNS = ("weighted_gap", "gap_part", "remoteness_part", "blank_part", "score_gap",
                 "score_remoteness", "score_blank_spot", "priority_score", "priority_rank",
                 "priority_why")


def score(villages: pd.DataFrame, indicators: tuple[Indicator, ...],
          weights: dict[str, float]) -> pd.DataFrame:
    """Add the score columns (see module docstring) and return the frame sorted by rank.

    Requires the columns ``{key}_gap`` per indicator, ``travel_minutes`` (inf when
    unreachable), ``blank_spot_share`` and ``kode``.

    Parameters
    ----------
    villages : DataFrame
        The villages with the required columns.
    indicators : tuple of Indicator
        Their weights within the gap part.
    weights : dict of str to float
        ``gap``, ``remoteness``, ``blank_spot``.

    Returns
    -------
    DataFrame
        The villages with the score, its parts and ``priority_rank``, sorted by rank.
    """
    out = villages.copy()
    wg = np.zeros(len(out))
    for ind in indicators:
        wg += ind.weight * out[ind.gap_col].astype("Float64").fillna(0).to_numpy(dtype=float)
    top = wg.max(initial=0.0)
    gap_part = wg / top if top > 0 else np.zeros(len(out))
    minutes = out["travel_minutes"].to_numpy(dtype=float)
    rem = np.ones(len(out))
    ok = np.isfinite(minutes)
    rem[ok] = np.minimum(1.0, np.log1p(minutes[ok]) / np.log1p(REMOTENESS_REF_MIN))
    blank = np.nan_to_num(out["blank_spot_share"].to_numpy(dtype=float), nan=0.0)
    out["weighted_gap"] = np.round(wg, 6)
    out["gap_part"] = np.round(gap_part, 6)
    out["remoteness_part"] = np.round(rem, 6)
    out["blank_part"] = np.round(blank, 6)
    out["score_gap"] = np.round(weights["gap"] * gap_part, 6)
    out["score_remoteness"] = np.round(weights["remoteness"] * rem, 6)
    out["score_blank_spot"] = np.round(weights["blank_spot"] * blank, 6)
    out["priority_score"] = np.round(
        out["score_gap"] + out["score_remoteness"] + out["score_blank_spot"], 6)
    out = out.sort_values(["priority_score", "weighted_gap", "kode"],
                          ascending=[False, False, True], kind="mergesort")
    out["priority_rank"] = np.arange(1, len(out) + 1)
    out["priority_why"] = [_why(r) for r in out.itertuples(index=False)]
    return out.reset_index(drop=True)


def _why(r: Any) -> str:
    parts = {"gap": r.score_gap, "remoteness": r.score_remoteness,
             "blank spot": r.score_blank_spot}
    total = sum(parts.values())
    if total <= 0:
        return "no gap, no remoteness, no blank spot"
    text = {
        "gap": f"weighted gap {r.weighted_gap:,.0f} people",
        "remoteness": ("unreachable on the network" if not np.isfinite(r.travel_minutes)
                       else f"{r.travel_minutes / 60:.1f} h from "
                       f"{getattr(r, 'nearest_office_name', '') or r.nearest_service}"),
        "blank spot": f"{100 * r.blank_part:.0f}% of area in a blank spot",
    }
    order = sorted(parts, key=lambda k: -parts[k])
    return "; ".join(f"{text[k]} ({100 * parts[k] / total:.0f}% of score)" for k in order
                     if parts[k] > 0)
