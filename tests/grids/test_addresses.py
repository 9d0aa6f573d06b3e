"""The standard address register: the demo generator's numbering and places, the checks of
``validate_register`` (each refusal names its row and column) and ``read_register``.

Positions along and beside a road are measured here with pyproj and shapely on the demo
city's own road lines, not with the generator's helpers.
"""

from __future__ import annotations

import doctest
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import LineString

import grids.address_checks
from grids.addresses import (
    COLUMNS,
    DataFileError,
    area_names,
    demo_register,
    read_register,
    validate_register,
)
from grids.demo import CITY_CENTRE, DemoCity, build_demo_city

TO_M = Transformer.from_crs(4326, 4548, always_xy=True)
TO_LL = Transformer.from_crs(4548, 4326, always_xy=True)
SEED = 7


@pytest.fixture(scope="module")
def city() -> DemoCity:
    return build_demo_city(cell_area_m2=40_000)


@pytest.fixture(scope="module")
def register(city: DemoCity) -> gpd.GeoDataFrame:
    return demo_register(city, seed=SEED)


def _metric_line(geom: LineString) -> LineString:
    x, y = TO_M.transform(*np.asarray(geom.coords).T)
    return LineString(np.column_stack([x, y]))


def _numbered_line(geom: LineString) -> LineString:
    """The road's line in metres, pointing away from the city centre (how numbers run)."""
    line = _metric_line(geom)
    centre = shapely.Point(TO_M.transform(*CITY_CENTRE))
    start, end = shapely.Point(line.coords[0]), shapely.Point(line.coords[-1])
    return line if start.distance(centre) <= end.distance(centre) else line.reverse()


def _plain_plates(register: pd.DataFrame, road: str) -> pd.DataFrame:
    """The doors of a road with a plain number: plates and 号院."""
    rows = register[(register["road"] == road) & register["kind"].isin(["plate", "compound"])]
    return rows[rows["suffix"] == ""]


def _along_and_beside(line: LineString, plates: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Distance along ``line`` and signed offset (left positive) of each plate, in metres."""
    x, y = TO_M.transform(plates["lon"].to_numpy(), plates["lat"].to_numpy())
    points = shapely.points(x, y)
    along = shapely.line_locate_point(line, points)
    foot = shapely.get_coordinates(shapely.line_interpolate_point(line, along))
    ahead = shapely.get_coordinates(shapely.line_interpolate_point(line, along + 1.0))
    behind = shapely.get_coordinates(
        shapely.line_interpolate_point(line, np.maximum(along - 1.0, 0))
    )
    tangent = ahead - behind
    offset = np.column_stack([x, y]) - foot
    cross = tangent[:, 0] * offset[:, 1] - tangent[:, 1] * offset[:, 0]
    return along, np.sign(cross) * np.linalg.norm(offset, axis=1)


def test_the_register_has_every_kind_and_the_columns(register: gpd.GeoDataFrame) -> None:
    assert list(register.columns) == [*COLUMNS, "geometry"]
    assert set(register["kind"]) == {"plate", "compound", "building", "village", "poi"}
    assert register["id"].is_unique and register["text"].is_unique


def test_plates_on_each_road_side_by_parity_and_increasing_away_from_the_centre(
    city: DemoCity, register: gpd.GeoDataFrame
) -> None:
    checked, all_steps = 0, []
    for road in city.roads.itertuples():
        plates = _plain_plates(register, road.name)
        if len(plates) < 6:
            continue
        line = _numbered_line(road.geometry)
        along, beside = _along_and_beside(line, plates)
        numbers = plates["number"].to_numpy(dtype=int)
        odd = numbers % 2 == 1
        assert (plates["side"].to_numpy() == np.where(odd, "odd", "even")).all()
        # odd numbers on the left of the direction of numbering, even on the right
        assert (beside[odd] > 0).mean() > 0.95, road.name
        assert (beside[~odd] < 0).mean() > 0.95, road.name
        for side in (odd, ~odd):
            order = np.argsort(numbers[side])
            steps = np.diff(along[side][order])
            assert (steps > -1.0).all(), road.name  # increasing along the road
            all_steps.append(steps)
        checked += 1
    assert checked > 100
    assert 25.0 <= np.median(np.concatenate(all_steps)) <= 35.0  # a door every 20-40 m


def test_some_numbers_are_skipped_and_some_have_jia_yi(register: gpd.GeoDataFrame) -> None:
    plates = register[(register["kind"] == "plate") & (register["suffix"] == "")]
    gaps = 0
    for _, side in plates.groupby(["road", "side"]):
        numbers = np.sort(side["number"].to_numpy(dtype=int))
        gaps += int((np.diff(numbers) > 2).sum())
    assert gaps > 50
    suffixed = register[register["suffix"] != ""]
    assert set(suffixed["suffix"]) == {"甲", "乙"}
    assert suffixed["text"].str.match(r"^.+[甲乙]\d+号$").all()
    base = register.set_index("text")
    for row in suffixed.head(30).itertuples():
        stem = f"{row.road}{row.number}号"
        if stem in base.index:
            x0, y0 = TO_M.transform(base.at[stem, "lon"], base.at[stem, "lat"])
            x1, y1 = TO_M.transform(row.lon, row.lat)
            assert np.hypot(x1 - x0, y1 - y0) < 20.0  # beside its number


def test_yuan_with_their_buildings(register: gpd.GeoDataFrame) -> None:
    yuan = register[(register["kind"] == "compound") & (register["road"] != "")]
    assert len(yuan) > 50
    assert yuan["text"].str.match(r"^.+\d+号院$").all()
    buildings = register[(register["kind"] == "building") & (register["road"] != "")]
    assert buildings["text"].str.match(r"^.+\d+号院\d+号楼$").all()
    owners = set(buildings["text"].str.replace(r"\d+号楼$", "", regex=True))
    assert owners <= set(yuan["text"])


def test_every_community_has_places_and_compounds_or_village_houses(
    city: DemoCity, register: gpd.GeoDataFrame
) -> None:
    pois = register[register["kind"] == "poi"].groupby("community_code").size()
    compounds = register[(register["kind"] == "compound") & (register["name"] != "")]
    with_compounds = set(compounds["community_code"])
    villages = set(register.loc[register["kind"] == "village", "community_code"])
    for row in city.communities.itertuples():
        assert pois.get(row.code, 0) >= 1, row.name
        if row.name.endswith("村"):
            assert row.code in villages, row.name
        else:
            assert row.code in with_compounds, row.name
    houses = register[register["kind"] == "village"]
    assert houses["text"].str.match(r"^.+村\d+组\d+号$").all()
    names = register.loc[register["kind"] == "poi", "name"]
    assert not names.str.contains(r"号|\d").any()  # a community named after a 号院 lends no stem
    assert names.str.contains(
        "小学|中学|幼儿园|市场|超市|卫生服务站|医院|公园|广场|大厦|商务楼|办事处"
    ).all()


def test_codes_are_the_cell_at_the_position(city: DemoCity, register: gpd.GeoDataFrame) -> None:
    joined = gpd.sjoin(register[["id", "grid_code", "geometry"]], city.cells[["code", "geometry"]],
                       predicate="within")  # fmt: skip
    assert len(joined) >= 0.99 * len(register)
    assert (joined["grid_code"] == joined["code"]).all()
    for column, length in (("community_code", 12), ("street_code", 9), ("district_code", 6)):
        assert (register[column] == register["grid_code"].str[:length]).all()


def test_the_generator_is_deterministic(city: DemoCity, register: gpd.GeoDataFrame) -> None:
    again = demo_register(city, seed=SEED)
    pd.testing.assert_frame_equal(pd.DataFrame(again), pd.DataFrame(register))
    other = demo_register(city, seed=SEED + 1)
    assert not other["text"].equals(register["text"]) or not np.allclose(
        other["lon"].to_numpy()[:100], register["lon"].to_numpy()[:100]
    )


def test_area_names(city: DemoCity) -> None:
    names = area_names(city)
    assert names["110102"] == "西城区"
    assert names["110102020"] == "广安门外街道"
    assert len(names) == len(city.districts) + len(city.streets) + len(city.communities)


# --- validate_register -----------------------------------------------------------------


def _validate(city: DemoCity, frame: pd.DataFrame, **options: float) -> list[tuple[int, str, str]]:
    report = validate_register(frame, districts=city.districts, streets=city.streets,
                               communities=city.communities, cells=city.cells, **options)  # fmt: skip
    return [(p.row, p.column, p.kind) for p in report.problems]


@pytest.fixture(scope="module")
def small(register: gpd.GeoDataFrame) -> pd.DataFrame:
    """A slice of the register: the plain plates of one long road plus some places."""
    counts = register[register["kind"] == "plate"].groupby("road").size()
    road = counts.idxmax()
    plates = _plain_plates(register, road)
    places = register[register["kind"] == "poi"].head(20)
    return pd.DataFrame(pd.concat([plates, places])).reset_index(drop=True)


def test_the_demo_register_validates(city: DemoCity, register: gpd.GeoDataFrame) -> None:
    report = validate_register(register, districts=city.districts, streets=city.streets,
                               communities=city.communities, cells=city.cells)  # fmt: skip
    assert report.ok, [str(p) for p in report.problems[:5]]
    assert report.rows == len(register)


def test_a_duplicate_id_and_text_name_the_repeated_row(city: DemoCity, small: pd.DataFrame) -> None:
    frame = small.copy()
    frame.loc[5, "id"] = str(frame["id"].iat[2])
    frame.loc[7, "text"] = str(frame["text"].iat[3]) + " "
    problems = validate_register(frame, districts=city.districts).problems
    assert [(p.row, p.column, p.kind) for p in problems] == [(6, "id", "duplicate"),
                                                              (8, "text", "duplicate")]  # fmt: skip
    assert "repeats row 3" in str(problems[0]) and "row 6 (" in str(problems[0])


def test_a_position_outside_every_district(city: DemoCity, small: pd.DataFrame) -> None:
    frame = small.copy()
    frame.loc[4, "lon"] = 117.5
    assert (5, "lon", "outside") in _validate(city, frame)


def test_a_code_that_disagrees_with_the_position(city: DemoCity, small: pd.DataFrame) -> None:
    frame = small.copy()
    other = city.streets.loc[city.streets["code"] != frame.loc[1, "street_code"], "code"].iloc[0]
    frame.loc[1, "street_code"] = other
    found = _validate(city, frame)
    assert (2, "street_code", "code_position") in found
    assert (2, "community_code", "code_prefix") in found  # no longer under its street


def test_a_malformed_code(city: DemoCity, small: pd.DataFrame) -> None:
    frame = small.copy()
    frame.loc[0, "district_code"] = "1101"
    assert (1, "district_code", "code") in _validate(city, frame)


def test_a_plate_on_the_wrong_side_for_its_parity(city: DemoCity, small: pd.DataFrame) -> None:
    frame = small.copy()
    assert frame.loc[0, "kind"] == "plate"
    frame.loc[0, "side"] = "even" if frame.loc[0, "side"] == "odd" else "odd"
    assert _validate(city, frame) == [(1, "side", "side")]


def test_a_number_out_of_its_roads_order(city: DemoCity, small: pd.DataFrame) -> None:
    frame = small.copy()
    plates = frame[(frame["kind"] == "plate") & (frame["side"] == "odd")].sort_values("number")
    low, high = plates.index[2], plates.index[-3]
    frame.loc[[low, high], ["lon", "lat"]] = frame.loc[[high, low], ["lon", "lat"]].to_numpy()
    found = _validate(city, frame)
    assert (low + 1, "number", "order") in found and (high + 1, "number", "order") in found
    # a tolerance longer than the road forgives it
    assert not any(kind == "order" for _, _, kind in _validate(city, frame, order_tolerance_m=1e6))


def test_one_plate_out_of_order_is_the_only_one_named(city: DemoCity, small: pd.DataFrame) -> None:
    frame = small.copy()
    plates = frame[(frame["kind"] == "plate") & (frame["side"] == "even")].sort_values("number")
    moved, far = plates.index[3], plates.index[-2]
    frame.loc[moved, ["lon", "lat"]] = frame.loc[far, ["lon", "lat"]].to_numpy()
    assert [(row, column) for row, column, kind in _validate(city, frame) if kind == "order"] == [
        (moved + 1, "number")
    ]


def _u_road() -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """A road bending back on itself (east 300 m, north 200 m, west 300 m) with odd plates
    every 25 m, 10 m to its left, numbered along it; drawn in metres near 天安门."""
    x0, y0 = TO_M.transform(116.39, 39.905)
    corners = np.array([[0, 0], [300, 0], [300, 200], [0, 200]], dtype=float) + np.array([x0, y0])
    line = LineString(corners)
    stations = np.arange(10.0, line.length - 10.0, 25.0)
    rows = []
    for k, at in enumerate(stations):
        here = np.asarray(line.interpolate(at).coords[0])
        ahead = np.asarray(line.interpolate(min(at + 1.0, line.length)).coords[0])
        tangent = (ahead - here) / np.linalg.norm(ahead - here)
        x, y = here + 10.0 * np.array([-tangent[1], tangent[0]])
        lon, lat = TO_LL.transform(x, y)
        number = 2 * k + 1
        rows.append({"id": f"U{number}", "text": f"弯弯路{number}号", "kind": "plate",
                     "road": "弯弯路", "number": number, "side": "odd", "lon": lon, "lat": lat})  # fmt: skip
    lon, lat = TO_LL.transform(corners[:, 0], corners[:, 1])
    road = gpd.GeoDataFrame({"name": ["弯弯路"]}, geometry=[LineString(zip(lon, lat, strict=True))],
                            crs=4326)  # fmt: skip
    return road, pd.DataFrame(rows)


def test_a_bending_road_is_measured_along_its_line(city: DemoCity) -> None:
    road, plates = _u_road()

    def named(frame: pd.DataFrame, **roads: gpd.GeoDataFrame) -> list[int]:
        report = validate_register(frame, districts=city.districts, **roads)
        return sorted(p.row for p in report.problems if p.kind == "order")

    assert named(plates, roads=road) == named(plates) == []
    # plates 11 and 51 swapped: the way out and the way back share one straight axis, so
    # along it plate 11 seems in place; along the road's line both are out of order
    swapped = plates.copy()
    swapped.loc[[5, 25], ["lon", "lat"]] = swapped.loc[[25, 5], ["lon", "lat"]].to_numpy()
    assert named(swapped, roads=road) == [6, 26]
    assert 6 not in named(swapped)


def test_the_demo_register_keeps_the_order_of_its_road_lines(
    city: DemoCity, register: gpd.GeoDataFrame
) -> None:
    report = validate_register(register, districts=city.districts, roads=city.roads)
    assert report.ok, [str(p) for p in report.problems[:5]]


def test_a_plate_without_a_number_or_kind(city: DemoCity, small: pd.DataFrame) -> None:
    frame = small.copy()
    frame["number"] = frame["number"].astype("Int64")
    frame.loc[0, "number"] = pd.NA
    frame.loc[1, "kind"] = "shop"
    found = _validate(city, frame)
    assert (1, "number", "plate") in found and (2, "kind", "kind") in found


# --- read_register ---------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Column names longer", "ignore:Normalized/laundered")
def test_read_csv_geopackage_and_shapefile(tmp_path: Path, small: pd.DataFrame) -> None:
    frame = gpd.GeoDataFrame(small, geometry="geometry", crs=4326)
    csv = tmp_path / "register.csv"
    frame.drop(columns="geometry").to_csv(csv, index=False)
    gpkg = tmp_path / "register.gpkg"
    frame.to_file(gpkg, driver="GPKG")
    shp = tmp_path / "register.shp"
    frame.to_crs(4548).drop(columns=["lon", "lat"]).to_file(shp, engine="pyogrio")
    for path in (csv, gpkg, shp):
        read = read_register(path)
        assert list(read.columns) == [*COLUMNS, "geometry"], path.suffix
        assert read["text"].tolist() == frame["text"].tolist(), path.suffix
        assert read["community_code"].tolist() == frame["community_code"].tolist(), path.suffix
        assert read["number"].tolist() == frame["number"].tolist(), path.suffix
        np.testing.assert_allclose(read["lon"], frame["lon"], atol=1e-7)


def test_a_missing_column_is_refused(tmp_path: Path, small: pd.DataFrame) -> None:
    path = tmp_path / "register.csv"
    small.drop(columns=["geometry", "street_code"]).to_csv(path, index=False)
    with pytest.raises(DataFileError, match=r"register.csv line 1, column street_code"):
        read_register(path)


def test_a_number_that_is_not_one_is_refused(tmp_path: Path, small: pd.DataFrame) -> None:
    frame = small.drop(columns="geometry").astype({"number": object})
    frame.loc[3, "number"] = "十二"
    path = tmp_path / "register.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DataFileError, match=r"line 5, column number: '十二'"):
        read_register(path)


def test_the_docstring_examples() -> None:
    failed, tried = doctest.testmod(grids.address_checks)
    assert tried > 0 and failed == 0
