from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from planner.config import Indicator
from planner.inputs.overlay import blank_spot_share, join_estimates

IND = (Indicator("ktp", "e-KTP", "e", "s", "recorded"),)
CRS = "EPSG:32650"


def vill(keys):
    return gpd.GeoDataFrame({"kode": keys, "nama": keys, "code_key": keys},
                            geometry=[box(i, 0, i + 1, 1) for i in range(len(keys))], crs=CRS)


def est(keys, e, s):
    return pd.DataFrame({"code_key": keys, "kode_input": keys, "ktp_eligible": e,
                         "ktp_recorded": s})


def test_join_lists_unmatched_and_missing():
    v = vill(["0101", "0102", "0103"])
    out, rep = join_estimates(v, est(["0101", "0102", "9999"], [10, 20, 30], [5, 20, 1]), IND)
    assert len(out) == 3
    assert rep.villages_without_estimate == ["0103"]
    assert rep.unmatched_estimates["kode_input"].tolist() == ["9999"]
    assert out["ktp_gap"].tolist()[:2] == [5, 0] and pd.isna(out["ktp_gap"].iloc[2])


def test_leading_zeros_restored():
    v = vill(["0101", "0102"])
    out, rep = join_estimates(v, est(["101", "0102"], [10, 20], [5, 20]), IND)
    assert out["ktp_gap"].tolist() == [5, 0]
    assert rep.padded_codes == ["101"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 500), st.integers(0, 500)),
                min_size=1, max_size=25, unique_by=lambda t: t[0]),
       st.integers(1, 25))
def test_conservation_property(rows, n_villages):
    """Every village appears once; matched + unmatched gaps add up to the input's."""
    keys = [f"{k:04d}" for k in range(n_villages)]
    e = [max(a, b) for _, a, b in rows]
    s = [min(a, b) for _, a, b in rows]
    table = est([f"{k:04d}" for k, _, _ in rows], e, s)
    out, rep = join_estimates(vill(keys), table, IND)
    assert sorted(out["kode"]) == sorted(keys)
    unmatched_gap = int((rep.unmatched_estimates["ktp_eligible"]
                         - rep.unmatched_estimates["ktp_recorded"]).sum())
    assert int(out["ktp_gap"].sum()) + unmatched_gap == sum(e) - sum(s)
    assert len(rep.villages_without_estimate) == int(out["ktp_gap"].isna().sum())


def test_blank_share_overlaps_not_double_counted():
    v = vill(["a", "b"])
    blank = gpd.GeoDataFrame(geometry=[box(0, 0, 0.5, 1), box(0.25, 0, 0.75, 1)], crs=CRS)
    share = blank_spot_share(v, blank)
    assert share == pytest.approx([0.75, 0.0])
    cover = blank_spot_share(v, blank, kind="coverage")
    assert cover == pytest.approx([0.25, 1.0])
    assert np.isnan(blank_spot_share(v, None)).all()
    assert blank_spot_share(v, blank.iloc[:0]) == pytest.approx([0.0, 0.0])
