"""Check inputs before use: collect every problem, raise once; repair only what is safe.

Safe repairs (``make_valid`` on an invalid polygon, reading a code written without dots or
turned into a number by a spreadsheet) are made with a warning that says what changed; the
warnings are returned so the run report can list them.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..config import Indicator, Layer
from ..errors import ProblemCollector

_EXCEL_FLOAT = re.compile(r"^\d+\.0+$")
_SCI = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")


def normalise_code(value: object) -> str:
    """A code as digits and letters only, for matching.

    ``"65.01.01.1001"``, ``"6501011001"``, ``" 6501011001 "``, ``"6501011001.0"`` and
    ``"6.501011001E+09"`` (a spreadsheet's number) all give ``"6501011001"``.

    Parameters
    ----------
    value : object
        The code as read.

    Returns
    -------
    str
        The code's key (``""`` when empty).
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    s = str(value).strip()
    if _EXCEL_FLOAT.match(s):
        s = s.split(".")[0]
    elif _SCI.match(s):
        try:
            s = str(int(Decimal(s)))
        except InvalidOperation:  # pragma: no cover - regex guarantees a number
            pass
    return re.sub(r"[^0-9A-Za-z]", "", s)


def row_refs(index: pd.Index | np.ndarray, limit: int = 12, offset: int = 0,
          numbers: np.ndarray | None = None) -> str:
    """Spreadsheet-style row numbers for 0-based data positions, for messages.

    Parameters
    ----------
    index : Index or ndarray of int
        Data positions.
    limit : int, default 12
        How many are named (then how many more).
    offset : int, default 0
        Rows skipped above the header (when ``numbers`` is not given).
    numbers : ndarray of int, optional
        Each row's number as the reader recorded it (blank and title rows counted).

    Returns
    -------
    str
        ``row 5`` or ``rows 5, 9 and 3 more``.
    """
    if numbers is not None:
        pos = [int(numbers[int(i)]) for i in list(index)[:limit]]
    else:
        pos = [int(i) + 2 + offset for i in list(index)[:limit]]
    more = f" and {len(index) - limit} more" if len(index) > limit else ""
    return ("row " if len(pos) == 1 else "rows ") + ", ".join(map(str, pos)) + more


def feature_refs(index: pd.Index | np.ndarray, limit: int = 12) -> str:
    """Feature numbers (1-based) for 0-based data positions, for messages.

    Parameters
    ----------
    index : Index or ndarray of int
        Data positions.
    limit : int, default 12
        How many are named (then how many more).

    Returns
    -------
    str
        ``feature 3`` or ``features 3, 7 and 2 more``.
    """
    pos = [int(i) + 1 for i in list(index)[:limit]]
    more = f" and {len(index) - limit} more" if len(index) > limit else ""
    return ("feature " if len(pos) == 1 else "features ") + ", ".join(map(str, pos)) + more


def check_geometries(gdf: gpd.GeoDataFrame, src: str, pc: ProblemCollector,
                     kinds: tuple[str, ...], warnings: list[str]) -> gpd.GeoDataFrame:
    """Check CRS, coordinate ranges, emptiness, type and validity of a layer's geometries.

    Safe repairs (a geometry collection of one kind, an invalid polygon made valid) are made
    with a warning.

    Parameters
    ----------
    gdf : GeoDataFrame
        The layer.
    src : str
        Its file (named in messages).
    pc : ProblemCollector
        Where problems are collected (raised together later).
    kinds : tuple of str
        Allowed geometry types (``"Polygon"``, ``"Point"``...).
    warnings : list of str
        Where repairs are said.

    Returns
    -------
    GeoDataFrame
        The layer, repaired where safe (index reset).
    """
    gdf = gdf.reset_index(drop=True)
    if gdf.crs is None:
        pc.add(src, "the layer has no CRS; expected one (e.g. EPSG:4326 for longitude/latitude). "
               "Set it in the file, or save it again with its CRS from your GIS")
        return gdf
    geom = gdf.geometry
    missing = geom.isna() | geom.is_empty
    if missing.any():
        pc.add(src, f"empty or missing geometry; expected a {' or '.join(kinds)}",
               where=feature_refs(np.flatnonzero(missing)))
    present = ~missing
    gtypes = geom[present].geom_type
    if kinds[0].endswith("Polygon"):
        coll = gtypes.index[gtypes == "GeometryCollection"]
        polys = [shapely.union_all([g for g in shapely.get_parts(geom[i])
                                    if g.geom_type in ("Polygon", "MultiPolygon")])
                 for i in coll]
        fixable = [i for i, g in zip(coll, polys, strict=True) if not g.is_empty]
        if fixable:
            gdf.loc[fixable, gdf.geometry.name] = [g for g in polys if not g.is_empty]
            warnings.append(f"{src}: {feature_refs(np.array(fixable))}: geometry collection "
                            "reduced to its polygons (points and lines dropped)")
            geom = gdf.geometry
            gtypes = geom[present].geom_type
    bad_type = gtypes[~gtypes.isin(kinds)]
    if len(bad_type):
        pc.add(src, f"expected {' or '.join(kinds)}, found {bad_type.iloc[0]}",
               where=feature_refs(bad_type.index))
    if gdf.crs.is_geographic and present.any():
        b = geom[present].bounds
        lat_bad = (b["miny"] < -90) | (b["maxy"] > 90)
        lon_bad = (b["minx"] < -180) | (b["maxx"] > 180)
        if lat_bad.any() or lon_bad.any():
            idx = b.index[lat_bad | lon_bad]
            swapped = bool(((b["minx"].abs() <= 90) & lat_bad).loc[idx].all())
            hint = ("the coordinates look like [lat, lng]; GeoJSON and most GIS files need "
                    "[lng, lat] (x = longitude)" if swapped else
                    "the coordinates look projected (metres) but the file says "
                    f"{gdf.crs.to_string()}; set the file's real CRS")
            pc.add(src, f"coordinates outside longitude -180..180 / latitude -90..90: {hint}",
                   where=feature_refs(idx))
    if gdf.crs.is_projected and present.any() and kinds[0].endswith("Polygon"):
        # a study area of polygons (villages, signal) all within 180 m of the CRS origin is
        # not real: these are degrees in a file that says metres
        b = geom[present].total_bounds
        if abs(b[0]) <= 180 and abs(b[2]) <= 180 and abs(b[1]) <= 90 and abs(b[3]) <= 90:
            pc.add(src, f"the coordinates look like longitude/latitude degrees (all within "
                   f"180 of 0) but the file says {gdf.crs.to_string()} (metres); set the file's "
                   "CRS to EPSG:4326 if they are degrees",
                   where=feature_refs(np.flatnonzero(present.to_numpy())))
            return gdf
    if kinds[0].endswith("Polygon") and present.any():
        invalid = present & ~geom.is_valid
        if invalid.any():
            fixed = shapely.make_valid(geom[invalid].values)
            fixed = [shapely.union_all([g for g in getattr(f, "geoms", [f])
                                        if g.geom_type in ("Polygon", "MultiPolygon")])
                     for f in fixed]
            gdf.loc[invalid, gdf.geometry.name] = fixed
            warnings.append(f"{src}: {feature_refs(np.flatnonzero(invalid))}: invalid polygon "
                            "repaired with make_valid (area kept; self-intersections split)")
        geom = gdf.geometry
        g = geom.values
        flat = present.to_numpy() & (shapely.is_empty(g) | (shapely.area(g) <= 0))
        if flat.any():
            pc.add(src, "the polygon has no area (its points lie on one line or one point); "
                   "expected a boundary enclosing the village", where=feature_refs(
                       np.flatnonzero(flat)))
    return gdf


def check_codes(codes: pd.Series, src: str, column: str, pc: ProblemCollector,
                where: str = "row", offset: int = 0,
                numbers: np.ndarray | None = None) -> pd.Series:
    """Normalise codes; report missing and duplicated ones.

    Parameters
    ----------
    codes : Series
        The codes as read.
    src : str
        The file.
    column : str
        The code column.
    pc : ProblemCollector
        Where problems are collected (raised together later).
    where : {"row", "feature"}, default "row"
        How messages number the rows.
    offset : int, default 0
        Rows skipped above the header.
    numbers : ndarray of int, optional
        Row numbers as the reader recorded them.

    Returns
    -------
    Series
        The normalised codes.
    """
    norm = codes.map(normalise_code)
    def fmt(i: pd.Index | np.ndarray) -> str:
        return row_refs(i, offset=offset, numbers=numbers) if where == "row" \
            else feature_refs(i)
    empty = norm == ""
    if empty.any():
        pc.add(src, "missing code; every row needs one", where=fmt(np.flatnonzero(empty)),
               column=column)
    dup = norm.duplicated(keep=False) & ~empty
    if dup.any():
        for _code, grp in norm[dup].groupby(norm[dup], sort=True):
            pc.add(src, f"code {codes.iloc[grp.index[0]]!r} appears {len(grp)} times; "
                   "codes must be unique", where=fmt(grp.index.to_numpy()), column=column)
    return norm


def check_columns(df: pd.DataFrame, src: str, needed: dict[str, str], pc: ProblemCollector) -> bool:
    """Report every missing column at once.

    Parameters
    ----------
    df : DataFrame
        The table.
    src : str
        Its file.
    needed : dict of str to str
        Column -> what it is for (said in the message).
    pc : ProblemCollector
        Where problems are collected (raised together later).

    Returns
    -------
    bool
        True when every column is there.
    """
    missing = [c for c in needed if c not in df.columns]
    for c in missing:
        pc.add(src, f"missing column '{c}' ({needed[c]}); found columns: "
               f"{', '.join(map(str, df.columns))}. Name it in the scenario if it is called "
               "otherwise", column=c)
    return not missing


def check_villages(gdf: gpd.GeoDataFrame, layer: Layer,
                   warnings: list[str]) -> gpd.GeoDataFrame:
    """Validate the village layer.

    Parameters
    ----------
    gdf : GeoDataFrame
        The layer as read.
    layer : Layer
        Its file and code/name columns.
    warnings : list of str
        Where repairs and notes are said.

    Returns
    -------
    GeoDataFrame
        The layer with ``kode``, ``nama``, ``code_key`` columns.

    Raises
    ------
    InputError
        Listing every problem of the layer.
    """
    src = str(layer.path)
    pc = ProblemCollector()
    if len(gdf) == 0:
        pc.add(src, "the layer has no features; expected village polygons")
        pc.raise_if_any()
    check_columns(gdf, src, {layer.code: "village code", layer.name: "village name"}, pc)
    pc.raise_if_any()
    gdf = check_geometries(gdf, src, pc, ("Polygon", "MultiPolygon"), warnings)
    key = check_codes(gdf[layer.code], src, layer.code, pc, where="feature")
    pc.raise_if_any()
    out = gpd.GeoDataFrame({
        "kode": gdf[layer.code].astype(str).str.strip(),
        "nama": gdf[layer.name].fillna("").astype(str),
        "code_key": key,
    }, geometry=gdf.geometry.values, crs=gdf.crs)
    return out


def check_points(gdf: gpd.GeoDataFrame, layer: Layer, warnings: list[str]) -> gpd.GeoDataFrame:
    """Validate a point layer (service points, candidates).

    Parameters
    ----------
    gdf : GeoDataFrame
        The layer as read.
    layer : Layer
        Its file and id/name columns.
    warnings : list of str
        Where repairs and notes are said.

    Returns
    -------
    GeoDataFrame
        ``id``, ``nama``, geometry.

    Raises
    ------
    InputError
        Listing every problem of the layer.
    """
    src = str(layer.path)
    pc = ProblemCollector()
    if len(gdf) == 0:
        pc.add(src, "the layer has no features; expected at least one service point")
        pc.raise_if_any()
    check_columns(gdf, src, {layer.code: "service point id", layer.name: "service point name"},
                  pc)
    pc.raise_if_any()
    gdf = check_geometries(gdf, src, pc, ("Point",), warnings)
    check_codes(gdf[layer.code], src, layer.code, pc, where="feature")
    pc.raise_if_any()
    return gpd.GeoDataFrame({"id": gdf[layer.code].astype(str).str.strip(),
                             "nama": gdf[layer.name].fillna("").astype(str)},
                            geometry=gdf.geometry.values, crs=gdf.crs)


_THOUSANDS = {".": re.compile(r"^\d{1,3}(\.\d{3})+$"), ",": re.compile(r"^\d{1,3}(,\d{3})+$")}
_PLAIN_INT = re.compile(r"^\d+$")


def _thousands(s: pd.Series, src: str, column: str, pc: ProblemCollector,
               numbers: np.ndarray, warnings: list[str] | None) -> pd.Series:
    """Remove thousands separators from a column of counts when every value is written that
    way (``1.234`` or ``1,234`` = 1234, as Indonesian and English spreadsheets print them);
    refuse a column that mixes such values with decimals, whose meaning cannot be known."""
    for sep, pattern in _THOUSANDS.items():
        grouped = s.str.match(pattern)
        if not grouped.any():
            continue
        other = s.str.contains(re.escape(sep), regex=True) & ~grouped
        if other.any():
            i = np.flatnonzero(grouped)[0]
            j = np.flatnonzero(other)[0]
            pc.add(src, f"ambiguous numbers: {s.iloc[i]!r} reads as a thousands separator but "
                   f"{s.iloc[j]!r} does not; write counts without separators",
                   where=row_refs(np.array([i, j]), numbers=numbers), column=column)
            return s
        if warnings is not None:
            warnings.append(f"{src}: column '{column}': '{sep}' read as a thousands separator "
                            f"in {int(grouped.sum())} value(s) (e.g. {s[grouped].iloc[0]!r} = "
                            f"{s[grouped].iloc[0].replace(sep, '')})")
        return s.where(~grouped, s.str.replace(sep, "", regex=False))
    return s


def _parse_counts(values: pd.Series, src: str, column: str, pc: ProblemCollector,
                  offset: int = 0, numbers: np.ndarray | None = None,
                  warnings: list[str] | None = None) -> pd.Series:
    if numbers is None:
        numbers = np.arange(len(values)) + 2 + offset

    def _rows_here(idx: np.ndarray) -> str:
        return row_refs(idx, numbers=numbers)

    s = values.fillna("").astype(str).str.strip()
    s = _thousands(s, src, column, pc, numbers, warnings)
    num, kind = count_values(s)
    blank = pd.Series(kind == "blank", index=s.index)
    bad = pd.Series(kind == "not a number", index=s.index)
    if blank.any():
        pc.add(src, "empty cell; expected a whole number of people (0 if none)",
               where=_rows_here(np.flatnonzero(blank)), column=column)
    if bad.any():
        first = s[bad].iloc[0]
        hint = (" (decimal or thousands separators are not allowed in counts)"
                if re.search(r"\d[.,]\d", first) else "")
        pc.add(src, f"expected a whole number of people, found {first!r}{hint}",
               where=_rows_here(np.flatnonzero(bad)), column=column)
    frac = pd.Series(kind == "fraction", index=s.index)
    if frac.any():
        pc.add(src, f"expected a whole number of people, found {s[frac].iloc[0]!r}",
               where=_rows_here(np.flatnonzero(frac)), column=column)
    neg = pd.Series(kind == "negative", index=s.index)
    if neg.any():
        pc.add(src, f"expected a count >= 0, found {s[neg].iloc[0]}",
               where=_rows_here(np.flatnonzero(neg)), column=column)
    huge = pd.Series(kind == "too large", index=s.index)
    if huge.any():
        pc.add(src, f"implausibly large count {s[huge].iloc[0]} (more than 10^9 people)",
               where=_rows_here(np.flatnonzero(huge)), column=column)
    return pd.Series(np.where(kind == "", num, np.nan), index=s.index)


MAX_COUNT = 1e9
"""The largest count of people taken as plausible (more is reported)."""


def count_values(texts: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Counts of people read from text: the one rule for estimates and field logs.

    A count is a whole number from 0 to :data:`MAX_COUNT` (``12``, ``12.0``, ``1e3``);
    thousands separators are handled before (they need the column's context).

    Parameters
    ----------
    texts : Series
        The cells as text, stripped.

    Returns
    -------
    values : ndarray of float
        The number read (NaN where the text is not a number).
    problem : ndarray of str
        ``""`` for a count, else what is wrong: ``"blank"``, ``"not a number"``,
        ``"fraction"``, ``"negative"`` or ``"too large"``.
    """
    s = texts.astype(str)
    num = pd.to_numeric(s.str.replace(r"\.0+$", "", regex=True), errors="coerce")
    values = num.to_numpy(float, na_value=np.nan)
    values = np.where(np.isfinite(values), values, np.nan)
    blank = (s == "").to_numpy()
    finite = ~np.isnan(values)
    problem = np.select(
        [blank, ~finite, values != np.floor(np.nan_to_num(values)), values < 0,
         values > MAX_COUNT],
        ["blank", "not a number", "fraction", "negative", "too large"], "")
    return values, problem.astype(object)


def check_estimates(df: pd.DataFrame, layer: Layer,
                    indicators: tuple[Indicator, ...],
                    warnings: list[str] | None = None) -> pd.DataFrame:
    """Validate a registry table.

    Parameters
    ----------
    df : DataFrame
        The table as read (cells as text).
    layer : Layer
        Its file and code column.
    indicators : tuple of Indicator
        The indicators whose eligible and served columns it must hold.
    warnings : list of str, optional
        Where notes (thousands separators) are said.

    Returns
    -------
    DataFrame
        ``code_key``, ``kode_input`` and the count columns renamed to ``{key}_eligible`` /
        ``{key}_{served_suffix}`` as integers.

    Raises
    ------
    InputError
        Listing every problem of the table (row and column named).
    """
    src = str(layer.path)
    pc = ProblemCollector()
    needed = {layer.code: "village code"}
    for ind in indicators:
        needed[ind.eligible] = f"{ind.label}: eligible people"
        needed[ind.served] = f"{ind.label}: people served"
    if len(df) == 0:
        pc.add(src, "the table has a header but no rows; expected one row per village")
    check_columns(df, src, needed, pc)
    pc.raise_if_any()
    off = int(df.attrs.get("row_offset", 0))
    nums = df.attrs.get("row_numbers")
    nums = np.asarray(nums) if nums is not None and len(nums) == len(df) \
        else np.arange(len(df)) + 2 + off
    out = pd.DataFrame({"code_key": check_codes(df[layer.code], src, layer.code, pc,
                                                numbers=nums),
                        "kode_input": df[layer.code].astype(str).str.strip()})
    for ind in indicators:
        e = _parse_counts(df[ind.eligible], src, ind.eligible, pc, numbers=nums,
                          warnings=warnings)
        s = _parse_counts(df[ind.served], src, ind.served, pc, numbers=nums,
                          warnings=warnings)
        over = (s > e).fillna(False)
        if over.any():
            i = int(np.flatnonzero(over)[0])
            pc.add(src, f"served ({ind.served}) is greater than eligible ({ind.eligible}): "
                   f"{s.iloc[i]:.0f} > {e.iloc[i]:.0f}; served can be at most eligible",
                   where=row_refs(np.flatnonzero(over), numbers=nums), column=ind.served)
        out[ind.eligible_col] = e.to_numpy()
        out[ind.served_col] = s.to_numpy()
    pc.raise_if_any()
    _warn_above_population(df, src, indicators, out, nums, warnings)
    for ind in indicators:
        for c in (ind.eligible_col, ind.served_col):
            out[c] = out[c].astype("int64")
    out.attrs["row_numbers"] = nums
    return out


def _warn_above_population(df: pd.DataFrame, src: str, indicators: tuple[Indicator, ...],
                           out: pd.DataFrame,
                           nums: np.ndarray, warnings: list[str] | None) -> None:
    """With a ``population`` column, eligible people above it are said (a warning: the
    counts are kept, but an estimate that large is likely a typo)."""
    col = next((c for c in df.columns if str(c).strip().lower() in ("population",
                                                                   "penduduk")), None)
    if col is None or warnings is None:
        return
    pop = pd.to_numeric(df[col].astype(str).str.replace(",", "", regex=False),
                        errors="coerce").to_numpy(float)
    for ind in indicators:
        above = np.flatnonzero(out[ind.eligible_col].to_numpy(float) > pop)
        if len(above):
            i = int(above[0])
            warnings.append(f"{src}: {row_refs(above, numbers=nums)}, column "
                            f"'{ind.eligible}': eligible above the village's {col} "
                            f"({out[ind.eligible_col].iat[i]:,.0f} > {pop[i]:,.0f}); kept as "
                            "given, check the estimate")


def check_polygons(gdf: gpd.GeoDataFrame, src: str, warnings: list[str]) -> gpd.GeoDataFrame:
    """Validate a polygon layer (signal). An empty layer is allowed (it means 'none').

    Parameters
    ----------
    gdf : GeoDataFrame
        The layer as read.
    src : str
        Its file.
    warnings : list of str
        Where repairs are said.

    Returns
    -------
    GeoDataFrame
        The polygons.

    Raises
    ------
    InputError
        Listing every problem of the layer.
    """
    pc = ProblemCollector()
    if len(gdf) == 0:
        return gdf
    gdf = check_geometries(gdf, src, pc, ("Polygon", "MultiPolygon"), warnings)
    pc.raise_if_any()
    return gdf
