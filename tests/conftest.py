"""Shared fixtures: a tiny hand-made study area (6 villages) written to a temp folder.

Layout (EPSG:32650 metres, offsets X0=500000, Y0=300000; each village a 2 km square whose
representative point is its centre):

    village  centre (x, y) km   network
    A        (1, 1)             service point S sits exactly on A's centre
    B        (11, 1)            road A-B, 10 km at 40 km/h = 15 min
    C        (21, 1)            river B-C, 10 km at 20 km/h = 30 min + 15 min wait
    D        (41, 1)            no line within 5 km -> beyond walking limit
    E        (61, 1)            road E-(71, 1): a part with no service point
    F        (11, 5)            no line; walks 4 km x 1.3 = 5.2 km at 4 km/h = 78 min to B
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import textwrap
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, box

# keep the run cache of the test session out of the user's ~/.cache
os.environ["JANGKAU_CACHE"] = tempfile.mkdtemp(prefix="jangkau-cache-")

ROOT = Path(__file__).resolve().parent.parent


def _git_status() -> set[str] | None:
    """``git status --porcelain`` of the repository (untracked files listed one by one), or
    None outside a git checkout."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        return None
    res = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT,
                         capture_output=True, text=True)
    return set(res.stdout.splitlines()) if res.returncode == 0 else None


def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):  # the controller, not an xdist worker
        session.config.stash[_STATUS] = _git_status()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The suite writes nothing inside the repository: ``git status`` after it is what it
    was before (ignored files, e.g. caches and the editable install's metadata, aside)."""
    if hasattr(session.config, "workerinput"):
        return
    before = session.config.stash.get(_STATUS, None)
    after = _git_status()
    if before is None or after is None or after == before:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.ensure_newline()
        reporter.write_line("FAILED: the test suite changed the repository (git status): "
                            + ", ".join(sorted(after - before) or sorted(before - after)),
                            red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


_STATUS = pytest.StashKey[set[str] | None]()

X0, Y0 = 500_000.0, 300_000.0
CRS = "EPSG:32650"
CENTRES = {"A": (1, 1), "B": (11, 1), "C": (21, 1), "D": (41, 1), "E": (61, 1), "F": (11, 5)}


def km(x: float, y: float) -> tuple[float, float]:
    return X0 + x * 1000, Y0 + y * 1000


def write_tiny(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    codes = {k: f"99.01.01.20{i:02d}" for i, k in enumerate(CENTRES, start=1)}
    vil = gpd.GeoDataFrame(
        {"kode": [codes[k] for k in CENTRES], "nama": [f"Desa {k}" for k in CENTRES]},
        geometry=[box(*km(x - 1, y - 1), *km(x + 1, y + 1)) for x, y in CENTRES.values()],
        crs=CRS,
    ).to_crs(4326)
    vil.to_file(folder / "villages.geojson")
    gpd.GeoDataFrame({"id": ["S"], "nama": ["Office S"]}, geometry=[Point(km(1, 1))],
                     crs=CRS).to_crs(4326).to_file(folder / "service.geojson")
    lines = gpd.GeoDataFrame(
        {"mode": ["road", "river", "road"], "speed_kmh": [None, 20.0, None],
         "wait_minutes": [None, 15.0, None]},
        geometry=[LineString([km(1, 1), km(11, 1)]), LineString([km(11, 1), km(21, 1)]),
                  LineString([km(61, 1), km(71, 1)])], crs=CRS)
    lines.to_file(folder / "network.gpkg", driver="GPKG")  # projected CRS kept as is
    gpd.GeoDataFrame(geometry=[box(*km(21, 0), *km(22, 2)), box(*km(40, 0), *km(42, 2))],
                     crs=CRS).to_file(folder / "blank.gpkg", driver="GPKG")
    # E has no estimate; 99.01.01.2099 matches no village; B's code is written without dots
    (folder / "estimates.csv").write_text(textwrap.dedent(f"""\
        kode;eligible;recorded
        {codes['A']};100;90
        9901012002;200;150
        {codes['C']};50;20
        {codes['D']};40;40
        {codes['F']};80;60
        99.01.01.2099;30;25
        """), encoding="utf-8")
    scenario = folder / "tiny.toml"
    scenario.write_text(textwrap.dedent("""\
        name = "tiny"
        title = "Tiny test area"
        data_date = "2024-01-01"

        [villages]
        path = "villages.geojson"

        [estimates]
        path = "estimates.csv"

        [[indicators]]
        key = "ktp"
        eligible = "eligible"
        served = "recorded"
        served_suffix = "recorded"
        weight = 1.0

        [signal]
        path = "blank.gpkg"

        [service_points]
        path = "service.geojson"

        [network]
        path = "network.gpkg"
        [network.speed_kmh]
        road = 40

        [access]
        walk_kmh = 4
        detour = 1.3
        max_km = 5
        """), encoding="utf-8")
    return scenario


def add_terrain(scenario, speed=4.0, cols=145, extra=""):
    """A one-class land cover (class 20 at ``speed`` km/h, 500 m cells, 13 rows) over the
    tiny area, the villages' centres (whole kilometres) at cell centres, and [terrain]."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(scenario.parent / "landcover.tif", "w", driver="GTiff", height=13,
                       width=cols, count=1, dtype="uint8", crs="EPSG:32650",
                       transform=from_origin(499_750.0, 306_250.0, 500.0, 500.0)) as dst:
        dst.write(np.full((13, cols), 20, np.uint8), 1)
    text = scenario.read_text()
    scenario.write_text(text + '\n[terrain]\nlandcover = "landcover.tif"\n' + extra
                        + f'[terrain.speeds]\n20 = {speed}\n')
    return text


@pytest.fixture
def tiny_scenario(tmp_path: Path) -> Path:
    return write_tiny(tmp_path / "tiny")


@pytest.fixture(scope="session")
def kaltara_plan():
    import planner

    return planner.run(planner.load_scenario(Path(__file__).parent.parent / "scenarios"
                                             / "kaltara.toml"))
