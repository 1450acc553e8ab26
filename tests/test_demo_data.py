"""The generated demo layers are reproducible and add up to the real province figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
GENERATED = ["facilities/service_points.geojson", "signal/blank_spots_illustrative.geojson",
             "network/network_illustrative.geojson", "network/timetable_illustrative.csv",
             "network/ports.geojson", "estimates/estimates_illustrative.csv"]


def test_regeneration_is_byte_identical(tmp_path):
    res = subprocess.run([sys.executable, str(ROOT / "tools" / "make_kaltara_demo.py"),
                          "--out", str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    for rel in GENERATED:
        assert (tmp_path / rel).read_bytes() == (ROOT / "data" / rel).read_bytes(), rel


def test_estimates_match_province_figures():
    est = pd.read_csv(ROOT / "data/estimates/estimates_illustrative.csv", dtype={"kode": str})
    pop = pd.read_csv(ROOT / "data/reference/population_kabupaten_2025.csv", dtype=str)
    assert len(est) == 482
    assert est["ktp_eligible"].sum() == 530_130
    assert est["ktp_recorded"].sum() == 523_815
    assert est["population"].sum() == int(pop.loc[pop["kode"] == "65", "total"].iloc[0])
    by_kab = est.groupby(est["kode"].str[:5])["population"].sum()
    for r in pop[pop["kode"].str.len() == 5].itertuples():
        assert by_kab[r.kode] == int(r.total), r.kode
    assert abs(100 * est["kia_served"].sum() / est["kia_eligible"].sum() - 58.09) <= 0.05
    assert abs(100 * est["akta_served"].sum() / est["akta_eligible"].sum() - 97.7) <= 0.05
    for k, s in (("ktp", "recorded"), ("kia", "served"), ("akta", "served")):
        assert (est[f"{k}_{s}"] <= est[f"{k}_eligible"]).all()
        assert (est[f"{k}_{s}"] >= 0).all()
    assert est["illustrative"].str.contains("generated").all()


def test_remote_and_blank_villages_have_larger_gaps(kaltara_plan):
    v = kaltara_plan.villages
    rate = v["ktp_gap"].astype(float) / v["ktp_eligible"].astype(float)
    blank = v["blank_spot_share"] > 0.9
    covered = v["blank_spot_share"] < 0.1
    assert rate[blank].mean() > 1.5 * rate[covered].mean()


def test_every_cited_source_file_is_in_the_repository():
    """The figures' and files' sources the project cites (data/FACTS.md, data/SOURCES.md,
    the data READMEs...) are in the repository: every `data/....md` a README, scenario,
    test or module names exists."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    texts = [*root.glob("*.md"), *root.glob("data/**/*.md"), *root.glob("scenarios/*.toml"),
             *root.glob("tests/*.py"), *root.glob("planner/**/*.py")]
    cited = {m for f in texts for m in re.findall(r"(?<![\w/])data/\w[\w/.-]*?\.md\b",
                                                  f.read_text(encoding="utf-8"))}
    assert {"data/FACTS.md", "data/SOURCES.md"} <= cited
    missing = sorted(c for c in cited if not (root / c).is_file())
    assert not missing, missing
