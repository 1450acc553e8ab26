"""`python -m build` makes a clean sdist (the whole project, nothing else) and, from it, a
wheel that carries everything `planner run` needs: the map's static files and the bundled
Kaltara scenario with its data. The wheel is installed into a fresh virtual environment (the
dependencies come from this one's site-packages, the planner only from the wheel) and run
from a folder that holds nothing of the repository. The README's set-up commands are the
ones CI runs."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """The sdist and the wheel built from it (``python -m build``, no download: the build
    tools are in the test extra)."""
    pytest.importorskip("build", reason="build is in the test extra")
    out = tmp_path_factory.mktemp("dist")
    res = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "-o", str(out),
                          str(ROOT)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    return out


def test_sdist_holds_the_project_and_nothing_else(dist):
    """Every file git tracks is in the sdist (tests, docs, notebooks, data, bench...), and
    nothing else but the packaging metadata: no outputs, caches or virtual environments."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = set(subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True,
                                 text=True, check=True).stdout.splitlines())
    tracked = {t for t in tracked if not t.startswith(".git")}  # .gitignore
    sdist = next(dist.glob("jangkau_planner-*.tar.gz"))
    with tarfile.open(sdist) as tar:
        names = {m.name.split("/", 1)[1] for m in tar.getmembers()
                 if m.isfile() and "/" in m.name}
    assert not tracked - names, f"missing from the sdist: {sorted(tracked - names)}"
    extra = {n for n in names - tracked
             if n not in ("PKG-INFO", "setup.cfg") and not n.startswith("jangkau_planner.egg")}
    assert not extra, f"files in the sdist that the project does not hold: {sorted(extra)}"
    assert "CHANGELOG.md" in names and "mkdocs.yml" in names


def test_readme_set_up_is_what_ci_runs():
    """The README's second command is the last line of .ci/run, word for word; both make a
    virtual environment (PEP 668 systems refuse a global pip install)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", readme, re.S)
    assert block
    install, test = block.group(1).strip().splitlines()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1] == test
    for command in (install, test):
        assert command.startswith("python3 -m venv .venv && .venv/bin/python -m pip install")


def test_wheel_runs_the_bundled_plan_anywhere(dist, tmp_path):
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
