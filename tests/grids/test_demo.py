"""The deterministic demo city: real NBS names/codes, exact tilings, the joint-whistle site.

Expectations are computed here independently of ``grids.demo``: names and codes are read
from the CSVs with the csv module, areas are measured after ``to_crs(4548)``, the joint box
is built in EPSG:4548 around the point where the real line crosses lat 39.89.
"""

from __future__ import annotations

import csv
import time
from itertools import combinations, pairwise
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point

from geo.codes import Level
from grids.demo import DemoCity, DemoCityError, build_demo_city, write_demo_city

ROOT = Path(__file__).resolve().parents[2]
DIVISIONS = ROOT / "data" / "divisions"
REAL_DISTRICTS = ROOT.parent / "shared" / "data" / "beijing" / "beijing_districts_dc_xc_ft.geojson"
COARSE_M2 = 250_000.0
TOLERANCE_M2 = 1.0
METRIC = 4548
MEASURE_STEP_DEG = 0.0002  # ~20 m: lon/lat-straight edges stay straight enough once projected
DC, XC, FT = "110101", "110102", "110106"
GUANGWAI, TAIPINGQIAO = "110102020", "110106002"
JOINT_LON, JOINT_LAT = 116.32002, 39.89
POLYGON_LAYERS = ("districts", "streets", "communities", "cells", "zones")


def _read_csv(name: str) -> list[dict[str, str]]:
    with (DIVISIONS / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _metric(geoms: gpd.GeoSeries | list) -> gpd.GeoSeries:
    """Lon/lat geometries in EPSG:4548, densified first so long edges project faithfully."""
    series = geoms if isinstance(geoms, gpd.GeoSeries) else gpd.GeoSeries(geoms, crs=4326)
    dense = gpd.GeoSeries(series.segmentize(MEASURE_STEP_DEG).to_numpy(), crs=4326)
    return dense.to_crs(METRIC)


def _area(geom) -> float:
    return float(_metric([geom]).area.iloc[0])


def _joint_box(lon: float = JOINT_LON, lat: float = JOINT_LAT) -> shapely.Polygon:
    """A 60 m x 40 m building footprint centred on (lon, lat), in lon/lat."""
    centre = _metric([Point(lon, lat)]).iloc[0]
    box = shapely.box(centre.x - 30, centre.y - 20, centre.x + 30, centre.y + 20)
    return gpd.GeoSeries([box], crs=METRIC).to_crs(4326).iloc[0]


def _read_real_districts() -> gpd.GeoDataFrame:
    if not REAL_DISTRICTS.exists():
        pytest.skip(f"real district outlines not found at {REAL_DISTRICTS}")
    frame = gpd.read_file(REAL_DISTRICTS).rename(columns={"adcode": "code"})
    frame["code"] = frame["code"].astype(str)
    repaired = shapely.make_valid(frame.geometry.to_numpy())
    polygonal = [
        shapely.union_all([p for p in shapely.get_parts(g) if p.geom_type.endswith("Polygon")])
        for g in repaired
    ]
    return frame.set_geometry(gpd.GeoSeries(polygonal, crs=frame.crs))


@pytest.fixture(scope="module")
def city() -> DemoCity:
    return build_demo_city(cell_area_m2=COARSE_M2)


@pytest.fixture(scope="module")
def real_districts() -> gpd.GeoDataFrame:
    return _read_real_districts()


@pytest.fixture(scope="module")
def real_city(real_districts: gpd.GeoDataFrame) -> DemoCity:
    return build_demo_city(districts=real_districts, cell_area_m2=COARSE_M2)


def _tiling_errors(parents: gpd.GeoDataFrame, children: gpd.GeoDataFrame) -> dict[str, float]:
    """Worst gap, overlap and area outside the parent (m²) over all parents."""
    parent_m = _metric(parents.geometry)
    child_m = _metric(children.geometry)
    worst = {"gap": 0.0, "overlap": 0.0, "outside": 0.0}
    for code, parent in zip(parents["code"], parent_m, strict=True):
        mine = child_m[(children["parent_code"] == code).to_numpy()]
        union = shapely.union_all(mine.to_numpy())
        errors = {
            "gap": parent.difference(union).area,
            "overlap": float(mine.area.sum()) - union.area,
            "outside": union.difference(parent).area,
        }
        worst = {k: max(worst[k], errors[k]) for k in worst}
    return worst


# --- determinism ---------------------------------------------------------------------------


def test_written_files_are_byte_identical_across_builds(tmp_path: Path) -> None:
    first = write_demo_city(build_demo_city(cell_area_m2=COARSE_M2), tmp_path / "a")
    second = write_demo_city(build_demo_city(cell_area_m2=COARSE_M2), tmp_path / "b")
    assert [p.name for p in first] == [p.name for p in second]
    assert {p.name for p in first} >= {f"{layer}.geojson" for layer in POLYGON_LAYERS}
    assert "chiefs.csv" in {p.name for p in first}
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_written_layers_read_back(tmp_path: Path, city: DemoCity) -> None:
    paths = {p.name: p for p in write_demo_city(city, tmp_path)}
    streets = gpd.read_file(paths["streets.geojson"])
    assert streets["code"].tolist() == city.streets["code"].tolist()
    assert streets.crs.to_epsg() == 4326
    assert streets.geometry.geom_equals_exact(city.streets.geometry, tolerance=1e-9).all()
    chiefs = pd.read_csv(paths["chiefs.csv"], dtype=str)
    assert chiefs["id"].tolist() == city.chiefs["id"].tolist()


def test_another_seed_moves_the_synthetic_geometry(city: DemoCity) -> None:
    other = build_demo_city(cell_area_m2=COARSE_M2, seed=7)
    assert other.streets["code"].tolist() == city.streets["code"].tolist()
    moved = ~other.streets.geometry.geom_equals_exact(city.streets.geometry, tolerance=1e-6)
    assert moved.any()
    assert other.districts.geometry.geom_equals(city.districts.geometry).all()


# --- real names and codes ------------------------------------------------------------------


def test_districts_streets_and_communities_carry_real_nbs_names(city: DemoCity) -> None:
    expected = {
        "districts": {(r["code"], r["name"]) for r in _read_csv("districts")},
        "streets": {(r["code"], r["name"]) for r in _read_csv("streets")},
        "communities": {(r["code"], r["name"]) for r in _read_csv("communities")},
    }
    assert len(expected["streets"]) == 58 and len(expected["communities"]) == 872
    for layer, pairs in expected.items():
        frame = getattr(city, layer)
        assert set(zip(frame["code"], frame["name"], strict=True)) == pairs
        assert frame["code"].is_unique
    assert (GUANGWAI, "广安门外街道") in expected["streets"]
    assert (TAIPINGQIAO, "太平桥街道") in expected["streets"]
    assert set(city.districts["name"]) == {"东城区", "西城区", "丰台区"}


def test_codes_nest_in_their_parents(city: DemoCity) -> None:
    assert city.districts["parent_code"].isna().all()
    levels = list(city.levels().items())
    for (_, parents), (level, children) in pairwise(levels):
        assert set(children["parent_code"]) == set(parents["code"]), level
        for code, parent in zip(children["code"], children["parent_code"], strict=True):
            assert code.startswith(parent) and len(code) == len(parent) + 3


def test_levels_are_keyed_top_down(city: DemoCity) -> None:
    levels = city.levels()
    assert list(levels) == [Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID]
    for level, frame in levels.items():
        assert set(frame["level"]) == {level.value}


def test_every_feature_of_the_default_city_is_flagged_synthetic(city: DemoCity) -> None:
    for layer in ("districts", "streets", "communities", "cells", "roads", "zones", "chiefs"):
        frame = getattr(city, layer)
        assert len(frame) > 0 and frame["synthetic"].tolist() == [True] * len(frame), layer


def test_only_real_outlines_are_flagged_real(real_city: DemoCity) -> None:
    assert real_city.districts["synthetic"].tolist() == [False, False, False]
    for layer in ("streets", "communities", "cells", "roads", "zones", "chiefs"):
        assert getattr(real_city, layer)["synthetic"].all(), layer


# --- geometry ------------------------------------------------------------------------------


@pytest.mark.parametrize("layer", POLYGON_LAYERS)
def test_polygon_layers_are_valid_multipolygons_in_wgs84(city: DemoCity, layer: str) -> None:
    frame = getattr(city, layer)
    assert frame.crs.to_epsg() == 4326
    assert set(frame.geom_type) == {"MultiPolygon"}
    assert frame.is_valid.all() and not frame.is_empty.any()


def test_synthetic_districts_sit_roughly_where_the_real_ones_are(city: DemoCity) -> None:
    districts = city.districts.set_index("code")
    areas = _metric(districts.geometry).area.to_numpy() / 1e6
    for (low, high), area in zip([(30, 55), (35, 65), (150, 320)], areas, strict=True):
        assert low <= area <= high
    boxes = {DC: (116.37, 39.85, 116.46, 39.97), XC: (116.29, 39.85, 116.40, 39.97),
             FT: (116.04, 39.77, 116.46, 39.91)}  # fmt: skip
    for code, bounds in boxes.items():
        assert shapely.box(*bounds).contains(districts.geometry[code])


def test_synthetic_districts_share_exact_kinked_edges(city: DemoCity) -> None:
    geoms = city.districts.set_index("code").geometry
    for a, b in combinations(geoms.index, 2):
        assert _area(geoms[a].intersection(geoms[b])) < TOLERANCE_M2
    shared = shapely.line_merge(geoms[XC].boundary.intersection(geoms[FT].boundary))
    assert _metric([shared]).length.iloc[0] > 3_000
    assert shapely.get_num_coordinates(shared) > 4  # kinks, not one straight segment
    assert geoms[XC].contains(Point(116.3212, 39.89)) and geoms[FT].contains(Point(116.3188, 39.89))


@pytest.mark.parametrize(("parent", "child"), [("districts", "streets"), ("streets", "communities"),
                                               ("communities", "cells")])  # fmt: skip
def test_children_tile_their_parent(city: DemoCity, parent: str, child: str) -> None:
    errors = _tiling_errors(getattr(city, parent), getattr(city, child))
    assert max(errors.values()) < TOLERANCE_M2, errors


@pytest.mark.parametrize("which", ["city", "real_city"])
def test_siblings_share_their_edges_vertex_for_vertex(
    request: pytest.FixtureRequest, which: str
) -> None:
    built: DemoCity = request.getfixturevalue(which)
    assert shapely.coverage_is_valid(built.districts.geometry.to_numpy())
    for children in (built.streets, built.communities):
        for _, siblings in children.groupby("parent_code"):
            assert shapely.coverage_is_valid(siblings.geometry.to_numpy()), siblings["code"].iloc[0]


@pytest.mark.parametrize(
    ("parent", "child"), [("districts", "streets"), ("streets", "communities")]
)
def test_children_tile_their_parent_on_real_outlines(
    real_city: DemoCity, parent: str, child: str
) -> None:
    errors = _tiling_errors(getattr(real_city, parent), getattr(real_city, child))
    assert max(errors.values()) < TOLERANCE_M2, errors


def test_real_outlines_are_kept(real_city: DemoCity, real_districts: gpd.GeoDataFrame) -> None:
    built = real_city.districts.set_index("code").geometry
    for code, geom in zip(real_districts["code"], real_districts.geometry, strict=True):
        assert built[code].hausdorff_distance(geom) < 1e-8  # degrees, about a millimetre
        assert abs(_area(built[code]) - _area(geom)) < TOLERANCE_M2
        assert set(map(tuple, shapely.get_coordinates(geom).round(7))) <= set(
            map(tuple, shapely.get_coordinates(built[code]).round(7))
        )


# --- the joint-whistle site ----------------------------------------------------------------


def _straddled(streets: gpd.GeoDataFrame, box: shapely.Polygon) -> dict[str, float]:
    hit = streets[streets.intersects(box)]
    box_area = _area(box)
    pairs = zip(hit["code"], hit.geometry, strict=True)
    return {code: _area(geom.intersection(box)) / box_area for code, geom in pairs}


@pytest.mark.parametrize("lon", [JOINT_LON, 116.3200])
def test_joint_building_straddles_guangwai_and_taipingqiao(city: DemoCity, lon: float) -> None:
    shares = _straddled(city.streets, _joint_box(lon))
    assert set(shares) == {GUANGWAI, TAIPINGQIAO}
    assert min(shares.values()) > 0.10


def test_joint_building_straddles_the_two_streets_on_real_outlines(real_city: DemoCity) -> None:
    shares = _straddled(real_city.streets, _joint_box())
    assert set(shares) == {GUANGWAI, TAIPINGQIAO}
    assert min(shares.values()) > 0.10


def test_real_xicheng_fengtai_line_is_preserved(
    real_city: DemoCity, real_districts: gpd.GeoDataFrame
) -> None:
    raw = gpd.read_file(REAL_DISTRICTS)
    raw = raw.set_index(raw["adcode"].astype(str)).geometry
    shared = set(map(tuple, shapely.get_coordinates(raw[XC])))
    shared &= set(map(tuple, shapely.get_coordinates(raw[FT])))
    assert len(shared) >= 10
    streets = real_city.streets
    xc_edges = shapely.union_all(streets.geometry[streets["parent_code"] == XC].to_numpy()).boundary
    gaps = _metric([Point(xy) for xy in sorted(shared)]).distance(_metric([xc_edges]).iloc[0])
    assert gaps.max() < 0.05  # metres: every real shared vertex is on 西城's street edges
    districts = real_districts.set_index("code").geometry
    for own, other in ((XC, FT), (FT, XC)):
        for geom in streets.geometry[streets["parent_code"] == own]:
            assert _area(geom.intersection(districts[other])) < TOLERANCE_M2


def test_unsatisfiable_joint_site_raises(real_districts: gpd.GeoDataFrame) -> None:
    shifted = real_districts.set_geometry(real_districts.translate(xoff=0.05))
    with pytest.raises(DemoCityError):
        build_demo_city(districts=shifted, cell_area_m2=4_000_000)


def test_missing_district_outline_raises(real_districts: gpd.GeoDataFrame) -> None:
    with pytest.raises(DemoCityError, match="110106"):
        build_demo_city(districts=real_districts[real_districts["code"] != FT])


# --- roads and chiefs ----------------------------------------------------------------------


@pytest.mark.parametrize("which", ["city", "real_city"])
def test_every_road_lies_inside_its_street(request: pytest.FixtureRequest, which: str) -> None:
    built: DemoCity = request.getfixturevalue(which)
    streets = built.streets.set_index("code").geometry
    assert set(built.roads.geom_type) <= {"LineString", "MultiLineString"}
    assert built.roads.is_valid.all()
    for road, code in zip(built.roads.geometry, built.roads["street_code"], strict=True):
        assert _metric([road]).length.iloc[0] > 50
        outside = road.difference(streets[code])
        assert outside.is_empty or _metric([outside]).length.iloc[0] < 0.05


def test_roads_have_synthetic_names_kinds_and_stable_ids(city: DemoCity) -> None:
    roads = city.roads
    assert roads["id"].is_unique and roads["name"].is_unique
    for road_id, code in zip(roads["id"], roads["street_code"], strict=True):
        assert road_id.startswith(f"R{code}-") and len(road_id) == len(f"R{code}-00")
    suffixes = {"street": ("街", "路"), "alley": ("胡同", "巷", "条")}
    for kind, name in zip(roads["kind"], roads["name"], strict=True):
        assert name.endswith(suffixes[kind]), name
    per_street = roads.groupby("street_code")["kind"].agg(set)
    assert len(per_street) == 58 and all(kinds == {"street", "alley"} for kinds in per_street)


def test_each_chief_looks_after_one_to_three_roads_of_their_street(city: DemoCity) -> None:
    chiefs = city.chiefs.set_index("id")
    assert chiefs.index.is_unique and chiefs["name"].is_unique
    counts = city.roads["chief_id"].value_counts()
    assert set(counts.index) == set(chiefs.index)
    assert counts.between(1, 3).all()
    for chief_id, code in zip(city.roads["chief_id"], city.roads["street_code"], strict=True):
        assert chiefs.loc[chief_id, "street_code"] == code
    assert chiefs["title"].str.startswith("街巷长（").all()
    assert chiefs["name"].str.len().between(2, 3).all()


def test_an_alley_leads_to_the_joint_site(city: DemoCity, real_city: DemoCity) -> None:
    for built in (city, real_city):
        alleys = built.roads[built.roads["kind"] == "alley"]
        near = _metric(alleys.geometry).distance(_metric([Point(JOINT_LON, JOINT_LAT)]).iloc[0])
        assert near.min() < 100


# --- land-use zones ------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["city", "real_city"])
def test_zones_are_disjoint_inside_fengtai(request: pytest.FixtureRequest, which: str) -> None:
    built: DemoCity = request.getfixturevalue(which)
    zones = built.zones.set_index("code")
    assert dict(zip(zones.index, zones["kind"], strict=True)) == {
        "R1": "river", "F1": "farmland", "M1": "forest"}  # fmt: skip
    assert set(zones["district_code"]) == {FT}
    fengtai = built.districts.set_index("code").geometry[FT]
    for geom in zones.geometry:
        assert _area(geom.difference(fengtai)) < TOLERANCE_M2
        assert _area(geom) > 100_000
    for a, b in combinations(zones.geometry, 2):
        assert _area(a.intersection(b)) < TOLERANCE_M2
    for code, geom in zip(zones.index, zones.geometry, strict=True):
        point = geom.representative_point()
        assert fengtai.contains(point)
        assert zones.contains(point).sum() == 1 and zones.contains(point)[code]
    west = _metric([fengtai.centroid]).iloc[0].x
    assert (_metric(zones.geometry).centroid.x < west).all()


def test_river_is_100_to_200_metres_wide(city: DemoCity) -> None:
    river = _metric(city.zones.geometry[city.zones["code"] == "R1"]).iloc[0]
    width = 2 * river.area / river.length  # area / half the perimeter of a long thin strip
    assert 100 < width < 200


# --- size ----------------------------------------------------------------------------------


def test_default_cell_size_builds_within_a_minute() -> None:
    started = time.perf_counter()
    built = build_demo_city()
    elapsed = time.perf_counter() - started
    area_m2 = float(_metric(built.districts.geometry).area.sum())
    assert 0.8 < len(built.cells) / (area_m2 / 10_000.0) < 1.3
    assert built.cells["code"].is_unique
    assert elapsed < 60, f"default demo city took {elapsed:.1f} s"
