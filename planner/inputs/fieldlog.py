"""Progress from field service logs: read, check, attach to villages, apply, and follow
coverage over time.

A service log has one row per session a team held (or per form a team sent): where (a GPS
point), when, which team, how many people were served for each indicator, and optionally the
village the team says it was in. Exports of ODK Collect (ODK Central CSV: ``start``,
``location-Latitude``, ``meta-instanceID``...) and KoBoToolbox (``_geolocation``,
``_location_latitude``, ``_uuid``, ``_submission_time``...) are read as they come; the
``[progress]`` section of a scenario names other columns.

Every row ends in exactly one of two states: **applied** (its people are added to the served
counts of one village) or **set aside** with the reasons, in words, naming the file and row.
Nothing is dropped: the people logged equal the people applied plus the people set aside, per
indicator (:meth:`LogCheck.totals`).

Checks, in order (a row is set aside for every reason that holds):

1. the row itself: a date (``YYYY-MM-DD``, with or without a time), counts that are whole
   numbers >= 0 (at least one given), coordinates that are numbers within range and not
   (0, 0) (a device without a GPS fix);
2. dates: not before the baseline (those sessions are in the estimates already), not after
   today (the clock of the machine), not after the as-of date;
3. the place: the point in a village's polygon (metric CRS). With a stated village code, the
   point must lie in it or within ``max_distance_km`` of it; without, a point outside every
   village is attached to the nearest one within ``max_distance_km``. Farther: set aside with
   the nearest village and the distance; when latitude and longitude swapped would put the
   point in a village, the reason says so;
4. duplicates, among the rows that passed 1-3: the same submission id as an earlier row, or
   the same team at the same time (to the minute; with dates only, the same date and the same
   counts) within 50 m of an earlier row; the first is applied; sent again with other counts
   (another submission), the later one is the correction and replaces it;
5. counts against the village's estimate, in date order: a count above what the village
   still has unserved is applied with a note (the estimate was low; :func:`apply_logs`
   raises it); a row is set aside only for a count above the village's whole eligible
   estimate or ``max_per_session``, or a village without an estimate. Each count is decided
   on its own: ``n/a`` is not given, an unreadable count is left out with a note and the
   row's other counts apply; a row a reviewer rejected is set aside, one flagged is noted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..config import AdminLevel, Indicator, ProgressSpec
from ..crs import WGS84
from ..errors import InputError, Problem
from . import io
from .validate import count_values, normalise_code

DUPLICATE_METRES = 50.0
"""Two sessions of one team at the same time closer than this are one session sent twice."""

_ROLE_NAMES = {
    "id": ("_uuid", "meta-instanceid", "meta/instanceid", "instanceid", "key", "_id", "id",
           "submission_id", "uuid"),
    "team": ("team", "tim", "team_id", "nama_tim", "enumerator", "petugas", "submittername",
             "_submitted_by", "username", "deviceid"),
    "village": ("village_code", "kode_desa", "kode", "village", "desa_kode", "desa",
                "nama_desa", "village_name"),
    "kecamatan": ("kecamatan", "kec", "nama_kecamatan", "subdistrict"),
    "review": ("reviewstate", "review_state", "_validation_status", "validation_status"),
    "geopoint": ("_geolocation", "geolocation", "geopoint", "location", "gps"),
}
"""Column names looked for, per role, when ``[progress]`` does not name one, in order of
preference (compared without case; ODK's ``group-field`` and KoBo's ``group/field`` paths
match by their last part too). The team is the submitter before the device."""

DATE_TIERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("a service-date question", ("service_date", "session_date", "tanggal_layanan",
                                 "tanggal_pelayanan")),
    ("the form's start time", ("start", "starttime", "start_time")),
    ("the form's date (today)", ("today",)),
    ("a date question", ("date", "tanggal", "tgl")),
    ("the form's end time", ("end", "endtime", "end_time")),
    ("the server's receipt time (UTC; uploads from blank spots can lag by days: the last "
     "resort)", ("submissiondate", "_submission_time", "submission_time")),
)
"""Where a session's date comes from when ``[progress] date`` does not say: the first tier
with a column, in this order (the form's own times before the server's receipt)."""

_ROLE_NAMES["date"] = tuple(n for _, names in DATE_TIERS for n in names)

REASON_KINDS = (
    ("rejected by a reviewer", "rejected in review"), ("duplicate of", "duplicate"),
    ("corrected resend", "replaced by a resend"),
    ("in the future", "date in the future"),
    ("before the baseline", "before the baseline"), ("after the as-of", "after the as-of date"),
    ("outside every village", "outside every village"),
    ("from the stated village", "far from the stated village"),
    ("is not a village", "unknown stated village"),
    ("fits", "ambiguous village name"),
    ("whole eligible estimate", "more than the village's eligible"),
    ("max_per_session", "more than max_per_session"),
    ("no estimate", "village without an estimate"), ("coordinates", "bad coordinates"),
    ("date", "bad date"), ("count", "bad count"), ("whole number", "bad count"))
"""The kind of a set-aside row, from words of its first reason (for the summary's table)."""


def reason_kind(reason: str) -> str:
    """The kind of a reason (see :data:`REASON_KINDS`); "" for none.

    Parameters
    ----------
    reason : str
        A set-aside reason.

    Returns
    -------
    str
        Its kind.
    """
    first = reason.split("; ")[0]
    for words, kind in REASON_KINDS:
        if words in first:
            return kind
    return "other" if reason else ""


_DATE_RE = re.compile(r"^\s*(\d{4})[-/](\d{2})[-/](\d{2})(?:[T ](\d{2}):(\d{2})"
                      r"(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?")
_MONTHS_ID = {"januari": "January", "februari": "February", "maret": "March",
              "mei": "May", "juni": "June", "juli": "July", "agustus": "August",
              "oktober": "October", "desember": "December", "agu": "Aug", "agt": "Aug",
              "okt": "Oct", "des": "Dec", "nop": "Nov", "peb": "Feb"}
"""Indonesian month names (and their usual short forms) as ``%b``/``%B`` read them."""
_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


@dataclass
class LogCheck:
    """Every log row with its outcome.

    Attributes
    ----------
    rows : DataFrame
        One row per log row, in input order: ``file, row`` (the row or feature number as a
        spreadsheet shows it), ``id, date, time, team, lat, lon, stated_village``, per
        indicator ``<key>_logged`` (people, 0 when not given or unreadable), ``kode, nama``
        (the village it is attached to), ``distance_km`` (from the point to that village, 0
        inside), ``status`` (``applied`` or ``set_aside``), ``reason`` (why set aside) and
        ``note`` (how an applied row was attached, when not plainly inside).
    indicators : tuple of str
        The indicator keys.
    baseline, as_of : str
        The dates used (``YYYY-MM-DD``; "" when none).
    roles : tuple of Role
        Which column of each file filled each role, and why.
    timezone : str
        The time zone sessions were dated in, and how it was chosen.
    """

    rows: pd.DataFrame
    indicators: tuple[str, ...]
    baseline: str = ""
    as_of: str = ""
    roles: tuple[Role, ...] = ()
    timezone: str = ""

    @property
    def applied(self) -> pd.DataFrame:
        """The rows applied to the villages' served counts."""
        return self.rows[self.rows["status"] == "applied"]

    @property
    def set_aside(self) -> pd.DataFrame:
        """The rows set aside, each with its reason."""
        return self.rows[self.rows["status"] == "set_aside"]

    def totals(self) -> pd.DataFrame:
        """Per indicator: rows and people logged, applied and set aside (logged = applied +
        set aside, always).

        Returns
        -------
        DataFrame
            One row per indicator.
        """
        out = []
        for key in self.indicators:
            col = f"{key}_logged"
            out.append({"indicator": key,
                        "rows_logged": len(self.rows),
                        "rows_applied": len(self.applied),
                        "rows_set_aside": len(self.set_aside),
                        "people_logged": int(self.rows[col].sum()),
                        "people_applied": int(self.applied[col].sum()),
                        "people_set_aside": int(self.set_aside[col].sum())})
        return pd.DataFrame(out)

    def roles_table(self) -> pd.DataFrame:
        """Which column of each file filled each role, and why.

        Returns
        -------
        DataFrame
            ``file, role, column, how``; one row per file and role.
        """
        return pd.DataFrame([{"file": r.file, "role": r.role, "column": r.column,
                              "how": r.how} for r in self.roles],
                            columns=["file", "role", "column", "how"])

    def summary(self) -> str:
        """One line: people applied of those logged per indicator, rows set aside.

        Returns
        -------
        str
            The line.
        """
        t = self.totals()
        people = ", ".join(f"{r.indicator} {r.people_applied:,} of {r.people_logged:,}"
                           for r in t.itertuples())
        return (f"{len(self.rows)} log rows: {len(self.applied)} applied, "
                f"{len(self.set_aside)} set aside (people applied: {people})")


# --- reading ------------------------------------------------------------------------------


def read_logs(paths: list[Path] | tuple[Path, ...], spec: ProgressSpec,
              indicators: tuple[Indicator, ...] | list[Indicator],
              warnings: list[str] | None = None) -> pd.DataFrame:
    """Read log files into one table of text cells with ``file``, ``row`` and a column per
    role (``id, date, team, village, lat, lon``) and per indicator (``<key>``); "" where a
    role has no column. Point layers give ``lat``/``lon`` from their geometry.

    Parameters
    ----------
    paths : sequence of Path
        The log files.
    spec : ProgressSpec
        Column names and formats.
    indicators : sequence of Indicator
        The scenario's indicators.
    warnings : list of str, optional
        Where reading notes go (title rows skipped, merged cells filled, control characters
        replaced).

    Returns
    -------
    DataFrame
        Every row of every file, as text.

    Raises
    ------
    InputError
        A file that cannot be read, or that has no date, no place (coordinates) or no count
        column, listing every problem of every file.
    """
    problems: list[Problem] = []
    frames = []
    for path in paths:
        try:
            frames.append(_read_one(Path(path), spec, indicators, warnings))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    if not frames:
        return _empty(indicators)
    out = pd.concat(frames, ignore_index=True)
    out.attrs["roles"] = [r for f in frames for r in f.attrs.get("roles", [])]
    return out


def _empty(indicators: tuple[Indicator, ...] | list[Indicator]) -> pd.DataFrame:
    cols = ["file", "row", "id", "date", "team", "village", "lat", "lon",
            *[i.key for i in indicators]]
    return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})


def _read_one(path: Path, spec: ProgressSpec,
              indicators: tuple[Indicator, ...] | list[Indicator],
              warnings: list[str] | None) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix == ".zip":   # ODK Central's .csv.zip: the submissions and their repeat groups
        table = _read_central_zip(path, spec, indicators, warnings)
        rows = [str(n) for n in table.attrs.get("row_numbers", range(2, len(table) + 2))]
        lat = lon = None
    elif suffix in io.TABLE_SUFFIXES:
        # title rows above the header (as office spreadsheets have) are skipped when the
        # date column is named: the header is the row that holds it
        table = io.read_table(path, spec.columns.get("sheet"),
                              find_header=spec.columns.get("date"), warnings=warnings)
        if suffix in (".xlsx", ".xlsm"):
            table = _kobo_repeat_sheets(path, table, spec, indicators, warnings)
        rows = [str(n) for n in table.attrs.get("row_numbers", range(2, len(table) + 2))]
        lat = lon = None
    else:
        layer = io.read_vector(path)
        geom = layer.geometry.values
        bad = ~(shapely.get_type_id(geom) == 0) & ~shapely.is_missing(geom)
        named_point = any(k in spec.columns for k in ("geopoint", "lat", "lon"))
        if named_point:  # a form with several geo questions: the one named, not the geometry
            bad[:] = False
        if bad.any():
            first = int(np.flatnonzero(bad)[0]) + 1
            raise InputError([Problem(str(path), "expected points (one per session), found "
                                      f"{int(bad.sum())} other geometries",
                                      where=f"feature {first}")])
        wgs = layer.to_crs(WGS84) if layer.crs is not None else layer
        xy = shapely.get_coordinates(wgs.geometry.values, include_z=False)
        ok = ~shapely.is_missing(wgs.geometry.values)
        lon = np.full(len(layer), "", dtype=object)
        lat = np.full(len(layer), "", dtype=object)
        lon[ok] = [repr(float(x)) for x in xy[:, 0]]
        lat[ok] = [repr(float(y)) for y in xy[:, 1]]
        table = pd.DataFrame(layer.drop(columns=layer.geometry.name)).astype(object)
        table = table.where(table.notna(), "").astype(str)
        rows = [f"feature {i + 1}" for i in range(len(layer))]
        if named_point:
            lat = lon = None
    try:
        columns, roles = _resolve_columns(path, table, spec, indicators,
                                          has_geometry=lat is not None)
    except InputError as exc:
        raise InputError([*exc.problems, *_other_sheets(path, spec)]) from None
    # a date, team or village merged over several rows (one day's sessions) holds for each
    # row; a merged count is a total, read once
    table = io.fill_merged(table, [columns[r] for r in ("date", "team", "village")
                                   if r in columns], path, warnings)
    out = pd.DataFrame({"file": str(path), "row": rows})
    for role in ("id", "date", "team", "village", "kecamatan", "review"):
        out[role] = _text(table, columns.get(role))
    # the server stamps its receipt time in UTC (KoBo's _submission_time has no offset)
    last = re.split(r"[-/.]", _norm(columns.get("date", "")))[-1]
    out["date_zone"] = "utc" if last in DATE_TIERS[-1][1] else ""
    if lat is not None:
        out["lat"], out["lon"] = lat, lon
    elif "lat" in columns:
        out["lat"], out["lon"] = _text(table, columns["lat"]), _text(table, columns["lon"])
    else:
        out["lat"], out["lon"] = _split_geopoint(_text(table, columns["geopoint"]))
    for ind in indicators:
        out[ind.key] = _text(table, columns.get(f"served:{ind.key}"))
    if lat is not None:
        roles.append(Role(str(path), "geopoint", "(geometry)", "the features' points"))
    out.attrs["roles"] = roles
    return out


def _read_central_zip(path: Path, spec: ProgressSpec,
                      indicators: tuple[Indicator, ...] | list[Indicator],
                      warnings: list[str] | None) -> pd.DataFrame:
    """The submissions of an ODK Central ``.csv.zip``: its main CSV (the one without
    ``PARENT_KEY``), with each indicator's count taken from a repeat group's CSV when the
    main one has none: summed per submission (every repeat row's ``PARENT_KEY`` leads to
    its submission's ``KEY``)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            members = {m: z.read(m) for m in z.namelist() if m.lower().endswith(".csv")}
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError([Problem(str(path), f"cannot be read as a zip of CSV files ({exc})")]
                         ) from None
    tables = {m: io.read_table(Path(f"{path}:{m}"), warnings=warnings, data=data)
              for m, data in sorted(members.items())}
    mains = [m for m, t in tables.items() if "PARENT_KEY" not in t.columns]
    if len(mains) != 1 or "KEY" not in tables[mains[0]].columns:
        raise InputError([Problem(str(path), "expected one main CSV with a KEY column (ODK "
                                  "Central's export) and repeat-group CSVs with PARENT_KEY; "
                                  f"found {', '.join(tables) or 'no CSV'}")])
    main = tables[mains[0]]
    repeats = {m: (t, t["PARENT_KEY"].fillna("").astype(str).str.split("/").str[0])
               for m, t in tables.items() if m not in mains}
    return _counts_from_repeats(main, "KEY", repeats, spec, indicators)


def _kobo_repeat_sheets(path: Path, table: pd.DataFrame, spec: ProgressSpec,
                        indicators: tuple[Indicator, ...] | list[Indicator],
                        warnings: list[str] | None) -> pd.DataFrame:
    """A KoBoToolbox workbook: the submissions on its first sheet (``_index``) and each
    repeat group on a sheet of its own (``_parent_index``): a count found only on a repeat
    sheet is summed per submission."""
    if "_index" not in table.columns or spec.columns.get("sheet") or not _missing_counts(
            table, spec, indicators):
        return table
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True)
        names = wb.sheetnames[1:]
        wb.close()
    except Exception:
        return table
    repeats = {}
    for name in names:
        t = io.read_table(path, name, warnings=warnings)
        if "_parent_index" in t.columns:
            repeats[f"{path.name}:{name}"] = (t, t["_parent_index"].fillna("").astype(str))
    return _counts_from_repeats(table, "_index", repeats, spec, indicators)


def _count_names(ind: Indicator, spec: ProgressSpec) -> tuple[str, ...]:
    """The names an indicator's count column is found by (as named, else the defaults)."""
    if ind.key in spec.served:
        return (spec.served[ind.key].lower(),)
    return (ind.key.lower(), f"{ind.key.lower()}_served", ind.served.lower())


def _missing_counts(table: pd.DataFrame, spec: ProgressSpec,
                    indicators: tuple[Indicator, ...] | list[Indicator]) -> bool:
    return any(_find(table, _count_names(ind, spec)) is None for ind in indicators)


def _counts_from_repeats(main: pd.DataFrame, key: str,
                         repeats: dict[str, tuple[pd.DataFrame, pd.Series]],
                         spec: ProgressSpec,
                         indicators: tuple[Indicator, ...] | list[Indicator]) -> pd.DataFrame:
    """Each indicator's count, when the main table has none, summed per submission from
    the first repeat group that has it (``repeats``: name -> (table, each row's submission
    key)); ``main.attrs["summed"]`` says where each came from."""
    summed: dict[str, str] = dict(main.attrs.get("summed", {}))
    for ind in indicators:
        names = _count_names(ind, spec)
        if _find(main, names) is not None:
            continue
        for name, (t, parent) in repeats.items():
            col = _find(t, names)
            if col is None:
                continue
            main[col] = _sum_repeat(main[key], parent, t[col])
            summed[col] = f"summed over the repeat group {name} ({len(t)} rows) per submission"
            break
    main.attrs["summed"] = summed
    return main


def _sum_repeat(keys: pd.Series, parent: pd.Series, cells: pd.Series) -> pd.Series:
    """A repeat group's counts summed per submission (as text; "" with no repeat row; an
    unreadable cell is kept as it is, for the count rules to name)."""
    parent = parent.reset_index(drop=True)
    texts = cells.fillna("").astype(str).str.strip().reset_index(drop=True)
    number, problem = count_values(texts.where(~texts.str.lower().isin(NOT_GIVEN), ""))
    ok = pd.Series(problem == "")
    bad = (~ok) & (pd.Series(problem) != "blank")
    sums = pd.Series(np.where(ok, number, 0.0)).groupby(parent).sum()
    given = ok.groupby(parent).any()
    first_bad = texts[bad].groupby(parent[bad]).first()
    out = []
    for k in keys.fillna("").astype(str):
        if k in first_bad.index:
            out.append(str(first_bad[k]))
        elif k in given.index and bool(given[k]):
            out.append(str(int(sums[k])))
        else:
            out.append("")
    return pd.Series(out, index=keys.index, dtype=object)


def _other_sheets(path: Path, spec: ProgressSpec) -> list[Problem]:
    """When the first sheet of a workbook was read (no ``[progress] sheet``) and it has
    others, a problem naming them: the logs may be on another one."""
    if path.suffix.lower() not in (".xlsx", ".xlsm") or spec.columns.get("sheet"):
        return []
    try:
        from openpyxl import load_workbook

        names = load_workbook(path, read_only=True).sheetnames
    except Exception:
        return []
    if len(names) < 2:
        return []
    return [Problem(str(path), f"the first sheet ({names[0]!r}) was read; the workbook also "
                    f"holds {', '.join(map(repr, names[1:]))}: name the sheet with the logs "
                    "in [progress] sheet", column="sheet")]


def _text(table: pd.DataFrame, column: str | None) -> np.ndarray:
    if column is None:
        return np.full(len(table), "", dtype=object)
    return np.asarray(table[column].fillna("").astype(str).str.strip().to_numpy(dtype=object))


def _norm(name: str) -> str:
    return str(name).strip().lower()


def _matches(table: pd.DataFrame, name: str) -> list[str]:
    """Columns named ``name`` (without case), else those whose last path part (after ``-``,
    ``/`` or ``.``) is ``name``."""
    exact = [str(c) for c in table.columns if _norm(c) == name]
    if exact:
        return exact
    return [str(c) for c in table.columns if re.split(r"[-/.]", _norm(c))[-1] == name]


def _find(table: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    """The first column named as one of ``names`` (without case), or whose last path part
    (after ``-``, ``/`` or ``.``) is."""
    for n in names:
        if (hits := [str(c) for c in table.columns if _norm(c) == n]):
            return hits[0]
    for n in names:
        if (hits := _matches(table, n)):
            return hits[0]
    return None


def _lat_lon_pair(table: pd.DataFrame) -> tuple[str, str] | None:
    """A latitude/longitude column pair: ``lat``/``lon`` (``lng``, ``long``), or two columns
    ending in ``latitude``/``longitude`` with the same prefix (ODK's ``location-Latitude``,
    KoBo's ``_location_latitude``)."""
    names = {_norm(c): c for c in table.columns}
    for a, b in (("lat", "lon"), ("lat", "lng"), ("lat", "long"), ("latitude", "longitude"),
                 ("y", "x")):
        if a in names and b in names:
            return names[a], names[b]
    for n, c in names.items():
        if n.endswith("latitude"):
            other = n[: -len("latitude")] + "longitude"
            if other in names:
                return c, names[other]
    return None


@dataclass(frozen=True)
class Role:
    """Which column of a log file fills a role, and why (every file's roles are reported:
    ``planner progress`` prints them, ``run.json`` and ``progress.md`` keep them).

    Attributes
    ----------
    file : str
        The log file.
    role : str
        ``id``, ``date``, ``team``, ``village``, ``lat``, ``lon``, ``geopoint`` or
        ``served:<indicator>``.
    column : str
        The column ("" when none fills it).
    how : str
        Why: named in ``[progress]``, found by its name (which), switched off, not found.
    """

    file: str
    role: str
    column: str
    how: str


_OPTIONAL = ("id", "team", "village", "kecamatan", "review")
"""Roles a file may lack, or a scenario switch off (``village = ""``)."""


def _resolve_columns(path: Path, table: pd.DataFrame, spec: ProgressSpec,
                     indicators: tuple[Indicator, ...] | list[Indicator],
                     has_geometry: bool) -> tuple[dict[str, str], list[Role]]:
    """The column of each role in one file and why; every missing or ambiguous column is
    reported at once."""
    problems: list[Problem] = []
    out: dict[str, str] = {}
    roles: list[Role] = []
    where = str(path)

    def named(role: str, column: str) -> None:
        if column in table.columns:
            out[role] = column
            roles.append(Role(where, role, column, "named in [progress]"))
        else:
            problems.append(Problem(where, f"no column '{column}' (named by [progress] "
                                    f"{role}); columns: {', '.join(map(str, table.columns))}",
                                    column=column))

    for role in _OPTIONAL:
        if role in spec.columns and not spec.columns[role]:
            roles.append(Role(where, role, "", "switched off in [progress]"))
        elif role in spec.columns:
            named(role, spec.columns[role])
        else:
            _found(table, role, _ROLE_NAMES[role], out, roles, problems, where)
    if "date" in spec.columns:
        named("date", spec.columns["date"])
    else:
        _date_column(table, out, roles, problems, where)
    if not has_geometry:
        _place_columns(path, table, spec, named, out, problems)
        for role in ("lat", "lon", "geopoint"):
            if role in out and not any(r.role == role for r in roles):
                roles.append(Role(where, role, out[role], "found by its name"))
    choices = _count_columns(table, spec, indicators, named, out, roles, where)
    if not any(k.startswith("served:") for k in out) and not problems:
        hint = (f" ({', '.join(repr(c) for c in choices)} hold 0/1 answers of a "
                "multiple-choice question: which services were given, not how many people)"
                if choices else "")
        problems.append(Problem(where, "no count column: expected a column per indicator "
                                f"({', '.join(i.key for i in indicators)}) with the number of "
                                f"people served{hint}; name them in [progress.served]",
                                column="served"))
    if problems:
        raise InputError(problems)
    return out, roles


def _count_columns(table: pd.DataFrame, spec: ProgressSpec,
                   indicators: tuple[Indicator, ...] | list[Indicator], named: Any,
                   out: dict[str, str], roles: list[Role], where: str) -> list[str]:
    """Each indicator's count column: as named, else found by its name unless it holds the
    0/1 answers of a multiple-choice question (returned, for the message)."""
    choices: list[str] = []
    for ind in indicators:
        if ind.key in spec.served:
            named(f"served:{ind.key}", spec.served[ind.key])
            continue
        names = (ind.key.lower(), f"{ind.key.lower()}_served", ind.served.lower())
        found = _find(table, names)
        if found is not None and _is_choice(table, found):
            choices.append(found)
            roles.append(Role(where, f"served:{ind.key}", "", f"'{found}' holds 0/1 answers "
                              "of a multiple-choice question, not people: not a count"))
        elif found is not None:
            out[f"served:{ind.key}"] = found
            roles.append(Role(where, f"served:{ind.key}", found, "; ".join(
                ["found by its name", *([table.attrs["summed"][found]]
                                        if found in table.attrs.get("summed", {}) else [])])))
        else:
            roles.append(Role(where, f"served:{ind.key}", "", "not found"))
    return choices


def _found(table: pd.DataFrame, role: str, names: tuple[str, ...], out: dict[str, str],
           roles: list[Role], problems: list[Problem], where: str) -> None:
    """The first of ``names`` a column has; two columns for it (``a-team``, ``b-team``)
    are ambiguous: an error asking for the setting."""
    for n in names:
        hits = _matches(table, n)
        if len(hits) > 1:
            problems.append(Problem(where, f"columns {', '.join(repr(h) for h in hits)} could "
                                    f"each be the {role}: name one in [progress] {role}",
                                    column=role))
            return
        if hits:
            out[role] = hits[0]
            roles.append(Role(where, role, hits[0], f"found by its name ({n})"))
            return
    roles.append(Role(where, role, "", "not found"))


def _date_column(table: pd.DataFrame, out: dict[str, str], roles: list[Role],
                 problems: list[Problem], where: str) -> None:
    """The session date's column by :data:`DATE_TIERS`; the others that could hold a date
    are named so that a user can choose one; two columns in the first tier found are
    ambiguous."""
    found: list[tuple[str, str]] = []   # (column, tier)
    for tier, names in DATE_TIERS:
        hits = [h for n in names for h in _matches(table, n)]
        hits = list(dict.fromkeys(hits))
        if hits and not found and len(hits) > 1:
            problems.append(Problem(where, f"columns {', '.join(repr(h) for h in hits)} could "
                                    "each be the session's date: name one in [progress] date",
                                    column="date"))
            return
        found += [(h, tier) for h in hits]
    if not found:
        problems.append(Problem(where, "no date column: expected one of "
                                f"{', '.join(_ROLE_NAMES['date'])}, or name it with "
                                "[progress] date", column="date"))
        return
    column, tier = found[0]
    others = [c for c, _ in found[1:]]
    out["date"] = column
    roles.append(Role(where, "date", column, f"{tier}" + (
        f"; also present: {', '.join(repr(c) for c in others)} (set [progress] date to use "
        "one)" if others else "")))


def _is_choice(table: pd.DataFrame, column: str) -> bool:
    """A column of one choice of a multiple-choice question (KoBo's ``layanan/ktp``: 1 when
    the choice was ticked): its name is a path whose parent is a column too, or every value
    is 0 or 1 (or TRUE/FALSE) under a path name."""
    parts = re.split(r"[-/.]", str(column))
    if len(parts) < 2:
        return False
    parent = str(column)[: -len(parts[-1]) - 1]
    if parent in table.columns:
        return True
    values = set(table[column].dropna().astype(str).str.strip().str.lower()) - {""}
    return bool(values) and values <= {"0", "1", "true", "false", "0.0", "1.0"}


def _place_columns(path: Path, table: pd.DataFrame, spec: ProgressSpec, named: Any,
                   out: dict[str, str], problems: list[Problem]) -> None:
    """Latitude and longitude columns, or a geopoint column: as named, else as found."""
    if "lat" in spec.columns or "lon" in spec.columns:
        for role in ("lat", "lon"):
            named(role, spec.columns.get(role, ""))
    elif "geopoint" in spec.columns:
        named("geopoint", spec.columns["geopoint"])
    elif (pair := _lat_lon_pair(table)) is not None:
        out["lat"], out["lon"] = pair
    elif (found := _find(table, _ROLE_NAMES["geopoint"])) is not None:
        out["geopoint"] = found
    else:
        problems.append(Problem(str(path), "no coordinates: expected latitude/longitude "
                                "columns (lat, lon; ODK's <field>-Latitude; KoBo's "
                                "_<field>_latitude) or a geopoint (_geolocation), or name "
                                "them with [progress] lat/lon or geopoint", column="lat"))


def _split_geopoint(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``"[3.1, 116.5]"``, ``"3.1,116.5"`` or ODK's ``"3.1 116.5 12.0 5.0"`` (latitude first)
    into latitude and longitude texts ("" when there are not two parts)."""
    lat = np.full(len(values), "", dtype=object)
    lon = np.full(len(values), "", dtype=object)
    for i, v in enumerate(values):
        parts = [p for p in re.split(r"[\s,;\[\]()]+", str(v)) if p]
        if len(parts) >= 2:
            lat[i], lon[i] = parts[0], parts[1]
        elif len(parts) == 1:
            lat[i] = parts[0]
    return lat, lon


# --- checking -----------------------------------------------------------------------------


@dataclass
class _Parsed:
    """Per row: the date, time, people per indicator, coordinates and the reasons so far."""

    date: list[str]
    time: list[str]
    counts: dict[str, np.ndarray]
    lat: np.ndarray
    lon: np.ndarray
    coords_ok: np.ndarray
    reasons: list[list[str]]
    notes: list[list[str]]


def check_logs(raw: pd.DataFrame, villages_m: gpd.GeoDataFrame,
               indicators: tuple[Indicator, ...] | list[Indicator], spec: ProgressSpec, *,
               as_of: str | None = None, today: date | None = None) -> LogCheck:
    """Check every log row and attach it to a village (see the module's list of checks).

    Parameters
    ----------
    raw : DataFrame
        As :func:`read_logs` gives.
    villages_m : GeoDataFrame
        The plan's villages (metric CRS) with ``kode``, ``nama`` and each indicator's gap
        column (people not yet served at the baseline).
    indicators : sequence of Indicator
        The scenario's indicators (one count column each).
    spec : ProgressSpec
        The ``[progress]`` settings (baseline, as-of date, how far a session may lie from
        its village, column names, date format).
    as_of : str, optional
        ``YYYY-MM-DD``: rows after it are set aside (default: the scenario's, else none).
    today : date, optional
        What counts as the future (default: the machine's date).

    Returns
    -------
    LogCheck
        Every row with its village and outcome; the applied and set-aside rows.
    """
    keys = tuple(i.key for i in indicators)
    as_of = as_of if as_of is not None else spec.as_of
    today_text = (today or date.today()).isoformat()
    zone, zone_text = time_zone(spec.timezone, villages_m)
    p = _parse(raw, keys, spec.date_format, zone)
    _check_dates(p, spec.baseline, as_of or "", today_text)
    xy = _metric_xy(p, villages_m.crs)
    kode, nama, dist = _attach(raw, p, xy, villages_m, spec.max_distance_km)
    _duplicates_and_gaps(raw, p, xy, keys, kode, villages_m, indicators,
                         spec.max_per_session)
    status = np.array(["set_aside" if r else "applied" for r in p.reasons], dtype=object)
    reasons = ["; ".join(r) for r in p.reasons]
    rows = pd.DataFrame({
        "file": raw["file"].to_numpy(object), "row": raw["row"].to_numpy(object),
        "id": raw["id"].to_numpy(object), "date": p.date, "time": p.time,
        "team": raw["team"].to_numpy(object), "lat": np.round(p.lat, 6),
        "lon": np.round(p.lon, 6), "stated_village": raw["village"].to_numpy(object),
        **{f"{k}_logged": p.counts[k] for k in keys},
        "kode": kode, "nama": nama, "distance_km": np.round(dist, 3),
        "status": status,
        "reason": reasons, "reason_kind": [reason_kind(r) for r in reasons],
        "note": ["; ".join(x for x in (a, *n) if x) for a, n in zip(
            _notes(raw, dist, status, spec.max_distance_km), p.notes, strict=True)]})
    return LogCheck(rows, keys, spec.baseline, as_of or "",
                    tuple(raw.attrs.get("roles", ())), zone_text)


def time_zone(name: str, villages_m: gpd.GeoDataFrame) -> tuple[Any, str]:
    """The time zone sessions are dated in: ``[progress] timezone`` (an IANA name such as
    ``Asia/Makassar``, or an offset ``+08:00``), else the whole-hour offset of the study
    area's centre longitude (Kaltara, 117°E: UTC+08:00, which is WITA), said so.

    Parameters
    ----------
    name : str
        The setting ("" for none).
    villages_m : GeoDataFrame
        The villages (any CRS), for the default.

    Returns
    -------
    tzinfo
        The zone.
    str
        How it was chosen, for the report.
    """
    from datetime import timedelta, timezone
    from zoneinfo import ZoneInfo

    if name:
        m = re.fullmatch(r"(?:UTC)?([+-])(\d{1,2})(?::?(\d{2}))?", name.strip())
        if m:
            sign = -1 if m.group(1) == "-" else 1
            return (timezone(sign * timedelta(hours=int(m.group(2)),
                                              minutes=int(m.group(3) or 0))),
                    f"{name} ([progress] timezone)")
        return ZoneInfo(name), f"{name} ([progress] timezone)"
    lon = 0.0
    if len(villages_m):
        x0, y0, x1, y1 = villages_m.total_bounds
        centre = gpd.GeoSeries(gpd.points_from_xy([(x0 + x1) / 2], [(y0 + y1) / 2]),
                               crs=villages_m.crs).to_crs(WGS84)
        lon = float(centre.x.iloc[0])
    hours = max(-12, min(14, round(lon / 15)))
    return (timezone(timedelta(hours=hours)),
            f"UTC{hours:+03d}:00 (from the study area's longitude, {lon:.1f}°; set "
            "[progress] timezone, e.g. Asia/Makassar)")


def _parse(raw: pd.DataFrame, keys: tuple[str, ...], fmt: str = "",
           zone: Any = None) -> _Parsed:
    reasons: list[list[str]] = [[] for _ in range(len(raw))]
    notes: list[list[str]] = [[] for _ in range(len(raw))]
    _check_review(raw, reasons, notes)
    utc = raw["date_zone"] if "date_zone" in raw.columns else pd.Series([""] * len(raw))
    dates, times = _parse_dates(raw["date"], reasons, fmt, zone, utc.to_numpy(object))
    counts = _parse_counts(raw, keys, reasons, notes)
    lat, lon, ok = _parse_coordinates(raw, reasons)
    return _Parsed(dates, times, counts, lat, lon, ok, reasons, notes)


def _parse_dates(values: pd.Series, reasons: list[list[str]], fmt: str = "",
                 zone: Any = None, utc: Any = None) -> tuple[list[str], list[str]]:
    """Dates as ``YYYY-MM-DD`` and times as ``HH:MM`` ("" when none), in the study area's
    time zone ``zone``: read as ``fmt`` says when given, else (or when that fails: dates
    typed in a spreadsheet) as ISO dates, a time may follow; a time with an offset (``Z``,
    ``+07:00``), or from a column the server stamps in UTC (``utc`` says ``"utc"``), is
    turned into the zone's local time before its day is taken; an Excel serial number
    (45323.5) is a date too."""
    dates, times = [], []
    for i, text in enumerate(values.astype(str)):
        d, t = _date_as(text, fmt) if fmt else ("", "")
        if not d:
            d, t = _iso_date(text, zone, utc is not None and utc[i] == "utc")
        if not d:
            d, t = _excel_serial(text)
        if not d:
            expected = f"the format {fmt!r} or YYYY-MM-DD" if fmt else \
                "YYYY-MM-DD (a time may follow)"
            reasons[i].append(f"date: expected {expected}, found {text!r}" if text.strip()
                              else "no date")
        dates.append(d)
        times.append(t)
    return dates, times


def _date_as(text: str, fmt: str) -> tuple[str, str]:
    from datetime import datetime

    text = text.strip()
    if "%b" in fmt or "%B" in fmt:  # Indonesian month names too (Mei, Agustus, Okt...)
        text = re.sub(r"[A-Za-z]+", lambda m: _MONTHS_ID.get(m.group(0).lower(), m.group(0)),
                      text)
    try:
        when = datetime.strptime(text, fmt)
    except ValueError:
        return "", ""
    if not 1900 <= when.year <= 2999:  # a year typo
        return "", ""
    timed = any(code in fmt for code in ("%H", "%I"))  # 24-hour, or 12-hour with %p
    return when.date().isoformat(), (f"{when:%H:%M}" if timed else "")


def _iso_date(text: str, zone: Any = None, utc: bool = False) -> tuple[str, str]:
    """``YYYY-MM-DD`` and ``HH:MM`` of an ISO date ("" and "" when it is not one, its time
    is impossible (25:61) or its year lies outside 1900-2999, a typo). A time with an
    offset, or stamped in UTC (``utc``), is turned into ``zone``'s local time first; a
    time of exactly 00:00:00 is a date without a time (a spreadsheet's date cell)."""
    from datetime import datetime, timedelta, timezone

    m = _DATE_RE.match(text)
    if not m:
        return "", ""
    d = f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
    try:
        day = date.fromisoformat(d)
    except ValueError:
        return "", ""
    if not 1900 <= day.year <= 2999:
        return "", ""
    if not m.group(4):
        return d, ""
    hour, minute, sec = int(m.group(4)), int(m.group(5)), int(m.group(6) or 0)
    if hour > 23 or minute > 59 or sec > 59:
        return "", ""
    offset = m.group(7)
    if zone is not None and (offset or utc):
        if not offset or offset == "Z":
            tz = UTC
        else:
            sign = -1 if offset[0] == "-" else 1
            hh, mm = int(offset[1:3]), int(offset[-2:])
            tz = timezone(sign * timedelta(hours=hh, minutes=mm))
        local = datetime(day.year, day.month, day.day, hour, minute, sec,
                         tzinfo=tz).astimezone(zone)
        return local.date().isoformat(), f"{local:%H:%M}"
    if m.group(6) is not None and (hour, minute, sec) == (0, 0, 0) and not offset:
        return d, ""
    return d, f"{hour:02d}:{minute:02d}"


def _excel_serial(text: str) -> tuple[str, str]:
    """A date written as Excel's serial number (days since 1899-12-30; a fraction is the
    time of day), within the years 1950-2100 (a bare 2024 is a year, not a serial)."""
    from datetime import datetime, timedelta

    t = text.strip()
    if not re.fullmatch(r"\d{1,7}(\.\d+)?", t):
        return "", ""
    value = float(t)
    if not 18_264 <= value <= 73_415:  # 1950-01-01 .. 2100-12-31
        return "", ""
    when = datetime(1899, 12, 30) + timedelta(days=value)
    when = when.replace(second=0, microsecond=0) + timedelta(minutes=round(when.second / 60))
    return when.date().isoformat(), (f"{when:%H:%M}" if "." in t else "")


NOT_GIVEN = {"n/a", "na", "-", "\u2013", "\u2014", "null", "none", "nan", "tidak ada"}
"""Cells that mean "not given" for one indicator (Ona and older KoBo exports write n/a)."""


def _parse_counts(raw: pd.DataFrame, keys: tuple[str, ...], reasons: list[list[str]],
                  notes: list[list[str]]) -> dict[str, np.ndarray]:
    """People per indicator. Each count is decided on its own: a blank or ``n/a`` is not
    given; an unreadable count is left out with a note while the row's other counts apply;
    a row with no readable count at all is set aside."""
    counts: dict[str, np.ndarray] = {}
    readable = np.zeros(len(raw), bool)
    bad: list[list[str]] = [[] for _ in range(len(raw))]
    for k in keys:
        texts = raw[k].astype(str).str.strip()
        texts = texts.where(~texts.str.lower().isin(NOT_GIVEN), "")
        number, problem = count_values(texts)
        ok = problem == ""
        readable |= ok
        for i in np.flatnonzero(~ok & (problem != "blank")).tolist():
            bad[i].append(f"{k}: expected a whole number of people >= 0, found "
                          f"{texts.iat[i]!r}")
        counts[k] = np.where(ok, np.nan_to_num(number), 0).astype(np.int64)
    for i in range(len(raw)):
        if readable[i]:
            notes[i].extend(f"{b}: left out (the row's other counts apply)" for b in bad[i])
        elif bad[i]:
            reasons[i].extend(bad[i])
        else:
            reasons[i].append(f"no count for any indicator ({', '.join(keys)} all empty)")
    return counts


_REJECTED = ("rejected", "not_approved", "not approved")
_FLAGGED = ("hasissues", "has issues", "on_hold", "on hold")


def _check_review(raw: pd.DataFrame, reasons: list[list[str]],
                  notes: list[list[str]]) -> None:
    """A submission a reviewer rejected (ODK Central's ReviewState ``rejected``, KoBo's
    ``_validation_status`` not approved) is set aside; one flagged (has issues, on hold) is
    applied with a note to check it."""
    if "review" not in raw.columns:
        return
    for i, value in enumerate(raw["review"].astype(str)):
        v = value.strip().lower()
        if any(w in v for w in _REJECTED):
            reasons[i].append(f"rejected by a reviewer ({value.strip()})")
        elif any(w in v for w in _FLAGGED):
            notes[i].append(f"flagged by a reviewer ({value.strip()}): check it")


def _parse_coordinates(raw: pd.DataFrame, reasons: list[list[str]]
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lat = np.array([_coordinate(v) for v in raw["lat"]], dtype=float)
    lon = np.array([_coordinate(v) for v in raw["lon"]], dtype=float)
    ok = np.isfinite(lat) & np.isfinite(lon)
    for i in range(len(raw)):
        la, lo = str(raw["lat"].iat[i]).strip(), str(raw["lon"].iat[i]).strip()
        if not la and not lo:
            reasons[i].append("no coordinates")
        elif not ok[i]:
            reasons[i].append(f"coordinates: expected numbers, found {la!r}, {lo!r}")
        elif lat[i] == 0 and lon[i] == 0:
            reasons[i].append("coordinates (0, 0): a device without a GPS fix")
            ok[i] = False
        elif abs(lat[i]) > 90 or abs(lon[i]) > 180:
            hint = " (latitude and longitude look swapped)" if abs(lon[i]) <= 90 \
                and abs(lat[i]) <= 180 else ""
            reasons[i].append(f"impossible coordinates: latitude {lat[i]:g}, longitude "
                              f"{lon[i]:g}{hint}")
            ok[i] = False
    return lat, lon, ok


def _coordinate(text: object) -> float:
    """A coordinate; a decimal comma (``3,1234``, as Indonesian spreadsheets write) too."""
    t = str(text).strip()
    if re.fullmatch(r"[+-]?\d+,\d+", t):
        t = t.replace(",", ".")
    return _float(t)


def _float(text: object) -> float:
    t = str(text).strip()
    return float(t) if _NUMBER_RE.match(t) else np.nan


def _check_dates(p: _Parsed, baseline: str, as_of: str, today: str) -> None:
    for i, d in enumerate(p.date):
        if not d:
            continue
        if baseline and d < baseline:
            p.reasons[i].append(f"dated {d}, before the baseline {baseline} (the estimates "
                                "already count it)")
        if d > today:
            p.reasons[i].append(f"dated {d}, in the future")
        elif as_of and d > as_of:
            p.reasons[i].append(f"dated {d}, after the as-of date {as_of}")


def _metric_xy(p: _Parsed, crs: Any) -> np.ndarray:
    xy = np.full((len(p.lat), 2), np.nan)
    if p.coords_ok.any():
        pts = gpd.GeoSeries(gpd.points_from_xy(p.lon[p.coords_ok], p.lat[p.coords_ok]),
                            crs=WGS84).to_crs(crs)
        xy[p.coords_ok] = shapely.get_coordinates(pts.values)
    return xy


def _where(raw: pd.DataFrame, i: int) -> str:
    """A row as messages name it: ``logs.csv row 12`` or ``logs.geojson feature 3``."""
    row = str(raw["row"].iat[i])
    return f"{Path(str(raw['file'].iat[i])).name} " + (row if row.startswith("feature")
                                                       else f"row {row}")


def _duplicates_and_gaps(raw: pd.DataFrame, p: _Parsed, xy: np.ndarray,
                         keys: tuple[str, ...], kode: np.ndarray,
                         villages_m: gpd.GeoDataFrame,
                         indicators: tuple[Indicator, ...] | list[Indicator],
                         max_per_session: float | None = None) -> None:
    """Rules 4 and 5: a row is a duplicate only of a row that is applied. When the counts
    rule sets aside a row others were taken as copies of (a corrected resend follows a
    wrong report), it stays aside and the rules run again, so the resend is weighed on its
    own (until nothing changes)."""
    before = [list(r) for r in p.reasons]
    notes_before = [list(n) for n in p.notes]
    aside: dict[int, list[str]] = {}
    while True:
        p.reasons[:] = [list(aside.get(i, r)) for i, r in enumerate(before)]
        p.notes[:] = [list(n) for n in notes_before]
        firsts = _check_duplicates(raw, p, xy, keys)
        _check_gaps(raw, p, kode, villages_m, indicators, max_per_session)
        newly = {j for j in firsts.values() if p.reasons[j] and j not in aside}
        if not newly:
            return
        aside.update({j: list(p.reasons[j]) for j in newly})


def _check_duplicates(raw: pd.DataFrame, p: _Parsed, xy: np.ndarray,
                      keys: tuple[str, ...]) -> dict[int, int]:
    """Later copies of a submission (same id), or of a session (same team and time, within
    :data:`DUPLICATE_METRES`), among the rows not already set aside; returns each copy's
    first row."""
    copies: dict[int, int] = {}
    first_by_id: dict[str, int] = {}
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i in range(len(raw)):
        if p.reasons[i]:
            continue
        sid = str(raw["id"].iat[i]).strip()
        if sid:
            if sid in first_by_id:
                p.reasons[i].append(f"duplicate of {_where(raw, first_by_id[sid])} (same "
                                    f"submission id {sid})")
                copies[i] = first_by_id[sid]
                continue
            first_by_id[sid] = i
        team = str(raw["team"].iat[i]).strip()
        if not team:
            continue
        key: tuple[Any, ...] = (team, p.date[i], p.time[i])
        if not p.time[i]:  # a date only: the same counts too
            key += tuple(int(p.counts[k][i]) for k in keys)
        group = groups.setdefault(key, [])
        for n, j in enumerate(group):
            if np.hypot(*(xy[i] - xy[j])) > DUPLICATE_METRES:
                continue
            if any(p.counts[k][i] != p.counts[k][j] for k in keys):
                # the same session sent again with other counts: the later one corrects it
                p.reasons[j].append(f"replaced by its corrected resend, {_where(raw, i)} "
                                    "(same team, time and place, other counts)")
                copies[j] = i
                group[n] = i
            else:
                p.reasons[i].append(f"duplicate of {_where(raw, j)} (same team, time and "
                                    "place)")
                copies[i] = j
            break
        else:
            group.append(i)
    return copies


def _attach(raw: pd.DataFrame, p: _Parsed, xy: np.ndarray, villages_m: gpd.GeoDataFrame,
            max_km: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The village of each row with coordinates (stated, containing or nearest; see the
    module's rule 4) and the distance from the point to it, km; place reasons added."""
    n = len(raw)
    kode = np.full(n, "", dtype=object)
    nama = np.full(n, "", dtype=object)
    dist = np.full(n, np.nan)
    codes = villages_m["kode"].astype(str).to_numpy(object)
    names = villages_m["nama"].astype(str).to_numpy(object)
    by_code = {normalise_code(c): j for j, c in enumerate(codes)}
    geoms = villages_m.geometry.values
    ok = np.flatnonzero(p.coords_ok)
    pts = shapely.points(xy[ok])
    inside = np.full(n, -1, np.int64)
    if len(ok):
        pi, vi = villages_m.sindex.query(pts, predicate="intersects")
        order = np.lexsort((vi, pi))
        first = np.r_[True, pi[order][1:] != pi[order][:-1]] if len(pi) else np.zeros(0, bool)
        inside[ok[pi[order][first]]] = vi[order][first]
        (near_p, near_v), near_d = villages_m.sindex.nearest(pts, return_distance=True,
                                                              return_all=False)
    nearest = np.full(n, -1, np.int64)
    nearest_km = np.full(n, np.nan)
    if len(ok):
        nearest[ok[near_p]] = near_v
        nearest_km[ok[near_p]] = near_d / 1000
    stated_of = _stated_villages(raw, villages_m, by_code)
    for i in range(n):
        j_stated, problem = stated_of[i]
        if problem:
            p.reasons[i].append(problem)
            continue
        if not p.coords_ok[i]:
            continue
        if j_stated >= 0:
            j = j_stated
            d = 0.0 if inside[i] == j else float(shapely.distance(geoms[j],
                                                                   shapely.points(xy[i])))
            d /= 1000
            if d > max_km:
                where = (f", in {names[inside[i]]} ({codes[inside[i]]})" if inside[i] >= 0
                         else "")
                p.reasons[i].append(f"the point lies {d:.1f} km from the stated village "
                                    f"{names[j]} ({codes[j]}){where}; more than "
                                    f"{max_km:g} km")
        elif inside[i] >= 0:
            j, d = int(inside[i]), 0.0
        else:
            j, d = int(nearest[i]), float(nearest_km[i])
            if d > max_km:
                p.reasons[i].append(f"the point lies outside every village: nearest "
                                    f"{names[j]} ({codes[j]}), {d:.1f} km away"
                                    + _swapped(p, i, villages_m))
        kode[i], nama[i], dist[i] = codes[j], names[j], d
    return kode, nama, dist


def _name_key(text: object) -> str:
    """A village or kecamatan name for matching: no case, accents or punctuation, runs of
    spaces as one, and the words Desa/Kelurahan/Kecamatan in front left out."""
    import unicodedata

    t = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    t = re.sub(r"[^a-z0-9]+", " ", t).strip()
    return re.sub(r"^(desa|kelurahan|kel|kecamatan|kec) ", "", t)


def _stated_villages(raw: pd.DataFrame, villages_m: gpd.GeoDataFrame,
                     by_code: dict[str, int]) -> list[tuple[int, str]]:
    """Each row's stated village (index, or -1 when none) or why it cannot be one: a code of
    the plan, else a village name (no case or punctuation), within the stated kecamatan when
    the log gives one; a name that fits several villages asks for the kecamatan or code."""
    names = [_name_key(x) for x in villages_m["nama"]]
    kec = ([_name_key(x) for x in villages_m["kecamatan"]] if "kecamatan" in villages_m
           else [""] * len(names))
    by_name: dict[str, list[int]] = {}
    for j, nm in enumerate(names):
        by_name.setdefault(nm, []).append(j)
    stated_kec = raw["kecamatan"] if "kecamatan" in raw.columns else pd.Series([""] * len(raw))
    out: list[tuple[int, str]] = []
    for value, kec_value in zip(raw["village"].astype(str), stated_kec.astype(str),
                                strict=True):
        given = value.strip()
        code = normalise_code(given)
        if not given:
            out.append((-1, ""))
        elif code in by_code:
            out.append((by_code[code], ""))
        else:
            hits = by_name.get(_name_key(given), [])
            if kec_value.strip() and len(hits) > 1:
                hits = [j for j in hits if kec[j] == _name_key(kec_value)]
            if len(hits) == 1:
                out.append((hits[0], ""))
            elif hits:
                where = ", ".join(sorted({str(villages_m['kecamatan'].iat[j]) for j in hits})
                                  ) if "kecamatan" in villages_m else ""
                out.append((-1, f"stated village {given!r} fits {len(hits)} villages"
                                + (f" (in {where})" if where else "")
                                + ": state the kecamatan or the village code"))
            else:
                out.append((-1, f"stated village {given!r} is not a village of this plan "
                                "(neither a code nor a name)"))
    return out


def _swapped(p: _Parsed, i: int, villages_m: gpd.GeoDataFrame) -> str:
    """When latitude and longitude swapped put the point in a village, say so."""
    lat, lon = p.lon[i], p.lat[i]
    if abs(lat) > 90 or abs(lon) > 180:
        return ""
    pt = gpd.GeoSeries(gpd.points_from_xy([lon], [lat]), crs=WGS84).to_crs(villages_m.crs)
    _, vi = villages_m.sindex.query(pt.values, predicate="intersects")
    if not len(vi):
        return ""
    return ("; latitude and longitude look swapped (swapped, the point lies in "
            f"{_village(villages_m, int(vi.min()))})")


def _check_gaps(raw: pd.DataFrame, p: _Parsed, kode: np.ndarray,
                villages_m: gpd.GeoDataFrame,
                indicators: tuple[Indicator, ...] | list[Indicator],
                max_per_session: float | None = None) -> None:
    """In date order, each count against its village's estimate. The estimate is a model and
    the team's record an observation: a count above what the village still has unserved is
    applied, with a note that the estimate was low (:func:`apply_logs` raises it). A row is
    set aside (whole: a form is one report) only when a count exceeds the village's whole
    eligible estimate, or ``max_per_session``, or the village has no estimate to add to."""
    pos = {c: j for j, c in enumerate(villages_m["kode"].astype(str))}
    remaining = {ind.key: villages_m[ind.gap_col].astype("Float64").to_numpy(float,
                                                                             na_value=np.nan)
                 for ind in indicators}
    eligible = {ind.key: villages_m[ind.eligible_col].astype("Float64").to_numpy(
        float, na_value=np.nan) for ind in indicators}
    start = {k: v.copy() for k, v in remaining.items()}
    order = sorted((i for i in range(len(raw)) if not p.reasons[i]),
                   key=lambda i: (p.date[i], p.time[i], i))
    for i in order:
        j = pos[kode[i]]
        over, low = [], []
        for ind in indicators:
            n = int(p.counts[ind.key][i])
            if n == 0:
                continue
            left = remaining[ind.key][j]
            if not np.isfinite(left):
                over.append(f"{ind.key}: the village has no estimate to add {n} served to")
            elif n > eligible[ind.key][j]:
                over.append(f"{ind.key}: reports {n} served in {_village(villages_m, j)}, more "
                            f"than its whole eligible estimate ({int(eligible[ind.key][j])})")
            elif max_per_session is not None and n > max_per_session:
                over.append(f"{ind.key}: reports {n} served in one session, more than "
                            f"max_per_session ({max_per_session:g})")
            elif n > left:
                low.append(f"{ind.key}: the estimate was low: {n} served in "
                           f"{_village(villages_m, j)} where {int(left)} remained unserved "
                           f"(gap {int(start[ind.key][j])} at the baseline); its estimate is "
                           "raised to match")
        if over:
            p.reasons[i].extend(over)
            continue
        p.notes[i].extend(low)
        for ind in indicators:
            remaining[ind.key][j] = max(0.0, remaining[ind.key][j] - p.counts[ind.key][i])


def _village(villages_m: gpd.GeoDataFrame, j: int) -> str:
    """A village as messages name it: ``Desa A (99.01.01.2001)``."""
    return f"{villages_m['nama'].iat[j]} ({villages_m['kode'].iat[j]})"


def _notes(raw: pd.DataFrame, dist: np.ndarray, status: np.ndarray,
           max_km: float) -> list[str]:
    """How an applied row was attached when its point is not plainly inside its village."""
    out = []
    for i in range(len(raw)):
        if status[i] != "applied" or not np.isfinite(dist[i]) or dist[i] == 0:
            out.append("")
            continue
        stated = str(raw["village"].iat[i]).strip()
        out.append(f"point {dist[i]:.2f} km outside {'the stated' if stated else 'the nearest'}"
                   f" village (within {max_km:g} km)")
    return out


# --- applying and following progress ------------------------------------------------------


def served_by_village(check: LogCheck, codes: pd.Series) -> pd.DataFrame:
    """People applied per village (rows in the order of ``codes``) and indicator:
    columns ``<key>`` and ``sessions``.

    Parameters
    ----------
    check : LogCheck
        The checked logs.
    codes : Series
        Village codes.

    Returns
    -------
    DataFrame
        One row per code.
    """
    applied = check.applied
    sums = applied.groupby("kode")[[f"{k}_logged" for k in check.indicators]].sum()
    sums.columns = list(check.indicators)
    sums["sessions"] = applied.groupby("kode").size()
    out = sums.reindex(codes.astype(str).to_numpy()).fillna(0).astype(np.int64)
    return out.reset_index(drop=True)


def apply_logs(villages: gpd.GeoDataFrame, check: LogCheck,
               indicators: tuple[Indicator, ...] | list[Indicator]) -> gpd.GeoDataFrame:
    """A copy of the villages with the applied people added to each served count and taken
    from each gap; where they exceed the estimate, the eligible count is raised to match (the
    estimate was low; the gap is then 0). ``<key>_served_from_logs``,
    ``<key>_eligible_raised`` and ``sessions_logged`` say how many.

    Parameters
    ----------
    villages : GeoDataFrame
        The villages at the baseline.
    check : LogCheck
        The checked logs.
    indicators : sequence of Indicator
        The scenario's indicators.

    Returns
    -------
    GeoDataFrame
        The copy.
    """
    out = villages.copy()
    add = served_by_village(check, out["kode"])
    for ind in indicators:
        n = add[ind.key].to_numpy()
        out[f"{ind.key}_served_from_logs"] = n
        served = (out[ind.served_col].astype("Int64") + n).astype("Int64")
        eligible = out[ind.eligible_col].astype("Int64")
        raised = (served - eligible).clip(lower=0).fillna(0).astype("Int64")
        out[ind.served_col] = served
        out[ind.eligible_col] = (eligible + raised).astype("Int64")  # the estimate was low
        out[ind.gap_col] = (out[ind.eligible_col] - served).astype("Int64")
        out[f"{ind.key}_eligible_raised"] = raised.to_numpy(np.int64)
    out["sessions_logged"] = add["sessions"].to_numpy()
    return out


def village_progress(villages: pd.DataFrame,
                     indicators: tuple[Indicator, ...] | list[Indicator],
                     admin: Sequence[AdminLevel] = ()) -> pd.DataFrame:
    """Per village (every village, in the plan's order): per indicator the eligible count,
    the served count at the baseline, the people applied from the logs, served now, the gap
    now and coverage now; the sessions applied and the priority rank after them.

    Parameters
    ----------
    villages : DataFrame
        The villages after the logs.
    indicators : sequence of Indicator
        The scenario's indicators.
    admin : sequence of AdminLevel
        The admin levels progress is followed for.

    Returns
    -------
    DataFrame
        One row per village.
    """
    out = pd.DataFrame({"kode": villages["kode"].astype(str), "nama": villages["nama"]})
    for a in admin:
        if a.level in villages.columns:
            out[a.level] = villages[a.level]
    for ind in indicators:
        logged = villages.get(f"{ind.key}_served_from_logs", pd.Series(0, villages.index))
        served = villages[ind.served_col].astype("Int64")
        out[ind.eligible_col] = villages[ind.eligible_col].astype("Int64")
        out[f"{ind.key}_served_baseline"] = served - logged.astype("Int64")
        out[f"{ind.key}_served_from_logs"] = logged.astype("Int64")
        out[f"{ind.key}_served_now"] = served
        out[f"{ind.key}_gap_now"] = villages[ind.gap_col].astype("Int64")
        eligible = out[ind.eligible_col].astype("Float64")
        out[f"{ind.key}_coverage_now"] = (served.astype("Float64")
                                          / eligible.where(eligible > 0)).round(6)
    out["sessions_logged"] = villages.get("sessions_logged", pd.Series(0, villages.index))
    if "priority_rank" in villages.columns:
        out["priority_rank"] = villages["priority_rank"]
    return out.reset_index(drop=True)


def areas(villages: pd.DataFrame, admin: Sequence[AdminLevel]) -> list[tuple[str, str, str,
                                                                     np.ndarray]]:
    """The areas progress is followed for: ``(level, code, name, village mask)`` for the
    whole study area and each area of each admin level (code prefix, name column).

    Parameters
    ----------
    villages : DataFrame
        The villages with their codes.
    admin : sequence of AdminLevel
        The admin levels progress is followed for.

    Returns
    -------
    list of tuple
        One per area, the study area first.
    """
    codes = villages["kode"].map(normalise_code)
    out = [("study area", "", "all villages", np.ones(len(villages), bool))]
    for a in admin:
        prefix = codes.str[: a.prefix_digits]
        names = villages[a.level] if a.level in villages.columns else prefix
        for code in sorted(prefix.unique()):
            mask = (prefix == code).to_numpy()
            out.append((a.level, code, str(names[mask].iloc[0]), mask))
    return out


def progress_over_time(villages_before: pd.DataFrame, check: LogCheck,
                       indicators: tuple[Indicator, ...] | list[Indicator],
                       admin: Sequence[AdminLevel] = ()) -> pd.DataFrame:
    """Coverage per indicator and area at the baseline and after each day with applied
    sessions.

    Columns: ``date, level, code, name, indicator, eligible, served, coverage, target,
    sessions`` (served counts the baseline plus the people applied up to that date; coverage
    = served / eligible; sessions applied up to the date). ``villages_before`` holds the
    counts at the baseline.

    Parameters
    ----------
    villages_before : DataFrame
        The villages at the baseline.
    check : LogCheck
        The checked logs.
    indicators : sequence of Indicator
        The scenario's indicators.
    admin : sequence of AdminLevel
        The admin levels progress is followed for.

    Returns
    -------
    DataFrame
        One row per date, area and indicator.
    """
    applied = check.applied
    dates = sorted(set(applied["date"]))
    if check.baseline:
        dates = [check.baseline, *[d for d in dates if d > check.baseline]]
    pos = {c: j for j, c in enumerate(villages_before["kode"].astype(str))}
    vi = applied["kode"].map(pos).to_numpy(np.int64)
    di = np.searchsorted(np.array(dates, dtype=object), applied["date"].to_numpy(object))
    n_v, n_d = len(villages_before), len(dates)
    rows = []
    sessions = np.zeros((n_d, n_v))
    np.add.at(sessions, (di, vi), 1)
    sessions = sessions.cumsum(axis=0)
    for ind in indicators:
        gained = np.zeros((n_d, n_v))
        np.add.at(gained, (di, vi), applied[f"{ind.key}_logged"].to_numpy(float))
        gained = gained.cumsum(axis=0)
        eligible = villages_before[ind.eligible_col].astype("Float64").fillna(0).to_numpy(float)
        served = villages_before[ind.served_col].astype("Float64").fillna(0).to_numpy(float)
        # where the sessions exceed the estimate it is raised to match (apply_logs)
        eligible_t = np.maximum(eligible, served + gained)
        for level, code, name, mask in areas(villages_before, admin):
            e = eligible_t[:, mask].sum(axis=1)
            s = served[mask].sum() + gained[:, mask].sum(axis=1)
            rows.append(pd.DataFrame({
                "date": dates, "level": level, "code": code, "name": name,
                "indicator": ind.key, "eligible": e.astype(np.int64),
                "served": s.astype(np.int64),
                "coverage": np.round(np.divide(s, e, out=np.full(len(e), np.nan),
                                               where=e > 0), 6),
                "target": ind.target if ind.target is not None else np.nan,
                "sessions": sessions[:, mask].sum(axis=1).astype(np.int64)}))
    if not rows:
        return pd.DataFrame(columns=["date", "level", "code", "name", "indicator", "eligible",
                                     "served", "coverage", "target", "sessions"])
    return pd.concat(rows, ignore_index=True)


def updated_estimates(villages: pd.DataFrame,
                      indicators: tuple[Indicator, ...] | list[Indicator]) -> pd.DataFrame:
    """An estimates table ``planner run`` reads with the same scenario: ``kode``, ``nama``
    and, per indicator, its eligible and served columns under the scenario's names (served
    counts with the applied sessions); villages that had no estimate stay without one.

    Parameters
    ----------
    villages : DataFrame
        The villages after the logs.
    indicators : sequence of Indicator
        The scenario's indicators.

    Returns
    -------
    DataFrame
        The estimates table.
    """
    keep = villages["has_estimate"].astype(bool).to_numpy() if "has_estimate" in villages \
        else np.ones(len(villages), bool)
    v = villages[keep]
    out = pd.DataFrame({"kode": v["kode"].astype(str), "nama": v["nama"]})
    for ind in indicators:
        out[ind.eligible] = v[ind.eligible_col].astype("Int64")
        out[ind.served] = v[ind.served_col].astype("Int64")
    return out.reset_index(drop=True)


def chart_png(over_time: pd.DataFrame, title: str,
              labels: dict[str, str] | None = None) -> bytes:
    """Coverage over time in the study area: one panel per indicator (their levels differ
    widely), its target as a dashed line (a figure of its own; PNG bytes, fixed
    metadata).

    Parameters
    ----------
    over_time : DataFrame
        :func:`progress_over_time`.
    title : str
        The chart's title (wrapped to fit the figure).
    labels : dict of str to str, optional
        Each indicator's label (``e-KTP recording``), else its key.

    Returns
    -------
    bytes
        The PNG.
    """
    import io as _io

    fig = chart_figure(over_time, title, labels)
    buf = _io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def chart_figure(over_time: pd.DataFrame, title: str,
                 labels: dict[str, str] | None = None) -> Any:
    """The figure :func:`chart_png` draws (a matplotlib ``Figure``).

    Parameters
    ----------
    over_time : DataFrame
        :func:`progress_over_time`.
    title : str
        The title, wrapped to the figure's width.
    labels : dict of str to str, optional
        Each indicator's label, else its key.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    import textwrap

    from matplotlib.figure import Figure

    labels = labels or {}
    area = over_time[over_time["level"] == "study area"]
    groups = list(area.groupby("indicator", sort=False))
    lines = textwrap.wrap(title, 80) or [""]
    height = 1.2 + 2.0 * max(1, len(groups)) + 0.2 * len(lines)
    fig = Figure(figsize=(8, height), dpi=110)
    axes = fig.subplots(max(1, len(groups)), 1, sharex=True, squeeze=False)[:, 0]
    colours = ["#6a3d9a", "#ff7f00", "#1f78b4", "#33a02c", "#e31a1c"]
    for i, (ax, (key, g)) in enumerate(zip(axes, groups, strict=False)):
        c = colours[i % len(colours)]
        name = labels.get(str(key), str(key))
        x = pd.to_datetime(g["date"])
        y = 100 * g["coverage"].to_numpy(float)
        ax.step(x, y, where="post", color=c, lw=1.8, label=f"{name}: coverage")
        ax.plot(x, y, "o", color=c, ms=2)
        target = g["target"].iloc[0]
        if pd.notna(target):
            ax.axhline(100 * target, color=c, ls="--", lw=1,
                       label=f"target {100 * target:.1f}%")
        ax.set_ylabel("coverage, %")
        ax.set_title(name, fontsize=9, loc="left")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    fig.suptitle("\n".join(lines), fontsize=10)
    fig.autofmt_xdate()
    top = 1 - (0.25 + 0.2 * len(lines) + 0.25) / height  # the title and a panel's own
    fig.subplots_adjust(left=0.1, right=0.97, top=top, bottom=0.12, hspace=0.35)
    return fig
