"""Rasters for walking over terrain (planner/inputs/raster.py): GeoTIFFs written here, read
onto one grid in the study area's metric CRS, every problem named with its file; the surface
they make walks as one built directly (planner/network/terrain.py)."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

import planner
from planner.inputs import raster
from planner.network import terrain

CRS = "EPSG:32650"


def write_tif(path, values, crs=CRS, left=500_000.0, top=310_000.0, cell=100.0, nodata=None):
    values = np.asarray(values)
    with rasterio.open(path, "w", driver="GTiff", height=values.shape[0],
                       width=values.shape[1], count=1, dtype=values.dtype, crs=crs,
                       transform=from_origin(left, top, cell, cell), nodata=nodata) as dst:
        dst.write(values, 1)
    return path


def test_land_cover_and_elevation_on_one_grid_walk_as_the_surface_itself(tmp_path):
    """A 6 x 8 land cover (classes 10 forest 2 km/h, 20 fields 4 km/h, 80 water 0) and an
    elevation at half the resolution, both in the metric CRS: read onto the land cover's
    grid, the travel minutes equal those of the surface built from the arrays directly."""
    rng = np.random.default_rng(3)
    cover = rng.choice(np.array([10, 20, 80], np.uint8), size=(6, 8), p=[0.45, 0.45, 0.1])
    elev = rng.uniform(0, 200, (3, 4)).astype(np.float32)
    cov = raster.read_grid(write_tif(tmp_path / "cover.tif", cover), CRS, categorical=True,
                           what="land cover")
    assert cov.shape == (6, 8) and cov.cell_m == 100.0 and (cov.x0, cov.y0) == (500_000,
                                                                               310_000)
    speed = raster.speeds_of(cov, {10: 2.0, 20: 4.0, 80: 0.0}, tmp_path / "cover.tif")
    el = raster.read_grid(write_tif(tmp_path / "dem.tif", elev, cell=200.0), CRS, like=cov,
                          what="elevation")
    assert el.shape == (6, 8)
    s = terrain.surface_from_grids(raster.Grid(speed, 100.0, cov.x0, cov.y0, cov.crs), el)
    direct = terrain.Surface(np.select([cover == 10, cover == 20], [2.0, 4.0], 0.0), 100.0,
                             500_000.0, 310_000.0, elevation_m=el.values)
    src = np.array([int(np.flatnonzero(direct.passable().ravel())[0])])
    np.testing.assert_allclose(terrain.travel_minutes(s, src),
                               terrain.travel_minutes(direct, src))
    # a point per cell: the grid tells its cell's value
    assert raster.Grid(cov.values, 100.0, cov.x0, cov.y0, CRS).at(
        np.array([500_050.0]), np.array([309_950.0]))[0] == cover[0, 0]


def test_a_raster_in_degrees_is_reprojected_to_metres(tmp_path):
    """A land cover in EPSG:4326 comes onto square cells in the metric CRS."""
    cover = np.full((20, 20), 20, np.uint8)
    path = write_tif(tmp_path / "wgs.tif", cover, crs="EPSG:4326", left=116.9, top=2.8,
                     cell=0.001)
    g = raster.read_grid(path, CRS, categorical=True)
    assert 100 < g.cell_m < 120                       # ~111 m
    assert np.nanmax(g.values) == 20 and np.isfinite(g.values).mean() > 0.8


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_problems_are_named_with_their_file(tmp_path):
    cover = np.array([[10, 20], [30, 255]], np.uint8)
    path = write_tif(tmp_path / "cover.tif", cover, nodata=255)
    g = raster.read_grid(path, CRS, categorical=True)
    warnings: list[str] = []
    with pytest.raises(planner.InputError) as err:
        raster.speeds_of(g, {10: 2.0}, path, warnings)
    said = str(err.value)
    assert "cover.tif" in said and "classes without a walking speed: 20 (1 cells), 30 (1 " \
        "cells)" in said
    speed = raster.speeds_of(g, {10: 2.0, 20: 4.0, 30: 1.0}, path, warnings)
    assert np.isnan(speed[1, 1]) and "1 cells without land-cover data are impassable" in \
        warnings[0]
    bare = tmp_path / "nocrs.tif"
    with rasterio.open(bare, "w", driver="GTiff", height=2, width=2, count=1,
                       dtype="uint8") as dst:
        dst.write(cover, 1)
    with pytest.raises(planner.InputError, match=r"nocrs.tif.*has no CRS"):
        raster.read_grid(bare, CRS, what="land cover")
    (tmp_path / "not.tif").write_text("no raster here")
    with pytest.raises(planner.InputError, match=r"not.tif.*cannot be read as a land cover "
                                                 r"raster"):
        raster.read_grid(tmp_path / "not.tif", CRS, what="land cover")
    with pytest.raises(planner.InputError) as err:
        raster.check_covers(g, np.array([500_050.0, 600_000.0, 500_150.0]),
                            np.array([309_950.0, 309_950.0, 309_850.0]),
                            ["Desa A (1)", "Desa Jauh (2)", "Desa Air (3)"], path,
                            "land cover")
    said = str(err.value)
    assert "does not cover 2 point(s)" in said and "Desa Jauh (2); Desa Air (3)" in said
    with pytest.raises(ValueError, match="elevation: expected the land cover's grid"):
        terrain.surface_from_grids(g, raster.Grid(np.zeros((3, 3)), 100.0, 0.0, 0.0, CRS))


def test_elevation_gaps_are_walked_flat_and_said(tmp_path):
    """An elevation raster covering only the west half of the land cover (and a void in
    it): the land cover's walkable cells without elevation are counted in a warning with
    the file, and moves touching them are walked as on the flat: east of the DEM the times
    equal a surface without elevation; a barrier raster's gaps are open land, said too."""
    from planner.config import TerrainSpec
    from planner.network.graph import Points

    cover = np.full((6, 8), 20, np.uint8)
    elev = np.linspace(0, 300, 24, dtype=np.float32).reshape(6, 4)
    elev[2, 1] = -9999                                          # a void
    spec = TerrainSpec(landcover=write_tif(tmp_path / "cover.tif", cover),
                       speeds={20: 4.0},
                       elevation=write_tif(tmp_path / "dem.tif", elev, nodata=-9999),
                       barriers=write_tif(tmp_path / "water.tif",
                                          np.zeros((6, 4), np.uint8)))
    pts = Points("village", ["1"], ["Desa A (1)"], np.array([[500_050.0, 309_950.0]]))
    warnings: list[str] = []
    s = terrain.read_surface(spec, CRS, {"village": pts, "service": pts}, warnings)
    assert any("dem.tif: 25 walkable cell(s) of the land cover have no elevation" in w
               for w in warnings), warnings
    assert any("water.tif: 24 walkable cell(s)" in w and "open land" in w for w in warnings)
    flat = terrain.Surface(np.full((6, 8), 4.0), 100.0, s.x0, s.y0)
    east = 6 * 8 - 1                                            # the south-east corner
    got = terrain.travel_minutes(s, np.array([east]))
    want = terrain.travel_minutes(flat, np.array([east]))
    np.testing.assert_allclose(got[:, 5:], want[:, 5:])       # two columns off the DEM
    assert np.isfinite(got).all()
