"""Rasters the user brings for walking over terrain (land cover, elevation, barriers): read
with rasterio, reprojected onto one north-up grid of square cells in the study area's metric
CRS, and checked (a CRS, nodata, classes without a speed, villages the raster does not
cover), every problem named with its file. Nothing else happens here: the friction surface
and travel over it are :mod:`planner.network.terrain`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError, Problem


def cell_index(x: np.ndarray, y: np.ndarray, x0: float, y0: float, cell_m: float,
               shape: tuple[int, int]) -> np.ndarray:
    """The cell (row-major) holding each point of a north-up grid; -1 outside it.

    Parameters
    ----------
    x, y : ndarray
        Points, metres.
    x0, y0 : float
        The grid's top-left corner, metres.
    cell_m : float
        The side of a cell, metres.
    shape : tuple of int
        (rows, cols).

    Returns
    -------
    ndarray of int
        ``row * cols + col``, or -1.
    """
    rows, cols = shape
    c = np.floor((np.asarray(x, float) - x0) / cell_m).astype(np.int64)
    r = np.floor((y0 - np.asarray(y, float)) / cell_m).astype(np.int64)
    inside = (r >= 0) & (r < rows) & (c >= 0) & (c < cols)
    return np.where(inside, r * cols + c, -1)


@dataclass(frozen=True)
class Grid:
    """Values on a north-up grid of square cells in a metric CRS.

    Attributes
    ----------
    values : ndarray (rows, cols) of float
        The cells; NaN where the raster has no data.
    cell_m : float
        The side of a cell, metres.
    x0, y0 : float
        The top-left corner, metres.
    crs : str or pyproj.CRS
        The CRS (the study area's metric one).
    """

    values: np.ndarray
    cell_m: float
    x0: float
    y0: float
    crs: Any

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols)."""
        r, c = self.values.shape
        return int(r), int(c)

    def at(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The value under each point (NaN outside the grid).

        Parameters
        ----------
        x, y : ndarray
            Points, metres in the grid's CRS.

        Returns
        -------
        ndarray of float
            The values.
        """
        cell = cell_index(x, y, self.x0, self.y0, self.cell_m, self.shape)
        out = np.full(len(cell), np.nan)
        out[cell >= 0] = self.values.ravel()[cell[cell >= 0]]
        return out


def read_grid(path: Path | str, crs: Any, *, like: Grid | None = None,
              cell_m: float | None = None, categorical: bool = False,
              what: str = "raster") -> Grid:
    """A raster reprojected onto a grid in ``crs``: onto ``like``'s cells when given (so
    every layer of a surface shares one grid), else onto square cells of ``cell_m`` metres
    (default: the raster's own resolution, in metres) covering its extent.

    Parameters
    ----------
    path : Path or str
        The raster (GeoTIFF or any format GDAL reads).
    crs : CRS or str
        The study area's metric CRS.
    like : Grid, optional
        The grid to sample onto.
    cell_m : float, optional
        The cell size when ``like`` is not given, metres.
    categorical : bool, default False
        Classes (land cover, barriers: nearest cell) rather than measures (elevation:
        bilinear).
    what : str, default "raster"
        How messages name the layer ("land cover", "elevation"...).

    Returns
    -------
    Grid
        The values (NaN for no data).

    Raises
    ------
    InputError
        When the file cannot be read as a raster or has no CRS.
    """
    import rasterio
    from pyproj import CRS
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    path = Path(path)
    dst_crs = CRS.from_user_input(crs)
    try:
        src = rasterio.open(path)
    except Exception as exc:  # rasterio's errors name no file; ours does
        raise InputError([Problem(str(path), f"cannot be read as a {what} raster ({exc})")]
                         ) from None
    with src:
        if src.crs is None:
            raise InputError([Problem(str(path), f"the {what} raster has no CRS: save it with "
                                      "one (e.g. EPSG:4326 or the UTM zone)")])
        band = src.read(1, masked=True).astype(float).filled(np.nan)
        if like is None:
            transform, width, height = calculate_default_transform(
                src.crs, dst_crs.to_wkt(), src.width, src.height, *src.bounds)
            native = max(abs(transform.a), abs(transform.e))
            size = float(cell_m or native)
            left = transform.c
            top = transform.f
            cols = max(1, int(np.ceil(width * abs(transform.a) / size)))
            rows = max(1, int(np.ceil(height * abs(transform.e) / size)))
        else:
            size, left, top = like.cell_m, like.x0, like.y0
            rows, cols = like.shape
        from rasterio.transform import from_origin

        out = np.full((rows, cols), np.nan)
        reproject(band, out, src_transform=src.transform, src_crs=src.crs,
                  src_nodata=np.nan, dst_transform=from_origin(left, top, size, size),
                  dst_crs=dst_crs.to_wkt(), dst_nodata=np.nan,
                  resampling=Resampling.nearest if categorical else Resampling.bilinear)
    return Grid(out, size, float(left), float(top), dst_crs.to_string())


def speeds_of(cover: Grid, speeds: dict[int, float], path: Path | str,
              warnings: list[str] | None = None) -> np.ndarray:
    """Walking speed per cell from a land-cover grid and a class -> km/h table.

    Parameters
    ----------
    cover : Grid
        The land-cover classes.
    speeds : dict of int to float
        Class -> walking speed on flat ground, km/h (0: impassable).
    path : Path or str
        The land-cover file (named in messages).
    warnings : list of str, optional
        Where the note on cells without data goes.

    Returns
    -------
    ndarray (rows, cols)
        km/h; NaN (impassable) where the raster has no data.

    Raises
    ------
    InputError
        When classes present in the raster have no speed (each listed with its cells).
    """
    v = cover.values
    data = np.isfinite(v)
    classes, counts = np.unique(v[data].astype(np.int64), return_counts=True)
    missing = [(int(c), int(n)) for c, n in zip(classes, counts, strict=True)
               if int(c) not in speeds]
    if missing:
        listed = ", ".join(f"{c} ({n:,} cells)" for c, n in missing[:20])
        raise InputError([Problem(str(path), f"land-cover classes without a walking speed: "
                                  f"{listed}; give each a speed (km/h, 0 = impassable) in "
                                  "the scenario's land-cover table", column="speeds")])
    out = np.full(v.shape, np.nan)
    lookup = {int(k): float(s) for k, s in speeds.items()}
    for c in classes:
        out[data & (v == c)] = lookup[int(c)]
    if (~data).any() and warnings is not None:
        warnings.append(f"{path}: {int((~data).sum()):,} cells without land-cover data are "
                        "impassable")
    return out


def check_covers(grid: Grid, x: np.ndarray, y: np.ndarray, labels: list[str],
                 path: Path | str, what: str = "raster") -> None:
    """Every point (villages, offices) on a cell with data.

    Parameters
    ----------
    grid : Grid
        The grid.
    x, y : ndarray
        The points, metres in the grid's CRS.
    labels : list of str
        How messages name each point (``Desa A (65.01...)``).
    path : Path or str
        The raster (named in messages).
    what : str, default "raster"
        How messages name the layer.

    Raises
    ------
    InputError
        Listing the points (up to 10, and how many) outside the raster or on no data.
    """
    values = grid.at(x, y)
    bad = np.flatnonzero(~np.isfinite(values))
    if not len(bad):
        return
    rows, cols = grid.shape
    bounds = (f"{grid.x0:,.0f}..{grid.x0 + cols * grid.cell_m:,.0f} E, "
              f"{grid.y0 - rows * grid.cell_m:,.0f}..{grid.y0:,.0f} N ({grid.crs})")
    named = "; ".join(labels[i] for i in bad[:10]) + (
        f" and {len(bad) - 10} more" if len(bad) > 10 else "")
    raise InputError([Problem(str(path), f"the {what} raster does not cover {len(bad):,} "
                              f"point(s) (outside {bounds}, or on cells without data): "
                              f"{named}")])
