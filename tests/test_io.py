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
