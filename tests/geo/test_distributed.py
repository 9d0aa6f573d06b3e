"""The Dask path gives the single-process answers: located rows and the space-time cube.

One local cluster of two worker processes (127.0.0.1, no dashboard) serves the module; the
demo city has coarse cells (250,000 m², about 2,000) to stay fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from distributed import Client, Future

from geo.coords import CoordinateSystem
from geo.distributed import (
    KEEP_LOCATORS,
    LocatorParts,
    dask_client,
    locate_partitions,
    partition_spatially,
    space_time_cube_dask,
    tile_keys,
    worker_locator,
)
from geo.emerging import emerging_hotspots, space_time_cube
from geo.hotspots import weight_matrix
from geo.locate_table import locate_frame
from grids.demo import DemoCity, build_demo_city
from grids.simulate import simulate_year

START = date(2025, 11, 23)


@pytest.fixture(scope="module")
def city() -> DemoCity:
    return build_demo_city(cell_area_m2=250_000)


@pytest.fixture(scope="module")
def parts(city: DemoCity) -> LocatorParts:
    return LocatorParts(city.levels(), generation=1)


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with dask_client(workers=2) as client:
        yield client


@pytest.fixture(scope="module")
def scattered(client: Client, parts: LocatorParts) -> Future:
    future: Future = client.scatter(parts, broadcast=True)
    return future


@pytest.fixture(scope="module")
def positions(city: DemoCity) -> pd.DataFrame:
    """Positions (read as GCJ-02) over and around the city, on shared edges, and not numbers at all."""
    rng = np.random.default_rng(22)
    minx, miny, maxx, maxy = city.cells.total_bounds
    n = 6_000
    lon = rng.uniform(minx - 0.05, maxx + 0.05, n)
    lat = rng.uniform(miny - 0.05, maxy + 0.05, n)
    corners = city.cells.geometry.iloc[:200].exterior.get_coordinates().to_numpy()[:400]
    lon, lat = np.r_[lon, corners[:, 0]], np.r_[lat, corners[:, 1]]
    frame = pd.DataFrame({"id": np.arange(len(lon)), "x": lon.astype(str), "y": lat})
    frame.loc[[3, 17], "x"] = ["not a number", ""]  # text, as read from CSV
    return frame


def test_parts_travel_once_and_build_on_each_worker(
    client: Client, scattered: Future, parts: LocatorParts
) -> None:
    held = client.who_has(scattered)[scattered.key]
    assert len(held) == 2
    assert parts.token != LocatorParts(parts.levels, generation=1).token


def test_located_partitions_equal_the_single_process_rows(
    client: Client, scattered: Future, parts: LocatorParts, positions: pd.DataFrame
) -> None:
    want = locate_frame(
        positions, parts.build(), lon_col="x", lat_col="y", crs=CoordinateSystem.GCJ02
    )
    frame = dd.from_pandas(positions, npartitions=5)
    got = locate_partitions(
        frame, scattered, lon_col="x", lat_col="y", crs=CoordinateSystem.GCJ02
    ).compute()
    assert (want["grid_code"] != "").sum() > 1_000 and (want["district_code"] == "").sum() > 100
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_spatial_partitions_hold_whole_tiles_and_give_the_same_rows(
    client: Client, scattered: Future, parts: LocatorParts, positions: pd.DataFrame
) -> None:
    want = locate_frame(
        positions, parts.build(), lon_col="x", lat_col="y", crs=CoordinateSystem.GCJ02
    )
    spatial = partition_spatially(
        dd.from_pandas(positions, npartitions=4), lon_col="x", lat_col="y", tile_deg=0.02
    )
    located = locate_partitions(
        spatial, scattered, lon_col="x", lat_col="y", crs=CoordinateSystem.GCJ02
    )
    pieces = [p.compute() for p in located.to_delayed()]
    tiles = [set(p["tile"]) for p in pieces]
    assert sum(len(t) for t in tiles) == len(set().union(*tiles)) > 4
    got = pd.concat(pieces).sort_values("row").drop(columns=["row", "tile"])
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want, check_dtype=False)


def test_tile_keys_group_nearby_positions_only() -> None:
    keys = tile_keys(np.array([116.301, 116.302, 116.40, np.inf]), np.array([39.9, 39.9, 39.9, 1]))
    assert keys[0] == keys[1] != keys[2] and keys[3] == -1


@pytest.mark.parametrize("category", [None, "E04"])
def test_cube_on_partitions_equals_the_cube(
    client: Client, city: DemoCity, category: str | None
) -> None:
    events = simulate_year(city, seed=5, start=START, weeks=6, scale=0.6).events
    codes = city.cells["code"].to_numpy()
    # the cube starts a week in and ends a week early: events on both sides fall outside
    kwargs = {"start": "2025-11-30", "steps": 4, "category": category}
    want = space_time_cube(events, codes, **kwargs)  # type: ignore[arg-type]
    got = space_time_cube_dask(dd.from_pandas(events, npartitions=7), codes, **kwargs)  # type: ignore[arg-type]
    assert want.values.sum() > 100 and want.values.sum() < len(events)
    np.testing.assert_array_equal(got.values, want.values)
    assert list(got.codes) == list(want.codes) and got.edges.equals(want.edges)
    weights = weight_matrix(city.cells)
    pd.testing.assert_frame_equal(emerging_hotspots(got, weights), emerging_hotspots(want, weights))


def test_a_worker_keeps_only_the_latest_locators(parts: LocatorParts) -> None:
    runs = [LocatorParts(parts.levels, generation=1) for _ in range(KEEP_LOCATORS + 1)]
    built = [worker_locator(p) for p in runs]
    assert worker_locator(runs[-1]) is built[-1]
    assert worker_locator(runs[0]) is not built[0]  # evicted, built again
