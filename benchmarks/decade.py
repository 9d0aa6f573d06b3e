"""Benchmark: a decade of events located and binned into the weekly cube on Dask (not a test).

Run ``.venv/bin/python -m benchmarks.decade`` (defaults: 10 years of 1,000,000 events, 4
partitions a year, the demo city in 40,000 m² cells; a few minutes on 2 cores). A decade at
Beijing's volume is ``--per-year 21000000``.

The events are generated **inside the tasks**: partition ``k`` of year ``y`` is
``decade_chunk`` of a seed derived from (seed, y, k), so the decade is never in memory
anywhere; each draws cells with probability proportional to their area, a position uniform in
the cell's bounding box (so some land in a neighbour or outside the city), a time uniform in
its year of 52 weeks and a category. Three engines make the same weekly cube:

1. **single process**: the first ``--single-years`` years generated in memory (the same
   chunks), located by ``geo.locate_table.locate_frame`` with one ``BatchLocator``, binned by
   ``geo.emerging.space_time_cube``;
2. **Dask, 1 worker** and 3. **Dask, 2 workers** (``LocalCluster``, processes, one thread
   each): ``dask.dataframe.from_map`` over the chunks, ``geo.distributed.locate_partitions``
   (the locator built once per worker from the scattered areas),
   ``geo.distributed.space_time_cube_dask``; the located rows stay in the tasks, only the
   (cell, week) counts travel.

Every time includes generating the events; Dask times include starting the cluster and
building each worker's locator (both are listed). The cubes are checked: 2 workers give
1 worker's cube, and its first weeks equal the single-process cube. Peak memory is
``ru_maxrss``: of this process after the single-process run, and of the largest worker.
"""

from __future__ import annotations

import argparse
import resource
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import dask.dataframe as dd
import numpy as np
import pandas as pd
import shapely
from distributed import Future

from geo.codes import Level
from geo.coords import CoordinateSystem
from geo.crs import area_m2
from geo.distributed import (
    LocatorParts,
    dask_client,
    locate_partitions,
    space_time_cube_dask,
    worker_locator,
)
from geo.emerging import SpaceTimeCube, space_time_cube
from geo.locate_table import locate_frame
from grids.demo import build_demo_city

START = date(2016, 1, 4)  # a Monday
WEEKS_PER_YEAR = 52
CATEGORIES = np.array(["E0101", "E0201", "E0401", "E0404", "C0103"], dtype=object)


@dataclass(frozen=True)
class Sampler:
    """Cell bounding boxes and cumulative area shares: what a task needs to draw events."""

    bounds: np.ndarray  # (cells, 4)
    cumulative: np.ndarray  # (cells,), ends at 1


@dataclass(frozen=True)
class Chunk:
    """One partition of the decade: year ``year``, part ``part`` of ``size`` events."""

    seed: int
    year: int
    part: int
    size: int


@dataclass(frozen=True)
class Row:
    """One line of the report."""

    engine: str
    years: int
    events: int
    seconds: float
    startup_s: float
    peak_mb: float


def sampler_of(cells: Any) -> Sampler:
    """A ``Sampler`` of the cells of a GeoDataFrame."""
    geoms = cells.geometry.to_numpy()
    weights = area_m2(geoms)
    return Sampler(shapely.bounds(geoms), np.cumsum(weights) / weights.sum())


def decade_chunk(chunk: Chunk, sampler: Sampler) -> pd.DataFrame:
    """The events of one chunk (deterministic in ``chunk``): at, lon, lat, category."""
    rng = np.random.default_rng([chunk.seed, chunk.year, chunk.part])
    cell = np.searchsorted(sampler.cumulative, rng.random(chunk.size), side="right")
    cell = np.minimum(cell, len(sampler.cumulative) - 1)
    box = sampler.bounds[cell]
    lon = box[:, 0] + rng.random(chunk.size) * (box[:, 2] - box[:, 0])
    lat = box[:, 1] + rng.random(chunk.size) * (box[:, 3] - box[:, 1])
    first = pd.Timestamp(START + timedelta(weeks=WEEKS_PER_YEAR * chunk.year), tz="Asia/Shanghai")
    seconds = rng.integers(0, WEEKS_PER_YEAR * 7 * 86_400, chunk.size)
    return pd.DataFrame(
        {
            "at": first + pd.to_timedelta(seconds, unit="s"),
            "lon": lon,
            "lat": lat,
            "category": CATEGORIES[rng.integers(0, len(CATEGORIES), chunk.size)],
        }
    )


def chunks(*, seed: int, years: int, per_year: int, parts: int) -> list[Chunk]:
    """The decade's partitions, year by year."""
    sizes = [per_year // parts + (1 if k < per_year % parts else 0) for k in range(parts)]
    return [Chunk(seed, y, k, sizes[k]) for y in range(years) for k in range(parts)]


def single_process(
    parts: LocatorParts, sampler: Sampler, todo: list[Chunk], codes: np.ndarray, steps: int
) -> tuple[SpaceTimeCube, float]:
    """The cube of ``todo`` in this process, and its wall time."""
    started = time.perf_counter()
    events = pd.concat([decade_chunk(c, sampler) for c in todo], ignore_index=True)
    located = locate_frame(
        events, parts.build(), lon_col="lon", lat_col="lat", crs=CoordinateSystem.WGS84
    )
    cube = space_time_cube(located, codes, start=START, steps=steps)
    return cube, time.perf_counter() - started


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def on_dask(
    shared: Future, drawn: Future, todo: list[Chunk], codes: np.ndarray, steps: int
) -> SpaceTimeCube:
    """The cube of ``todo`` from the scattered locator parts and sampler."""
    meta = decade_chunk(Chunk(0, 0, 0, 0), Sampler(np.zeros((1, 4)), np.ones(1)))
    events = dd.from_map(decade_chunk, todo, sampler=drawn, meta=meta, enforce_metadata=False)
    located = locate_partitions(
        events, shared, lon_col="lon", lat_col="lat", crs=CoordinateSystem.WGS84
    )
    return space_time_cube_dask(located, codes, start=START, steps=steps)


def run_dask(
    workers: int,
    parts: LocatorParts,
    sampler: Sampler,
    todo: list[Chunk],
    codes: np.ndarray,
    steps: int,
) -> tuple[SpaceTimeCube, Row]:
    """One Dask run: cluster start and locator builds timed apart, then the cube."""
    started = time.perf_counter()
    with dask_client(workers=workers) as client:
        shared = client.scatter(parts, broadcast=True)
        drawn = client.scatter(sampler, broadcast=True)
        for address in client.nthreads():
            client.submit(worker_locator, shared, workers=[address], pure=False).result()
        ready = time.perf_counter()
        cube = on_dask(shared, drawn, todo, codes, steps)
        seconds = time.perf_counter() - ready
        peaks = client.run(_peak_mb)
    events = sum(c.size for c in todo)
    years = len({c.year for c in todo})
    row = Row(f"Dask, {workers} worker{'s' if workers > 1 else ''}", years, events, seconds,
              ready - started, max(peaks.values()))  # fmt: skip
    return cube, row


def table(rows: list[Row]) -> str:
    """The report: throughput, scaling against 1 worker, peak memory."""
    one = next((r for r in rows if r.engine == "Dask, 1 worker"), None)
    lines = [
        f"{'engine':28} {'years':>5} {'events':>12} {'s':>8} {'events/s':>11} "
        f"{'scaling':>8} {'startup s':>9} {'peak MB':>8}"
    ]
    for r in rows:
        rate = r.events / r.seconds if r.seconds > 0 else float("nan")
        scaling = "-"
        if one is not None and r.engine.startswith("Dask") and one.seconds > 0:
            scaling = f"{rate / (one.events / one.seconds):.2f}"
        lines.append(
            f"{r.engine:28} {r.years:>5} {r.events:>12,} {r.seconds:>8.1f} {rate:>11,.0f} "
            f"{scaling:>8} {r.startup_s:>9.1f} {r.peak_mb:>8.0f}"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> list[Row]:
    """Build the city, run the three engines, check the cubes agree, print the table."""
    city = build_demo_city(cell_area_m2=args.cell_area)
    levels = city.levels()
    parts = LocatorParts(levels, generation=1)
    sampler = sampler_of(levels[Level.GRID])
    codes = levels[Level.GRID]["code"].to_numpy()
    todo = chunks(seed=args.seed, years=args.years, per_year=args.per_year, parts=args.parts)
    steps = WEEKS_PER_YEAR * args.years
    print(f"{len(codes):,} cells, {args.years} years x {args.per_year:,} events, "
          f"{len(todo)} partitions, {steps} weeks", flush=True)  # fmt: skip
    single_years = min(args.single_years, args.years)
    first = [c for c in todo if c.year < single_years]
    single_cube, single_s = single_process(
        parts, sampler, first, codes, WEEKS_PER_YEAR * single_years
    )
    rows = [
        Row("single process (in memory)", single_years, sum(c.size for c in first), single_s,
            0.0, _peak_mb())
    ]  # fmt: skip
    print(f"single process done: {single_s:.1f} s", flush=True)
    cubes = []
    for workers in args.workers:
        cube, row = run_dask(workers, parts, sampler, todo, codes, steps)
        print(f"{row.engine} done: {row.seconds:.1f} s", flush=True)
        cubes.append(cube)
        rows.append(row)
    for cube in cubes:
        np.testing.assert_array_equal(cube.values, cubes[0].values)
        np.testing.assert_array_equal(cube.values[:, : single_cube.steps], single_cube.values)
    print()
    print(table(rows))
    print(f"\ncubes agree: {len(cubes)} Dask runs and the single process on its "
          f"{single_cube.steps} weeks")  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> list[Row]:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--per-year", type=int, default=1_000_000)
    parser.add_argument("--parts", type=int, default=4, help="partitions per year")
    parser.add_argument("--single-years", type=int, default=1, help="years in memory")
    parser.add_argument("--cell-area", type=float, default=40_000.0, help="m² per cell")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seed", type=int, default=2026)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    main()
