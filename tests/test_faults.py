"""Faults of our own: the output folder, the disk and the cache misbehave. Every case asserts
the exit code, a message naming the place, no traceback, the previous complete outputs left
intact, and (where a run completes) every village in every output and byte-identical files.

Outputs are one generation: written into a staging folder swapped in whole, with run.json
(written last) listing every file's SHA-256 (``planner.inputs.io.check_generation``)."""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import planner
from planner import cache, store
from planner.cli import main
from planner.inputs import io
from planner.outputs import report

ROOT = Path(__file__).resolve().parent.parent


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def same_outputs(a: dict[str, bytes], b: dict[str, bytes]) -> bool:
    """Equal but for run.json (which holds timings)."""
    return {k for k in a} == {k for k in b} and all(a[k] == b[k] for k in a if k != "run.json")


def run_cli(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".staging-" in p.name or ".old-" in
                  p.name)


@pytest.fixture
def first_run(tiny_scenario, tmp_path, capsys):
    """A complete generation of outputs in tmp/out, with a site choice."""
    out = tmp_path / "out"
    text = tiny_scenario.read_text() + '\n[sites]\nmodel = "max_coverage"\nk = 1\n'
    tiny_scenario.write_text(text)
    code, msg = run_cli(capsys, "run", str(tiny_scenario), "--out", str(out))
    assert code == 0, msg
    assert io.check_generation(out) == []
    return tiny_scenario, out, snapshot(out)


def test_generation_manifest_lists_every_file(first_run):
    _, out, snap = first_run
    manifest = json.loads(snap["run.json"])
    assert manifest["generator"] == "jangkau-planner"
    assert set(manifest["files"]) == set(snap) - {"run.json"}
    assert "sites.csv" in manifest["files"]
    (out / "map.html").write_text("tampered")
    assert any("map.html: changed" in p for p in io.check_generation(out))


def test_files_of_an_earlier_run_do_not_stay(first_run, capsys):
    scenario, out, snap = first_run
    scenario.write_text(scenario.read_text().replace('model = "max_coverage"', 'model = ""'))
    code, msg = run_cli(capsys, "run", str(scenario), "--out", str(out))
    assert code == 0, msg
    assert "sites.csv" in snap and not (out / "sites.csv").exists()
    assert io.check_generation(out) == []


def test_a_folder_with_other_files_is_refused(tiny_scenario, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    code, msg = run_cli(capsys, "run", str(tiny_scenario), "--out", str(out))
    assert code == 2 and "Traceback" not in msg
    assert "notes.txt" in msg and "would lose" in msg
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    f = tmp_path / "a_file"
    f.write_text("x")
    code, msg = run_cli(capsys, "run", str(tiny_scenario), "--out", str(f))
    assert code == 2 and "is a file" in msg and f.read_text() == "x"


@pytest.mark.parametrize("fault", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_write_fault_keeps_the_previous_outputs(first_run, monkeypatch, capsys, fault):
    """A fault half-way through writing (injected into the PNG writer, after the CSV, XLSX
    and GPKG are written): exit 4, a clear message, the previous generation untouched."""
    scenario, out, snap = first_run

    def broken(plan):
        raise OSError(fault, os.strerror(fault))

    monkeypatch.setattr(report, "static_map_png", broken)
    code, msg = run_cli(capsys, "run", str(scenario), "--out", str(out))
    assert code == 4 and "Traceback" not in msg
    assert str(out) in msg and "previous outputs" in msg
    assert {errno.ENOSPC: "disk is full", errno.EROFS: "read-only",
            errno.EACCES: "no permission"}[fault] in msg
    assert snapshot(out) == snap
    assert leftovers(out.parent) == []


def test_fault_when_swapping_in(first_run, monkeypatch, capsys):
    scenario, out, snap = first_run

    def refuse(staging, target):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(io, "_swap_in", refuse)
    code, msg = run_cli(capsys, "run", str(scenario), "--out", str(out))
    assert code == 4 and "read-only" in msg
    assert snapshot(out) == snap and leftovers(out.parent) == []


def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                         capture_output=True)
    return res.returncode == 0


def test_full_and_read_only_disk(tiny_scenario, tmp_path, capsys):
    """A real small tmpfs: filled up, then remounted read-only (needs mount rights; CI runs
    as root)."""
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "8m"):
        pytest.skip("cannot mount a tmpfs here (not root); the injected faults cover it")
    try:
        out = disk / "out"
        code, msg = run_cli(capsys, "run", str(tiny_scenario), "--out", str(out))
        assert code == 0, msg
        snap = snapshot(out)
        filler = disk / "filler"
        try:  # fill the disk to the last block
            with open(filler, "wb") as f:
                while True:
                    f.write(b"\0" * (1 << 16))
                    f.flush()
        except OSError:
            pass
        code, msg = run_cli(capsys, "run", str(tiny_scenario), "--out", str(out))
        assert code == 4 and "Traceback" not in msg and "disk is full" in msg, msg
        assert snapshot(out) == snap and leftovers(disk) == []
        filler.unlink()
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        code, msg = run_cli(capsys, "run", str(tiny_scenario), "--out", str(out))
        assert code == 4 and "read-only" in msg, msg
        assert snapshot(out) == snap
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_kill_during_writing_never_mixes_generations(tiny_scenario, tmp_path):
    """``kill -9`` at random moments of the writing step: the output folder is always one
    complete generation (the previous one, or the new one), and the next run recovers."""
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "planner.cli", "run", str(tiny_scenario), "--out", str(out)]
    env = {**os.environ, "JANGKAU_CACHE": str(tmp_path / "cache")}
    assert subprocess.run(cmd, env=env, capture_output=True).returncode == 0
    good = snapshot(out)
    rng = random.Random(20261128)
    killed = 0
    for _ in range(5):
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if any(".staging-" in p.name for p in tmp_path.iterdir()):
                break
            time.sleep(0.002)
        time.sleep(rng.uniform(0.0, 0.4))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            killed += 1
        proc.wait()
        assert io.check_generation(out) == [], "a mixed or incomplete output folder"
        assert same_outputs(snapshot(out), good)
    assert killed >= 1
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert leftovers(tmp_path) == []  # stale staging folders of killed runs are cleared
    assert same_outputs(snapshot(out), good)


# --- the cache ---------------------------------------------------------------------------------

def _entry(s) -> Path:
    return store.cache_dir() / cache.key(s)


def _damage(kind: str, folder: Path) -> None:
    if kind == "truncated npz":
        p = folder / "arrays.npz"
        p.write_bytes(p.read_bytes()[: 100])
    elif kind == "corrupt parquet":
        p = folder / "villages.parquet"
        data = bytearray(p.read_bytes())
        data[len(data) // 2] ^= 0xFF
        p.write_bytes(bytes(data))
    elif kind == "garbage meta":
        (folder / "meta.json").write_text("{not json")
    elif kind == "missing file":
        (folder / "services.parquet").unlink()
    elif kind == "other format":
        meta = json.loads((folder / "meta.json").read_text())
        meta["format"] = -1
        (folder / "meta.json").write_text(json.dumps(meta))
        sums = json.loads((folder / "checksums.json").read_text())
        sums["meta.json"] = io.file_sha256(folder / "meta.json")
        (folder / "checksums.json").write_text(json.dumps(sums))
    elif kind == "no checksums":
        (folder / "checksums.json").unlink()
    elif kind == "entry is a file":
        import shutil
        shutil.rmtree(folder)
        folder.write_text("x")


@pytest.mark.parametrize("kind", ["truncated npz", "corrupt parquet", "garbage meta",
                                  "missing file", "other format", "no checksums",
                                  "entry is a file"])
def test_damaged_cache_entry_is_recomputed(tiny_scenario, monkeypatch, tmp_path, kind):
    monkeypatch.setenv("JANGKAU_CACHE", str(tmp_path / "cache"))
    s = planner.load_scenario(tiny_scenario)
    fresh = planner.run(s, use_cache=False)
    planner.run(s)
    _damage(kind, _entry(s))
    again = planner.run(s)
    assert "cache_load" not in again.timings  # recomputed
    assert any("cache" in w for w in again.report["warnings"]), again.report["warnings"]
    pd.testing.assert_frame_equal(fresh.table(), again.table())
    third = planner.run(s)  # the entry was rewritten whole
    assert "cache_load" in third.timings
    assert not any("cache" in w for w in third.report["warnings"])


@pytest.mark.parametrize("kind", ["a file", "unwritable"])
def test_unusable_cache_folder_means_no_cache(tiny_scenario, monkeypatch, tmp_path, kind):
    if kind == "a file":
        path = tmp_path / "cache_file"
        path.write_text("x")
        monkeypatch.setenv("JANGKAU_CACHE", str(path))
    else:
        monkeypatch.setenv("JANGKAU_CACHE", str(tmp_path / "ro"))

        def refuse(*a, **k):
            raise PermissionError(errno.EACCES, "Permission denied")

        monkeypatch.setattr(store.tempfile, "mkdtemp", refuse)
    s = planner.load_scenario(tiny_scenario)
    plan = planner.run(s)
    warned = [w for w in plan.report["warnings"] if "cache" in w]
    assert len(warned) == 1 and "without the cache" in warned[0]
    pd.testing.assert_frame_equal(plan.table(), planner.run(s, use_cache=False).table())


def test_cache_key_covers_candidates_and_code(tiny_scenario, monkeypatch):
    from dataclasses import replace

    from planner.config import Layer
    s = planner.load_scenario(tiny_scenario)
    k = cache.key(s)
    cand = Layer(tiny_scenario.parent / "service.geojson", "id", "nama")
    with_cand = s.replace(sites=replace(s.sites, candidates=cand))
    assert cache.key(with_cand) != k
    assert cache.key(s.replace(sites=replace(with_cand.sites, candidates=replace(
        cand, code="nama")))) != cache.key(with_cand)
    monkeypatch.setattr(cache, "_CODE_HASH", "a changed planner")
    assert cache.key(s) != k


def test_every_village_survives_a_recovered_run(first_run, capsys):
    scenario, out, snap = first_run
    table = pd.read_csv(out / "villages.csv", dtype=str)
    assert len(table) == 6 and table["kode"].is_unique
    code, _ = run_cli(capsys, "run", str(scenario), "--out", str(out))
    assert code == 0 and same_outputs(snapshot(out), snap)
    assert np.array_equal(pd.read_csv(out / "villages.csv", dtype=str)["kode"], table["kode"])


def test_check_command(first_run, capsys):
    _, out, _ = first_run
    code, msg = run_cli(capsys, "check", str(out))
    assert code == 0 and "one complete generation" in msg
    (out / "sites.csv").unlink()
    (out / "extra.txt").write_text("x")
    code, msg = run_cli(capsys, "check", str(out))
    assert code == 2 and "sites.csv: listed in run.json but missing" in msg
    assert "extra.txt: not part of this generation" in msg
