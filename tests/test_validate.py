from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon, box

from planner.config import DEFAULT_INDICATORS, Layer
from planner.errors import InputError
from planner.inputs.validate import check_estimates, check_points, check_villages, normalise_code

LAYER = Layer(Path("villages.geojson"))


@pytest.mark.parametrize("raw", ["65.01.01.1001", "6501011001", " 6501011001 ",
                                 "6501011001.0", "6.501011001E+09", "65 01 01 1001"])
def test_normalise_code(raw):
    assert normalise_code(raw) == "6501011001"


def villages(geoms, codes=None, crs="EPSG:4326"):
    codes = codes or [f"65.01.01.{1000 + i}" for i in range(len(geoms))]
    return gpd.GeoDataFrame({"kode": codes, "nama": [f"V{i}" for i in range(len(geoms))]},
                            geometry=geoms, crs=crs)


def test_lat_lng_swapped_detected():
    gdf = villages([box(2.8, 117.3, 2.9, 117.4)])  # [lat, lng] written as x, y
    with pytest.raises(InputError, match=r"look like \[lat, lng\]"):
        check_villages(gdf, LAYER, [])


def test_projected_coordinates_mislabelled():
    gdf = villages([box(500000, 300000, 501000, 301000)])
    with pytest.raises(InputError, match="look projected"):
        check_villages(gdf, LAYER, [])


def test_no_crs():
    gdf = villages([box(117, 2, 117.1, 2.1)], crs=None)
    with pytest.raises(InputError, match="no CRS"):
        check_villages(gdf, LAYER, [])


def test_all_problems_together_duplicates_and_empty():
    gdf = villages([box(117, 2, 117.1, 2.1), Polygon(), box(117.2, 2, 117.3, 2.1)],
                   codes=["65.01.01.1001", "65.01.01.1002", "6501011001"])
    with pytest.raises(InputError) as err:
        check_villages(gdf, LAYER, [])
    msg = str(err.value)
    assert "feature 2" in msg and "empty or missing geometry" in msg
    assert "features 1, 3" in msg and "appears 2 times" in msg


def test_self_intersection_repaired_with_warning():
    bowtie = Polygon([(117, 2), (117.1, 2.1), (117.1, 2), (117, 2.1)])
    warnings: list[str] = []
    out = check_villages(villages([bowtie]), LAYER, warnings)
    assert out.geometry.is_valid.all() and not out.geometry.is_empty.any()
    assert "make_valid" in warnings[0] and "feature 1" in warnings[0]


def test_points_outside_type():
    layer = Layer(Path("svc.geojson"), code="id")
    gdf = gpd.GeoDataFrame({"id": ["a"], "nama": ["x"]}, geometry=[box(0, 0, 1, 1)],
                           crs="EPSG:4326")
    with pytest.raises(InputError, match="expected Point, found Polygon"):
        check_points(gdf, layer, [])


def test_estimates_every_problem_with_rows_and_columns():
    df = pd.DataFrame({
        "kode": ["65.01.01.1001", "65.01.01.1002", "65.01.01.1003", "65.01.01.1003", ""],
        "ktp_eligible": ["10", "-4", "1.234,5", "7", "3"],
        "ktp_recorded": ["12", "0", "1", "2", "x"],
        "kia_eligible": ["1"] * 5, "kia_served": ["1"] * 5,
        "akta_eligible": ["1"] * 5, "akta_served": ["1"] * 5,
    })
    with pytest.raises(InputError) as err:
        check_estimates(df, Layer(Path("est.csv")), DEFAULT_INDICATORS)
    msg = str(err.value)
    assert "est.csv: row 2, column 'ktp_recorded': served (ktp_recorded) is greater" in msg
    assert "row 3, column 'ktp_eligible': expected a count >= 0" in msg
    assert "row 4, column 'ktp_eligible'" in msg and "separators" in msg
    assert "rows 4, 5, column 'kode': code '65.01.01.1003' appears 2 times" in msg
    assert "row 6, column 'kode': missing code" in msg
    assert "row 6, column 'ktp_recorded': expected a whole number of people, found 'x'" in msg


def test_estimates_missing_columns_listed():
    df = pd.DataFrame({"kode": ["1"], "ktp_eligible": ["1"]})
    with pytest.raises(InputError) as err:
        check_estimates(df, Layer(Path("est.csv")), DEFAULT_INDICATORS)
    assert len(err.value.problems) == 5  # five of the six count columns are missing
    assert "found columns: kode, ktp_eligible" in str(err.value)


def test_point_ok():
    layer = Layer(Path("svc.geojson"), code="id")
    gdf = gpd.GeoDataFrame({"id": ["a"], "nama": ["x"]}, geometry=[Point(117, 2)],
                           crs="EPSG:4326")
    assert check_points(gdf, layer, [])["id"].tolist() == ["a"]


def test_count_values_is_the_one_rule_for_counts():
    """Estimates and field logs read counts by one rule (planner.inputs.validate)."""
    import numpy as np
    import pandas as pd

    from planner.inputs.validate import count_values

    texts = pd.Series(["12", "12.0", "1e3", "", "abc", "2.5", "-1", "2000000000", "inf", "0"])
    values, problem = count_values(texts)
    assert problem.tolist() == ["", "", "", "blank", "not a number", "fraction", "negative",
                                "too large", "not a number", ""]
    assert values[[0, 1, 2, 9]].tolist() == [12.0, 12.0, 1000.0, 0.0]
    assert np.isnan(values[[3, 4, 8]]).all()


def test_eligible_above_the_population_is_said(tiny_scenario):
    """An estimate with more eligible people than the village's population is kept but
    said (file, row and column), so a typo does not pass silently."""
    import planner

    est = tiny_scenario.parent / "estimates.csv"
    lines = est.read_text().splitlines()
    rows = [lines[0] + ";population"] + [ln + (";90" if i == 0 else ";1000")
                                          for i, ln in enumerate(lines[1:])]
    est.write_text("\n".join(rows) + "\n")
    plan = planner.run(planner.load_scenario(tiny_scenario), use_cache=False)
    said = [w for w in plan.report["warnings"] if "above the village's population" in w]
    assert said and "row 2" in said[0] and "'eligible'" in said[0] and "100 > 90" in said[0]
