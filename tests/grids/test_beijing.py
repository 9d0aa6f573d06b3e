"""The whole-city demo on slices: real NBS codes, cited areas, nesting, the cell-size rule,
the sampled simulated year.

Expectations come from the CSVs in ``data/beijing`` read with the csv module and from areas
measured after ``to_crs(4548)``; the full 16-district build is a benchmark
(``benchmarks/scale.py``), not a test.
"""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.codes import Level
from geo.locate import Locator
from geo.rules import read_departments
from grids.beijing import (
    EventVolume,
    base_cell_area_m2,
    build_beijing_city,
    cell_area_m2,
    default_volume,
    district_outlines,
    read_beijing,
    read_volume,
    simulate_city_year,
    unit_kind,
)
from grids.demo import DemoCity, DemoCityError, joint_box
from grids.hierarchy import hierarchy_report

ROOT = Path(__file__).resolve().parents[2]
BEIJING = ROOT / "data" / "beijing"
REAL_DISTRICTS = ROOT.parent / "shared" / "data" / "beijing" / "beijing_districts_dc_xc_ft.geojson"
METRIC = 4548
DONGCHENG, FANGSHAN = "110101", "110111"
SLICE = (DONGCHENG, FANGSHAN)  # all 街道; 街道, 镇 and 乡
URBAN_M2 = 100_000.0  # coarse 街道 cells keep the slice small; 镇 and 乡 keep their own
TOLERANCE_M2 = 1.0


def _rows(name: str) -> list[dict[str, str]]:
    with (BEIJING / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _areas_m2(frame: gpd.GeoDataFrame) -> np.ndarray:
    dense = gpd.GeoSeries(frame.geometry.segmentize(0.0002).to_numpy(), crs=4326)
    return np.asarray(dense.to_crs(METRIC).area)


@pytest.fixture(scope="module")
def outlines() -> dict[str, shapely.MultiPolygon]:
    return district_outlines(read_beijing())[0]


@pytest.fixture(scope="module")
def city() -> DemoCity:
    return build_beijing_city(district_codes=SLICE, cell_area_m2=URBAN_M2)


# --- the data ------------------------------------------------------------------------------


def test_data_holds_the_whole_city() -> None:
    districts, streets, communities = (_rows(n) for n in ("districts", "streets", "communities"))
    assert (len(districts), len(streets), len(communities)) == (16, 349, 7535)
    district_codes = {r["code"] for r in districts}
    street_codes = {r["code"] for r in streets}
    assert {r["areaCode"] for r in streets} == district_codes
    assert {r["streetCode"] for r in communities} <= street_codes
    areas = {r["code"]: float(r["area_km2"]) for r in _rows("district_areas")}
    assert set(areas) == district_codes == {r["code"] for r in _rows("district_centres")}
    assert sum(areas.values()) == pytest.approx(16_424.73)


def test_departments_cover_the_other_13_districts_with_every_kind() -> None:
    shipped = read_departments(ROOT / "data" / "departments.csv")
    extra = read_departments(BEIJING / "departments.csv")
    assert not {d.code for d in shipped} & {d.code for d in extra}
    kinds = {d.kind for d in shipped}
    by_district: dict[str | None, set[str]] = {}
    for d in extra:
        by_district.setdefault(d.district_code, set()).add(d.kind)
    shipped_districts = {d.district_code for d in shipped if d.level == "district"}
    expected = {r["code"] for r in _rows("districts")} - shipped_districts
    assert set(by_district) == expected and len(expected) == 13
    assert all(found == kinds for found in by_district.values())


# --- districts -----------------------------------------------------------------------------


def test_districts_have_their_cited_areas(outlines: dict[str, shapely.MultiPolygon]) -> None:
    cited = {r["code"]: float(r["area_km2"]) * 1e6 for r in _rows("district_areas")}
    frame = gpd.GeoDataFrame({"code": list(outlines)}, geometry=list(outlines.values()), crs=4326)
    for code, area in zip(frame["code"], _areas_m2(frame), strict=True):
        assert area == pytest.approx(cited[code], rel=0.01), code


def test_districts_tile_without_overlaps_or_holes(
    outlines: dict[str, shapely.MultiPolygon],
) -> None:
    geoms = np.array(list(outlines.values()), dtype=object)
    assert shapely.coverage_is_valid(geoms)
    union = shapely.union_all(geoms)
    assert isinstance(union, shapely.Polygon) and len(union.interiors) == 0


def test_districts_lie_roughly_where_the_real_ones_are(
    outlines: dict[str, shapely.MultiPolygon],
) -> None:
    centres = {r["code"]: shapely.Point(float(r["lon"]), float(r["lat"]))
               for r in _rows("district_centres")}  # fmt: skip
    for code, geom in outlines.items():
        assert geom.distance(centres[code]) < 0.05, code  # within ~5 km of its rough centre
    assert outlines["110119"].centroid.y > outlines["110115"].centroid.y + 0.6  # 延庆 north of 大兴


def test_real_outlines_replace_the_inner_three() -> None:
    if not REAL_DISTRICTS.exists():
        pytest.skip(f"real district outlines not found at {REAL_DISTRICTS}")
    real = gpd.read_file(REAL_DISTRICTS).rename(columns={"adcode": "code"})
    real["code"] = real["code"].astype(str)
    outlines, given = district_outlines(read_beijing(), given=real)
    assert given == {"110101", "110102", "110106"}
    geoms = np.array(list(outlines.values()), dtype=object)
    assert len(outlines) == 16 and shapely.coverage_is_valid(geoms)
    for code, geom in zip(real["code"], real.geometry, strict=True):
        moved = shapely.symmetric_difference(shapely.make_valid(geom), outlines[code])
        assert moved.area < 1e-7, code  # degrees²: well under 1,000 m²


def test_outlines_without_the_joint_districts_are_refused() -> None:
    lone = gpd.GeoDataFrame({"code": ["110101"]}, geometry=[shapely.box(116.38, 39.87, 116.42, 39.95)],
                            crs=4326)  # fmt: skip
    with pytest.raises(DemoCityError, match="110102"):
        district_outlines(read_beijing(), given=lone)


# --- the slice -----------------------------------------------------------------------------


def test_slice_carries_every_nbs_code_and_name(city: DemoCity) -> None:
    def expected(name: str, parent: str) -> dict[str, str]:
        return {r["code"]: r["name"] for r in _rows(name) if r[parent] in SLICE}

    got = {
        level: dict(zip(f["code"], f["name"], strict=True)) for level, f in city.levels().items()
    }
    assert got[Level.DISTRICT] == {r["code"]: r["name"] for r in _rows("districts")
                                   if r["code"] in SLICE}  # fmt: skip
    assert got[Level.STREET] == expected("streets", "areaCode")
    assert got[Level.COMMUNITY] == expected("communities", "areaCode")


def test_slice_nests_level_by_level(city: DemoCity) -> None:
    rows = hierarchy_report(city.levels())
    assert {row.level for row in rows} == {Level.DISTRICT, Level.STREET, Level.COMMUNITY}
    for row in rows:
        worst = max(row.uncovered_m2, row.overlap_m2, row.outside_m2)
        assert worst < TOLERANCE_M2, row


def test_towns_are_larger_than_urban_streets(city: DemoCity) -> None:
    streets = city.streets[city.streets["code"].str.startswith(FANGSHAN)]
    kinds = streets["code"].map(unit_kind)
    area = _areas_m2(streets)
    assert set(kinds) == {"街道", "镇", "乡"}
    assert np.median(area[kinds != "街道"]) > 4 * np.median(area[kinds == "街道"])


def test_cells_follow_the_cell_size_rule(city: DemoCity) -> None:
    cells = city.cells.assign(area=_areas_m2(city.cells))
    communities = city.communities.assign(area=_areas_m2(city.communities)).set_index("code")
    assert cells.groupby("parent_code").size().max() <= 999
    checked = set()
    for code, group in cells.groupby("parent_code"):
        rule = cell_area_m2(code[:9], communities.loc[code, "area"], URBAN_M2)
        if communities.loc[code, "area"] > 9 * rule:  # large enough to hold a whole square
            assert np.isclose(group["area"], rule, rtol=1e-3).any(), code
            checked.add(unit_kind(code[:9]))
    assert checked == {"街道", "镇", "乡"}


def test_roads_chiefs_and_zones_cover_the_slice(city: DemoCity) -> None:
    assert set(city.roads["street_code"]) == set(city.streets["code"])
    assert set(city.roads["chief_id"]) == set(city.chiefs["id"])
    assert sorted(city.zones["code"]) == sorted(f"{k}{d}" for d in SLICE for k in "RFM")
    districts = city.districts.set_index("code").geometry
    for code, geom in zip(city.zones["district_code"], city.zones.geometry, strict=True):
        assert geom.area > 0 and districts[code].buffer(1e-7).covers(geom)


def test_slice_is_deterministic_under_the_seed() -> None:
    def wkb(built: DemoCity) -> list[bytes]:
        return [shapely.to_wkb(g) for layer in ("streets", "communities", "cells")
                for g in getattr(built, layer).geometry]  # fmt: skip

    first = build_beijing_city(district_codes=[DONGCHENG], cell_area_m2=4e6)
    assert wkb(first) == wkb(build_beijing_city(district_codes=[DONGCHENG], cell_area_m2=4e6))
    other = build_beijing_city(district_codes=[DONGCHENG], cell_area_m2=4e6, seed=7)
    assert wkb(first) != wkb(other)


# --- the rule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("street", "kind", "base"),
    [("110101001", "街道", 10_000.0), ("110109100", "镇", 250_000.0),
     ("110111206", "乡", 1_000_000.0), ("110115406", "特殊", 10_000.0)],
)  # fmt: skip
def test_base_cell_area_grows_from_streets_to_townships(
    street: str, kind: str, base: float
) -> None:
    assert unit_kind(street) == kind
    assert base_cell_area_m2(street) == base
    assert base_cell_area_m2(street, urban_m2=4e6) == 4e6  # never below the urban cell


def test_cell_area_grows_so_a_community_needs_at_most_999_cells() -> None:
    assert cell_area_m2("110109100", 500e6) == pytest.approx(500e6 / 990)
    assert 500e6 / cell_area_m2("110109100", 500e6) < 999
    assert cell_area_m2("110109100", 200e6 / 990) == 250_000.0


@pytest.mark.parametrize("real", [False, True])
def test_joint_site_straddles_xicheng_and_fengtai(real: bool) -> None:
    given = None
    if real:
        if not REAL_DISTRICTS.exists():
            pytest.skip(f"real district outlines not found at {REAL_DISTRICTS}")
        given = gpd.read_file(REAL_DISTRICTS).rename(columns={"adcode": "code"})
        given["code"] = given["code"].astype(str)
    built = build_beijing_city(
        districts=given, district_codes=["110102", "110106"], cell_area_m2=4e6
    )
    box = joint_box()
    hit = built.streets[built.streets.intersects(box)]
    assert set(hit["code"]) == {"110102020", "110106002"}  # 广安门外街道, 太平桥街道
    assert built.districts["synthetic"].tolist() == [not real, not real]


# --- the simulated year --------------------------------------------------------------------

SAMPLE = 0.001  # about 49,000 events: the whole year's volume is a benchmark, not a test


def _volume_rows() -> dict[str, float]:
    return {r["figure"]: float(r["value"]) for r in _rows("event_volume")}


@pytest.fixture(scope="module")
def year(city: DemoCity) -> tuple[EventVolume, list[pd.DataFrame]]:
    volume = EventVolume(default_volume().events_per_year, SAMPLE)
    truth, chunks = simulate_city_year(city, volume=volume, seed=11)
    assert truth == []  # 西城 and 丰台, the patterns' streets, are not in the slice
    return volume, list(chunks)


def test_volume_figures_come_from_the_data_file() -> None:
    rows = _volume_rows()
    figures = read_volume()
    assert figures.hotline_per_year == rows["hotline_tickets_2023"] == 21_430_000
    assert figures.patrol_share_workday == rows["patrol_share_workday"]
    assert default_volume().sample == rows["default_sample"]


def test_the_sampled_year_holds_the_hotlines_tickets_at_scale(
    year: tuple[EventVolume, list[pd.DataFrame]],
) -> None:
    volume, chunks = year
    events = pd.concat(chunks, ignore_index=True)
    hotline = int((events["source"] == "hotline").sum())
    # the hotline's share of the sample, scaled back up, is the year's tickets (Poisson noise)
    assert hotline / SAMPLE == pytest.approx(_volume_rows()["hotline_tickets_2023"], rel=0.03)
    assert len(events) == pytest.approx(volume.expected, rel=0.03)
    patrol = 1.0 - hotline / len(events)
    assert 0.5 < patrol < _volume_rows()["patrol_share_workday"]  # patrols rest at weekends


def test_the_year_comes_in_time_order_numbered_once(
    year: tuple[EventVolume, list[pd.DataFrame]],
) -> None:
    _volume, chunks = year
    assert len(chunks) == 13  # 52 weeks, 4 at a time
    events = pd.concat(chunks, ignore_index=True)
    assert events["at"].is_monotonic_increasing
    assert events["event_id"].is_unique
    numbers = events["event_id"].str.split("-").str[1].astype(int)
    assert numbers.tolist() == list(range(len(events)))


def test_every_event_lies_in_the_cell_it_names(
    city: DemoCity, year: tuple[EventVolume, list[pd.DataFrame]]
) -> None:
    events = pd.concat(year[1], ignore_index=True)
    codes = Locator(city.levels(), generation=1).locate_codes(
        events["lon"].to_numpy(), events["lat"].to_numpy()
    )
    assert (events["grid_code"].to_numpy() == codes).all()
    assert (events["street_code"] == events["grid_code"].str[:9]).all()
    assert set(events["district_code"]) == set(SLICE)


def test_every_cell_is_equally_likely_whatever_its_size(
    city: DemoCity, year: tuple[EventVolume, list[pd.DataFrame]]
) -> None:
    events = pd.concat(year[1], ignore_index=True)
    per_cell = events["grid_code"].value_counts().reindex(city.cells["code"], fill_value=0)
    kinds = np.array([unit_kind(c[:9]) for c in per_cell.index])
    means = {k: per_cell[kinds == k].mean() for k in ("街道", "镇")}
    assert means["街道"] == pytest.approx(means["镇"], rel=0.1)
    areas = _areas_m2(city.cells)
    assert areas[kinds == "镇"].mean() > 2 * areas[kinds == "街道"].mean()


def test_the_year_is_deterministic_under_the_seed(city: DemoCity) -> None:
    volume = EventVolume(1_000_000, 0.005)

    def first_chunk(seed: int) -> pd.DataFrame:
        return next(simulate_city_year(city, volume=volume, seed=seed)[1])

    pd.testing.assert_frame_equal(first_chunk(3), first_chunk(3))
    assert not first_chunk(3)[["lon", "lat"]].equals(first_chunk(4)[["lon", "lat"]])


def test_patterns_are_planted_where_their_streets_are() -> None:
    inner = build_beijing_city(district_codes=["110102", "110106"], cell_area_m2=4e6)
    truth, chunks = simulate_city_year(inner, volume=EventVolume(500_000, 0.01))
    events = pd.concat(chunks, ignore_index=True)
    planted = events[events["pattern"] != ""]
    assert sorted(planted["pattern"].unique()) == sorted(p.name for p in truth)
    assert len(truth) == 4
    codes = Locator(inner.levels(), generation=1).locate_codes(
        planted["lon"].to_numpy(), planted["lat"].to_numpy()
    )
    assert (planted["grid_code"].to_numpy() == codes).all()


@pytest.mark.parametrize(("events_per_year", "sample"), [(-1, 0.5), (100, 0.0), (100, 1.5)])
def test_a_volume_out_of_range_is_refused(events_per_year: int, sample: float) -> None:
    with pytest.raises(ValueError, match=r"events_per_year|sample"):
        EventVolume(events_per_year, sample)
