from __future__ import annotations

import os

import pytest

from planner.errors import InputError
from planner.inputs import io


def test_semicolon_bom_and_codes_as_text(tmp_path):
    f = tmp_path / "e.csv"
    f.write_bytes("\ufeffkode;n\n0501;3\n".encode())
    df = io.read_table(f)
    assert list(df.columns) == ["kode", "n"]
    assert df.loc[0, "kode"] == "0501"  # leading zero kept


def test_latin1(tmp_path):
    f = tmp_path / "e.csv"
    f.write_bytes("kode,nama\n1,Sebatik Barat \xe9\n".encode("latin-1"))
    assert io.read_table(f).loc[0, "nama"].endswith("\u00e9")


def test_xlsx(tmp_path):
    import pandas as pd

    f = tmp_path / "e.xlsx"
    pd.DataFrame({"kode": ["65.01.01.1001"], "n": [4]}).to_excel(f, index=False)
    df = io.read_table(f)
    assert df.loc[0, "kode"] == "65.01.01.1001" and df.loc[0, "n"] == "4"


@pytest.mark.parametrize("content", [b"", b"   \n"])
def test_empty_files_named(tmp_path, content):
    f = tmp_path / "e.csv"
    f.write_bytes(content)
    with pytest.raises(InputError, match=r"e\.csv: the file is empty"):
        io.read_table(f)
    g = tmp_path / "v.geojson"
    g.write_bytes(b"")
    with pytest.raises(InputError, match=r"v\.geojson: the file is empty"):
        io.read_vector(g)


def test_garbage_vector_named(tmp_path):
    g = tmp_path / "v.geojson"
    g.write_text("this is not json")
    with pytest.raises(InputError, match=r"v\.geojson: cannot be read as a vector layer"):
        io.read_vector(g)


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    io.write_text(target, "old")

    def boom(p):
        p.write_text("half")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        io.write_with(target, boom)
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_a_folder_another_command_wrote_is_refused(tmp_path):
    """Outputs never clobber each other: run.json names what wrote the folder, and another
    producer writing there is refused with a clear message (nothing in it is touched); the
    same producer replaces its own outputs; a folder that does not say is replaced."""
    import json

    import pytest

    from planner.errors import InputError
    from planner.inputs import io

    out = tmp_path / "out"
    with io.generation(out, producer="planner progress") as staging:
        io.write_text(staging / "progress.md", "logs")
        io.write_manifest(staging, {"producer": "planner progress"})
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(InputError, match="holds the outputs of `planner progress`"):
        with io.generation(out, producer="planner run") as staging:
            io.write_text(staging / "villages.csv", "x")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    with io.generation(out, producer="planner progress") as staging:  # its own: replaced
        io.write_text(staging / "progress.md", "logs again")
        io.write_manifest(staging, {"producer": "planner progress"})
    assert (out / "progress.md").read_text() == "logs again"
    doc = json.loads((out / "run.json").read_text())
    doc.pop("producer")
    doc.pop("self_sha256")
    (out / "run.json").write_text(json.dumps(doc))  # an older run.json: it does not say
    with io.generation(out, producer="planner run") as staging:
        io.write_manifest(staging, {"producer": "planner run"})
    assert json.loads((out / "run.json").read_text())["producer"] == "planner run"


def _one_generation(out, files: dict[str, str], producer: str = "planner run"):
    with io.generation(out, producer=producer) as staging:
        for name, text in files.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            io.write_text(staging / name, text)
        io.write_manifest(staging, {"producer": producer})


def test_a_users_backup_beside_the_outputs_is_never_removed(tmp_path):
    """Only staging folders the planner made and marked, of processes that are gone, are
    cleared: a user's copy named like one (``.out.bak-2024-06``, ``.out.staging-1-2``
    without the mark) stays, with everything in it."""
    out = tmp_path / "out"
    _one_generation(out, {"villages.csv": "a"})
    for name in (".out.bak-2024-06", ".out.staging-1-2", ".out.old-99999999-5"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "villages.csv").write_text("mine")
    dead = tmp_path / ".out.staging-99999998-7"  # a killed run's: named and marked
    dead.mkdir()
    (dead / io.STAGING_MARK).write_text("99999998")
    _one_generation(out, {"villages.csv": "b"})
    for name in (".out.bak-2024-06", ".out.staging-1-2", ".out.old-99999999-5"):
        assert (tmp_path / name / "villages.csv").read_text() == "mine"
    assert not dead.exists()
    assert io.check_generation(out) == []


@pytest.mark.parametrize("change", ["a file in a subfolder", "an edited output",
                                    "a foreign run.json", "a changed run.json"])
def test_only_what_the_planner_wrote_is_replaced(tmp_path, change):
    """A re-run replaces the folder whole only when everything in it is what the planner
    wrote, unchanged (run.json lists every file with its SHA-256); a user's file in
    ``sheets/``, an edited output, or a run.json the planner did not write make the run
    refuse, naming what would be lost, and nothing is touched."""
    import json

    out = tmp_path / "out"
    _one_generation(out, {"villages.csv": "a", "sheets/trip_001.html": "<p>1</p>"})
    if change == "a file in a subfolder":
        (out / "sheets" / "notes from the team.txt").write_text("keep me")
        lost = "sheets/notes from the team.txt"
    elif change == "an edited output":
        (out / "villages.csv").write_text("a, with the office's corrections")
        lost = "villages.csv (changed since the planner wrote it)"
    elif change == "a foreign run.json":
        (out / "run.json").write_text(json.dumps({"files": {"villages.csv": "0"}}))
        lost = "villages.csv"
    else:
        doc = json.loads((out / "run.json").read_text())
        doc["files"]["mine.txt"] = doc["files"]["villages.csv"]
        (out / "run.json").write_text(json.dumps(doc))
        lost = "villages.csv"
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(InputError, match="would lose") as err:
        with io.generation(out, producer="planner run") as staging:
            io.write_text(staging / "villages.csv", "new")
    assert lost in str(err.value)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    with pytest.raises(InputError, match="would lose"):  # and before any work
        io.check_output(out, producer="planner run")


def test_planner_check_on_a_broken_run_json(tmp_path):
    """`planner check` says what is wrong with a run.json whose files are a list, or whose
    own content was changed; it never crashes."""
    import json

    out = tmp_path / "out"
    _one_generation(out, {"villages.csv": "a"})
    assert io.check_generation(out) == []
    doc = json.loads((out / "run.json").read_text())
    doc["producer"] = "someone else"
    (out / "run.json").write_text(json.dumps(doc))
    assert any("run.json: changed since the run" in p for p in io.check_generation(out))
    doc["files"] = ["villages.csv"]
    (out / "run.json").write_text(json.dumps(doc))
    assert "is not a table" in io.check_generation(out)[0]


def test_csv_text_never_runs_as_a_formula(tmp_path):
    """Every text cell of every CSV written is data: a formula prefix gets a quote (OWASP),
    numbers stay numbers."""
    import pandas as pd

    f = tmp_path / "t.csv"
    io.write_csv(f, pd.DataFrame({"team": ["=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0",
                                           "@SUM(1)", "-2+3", "Tim A", "\uff1dSUM(1)"],
                                  "people": [1, -2, 3, 4, 5, 6]}))
    back = pd.read_csv(f)
    assert back["team"].tolist() == ["'=HYPERLINK(\"http://x\",\"y\")", "'+cmd|' /C calc'!A0",
                                     "'@SUM(1)", "'-2+3", "Tim A", "'\uff1dSUM(1)"]
    assert back["people"].tolist() == [1, -2, 3, 4, 5, 6]


def test_a_library_writer_failing_for_want_of_space_is_an_output_fault(tmp_path):
    """GDAL (through pyogrio) reports a full disk in its own exception: the run still says
    the outputs could not be written (exit 4), and the previous outputs stay."""
    from planner.errors import OutputError

    class DataSourceError(RuntimeError):  # what pyogrio raises, not an OSError
        pass

    out = tmp_path / "out"
    _one_generation(out, {"villages.csv": "a"})
    with pytest.raises(OutputError, match="disk is full"):
        with io.generation(out, producer="planner run") as staging:
            io.write_text(staging / "villages.csv", "b")
            raise DataSourceError("sqlite3_exec(CREATE TABLE) failed: database or disk is "
                                  "full: No space left on device")
    assert (out / "villages.csv").read_text() == "a"
    assert io.check_generation(out) == []


def test_read_stops_from_the_map_or_a_sites_csv(tmp_path):
    """A stops.csv from the map (code), a sites.csv (site_code; its offices, rank 0, left
    out), codes a spreadsheet guard quoted read back as written, rows named in messages."""
    f = tmp_path / "stops.csv"
    f.write_text("code,name\n65.01.01.2001,A\n\n'=cmd,B\n,blank\n", encoding="utf-8")
    stops = io.read_stops(f)
    assert list(stops) == ["65.01.01.2001", "=cmd"] and stops.rows == [2, 4]
    assert stops.source == str(f)
    s = tmp_path / "sites.csv"
    s.write_text("rank,site_code,site_name\n0,S,Office\n1,65.01.01.2002,B\n", encoding="utf-8")
    assert list(io.read_stops(s)) == ["65.01.01.2002"]
    bad = tmp_path / "bad.csv"
    bad.write_text("kode_desa\nx\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.csv.*no 'code' column.*columns: kode_desa"):
        io.read_stops(bad)
    none = tmp_path / "none.csv"
    none.write_text("code\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="names no stop"):
        io.read_stops(none)
