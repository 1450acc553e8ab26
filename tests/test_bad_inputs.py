"""The bad-input corpus (tests/data/bad/cases.toml): every malformed input gets a clear
message naming the file, row or feature and column, exit code 2 and no traceback; accepted
oddities (codes without dots, BOM, Latin-1, title rows) pass, with a warning where something
was repaired; nothing is dropped silently."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from planner.cli import main

from .conftest import write_tiny

BAD = Path(__file__).resolve().parent / "data" / "bad"
CASES = tomllib.loads((BAD / "cases.toml").read_text(encoding="utf-8"))["case"]
ROLE_PATH = {"villages": "villages.geojson", "estimates": "estimates.csv",
             "service_points": "service.geojson", "network": "network.gpkg",
             "signal": "blank.gpkg"}


def prepare(case: dict, tmp: Path) -> Path:
    scenario = write_tiny(tmp / "tiny")
    text = scenario.read_text()
    files = dict(case.get("files", {}))
    if "file" in case:
        files[case["role"]] = case["file"]
    for role, name in files.items():
        src = BAD / name
        for sidecar in src.parent.glob(src.stem + ".*"):
            shutil.copy(sidecar, scenario.parent / sidecar.name)
        if role == "links":
            text = text.replace("[network]\n", f'[network]\nlinks = ["{name}"]\n')
        else:
            text = text.replace(f'path = "{ROLE_PATH[role]}"', f'path = "{name}"')
    for name in case.get("copy", []):  # other files the scenario names
        shutil.copy(BAD / name, scenario.parent / name)
    pairs = case.get("replace", [])
    for old, new in ([pairs] if pairs and isinstance(pairs[0], str) else pairs):
        assert old in text, f"the case replaces {old!r}, which the scenario does not hold"
        text = text.replace(old, new)
    text += case.get("append", "")
    scenario.write_bytes(text.encode(case.get("encoding", "utf-8")))
    return scenario


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_bad_input(case, tmp_path, capsys):
    scenario = prepare(case, tmp_path)
    command = case.get("command", "validate")
    args = [command, str(scenario)] + (["--out", str(tmp_path / "out")] if command == "run"
                                       else [])
    code = main(args)
    out = capsys.readouterr()
    text = out.out + out.err
    assert "Traceback" not in text
    assert code == case["exit"], text
    for piece in case["expect"]:
        assert piece in text, f"{piece!r} not in:\n{text}"
    for piece in case.get("absent", []):
        assert piece not in text, f"{piece!r} should not be in:\n{text}"


def test_corpus_is_large_enough():
    assert len(CASES) >= 30
    assert sum(c["exit"] == 2 for c in CASES) >= 30


def test_debug_shows_a_traceback(tmp_path, capsys):
    scenario = prepare(next(c for c in CASES if c["file"] == "estimates_negative.csv"
                            if "file" in c), tmp_path)
    assert main(["--debug", "validate", str(scenario)]) == 2
    assert "Traceback" in capsys.readouterr().err


@pytest.mark.parametrize("args, piece", [
    (["sites", "--k", "-1"], "argument --k: expected a number >= 0 and <= 100000, found -1"),
    (["sites", "--k", "two"], "argument --k: expected a whole number, found 'two'"),
    (["sites", "--target", "1.5"], "argument --target: expected a number > 0 and <= 1"),
    (["sites", "--target", "0"], "argument --target: expected a number > 0"),
    (["sites", "--cover-minutes", "-5"], "argument --cover-minutes: expected a number > 0"),
    (["sites", "--cover-minutes", "nan"], "argument --cover-minutes"),
    (["sites", "--budget", "inf"], "argument --budget"),
    (["sites", "--kits", "-2"], "argument --kits: expected a number >= 0"),
])
def test_options_are_checked(args, piece, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and piece in err and "Traceback" not in err


def test_symlink_loops(tmp_path, capsys):
    scenario = write_tiny(tmp_path / "tiny")
    d = scenario.parent
    (d / "a.csv").symlink_to(d / "b.csv")
    (d / "b.csv").symlink_to(d / "a.csv")
    scenario.write_text(scenario.read_text().replace('path = "estimates.csv"',
                                                     'path = "a.csv"'))
    assert main(["validate", str(scenario)]) == 2
    assert "'a.csv' is a loop of symbolic links" in capsys.readouterr().err
    (d / "s1.toml").symlink_to(d / "s2.toml")
    (d / "s2.toml").symlink_to(d / "s1.toml")
    assert main(["validate", str(d / "s1.toml")]) == 2
    assert "loop of links" in capsys.readouterr().err
    scenario.write_text(scenario.read_text().replace('path = "a.csv"',
                                                     'path = "estimates.csv"'))
    (tmp_path / "o1").symlink_to(tmp_path / "o2")
    (tmp_path / "o2").symlink_to(tmp_path / "o1")
    assert main(["run", str(scenario), "--out", str(tmp_path / "o1")]) == 2
    err = capsys.readouterr().err
    assert "output folder is a loop" in err and "Traceback" not in err


def test_compare_plans_of_different_villages(tmp_path, capsys):
    a = write_tiny(tmp_path / "a")
    b = write_tiny(tmp_path / "b")
    shutil.copy(BAD / "villages_one.geojson", b.parent / "villages_one.geojson")
    b.write_text(b.read_text().replace('path = "villages.geojson"',
                                       'path = "villages_one.geojson"'))
    code = main(["compare", str(a), str(b), "--out", str(tmp_path / "cmp")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "5 village(s) only in this plan" in err and "99.01.01.2002" in err
    assert not (tmp_path / "cmp").exists()


def test_verbose_after_the_subcommand_and_only_our_logger(tmp_path, capsys):
    import logging

    scenario = write_tiny(tmp_path / "tiny")
    root_handlers = list(logging.getLogger().handlers)
    assert main(["validate", str(scenario), "-v"]) == 0
    assert main(["-v", "validate", str(scenario)]) == 0
    assert logging.getLogger().handlers == root_handlers  # the root logger is not touched
    assert not logging.getLogger("planner").propagate
    err = capsys.readouterr().err
    assert "INFO planner: load_validate" in err
