"""Reading and writing files. Nothing else happens here.

Every reader turns a low-level failure into an :class:`~planner.errors.InputError` that names
the file. Every writer is atomic: it writes a temporary file beside the target and renames it.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import errno
import hashlib
import io as _io
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from ..errors import InputError, OutputError, Problem
from ..text import as_data, from_data

VECTOR_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".fgb", ".parquet", ".geoparquet"}
TABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls", ".ods"}


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(df: pd.DataFrame, path: Path, warnings: list[str] | None,
               unit: str = "feature", numbers: Any = None) -> pd.DataFrame:
    """Replace control characters in text columns by U+FFFD, with a warning.

    No spreadsheet, XML or terminal shows them; the warning names the rows and columns.

    Parameters
    ----------
    df : DataFrame
        The table as read.
    path : Path
        Its file (named in the warning).
    warnings : list of str or None
        Where the warning goes.
    unit : str, default "feature"
        ``"feature"`` or ``"row"``: how the warning numbers what it names.
    numbers : ndarray, optional
        Each row's number as a spreadsheet shows it.

    Returns
    -------
    DataFrame
        The table, cleaned (a copy when anything changed).
    """
    for col in df.columns:
        dt = df[col].dtype
        if col == "geometry" or not (pd.api.types.is_object_dtype(dt)
                                     or pd.api.types.is_string_dtype(dt)):
            continue
        text = df[col].map(lambda v: v if isinstance(v, str) else "")
        bad = text.str.contains(_CONTROL)
        if bad.any():
            df[col] = df[col].where(~bad, text.str.replace(_CONTROL, "\ufffd", regex=True))
            if warnings is not None:
                pos = bad.to_numpy().nonzero()[0][:10]
                rows = [int(numbers[i]) if numbers is not None else int(i) + 1 for i in pos]
                warnings.append(f"{path}: {unit}{'s' if len(rows) > 1 else ''} "
                                f"{', '.join(map(str, rows))}: column '{col}': control "
                                "characters replaced by U+FFFD")
    return df


def vector_layers(path: Path) -> list[str]:
    """The layer names of a multi-layer file (GeoPackage).

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    list of str
        The names; ``[]`` where there is one layer.
    """
    import pyogrio

    try:
        return [str(r[0]) for r in pyogrio.list_layers(path)]
    except Exception:
        return []


def read_vector(path: Path, layer: str | None = None,
                warnings: list[str] | None = None,
                choose: str = "name the one to read with 'layer' in the scenario, or keep "
                              "one layer per file") -> gpd.GeoDataFrame:
    """Read a vector layer (GeoJSON, GPKG, Shapefile, FlatGeobuf, GeoParquet).

    A file with several layers (GeoPackage) needs ``layer``: reading the first one silently
    could read the wrong data. Control characters in text columns are replaced (with a
    warning in ``warnings``).

    Parameters
    ----------
    path : Path
        The file.
    layer : str, optional
        The layer to read in a multi-layer file.
    warnings : list of str, optional
        Where warnings go.
    choose : str, optional
        What the message says to do when the file holds several layers and none is named.

    Returns
    -------
    GeoDataFrame
        The layer, in its own CRS.

    Raises
    ------
    InputError
        If the file is missing, empty or cannot be parsed as a vector layer, or holds several
        layers and none is named.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError([Problem(str(path), "file not found")])
    if path.stat().st_size == 0:
        raise InputError([Problem(str(path), "the file is empty; expected a vector layer")])
    is_parquet = path.suffix.lower() in (".parquet", ".geoparquet")
    if layer is None and path.suffix.lower() == ".gpkg":
        names = vector_layers(path)
        if len(names) > 1:
            raise InputError([Problem(str(path), "the GeoPackage holds several layers ("
                                      + ", ".join(names[:10]) + f"); {choose}")])
    try:
        if is_parquet:
            gdf = gpd.read_parquet(path)
        else:
            gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:  # pyogrio/GDAL raise many types; name the file instead
        raise InputError([Problem(str(path), f"cannot be read as a vector layer ({exc}); "
                                  "expected GeoJSON, GPKG, Shapefile, FlatGeobuf or GeoParquet")]
                         ) from exc
    return clean_text(gdf, path, warnings)


def _decode(raw: bytes, path: Path) -> tuple[str, str]:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise InputError([Problem(str(path), "the file starts like UTF-16 text but is not "
                                      f"valid UTF-16 ({exc.reason}); save it as UTF-8 CSV")]
                             ) from exc
    if b"\x00" in raw[:4096]:
        raise InputError([Problem(str(path), "the file holds NUL bytes: it looks like UTF-16 "
                                  "text without a byte-order mark, or not text at all; save it "
                                  "as CSV UTF-8 (or XLSX)")])
    for enc in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise InputError([Problem(str(path), "cannot decode the text")])  # pragma: no cover


def _formula_cells(path: Path, sheet: str | None) -> list[str]:
    """Cells holding a formula whose value was never saved (files written by programs that
    do not compute formulas): pandas reads them as empty."""
    from openpyxl import load_workbook

    try:
        wb_f = load_workbook(path, read_only=True, data_only=False)
        wb_v = load_workbook(path, read_only=True, data_only=True)
    except Exception:
        return []
    try:
        name = sheet if sheet in wb_f.sheetnames else wb_f.sheetnames[0]
        out = []
        for rf, rv in zip(wb_f[name].iter_rows(), wb_v[name].iter_rows(), strict=False):
            for cf, cv in zip(rf, rv, strict=False):
                if isinstance(cf.value, str) and cf.value.startswith("=") and cv.value is None:
                    out.append(cf.coordinate)
        return out
    finally:
        wb_f.close()
        wb_v.close()


def _merged_ranges(path: Path, sheet: str | None) -> list[tuple[int, int, int, int, str]]:
    """The merged cell ranges of the sheet that span rows, as ``(first column, first row,
    last column, last row, "A4:A6")`` (1-based, as the spreadsheet numbers them)."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=False, data_only=True)
    except Exception:
        return []
    try:
        ws = wb[sheet] if sheet in wb.sheetnames else wb.worksheets[0]
        return sorted((r.min_col, r.min_row, r.max_col, r.max_row, r.coord)
                      for r in ws.merged_cells.ranges if r.max_row > r.min_row)
    finally:
        wb.close()


def _note_merged(df: pd.DataFrame, ranges: list[tuple[int, int, int, int, str]],
                 rows: pd.Series) -> None:
    """Record in ``df.attrs["merged"]`` which data cells lie in a merged range below its
    first cell: ``{column: [(first row, last row, "A4:A6"), ...]}`` (spreadsheet rows)."""
    merged: dict[str, list[tuple[int, int, str]]] = {}
    present = set(int(r) for r in rows)
    for c0, r0, c1, r1, coord in ranges:
        if not any(r in present for r in range(r0, r1 + 1)):
            continue
        for c in range(c0, c1 + 1):
            if c <= len(df.columns):
                merged.setdefault(str(df.columns[c - 1]), []).append((r0, r1, coord))
    df.attrs["merged"] = merged


def fill_merged(df: pd.DataFrame, columns: list[str], path: Path,
                warnings: list[str] | None) -> pd.DataFrame:
    """Give every row of a merged cell range the value its first cell shows, in ``columns``
    (a date or team merged over the sessions of one day means that date for each); merged
    cells of other columns keep their value on the first row only, and a warning says so.

    Parameters
    ----------
    df : DataFrame
        A table from :func:`read_table` (its ``attrs`` name the rows and merged ranges).
    columns : list of str
        Columns whose merged ranges apply to every row they span.
    path : Path
        The file (named in the warnings).
    warnings : list of str or None
        Where the warnings go.

    Returns
    -------
    DataFrame
        The table, filled (a copy when anything changed).
    """
    merged = df.attrs.get("merged") or {}
    if not merged:
        return df
    numbers = [int(n) for n in df.attrs["row_numbers"]]
    pos = {n: i for i, n in enumerate(numbers)}
    df = df.copy()
    for col, ranges in merged.items():
        if col not in df.columns:
            continue
        for r0, r1, coord in ranges:
            if col not in columns:
                if warnings is not None:
                    warnings.append(f"{path}: column '{col}': cells {coord} are merged; their "
                                    f"value is read once, on row {r0}")
                continue
            first = pos.get(r0)
            if first is None or pd.isna(df.iat[first, df.columns.get_loc(col)]):
                continue
            value = df.iat[first, df.columns.get_loc(col)]
            at = [pos[r] for r in range(r0 + 1, r1 + 1) if r in pos]
            df.iloc[at, df.columns.get_loc(col)] = value
            if warnings is not None and at:
                warnings.append(f"{path}: column '{col}': cells {coord} are merged; their "
                                f"value {value!r} is taken for rows {r0}–{r1}")
    return df


def _read_frame(path: Path, raw: bytes, sheet: str | None, warnings: list[str] | None = None
                ) -> tuple[pd.DataFrame, list[tuple[int, int, int, int, str]]]:
    """The table as pandas reads it (every cell text) and, for XLSX, its merged ranges;
    XLSX cells holding formulas without a saved value are refused; a CSV that is not UTF-8
    is read as Windows-1252 (or Latin-1) with a warning."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        df = pd.read_excel(path, sheet_name=sheet or 0, dtype=str, engine="openpyxl")
        if not df.isna().to_numpy().any():
            return df, []
        cells = _formula_cells(path, sheet)
        if cells:
            raise InputError([Problem(
                str(path), "formula cells without a saved value (the file was written "
                "by a program that does not calculate formulas): "
                + ", ".join(cells[:10]) + (f" and {len(cells) - 10} more"
                                           if len(cells) > 10 else "")
                + "; open and save it in Excel or LibreOffice, or paste the values")])
        return df, _merged_ranges(path, sheet)
    if suffix in (".xls", ".ods"):  # legacy Excel, OpenDocument: calamine reads both
        return pd.read_excel(path, sheet_name=sheet or 0, dtype=str, engine="calamine"), []
    text, enc = _decode(raw, path)
    if enc in ("cp1252", "latin-1") and warnings is not None:
        warnings.append(f"{path}: not UTF-8 text: read as "
                        f"{'Windows-1252' if enc == 'cp1252' else 'Latin-1'} (check names "
                        "with accents; save as CSV UTF-8 to be sure)")
    first = text.splitlines()[0] if text else ""
    sep = max([",", ";", "\t"], key=first.count)
    return pd.read_csv(_io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                       na_values=[""], skipinitialspace=True, skip_blank_lines=False), []


def _header_below(df: pd.DataFrame, rows: pd.Series, find_header: str, path: Path,
                  warnings: list[str] | None) -> tuple[pd.DataFrame, pd.Series]:
    """The table read from the row (of the first 10) that holds ``find_header``: title rows
    above the header skipped, with a warning."""
    head = df.head(10).fillna("").astype(str).apply(lambda col: col.str.strip())
    hits = [i for i in range(len(head)) if find_header in set(head.iloc[i])]
    if not hits:
        return df, rows
    i = hits[0]
    header = [str(c).strip() for c in df.iloc[i]]
    header_row = int(rows.iloc[i])
    df = df.iloc[i + 1:].reset_index(drop=True)
    rows = rows.iloc[i + 1:].reset_index(drop=True)
    df.columns = header
    df.attrs["row_offset"] = header_row - 1
    if warnings is not None:
        warnings.append(f"{path}: the header row is row {header_row}; skipped the "
                        f"{header_row - 1} title row(s) above it")
    return df, rows


def _hxl_row(row: pd.Series) -> bool:
    """A row of HXL hashtags (``#adm1 +name``, ``#affected +f``): every filled cell starts
    with ``#`` and at least one is filled."""
    cells = [str(v).strip() for v in row if isinstance(v, str) and str(v).strip()]
    return bool(cells) and all(c.startswith("#") and len(c) > 1 and c[1].isalpha()
                               for c in cells)


def read_table(path: Path, sheet: str | None = None, find_header: str | None = None,
               warnings: list[str] | None = None, data: bytes | None = None) -> pd.DataFrame:
    """Read a CSV, XLSX, XLS or ODS table with every cell as text (codes keep their leading
    zeros).

    CSV: encoding UTF-8 (with or without BOM) or UTF-16 with a BOM, else
    Windows-1252/Latin-1; separator ',' or ';' or tab, detected from the header line.
    XLSX (XLS, ODS): the named sheet or the first one; formulas without a saved value are
    refused;
    merged cells spanning rows are recorded in ``df.attrs["merged"]`` (see
    :func:`fill_merged`). Blank rows are skipped but counted: ``df.attrs["row_numbers"]``
    holds each data row's number as a spreadsheet shows it (header = row 1), which every
    message uses. Control characters in cells are replaced by U+FFFD with a warning. A row
    of HXL hashtags under the header (KoBoToolbox) is skipped with a warning.

    Parameters
    ----------
    path : Path
        The file.
    sheet : str, optional
        The XLSX sheet (default: the first).
    find_header : str, optional
        A column name; when the first row does not hold it but one of the next 10 rows does
        (title rows above the header, as exports often have), the table is read from that
        row and a warning says how many rows were skipped.
    warnings : list of str, optional
        Where warnings go.
    data : bytes, optional
        The file's bytes when it is not on disk (a CSV inside a zip; ``path`` then names
        it in messages, ``archive.zip:form.csv``).

    Returns
    -------
    DataFrame
        Every cell as text.

    Raises
    ------
    InputError
        If the file is missing, empty, not a table, or holds formulas without values.
    """
    path = Path(path)
    if data is None and not path.is_file():
        raise InputError([Problem(str(path), "file not found")])
    raw = path.read_bytes() if data is None else data
    if not raw.strip():
        raise InputError([Problem(str(path), "the file is empty; expected a header row and data")])
    try:
        df, merged = _read_frame(path, raw, sheet, warnings)
        rows = pd.Series(range(2, len(df) + 2))
        blank = df.isna().all(axis=1).to_numpy()
        if blank.any():
            df = df[~blank]
            rows = rows[~blank]
        df = df.reset_index(drop=True)
        rows = rows.reset_index(drop=True)
    except InputError:
        raise
    except Exception as exc:
        raise InputError([Problem(str(path), f"cannot be read as a table ({exc})")]) from exc
    df.columns = [str(c).strip() for c in df.columns]
    if find_header and find_header not in df.columns and len(df):
        df, rows = _header_below(df, rows, find_header, path, warnings)
    if len(df) and _hxl_row(df.iloc[0]):  # KoBo's HXL hashtag row under the header
        if warnings is not None:
            warnings.append(f"{path}: row {int(rows.iloc[0])} holds HXL hashtags "
                            f"({df.iloc[0].dropna().iloc[0]}...), not data: skipped")
        df = df.iloc[1:].reset_index(drop=True)
        rows = rows.iloc[1:].reset_index(drop=True)
    df.attrs["row_numbers"] = rows.to_numpy()
    if merged:
        _note_merged(df, merged, rows)
    return clean_text(df, path, warnings, unit="row", numbers=rows.to_numpy())


class StopList(list[str]):
    """Stop codes read from a file, with the file and each code's row number (header =
    row 1) for messages.

    Parameters
    ----------
    codes : list of str
        The codes.
    source : str
        The file they were read from.
    rows : list of int
        Each code's row number.
    """

    def __init__(self, codes: list[str], source: str, rows: list[int]) -> None:
        super().__init__(codes)
        self.source = source
        self.rows = rows


def read_stops(path: Path | str) -> StopList:
    """The stop codes of a stops file: the map's ``stops.csv`` (a ``code`` column) or a
    ``sites.csv`` the planner wrote (``site_code``; its offices, ``rank`` 0, left out), CSV
    or XLSX. Codes a spreadsheet guard quoted (``'=...``) are read back as written.

    Parameters
    ----------
    path : Path or str
        The file.

    Returns
    -------
    StopList
        The codes, in the file's order, blank cells left out, with their row numbers.

    Raises
    ------
    InputError
        When the file cannot be read, has no code column or names no stop.
    """
    path = Path(path)
    table = read_table(path)
    column = next((c for c in ("code", "site_code", "kode") if c in table.columns), None)
    if column is None:
        raise InputError([Problem(str(path), "no 'code' column (a stops.csv from the map, or "
                                  "'site_code' of a sites.csv); columns: "
                                  + ", ".join(map(str, table.columns)), column="code")])
    numbers = list(table.attrs.get("row_numbers", range(2, len(table) + 2)))
    keep = table[column].fillna("").astype(str).str.strip() != ""
    if "rank" in table.columns:
        keep &= table["rank"].fillna("").astype(str).str.strip() != "0"
    codes = [from_data(str(c).strip()) for c in table.loc[keep, column]]
    if not codes:
        raise InputError([Problem(str(path), "names no stop", column=column)])
    return StopList(codes, str(path), [int(n) for n, k in zip(numbers, keep, strict=True)
                                       if k])


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target``, renamed onto ``target`` on success.

    Parameters
    ----------
    target : Path
        The file to write.

    Yields
    ------
    Path
        Where to write; removed if the block fails.
    """
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
    """Write bytes atomically.

    Parameters
    ----------
    target : Path
        The file.
    data : bytes
        Its content.
    """
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text(target: Path, text: str) -> None:
    """Write UTF-8 text atomically, with '\\n' line ends.

    Parameters
    ----------
    target : Path
        The file.
    text : str
        Its content.
    """
    write_bytes(target, text.encode("utf-8"))


def write_csv(target: Path, df: pd.DataFrame) -> None:
    """Write a table as UTF-8 CSV atomically (floats as written by pandas, '\\n' line ends).

    Every text cell is data: text a spreadsheet would run as a formula gets a leading ``'``
    (:func:`planner.text.as_data`), in every column (names, teams, notes, reasons...);
    numbers are written as numbers.

    Parameters
    ----------
    target : Path
        The file.
    df : DataFrame
        The table (the index is not written).
    """
    text = [c for c in df.columns if df[c].dtype == object or pd.api.types.is_string_dtype(
        df[c].dtype)]
    if text:
        df = df.assign(**{str(c): df[c].map(as_data) for c in text})
    write_text(target, df.to_csv(index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL))


def write_with(target: Path, writer: Callable[[Path], None]) -> None:
    """Call ``writer(tmp_path)`` and rename the result onto ``target`` atomically.

    Parameters
    ----------
    target : Path
        The file.
    writer : callable
        Writes the file at the path it is given.
    """
    with atomic_path(target) as tmp:
        writer(tmp)


# --- one generation of outputs ---------------------------------------------------------------

MANIFEST = "run.json"
"""The file written last in every generation: it lists each output file with its SHA-256."""

GENERATOR = "jangkau-planner"


def _is_generation(folder: Path) -> tuple[bool, list[str]]:
    """Whether ``folder`` may be replaced: empty, or holding only what an earlier run wrote
    there, unchanged (its ``run.json`` lists every file with its SHA-256). Returns what would
    be lost otherwise: files the planner did not write, and outputs changed since."""
    if not any(folder.iterdir()):
        return True, []
    files = _listed(folder)
    if files is None:
        return False, [f"{name} (no run.json of the planner lists it)"
                       for name in _files_below(folder)] or ["an empty subfolder"]
    lost = [f"{name} (not written by the planner)" for name in _files_below(folder)
            if name not in files and name != MANIFEST]
    lost += [f"{name} (changed since the planner wrote it)"
             for name, digest in sorted(files.items())
             if (folder / name).is_file() and file_sha256(folder / name) != digest]
    lost += [f"{p.relative_to(folder).as_posix()}/ (a folder the planner did not write)"
             for p in sorted(folder.rglob("*")) if p.is_dir() and not any(
                 n.startswith(p.relative_to(folder).as_posix() + "/") for n in files)]
    return not lost, lost


def _listed(folder: Path) -> dict[str, str] | None:
    """The files ``run.json`` lists with their SHA-256 (None when it is missing, unreadable,
    not the planner's, or has been changed)."""
    try:
        doc = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("generator") != GENERATOR:
        return None
    files = doc.get("files")
    if not isinstance(files, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        return None
    if "self_sha256" in doc and doc["self_sha256"] != _self_digest(doc):
        return None
    return files


def _self_digest(doc: dict[str, Any]) -> str:
    """SHA-256 of a manifest's content without its own digest (canonical JSON)."""
    body = {k: v for k, v in doc.items() if k != "self_sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False,
                                     default=str).encode("utf-8")).hexdigest()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - another user's process
        return True
    return True


STAGING_MARK = ".jangkau-staging"
"""The file the planner puts in each staging folder it makes (with its process id): only
folders named as the planner names them *and* holding it are ever removed as stale."""


def _clean_stale(parent: Path, name: str) -> None:
    """Remove staging folders left by runs that were killed (their process is gone): only
    folders named exactly ``.<name>.staging-<pid>-<ns>`` (or ``.old-``) that hold the
    planner's mark with the same process id; anything else beside the output folder (a
    user's ``.out.bak-2024-06``) is never touched."""
    pattern = re.compile(rf"^\.{re.escape(name)}\.(staging|old)-(\d+)-(\d+)$")
    for p in parent.iterdir():
        m = pattern.match(p.name)
        if m is None or not p.is_dir() or p.is_symlink() or _pid_alive(int(m.group(2))):
            continue
        try:
            mark = (p / STAGING_MARK).read_text(encoding="utf-8").strip()
        except OSError:
            continue
        if mark == m.group(2):
            shutil.rmtree(p, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux ``renameat2(RENAME_EXCHANGE)``); False where the
    system cannot."""
    if sys.platform != "linux":  # pragma: no cover
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):  # pragma: no cover
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):  # pragma: no cover
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap_in(staging: Path, target: Path) -> None:
    """Make ``staging`` the folder ``target``; the old ``target`` is removed afterwards."""
    if not target.exists():
        os.rename(staging, target)
        return
    if _exchange(staging, target):  # staging now holds the old generation
        shutil.rmtree(staging, ignore_errors=True)
        return
    old = target.parent / f".{target.name}.old-{os.getpid()}-{time.time_ns()}"  # pragma: no cover
    (target / STAGING_MARK).write_text(str(os.getpid()), encoding="utf-8")  # pragma: no cover
    os.rename(target, old)  # pragma: no cover
    os.rename(staging, target)  # pragma: no cover
    shutil.rmtree(old, ignore_errors=True)  # pragma: no cover


def _output_fault(exc: BaseException, where: Path) -> OutputError:
    reason = getattr(exc, "strerror", None) or str(exc)
    code = getattr(exc, "errno", None)
    hint = {errno.ENOSPC: "the disk is full; free some space",
            errno.EDQUOT: "the disk quota is used up",
            errno.EROFS: "the folder is on a read-only file system",
            errno.EACCES: "no permission to write there",
            errno.EPERM: "no permission to write there"}.get(code or -1, "")
    return OutputError(f"cannot write the outputs in {where}: {reason}"
                       + (f" ({hint})" if hint else "")
                       + "; the previous outputs there (if any) are unchanged")


def resolve_output(out_dir: Path | str) -> Path:
    """The absolute output folder (symbolic links followed).

    Parameters
    ----------
    out_dir : Path or str
        The folder asked for.

    Returns
    -------
    Path
        The folder, absolute.

    Raises
    ------
    InputError
        When following its links loops.
    """
    try:
        return Path(out_dir).expanduser().resolve()
    except (OSError, RuntimeError) as exc:
        raise InputError([Problem(str(out_dir), "the output folder is a loop of symbolic "
                                  "links; give another --out")]) from exc


def check_output(out_dir: Path | str, *, producer: str | None = None) -> Path:
    """Check, before any work, that a run may write ``out_dir`` (the checks
    :func:`generation` makes again when it writes): not a file, nothing in it the planner
    did not write or that changed since, not another command's outputs, and a parent
    folder that can be written.

    Parameters
    ----------
    out_dir : Path or str
        The output folder.
    producer : str, optional
        What will write it (``planner run``...).

    Returns
    -------
    Path
        The folder, absolute.

    Raises
    ------
    InputError
        ``out_dir`` is a file, holds what the planner would lose, or another producer's
        outputs.
    OutputError
        Its parent folder cannot be written (read-only, no permission).
    """
    target = resolve_output(out_dir)
    if target.exists() and not target.is_dir():
        raise InputError([Problem(str(target), "the output folder is a file; expected a "
                                  "folder (give another --out)")])
    if target.is_dir():
        ok, foreign = _is_generation(target)
        if not ok:
            names = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more"
                                              if len(foreign) > 5 else "")
            raise InputError([Problem(str(target), "the output folder holds what the "
                                      f"planner would lose: {names}; the planner replaces "
                                      "its output folder whole and replaces only what it "
                                      "wrote, so move these away or give an empty or new "
                                      "folder with --out")])
        earlier = _producer(target)
        if producer and earlier and earlier != producer:
            raise InputError([Problem(str(target), f"the output folder holds the outputs of "
                                      f"`{earlier}` (run.json); `{producer}` would replace "
                                      "them: give another folder with --out, or remove this "
                                      "one first")])
    parent = target.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if hasattr(os, "statvfs") and os.statvfs(parent).f_flag & getattr(os, "ST_RDONLY", 1):
        raise _output_fault(OSError(errno.EROFS, "Read-only file system"), target)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise _output_fault(OSError(errno.EACCES, "Permission denied"), target)
    return target


@contextlib.contextmanager
def generation(out_dir: Path, *, producer: str | None = None) -> Iterator[Path]:
    """Write a run's outputs as one generation.

    Yields an empty staging folder beside ``out_dir``; when the block ends without error the
    staging folder replaces ``out_dir`` whole (an atomic exchange on Linux), so readers see
    either the previous complete outputs or the new ones, never a mix, and files of an
    earlier run that the new one does not write are gone. On any error the staging folder is
    removed and ``out_dir`` is left as it was. A folder that holds anything but the outputs
    of an earlier run is refused (nothing in it is touched).

    Parameters
    ----------
    out_dir : Path
        The output folder.
    producer : str, optional
        What writes it (``planner run``, ``planner trips``...; recorded in ``run.json``): a
        folder another producer wrote is refused, never silently replaced.

    Yields
    ------
    Path
        The staging folder to write into.

    Raises
    ------
    InputError
        ``out_dir`` is a file, a folder holding other files, or the outputs of another
        producer.
    OutputError
        The disk is full, the folder is read-only or not writable.
    """
    target = check_output(out_dir, producer=producer)
    staging: Path | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _clean_stale(target.parent, target.name)
        staging = target.parent / f".{target.name}.staging-{os.getpid()}-{time.time_ns()}"
        staging.mkdir()
        (staging / STAGING_MARK).write_text(str(os.getpid()), encoding="utf-8")
        yield staging
        (staging / STAGING_MARK).unlink(missing_ok=True)
        _swap_in(staging, target)
    except OSError as exc:
        if isinstance(exc, OutputError):
            raise
        raise _output_fault(exc, target) from exc
    except Exception as exc:
        # writers of other libraries (GDAL through pyogrio, openpyxl) do not always raise
        # OSError: a full disk is known by the space left or by what their message says
        try:
            free = shutil.disk_usage(target.parent if target.parent.exists() else "/").free
        except OSError:  # pragma: no cover
            free = 1 << 30
        text = str(exc).lower()
        for code, words in ((errno.ENOSPC, ("no space left", "disk full", "not enough space")),
                            (errno.EROFS, ("read-only file system",)),
                            (errno.EACCES, ("permission denied",))):
            if any(w in text for w in words) or (code == errno.ENOSPC and free < (1 << 20)):
                raise _output_fault(OSError(code, os.strerror(code)), target) from exc
        raise
    finally:
        if staging is not None and staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _producer(folder: Path) -> str:
    """What wrote an output folder, as its run.json says ("" when it does not say)."""
    try:
        doc = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    value = doc.get("producer", "") if isinstance(doc, dict) else ""
    return value if isinstance(value, str) else ""


def file_sha256(path: Path) -> str:
    """SHA-256 of a file.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    str
        The digest, hexadecimal.
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _files_below(folder: Path) -> list[str]:
    """Every file in ``folder`` and its subfolders, as sorted relative paths with ``/``."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if (p.is_file() or p.is_symlink()) and p != folder / STAGING_MARK)


def check_generation(folder: Path) -> list[str]:
    """Problems with a folder of outputs: missing manifest, missing, extra or changed files.

    Parameters
    ----------
    folder : Path
        An output folder.

    Returns
    -------
    list of str
        One line per problem; empty when the folder is one complete, unchanged generation.
    """
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        files = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return [f"{folder / MANIFEST}: missing or unreadable; the folder is not a complete "
                "generation of outputs"]
    if not isinstance(files, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        return [f"{folder / MANIFEST}: 'files' is not a table of file names and SHA-256 "
                "digests; the folder is not a complete generation of outputs"]
    problems = []
    if "self_sha256" not in manifest:
        problems.append(f"{folder / MANIFEST}: carries no digest of itself (an older run, or "
                        "changed): its own content cannot be checked")
    elif manifest["self_sha256"] != _self_digest(manifest):
        problems.append(f"{folder / MANIFEST}: changed since the run (its own SHA-256 "
                        "differs)")
    for name, digest in sorted(files.items()):
        p = folder / name
        if name.startswith("/") or ".." in name.split("/"):
            problems.append(f"{folder}: {MANIFEST} lists {name!r}, outside the folder")
        elif not p.is_file():
            problems.append(f"{p}: listed in {MANIFEST} but missing")
        elif file_sha256(p) != digest:
            problems.append(f"{p}: changed since the run (SHA-256 differs from {MANIFEST})")
    extra = sorted(name for name in _files_below(folder) if name not in files
                   and name != MANIFEST)
    problems += [f"{folder / e}: not part of this generation" for e in extra]
    return problems


def write_manifest(folder: Path, manifest: dict[str, Any]) -> Path:
    """Write ``run.json`` last in a generation.

    Parameters
    ----------
    folder : Path
        The staging folder, every other output already in it.
    manifest : dict
        What the run records; ``generator`` and ``files`` (every other file with its
        SHA-256) are added.

    Returns
    -------
    Path
        The ``run.json`` written.
    """
    files = {name: file_sha256(Path(folder) / name) for name in _files_below(Path(folder))
             if name != MANIFEST}
    doc = {"generator": GENERATOR, **manifest, "files": files}
    doc = json.loads(json.dumps(doc, ensure_ascii=False, default=str))  # as it will be read
    doc["self_sha256"] = _self_digest(doc)
    target = Path(folder) / MANIFEST
    write_text(target, json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n")
    return target
