"""One metric CRS per study area; WGS84 only for the map."""

from __future__ import annotations

import geopandas as gpd
from pyproj import CRS

from .errors import InputError, Problem

WGS84 = CRS.from_epsg(4326)


def metric_crs(gdf: gpd.GeoDataFrame, requested: str = "auto") -> CRS:
    """Choose the metric CRS of a study area.

    Parameters
    ----------
    gdf : GeoDataFrame
        The study area's villages, with a CRS.
    requested : str
        ``"auto"`` for the UTM zone containing the study area's centre, or any CRS string
        pyproj accepts (e.g. ``"EPSG:32650"``), which must be projected with metre units.

    Returns
    -------
    CRS
        A projected CRS in metres.
    """
    if requested != "auto":
        try:
            crs = CRS.from_user_input(requested)
        except Exception as exc:
            raise InputError([Problem("scenario", f"unknown CRS {requested!r} ({exc})",
                                      column="crs")]) from exc
    else:
        crs = gdf.estimate_utm_crs()
    if not crs.is_projected or crs.axis_info[0].unit_name not in ("metre", "meter"):
        raise InputError([Problem("scenario", f"CRS {crs.to_string()} is not projected in metres; "
                                  "distances need a metric CRS (e.g. a UTM zone)", column="crs")])
    return crs
