from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from planner.config import Indicator
from planner.decide.prioritise import score

INDS = (Indicator("ktp", "e-KTP", "e", "s", weight=1.0),
        Indicator("kia", "KIA", "e2", "s2", weight=0.5))
W = {"gap": 0.6, "remoteness": 0.25, "blank_spot": 0.15}


def frame():
    return pd.DataFrame({
        "kode": ["c", "a", "b"], "nama": ["C", "A", "B"],
        "ktp_gap": pd.array([10, 20, 20], dtype="Int64"),
        "kia_gap": pd.array([20, 0, pd.NA], dtype="Int64"),
        "travel_minutes": [np.inf, 0.0, 0.0],
        "blank_spot_share": [0.0, 1.0, np.nan],
        "nearest_service": ["", "S", "S"],
    })


def test_score_parts_by_hand():
    out = score(frame(), INDS, W).set_index("kode")
    # weighted gaps: c = 10 + 0.5*20 = 20, a = 20, b = 20 (missing KIA counts as 0)
    assert out["weighted_gap"].tolist() == [20.0, 20.0, 20.0]
    # c: .6*1 + .25*1 (unreachable) = .85; a: .6 + .15*1 = .75; b: .6 (unknown blank = 0)
    assert out.loc["c", "priority_score"] == pytest.approx(0.85)
    assert out.loc["a", "priority_score"] == pytest.approx(0.75)
    assert out.loc["b", "priority_score"] == pytest.approx(0.60)
    assert out.loc["c", "priority_why"].startswith("weighted gap 20 people")
    assert "unreachable" in out.loc["c", "priority_why"]


def test_rank_order_and_ties():
    f = frame()
    f["blank_spot_share"] = 0.0
    f["travel_minutes"] = 0.0
    out = score(f, INDS, W)
    # all scores .6: tie broken by weighted gap (all 20), then code
    assert out["kode"].tolist() == ["a", "b", "c"]
    assert out["priority_rank"].tolist() == [1, 2, 3]


def test_remoteness_reference_week():
    f = frame().iloc[[1]].assign(travel_minutes=[10080.0 * 2], blank_spot_share=[0.0])
    out = score(f, INDS, {"gap": 0.0, "remoteness": 1.0, "blank_spot": 0.0})
    assert out["remoteness_part"].iloc[0] == 1.0
    f = f.assign(travel_minutes=[59.0])
    out = score(f, INDS, {"gap": 0.0, "remoteness": 1.0, "blank_spot": 0.0})
    assert out["remoteness_part"].iloc[0] == pytest.approx(math.log(60) / math.log(10081),
                                                           abs=1e-6)
