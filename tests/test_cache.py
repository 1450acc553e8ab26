from __future__ import annotations

import pandas as pd

import planner
from planner import cache


def test_cached_run_equals_fresh_run(tiny_scenario, tmp_path):
    s = planner.load_scenario(tiny_scenario)
    fresh = planner.run(s, use_cache=False)
    first = planner.run(s)             # computes and stores
    again = planner.run(s)             # loads
    assert "cache_load" in again.timings and "cache_load" not in first.timings
    pd.testing.assert_frame_equal(fresh.table(), again.table())
    a, b = fresh.write(tmp_path / "a"), again.write(tmp_path / "b")
    for k in a:
        if k != "run":
            assert a[k].read_bytes() == b[k].read_bytes(), k
    legs_a, _ = fresh.route("99.01.01.2006")
    legs_b, _ = again.route("99.01.01.2006")
    pd.testing.assert_frame_equal(legs_a, legs_b)


def test_key_follows_inputs_not_weights(tiny_scenario):
    s = planner.load_scenario(tiny_scenario)
    k = cache.key(s)
    assert cache.key(s.replace(weights={"gap": 1.0, "remoteness": 0.0,
                                        "blank_spot": 0.0})) == k
    assert cache.key(s.replace(walk_kmh=3.0)) != k
    est = tiny_scenario.parent / "estimates.csv"
    est.write_text(est.read_text().replace(";100;90", ";100;80"))
    assert cache.key(s) != k


def test_new_weights_reuse_the_cache(tiny_scenario):
    s = planner.load_scenario(tiny_scenario)
    planner.run(s)
    p = planner.run(s.replace(weights={"gap": 0.0, "remoteness": 1.0, "blank_spot": 0.0}))
    assert "cache_load" in p.timings
    # only remoteness counts now: the unreachable villages D and E come first
    assert set(p.villages["nama"].iloc[:2]) == {"Desa D", "Desa E"}
