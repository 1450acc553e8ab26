"""Reading and writing files. Nothing else happens here.

Every reader turns a low-level failure into an :class:`~planner.errors.InputError` that names
the file. Every writer is atomic: it writes a temporary file beside the target and renames it.
"""

from __future__ import annotations

import contextlib
import csv
import io as _io
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .errors import InputError, Problem

VECTOR_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".fgb", ".parquet", ".geoparquet"}
TABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm"}


def read_vector(path: Path, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a vector layer (GeoJSON, GPKG, Shapefile, FlatGeobuf, GeoParquet).

    Raises
    ------
    InputError
        If the file is missing, empty or cannot be parsed as a vector layer.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError([Problem(str(path), "file not found")])
    if path.stat().st_size == 0:
        raise InputError([Problem(str(path), "the file is empty; expected a vector layer")])
    try:
        if path.suffix.lower() in (".parquet", ".geoparquet"):
            return gpd.read_parquet(path)
        return gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:  # pyogrio/GDAL raise many types; name the file instead
        raise InputError([Problem(str(path), f"cannot be read as a vector layer ({exc}); "
                                  "expected GeoJSON, GPKG, Shapefile, FlatGeobuf or GeoParquet")]
                         ) from exc


def _decode(raw: bytes, path: Path) -> tuple[str, str]:
    for enc in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise InputError([Problem(str(path), "cannot decode the text")])  # pragma: no cover


def read_table(path: Path, sheet: str | None = None, find_header: str | None = None,
               warnings: list[str] | None = None) -> pd.DataFrame:
    """Read a CSV or XLSX table with every cell as text (codes keep their leading zeros).

    CSV: encoding UTF-8 (with or without BOM), else Windows-1252/Latin-1; separator ',' or ';'
    or tab, detected from the header line. XLSX: the named sheet or the first one.
    ``find_header``: a column name; when the first row does not hold it but one of the next
    10 rows does (title rows above the header, as exports often have), the table is read from
    that row and a warning says how many rows were skipped.
    Row numbers in messages are those a spreadsheet shows (``df.attrs["row_offset"]`` holds
    the rows skipped).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError([Problem(str(path), "file not found")])
    raw = path.read_bytes()
    if not raw.strip():
        raise InputError([Problem(str(path), "the file is empty; expected a header row and data")])
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            df = pd.read_excel(path, sheet_name=sheet or 0, dtype=str, engine="openpyxl")
        else:
            text, _ = _decode(raw, path)
            first = text.splitlines()[0] if text else ""
            sep = max([",", ";", "\t"], key=first.count)
            df = pd.read_csv(_io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                             na_values=[""], skipinitialspace=True)
    except InputError:
        raise
    except Exception as exc:
        raise InputError([Problem(str(path), f"cannot be read as a table ({exc})")]) from exc
    df.columns = [str(c).strip() for c in df.columns]
    if find_header and find_header not in df.columns and len(df):
        head = df.head(10).fillna("").astype(str).apply(lambda col: col.str.strip())
        hits = [i for i in range(len(head)) if find_header in set(head.iloc[i])]
        if hits:
            i = hits[0]
            header = [str(c).strip() for c in df.iloc[i]]
            df = df.iloc[i + 1:].reset_index(drop=True)
            df.columns = header
            df.attrs["row_offset"] = i + 1
            if warnings is not None:
                warnings.append(f"{path}: the header row is row {i + 2}; skipped the "
                                f"{i + 1} title row(s) above it")
    return df


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    os.unlink(tmp)  # some writers (GPKG) refuse an existing empty file
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def write_bytes(target: Path, data: bytes) -> None:
    """Write bytes atomically."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text(target: Path, text: str) -> None:
    """Write UTF-8 text atomically, with '\\n' line ends."""
    write_bytes(target, text.encode("utf-8"))


def write_csv(target: Path, df: pd.DataFrame) -> None:
    """Write a table as UTF-8 CSV atomically (floats as written by pandas, '\\n' line ends)."""
    write_text(target, df.to_csv(index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL))


def write_with(target: Path, writer: Callable[[Path], None]) -> None:
    """Call ``writer(tmp_path)`` and rename the result onto ``target`` atomically."""
    with atomic_path(target) as tmp:
        writer(tmp)
