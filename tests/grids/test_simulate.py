"""The simulated year: determinism, rhythm, locating, and the planted patterns' truth.

Runs on a coarse demo city (cells of 250,000 m², about 2,000 cells) to stay fast; the city
and the default year are built once per session (``coarse_city`` / ``coarse_year`` are
shared with ``test_hotspots``).
"""

from __future__ import annotations

import dataclasses
import functools
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from geo.crs import area_m2, to_metric
from grids.demo import DemoCity, build_demo_city
from grids.simulate import PATTERNS, SimulatedYear, SimulationError, simulate_year

CATEGORIES_CSV = Path(__file__).resolve().parents[2] / "data" / "categories.csv"
COARSE_CELL_M2 = 250_000.0


@functools.cache
def coarse_city() -> DemoCity:
    """The demo city with coarse cells (built once)."""
    return build_demo_city(cell_area_m2=COARSE_CELL_M2)


@functools.cache
def coarse_year() -> SimulatedYear:
    """The default simulated year on the coarse city (built once)."""
    return simulate_year(coarse_city())


@functools.cache
def uniform_year() -> SimulatedYear:
    """A year of background only (no planted patterns), another seed."""
    return simulate_year(coarse_city(), seed=7, plant=False)


def daily_background(year: SimulatedYear) -> pd.DataFrame:
    """Background events per day with the day's kind (workday / weekend / holiday)."""
    from grids.simulate import _day_kind

    background = year.events[year.events["pattern"] == ""]
    days = [year.start + timedelta(days=i) for i in range((year.end - year.start).days + 1)]
    per_day = background["at"].dt.date.value_counts().reindex(days, fill_value=0)
    return pd.DataFrame({"n": per_day.to_numpy(), "kind": [_day_kind(d) for d in days]})


def test_same_seed_gives_identical_frame_and_another_seed_does_not() -> None:
    again = simulate_year(coarse_city())
    pd.testing.assert_frame_equal(coarse_year().events, again.events)
    assert coarse_year().truth == again.truth
    other = simulate_year(coarse_city(), seed=2027)
    assert len(other.events) != len(again.events) or not other.events.equals(again.events)


def test_year_spans_52_weeks_with_a_sane_number_of_events() -> None:
    year = coarse_year()
    assert (year.start, year.end) == (date(2025, 11, 23), date(2026, 11, 21))
    assert 40_000 <= len(year.events) <= 80_000
    local = year.events["at"].dt.date
    assert local.min() >= year.start and local.max() <= year.end
    assert year.events["at"].is_monotonic_increasing
    assert year.events["event_id"].is_unique


def test_columns_types_sources_and_categories() -> None:
    events = coarse_year().events
    assert list(events.columns) == [
        "event_id", "at", "lon", "lat", "category", "source",
        "grid_code", "community_code", "street_code", "district_code", "pattern",
    ]  # fmt: skip
    assert isinstance(events["at"].dtype, pd.DatetimeTZDtype)
    assert str(events["at"].dt.tz) == "Asia/Shanghai" and events["at"].dtype.unit == "ns"
    assert set(events["source"]) == {"patrol", "hotline"}
    catalogue = pd.read_csv(CATEGORIES_CSV, dtype=str)
    leaves = set(catalogue.loc[catalogue["parent_code"].notna(), "code"])
    assert set(events["category"]) <= leaves
    # a realistic mix: the common street-order problems lead, rare ones stay rare
    share = events.loc[events["pattern"] == "", "category"].value_counts(normalize=True)
    for common in ("E0401", "E0101", "E0404"):
        assert share[common] > 0.08
    assert share["C0101"] < 0.03


def test_every_event_is_located_and_codes_nest_by_prefix() -> None:
    events = coarse_year().events
    assert (events["grid_code"].str.len() == 15).all()
    assert (events["community_code"] == events["grid_code"].str[:12]).all()
    assert (events["street_code"] == events["grid_code"].str[:9]).all()
    assert (events["district_code"] == events["grid_code"].str[:6]).all()
    assert set(events["grid_code"]) <= set(coarse_city().cells["code"])
    # the located cell really covers the point (a sample, within the locator's tolerance)
    sample = events.sample(400, random_state=1)
    cells = coarse_city().cells.set_index("code").geometry
    geoms = cells.loc[sample["grid_code"]].to_numpy()
    points = shapely.points(sample["lon"].to_numpy(), sample["lat"].to_numpy())
    assert shapely.dwithin(geoms, points, 1e-9).all()


def test_working_days_busier_than_weekends_and_holidays_quietest() -> None:
    daily = daily_background(coarse_year()).groupby("kind")["n"].mean()
    assert daily["workday"] > 1.5 * daily["weekend"]
    assert daily["holiday"] < 0.8 * daily["weekend"]
    # 2026-02-14 (Saturday) is a make-up working day (调休): it is as busy as a working day
    background = coarse_year().events[coarse_year().events["pattern"] == ""]
    per_day = background["at"].dt.date.value_counts()
    assert per_day[date(2026, 2, 14)] > daily["weekend"] * 1.5


def test_patrols_work_office_hours_and_the_hotline_rings_in_the_evening() -> None:
    events = coarse_year().events
    hour = events["at"].dt.hour
    patrol = events["source"] == "patrol"
    assert hour[patrol].between(8, 17).all()
    evening = hour[~patrol].between(19, 22).mean()
    assert evening > 0.15


def test_truth_cells_exist_and_hold_their_pattern() -> None:
    year, city = coarse_year(), coarse_city()
    cells = set(city.cells["code"])
    assert [t.kind for t in year.truth] == ["persistent", "intensifying", "new", "diminishing"]
    for truth in year.truth:
        assert truth.cells and set(truth.cells) <= cells
        mine = year.events[year.events["pattern"] == truth.name]
        assert (mine["category"] == truth.category).all()
        # at least half of the pattern's events fall in its truth cells
        assert mine["grid_code"].isin(truth.cells).mean() > 0.5, truth.name
    taken = [set(t.cells) for t in year.truth]
    assert all(a.isdisjoint(b) for i, a in enumerate(taken) for b in taken[i + 1 :])
    assert len({t.area_code[:9] for t in year.truth}) == 4  # four different streets


def test_persistent_alley_events_lie_within_20_m_of_the_alley() -> None:
    year, city = coarse_year(), coarse_city()
    truth = year.truth[0]
    alley = city.roads.set_index("id").loc[truth.road_id]
    assert alley["kind"] == "alley"
    mine = year.events[year.events["pattern"] == truth.name]
    points = to_metric(np.asarray(shapely.points(mine["lon"], mine["lat"]), dtype=object))
    distance = shapely.distance(points, to_metric(alley.geometry))
    assert distance.max() <= 20.0 + 1e-6
    weekly = mine["at"].dt.date.map(lambda d: (d - year.start).days // 7).value_counts()
    assert len(weekly) == 52 and weekly.min() >= 8  # every week


def test_temporal_shapes_of_the_planted_patterns() -> None:
    year = coarse_year()
    events = year.events
    week = (events["at"].dt.date.map(lambda d: (d - year.start).days // 7)).to_numpy()

    def weekly(name: str) -> np.ndarray:
        return np.bincount(week[(events["pattern"] == name).to_numpy()], minlength=52)

    growing = weekly("intensifying-garbage")
    assert growing[-8:].mean() > 2.5 * growing[:8].mean()
    new = weekly("new-parking")
    assert new[:-3].sum() == 0 and new[-2:].min() > 15
    fading = weekly("diminishing-construction")
    assert fading[:8].mean() > 2 * fading[-8:].mean() and fading[-4:].min() > 5
    # the "new" events sit in the last 18 days only
    new_days = events.loc[events["pattern"] == "new-parking", "at"].dt.date
    assert new_days.min() >= year.end - timedelta(days=17)


def test_community_pattern_stays_in_its_community() -> None:
    truth = coarse_year().truth[1]
    mine = coarse_year().events[coarse_year().events["pattern"] == truth.name]
    assert (mine["community_code"] == truth.area_code).all()
    assert all(code.startswith(truth.area_code) for code in truth.cells)


def test_background_is_uniform_over_the_city_area() -> None:
    events = uniform_year().events
    assert (events["pattern"] == "").all() and uniform_year().truth == []
    city = coarse_city()
    area = area_m2(city.districts.geometry.to_numpy())
    share_area = area / area.sum()
    share_events = events["district_code"].value_counts(normalize=True)
    for code, expected in zip(city.districts["code"], share_area, strict=True):
        assert share_events[code] == pytest.approx(expected, abs=0.01)


def test_a_city_without_the_pattern_streets_is_refused() -> None:
    city = coarse_city()
    missing = PATTERNS[0].street_code
    streets = city.streets[city.streets["code"] != missing]
    with pytest.raises(SimulationError, match=missing):
        simulate_year(dataclasses.replace(city, streets=streets), weeks=1)
