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
    (out / "run.json").write_text(json.dumps(doc))  # an older run.json: it does not say
    with io.generation(out, producer="planner run") as staging:
        io.write_manifest(staging, {"producer": "planner run"})
    assert json.loads((out / "run.json").read_text())["producer"] == "planner run"
