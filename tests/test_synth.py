from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.synth import largest_remainder


def test_known_answers():
    # 10 over equal weights: 3.33 each -> the first gets the extra unit (ties to lower index)
    assert largest_remainder(10, np.array([1, 1, 1])).tolist() == [4, 3, 3]
    # caps: the third is capped at 2, the other 8 split evenly
    assert largest_remainder(10, np.array([1, 1, 10]), np.array([5, 5, 2])).tolist() == [4, 4, 2]


def test_infeasible_caps():
    with pytest.raises(ValueError, match="caps add up to 3"):
        largest_remainder(5, np.array([1, 1]), np.array([1, 2]))


@given(st.integers(0, 10**6), st.lists(st.floats(0.01, 1000), min_size=1, max_size=50),
       st.integers(1, 3))
def test_sum_exact_and_caps_respected(total, weights, capfactor):
    w = np.array(weights)
    caps = np.ceil(total * capfactor * w / w.sum()).astype(int) + 1
    out = largest_remainder(total, w, caps)
    assert out.sum() == total
    assert (out >= 0).all() and (out <= caps).all()
