"""The built wheel carries everything `planner run` needs: the map's static files and the
bundled Kaltara scenario with its data. Built here, installed into a fresh virtual
environment (the dependencies come from this one's site-packages, the planner only from the
wheel) and run from a folder that holds nothing of the repository."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_runs_the_bundled_plan_anywhere(tmp_path):
    dist = tmp_path / "dist"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps",
                            "-w", str(dist), "-q"], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next(dist.glob("jangkau_planner-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("planner/static/jangkau_map.js", "planner/static/leaflet/leaflet.js",
                   "planner/bundled/scenarios/kaltara.toml",
                   "planner/bundled/data/boundaries/villages.geojson", "planner/py.typed"):
        assert needed in names, needed
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    # the dependencies come from this environment (whether it is a venv or not): its
    # site-packages folders are added as plain paths (their .pth files, e.g. an editable
    # install of the planner, are not run), so only the wheel provides `planner`
    site_dir = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()"
                               "['purelib'])"], capture_output=True, text=True,
                              check=True).stdout.strip()
    import site
    parents = [*site.getsitepackages(), site.getusersitepackages()]
    (Path(site_dir) / "_parent_env.pth").write_text("\n".join(parents) + "\n")
    inst = subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "--force-reinstall",
                           "-q", str(wheel)], capture_output=True, text=True)
    assert inst.returncode == 0, inst.stderr[-2000:]
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = subprocess.run([str(py), "-c", "import planner, sys; print(planner.__file__)"],
                           capture_output=True, text=True, cwd=work)
    assert str(venv) in where.stdout, where.stdout + where.stderr
    out = work / "out"
    run = subprocess.run([str(venv / "bin" / "planner"), "run", "--out", str(out)],
                         capture_output=True, text=True, cwd=work,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                              "JANGKAU_CACHE": str(tmp_path / "cache")})
    assert run.returncode == 0, run.stderr[-3000:]
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["report"]["villages"] == 482
    assert "jangkauMap(" in (out / "map.html").read_text()
    assert "bundled" in manifest["inputs"]["villages"]["path"]
