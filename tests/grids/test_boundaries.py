"""Reading boundary files: formats, field mapping, codes as text and CRS rules."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas
import numpy as np
import pytest
import shapely
from pyproj import Transformer

from geo.codes import Level
from grids.boundaries import BoundaryFileError, read_boundaries
from tests.grids import geometries as g
from tests.grids.geometries import BEIJING_DISTRICTS, needs_beijing

COLUMNS = ["code", "name", "parent_code", "level", "geometry"]


def write(tmp_path: Path, filename: str, data: dict, geoms, crs: str | None = "EPSG:4326") -> Path:
    """Write a small vector file with pyogrio and return its path."""
    path = tmp_path / filename
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "'crs' was not provided", UserWarning)
        geopandas.GeoDataFrame(data, geometry=list(geoms), crs=crs).to_file(path, engine="pyogrio")
    return path


def two_streets(tmp_path: Path, filename: str, crs: str | None = "EPSG:4326", **extra) -> Path:
    data = {"code": ["110102001", "110102002"], "name": ["西长安街街道", "新街口街道"], **extra}
    return write(tmp_path, filename, data, [g.SQUARE, g.EAST_NEIGHBOUR], crs)


# --- formats -------------------------------------------------------------------------------------


@pytest.mark.parametrize("filename", ["streets.geojson", "streets.gpkg", "streets.shp"])
def test_round_trip(tmp_path, filename):
    frame = read_boundaries(two_streets(tmp_path, filename), level=Level.STREET)

    assert list(frame.columns) == COLUMNS
    assert frame.crs == "EPSG:4326"
    assert list(frame["code"]) == ["110102001", "110102002"]
    assert list(frame["name"]) == ["西长安街街道", "新街口街道"]
    assert list(frame["parent_code"]) == ["110102", "110102"]
    assert list(frame["level"]) == ["street", "street"]
    assert frame.geometry[0].normalize().equals_exact(g.SQUARE.normalize(), 1e-9)


def test_field_names_are_mapped(tmp_path):
    data = {"adcode": ["110102001"], "mc": ["西长安街街道"], "sjdm": ["110102"]}
    path = write(tmp_path, "streets.gpkg", data, [g.SQUARE])
    frame = read_boundaries(
        path, level=Level.STREET, code_field="adcode", name_field="mc", parent_field="sjdm"
    )

    assert list(frame.columns) == COLUMNS
    assert (frame["code"][0], frame["name"][0], frame["parent_code"][0]) == (
        "110102001",
        "西长安街街道",
        "110102",
    )


def test_parent_field_is_taken_as_given(tmp_path):
    path = two_streets(tmp_path, "streets.gpkg", parent=["110101", "110102"])
    frame = read_boundaries(path, level=Level.STREET, parent_field="parent")

    assert list(frame["parent_code"]) == ["110101", "110102"]


def test_districts_have_no_parent_code(tmp_path):
    path = write(tmp_path, "d.geojson", {"code": ["110102"], "name": ["西城区"]}, [g.SQUARE])
    frame = read_boundaries(path, level=Level.DISTRICT)

    assert frame["parent_code"][0] is None


def test_grid_cells_get_their_community_as_parent(tmp_path):
    data = {"code": ["110102020001003"], "name": ["网格3"]}
    frame = read_boundaries(write(tmp_path, "c.gpkg", data, [g.SQUARE]), level=Level.GRID)

    assert frame["parent_code"][0] == "110102020001"


# --- codes read as text --------------------------------------------------------------------------


def test_integer_codes_are_read_as_strings(tmp_path):
    data = {"code": np.array([110102001, 110102002], dtype=np.int64), "name": ["a", "b"]}
    path = write(tmp_path, "s.geojson", data, [g.SQUARE, g.EAST_NEIGHBOUR])
    frame = read_boundaries(path, level=Level.STREET)

    assert list(frame["code"]) == ["110102001", "110102002"]
    assert all(isinstance(c, str) for c in frame["code"])


@pytest.mark.parametrize("filename", ["c.shp", "c.gpkg", "c.geojson"])
def test_float_codes_lose_their_decimal_point(tmp_path, filename):
    data = {"code": np.array([110102020001003.0]), "name": ["网格3"]}
    frame = read_boundaries(write(tmp_path, filename, data, [g.SQUARE]), level=Level.GRID)

    assert frame["code"][0] == "110102020001003"
    assert frame["parent_code"][0] == "110102020001"


def test_missing_codes_become_empty_text(tmp_path):
    data = {"code": ["110102001", None], "name": ["a", None]}
    frame = read_boundaries(
        write(tmp_path, "s.gpkg", data, [g.SQUARE, g.EAST_NEIGHBOUR]), level=Level.STREET
    )

    assert list(frame["code"]) == ["110102001", ""]
    assert list(frame["name"]) == ["a", ""]


# --- CRS -----------------------------------------------------------------------------------------


def test_file_without_crs_is_refused(tmp_path):
    path = two_streets(tmp_path, "streets.shp", crs=None)
    assert not path.with_suffix(".prj").exists()

    with pytest.raises(BoundaryFileError, match="declares no CRS") as caught:
        read_boundaries(path, level=Level.STREET)
    assert caught.value.kind == "crs"


def test_declared_crs_is_used_for_a_file_without_one(tmp_path):
    path = two_streets(tmp_path, "streets.shp", crs=None)
    frame = read_boundaries(path, level=Level.STREET, crs="EPSG:4326")

    assert frame.crs == "EPSG:4326"
    assert frame.geometry[1].normalize().equals_exact(g.EAST_NEIGHBOUR.normalize(), 1e-9)


@pytest.mark.parametrize("filename", ["metric.gpkg", "metric.geojson"])
def test_projected_file_is_refused(tmp_path, filename):
    to_metric = Transformer.from_crs("EPSG:4326", "EPSG:4548", always_xy=True)
    metric = shapely.transform(g.SQUARE, lambda xy: np.column_stack(to_metric.transform(*xy.T)))
    path = write(tmp_path, filename, {"code": ["110102001"], "name": ["a"]}, [metric], "EPSG:4548")

    with pytest.raises(BoundaryFileError, match="projected CRS EPSG:4548") as caught:
        read_boundaries(path, level=Level.STREET)
    assert caught.value.kind == "crs"


def test_declaring_a_projected_crs_is_refused(tmp_path):
    path = two_streets(tmp_path, "streets.shp", crs=None)

    with pytest.raises(BoundaryFileError, match="projected"):
        read_boundaries(path, level=Level.STREET, crs="EPSG:4548")


def test_cgcs2000_file_is_converted_to_wgs84(tmp_path):
    path = two_streets(tmp_path, "streets.gpkg", crs="EPSG:4490")
    frame = read_boundaries(path, level=Level.STREET)

    assert frame.crs.to_epsg() == 4326
    # CGCS2000 and WGS-84 agree to centimetres: the coordinates barely move
    moved = np.abs(shapely.get_coordinates(frame.geometry[0]) - shapely.get_coordinates(g.SQUARE))
    assert moved.max() < 1e-6


# --- file errors ---------------------------------------------------------------------------------


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(BoundaryFileError, match="does not exist") as caught:
        read_boundaries(tmp_path / "nowhere.geojson", level=Level.DISTRICT)
    assert caught.value.kind == "file"


def test_missing_field_is_named(tmp_path):
    path = two_streets(tmp_path, "streets.gpkg")

    with pytest.raises(BoundaryFileError, match="no field 'adcode'"):
        read_boundaries(path, level=Level.STREET, code_field="adcode")


def test_missing_parent_field_is_named(tmp_path):
    path = two_streets(tmp_path, "streets.gpkg")

    with pytest.raises(BoundaryFileError, match="no field 'parent'"):
        read_boundaries(path, level=Level.STREET, parent_field="parent")


def test_unreadable_file_is_refused(tmp_path):
    path = tmp_path / "broken.geojson"
    path.write_text("this is not json", encoding="utf-8")

    with pytest.raises(BoundaryFileError, match="cannot read"):
        read_boundaries(path, level=Level.DISTRICT)


# --- the real file -------------------------------------------------------------------------------


@needs_beijing
def test_beijing_districts_are_read():
    frame = read_boundaries(BEIJING_DISTRICTS, level=Level.DISTRICT, code_field="adcode")

    assert list(frame.columns) == COLUMNS
    assert list(frame["code"]) == ["110101", "110102", "110106"]
    assert list(frame["name"]) == ["东城区", "西城区", "丰台区"]
    assert frame["parent_code"].isna().all()
    assert frame.crs == "EPSG:4326"
