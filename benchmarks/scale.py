"""Benchmark: loading the 3-district demo city beside the whole of Beijing (not a test).

Run ``.venv/bin/python -m benchmarks.scale`` (both cities, about 10 minutes on 2 cores;
``--cities demo`` for the small one only). Each city is loaded by ``api.geography.imports.
load_demo`` in a fresh process into a throwaway database created on the configured cluster
(``DATABASE_URL`` or the embedded one) and dropped afterwards (``--keep`` keeps it).

Reported per city: counts of districts, streets, communities and cells; wall time of each
phase (building the city, validating its levels, loading the catalogues, writing to PostGIS)
and in total; the loader's CPU time and peak RSS (PostgreSQL's own work is in the wall time
only); the database size after the load. Then, in another fresh process: the in-process
``Locator`` over every level read back from the database (what a served process holds for
locating): its load time, the process RSS with it loaded, and the p50/p99 latency of
``locate_code`` on ``--points`` points uniform over the city's bounding box.
Target: the whole city loads in ≤ 15 minutes.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import time
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path

TARGET_LOAD_S = 15 * 60.0
PHASES = {"building": "build", "validating": "validate", "loading": "catalogues",
          "writing": "write"}  # fmt: skip
"""The phase of each ``load_demo`` step message, by its first word."""


@dataclass
class Marks:
    """Wall-clock instants at which ``load_demo`` reported each step."""

    start: float = field(default_factory=time.perf_counter)
    steps: list[tuple[str, float]] = field(default_factory=list)

    def __call__(self, message: str) -> None:
        """Record ``message`` now (a ``load_demo`` step callback)."""
        self.steps.append((message, time.perf_counter()))

    def phases(self, end: float) -> dict[str, float]:
        """Seconds per phase (``PHASES``), from each step to the next (or to ``end``)."""
        out: dict[str, float] = {}
        bounds = [*self.steps, ("end", end)]
        for (message, begin), (_, finish) in pairwise(bounds):
            phase = PHASES[message.split()[0]]
            out[phase] = out.get(phase, 0.0) + finish - begin
        return out


@dataclass(frozen=True)
class LocateStats:
    """The in-process locator of one city: load time, process RSS, single-point latency."""

    load_s: float
    rss_mb: float
    p50_ms: float
    p99_ms: float


@dataclass(frozen=True)
class Result:
    """One city's load."""

    city: str
    counts: dict[str, int]
    phases: dict[str, float]
    total_s: float
    cpu_s: float
    rss_mb: float
    db_mb: float
    locate: LocateStats | None = None


def load_city(city: str, url: str, cell_area_m2: float) -> Result:
    """Load ``city`` into the database at ``url`` and measure it (runs in a fresh process)."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from api.config import get_settings
    from api.db.migrate import upgrade
    from api.db.session import engine_for
    from api.geography.imports import City, load_demo
    from api.geography.service import count_areas

    upgrade(url)
    settings = get_settings()
    marks = Marks()
    cpu = time.process_time()
    with Session(engine_for(url)) as session:
        generation, _ = load_demo(
            session=session,
            data_dir=settings.data_dir,
            seed=settings.demo_seed,
            cell_area_m2=cell_area_m2,
            step=marks,
            city=City(city),
            force=True,
        )
        session.commit()
        end = time.perf_counter()
        counts = count_areas(session=session, generation=generation.id)
        size = session.scalar(text("SELECT pg_database_size(current_database())"))
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return Result(
        city=city,
        counts=counts,
        phases=marks.phases(end),
        total_s=end - marks.start,
        cpu_s=time.process_time() - cpu,
        rss_mb=rss_kb / 1024,
        db_mb=float(size or 0) / 2**20,
    )


def current_rss_mb() -> float:
    """This process's resident set size now (``VmRSS``), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure_locator(url: str, points: int, seed: int = 1) -> LocateStats:
    """Load the active generation's Locator from ``url`` and time ``points`` single lookups."""
    import numpy as np
    import shapely
    from sqlalchemy.orm import Session

    from api.db.session import engine_for
    from api.geography.service import load_locator
    from geo.codes import Level

    start = time.perf_counter()
    with Session(engine_for(url)) as session:
        locator = load_locator(session=session)
    load_s = time.perf_counter() - start
    rss = current_rss_mb()
    minx, miny, maxx, maxy = shapely.total_bounds(locator.index[Level.DISTRICT].geoms)
    xy = np.random.default_rng(seed).uniform((minx, miny), (maxx, maxy), size=(points, 2))
    latency = np.empty(points)
    for i, (lon, lat) in enumerate(xy):
        begin = time.perf_counter()
        locator.locate_code(float(lon), float(lat))
        latency[i] = time.perf_counter() - begin
    p50, p99 = np.percentile(latency, [50, 99]) * 1000
    return LocateStats(load_s=load_s, rss_mb=rss, p50_ms=float(p50), p99_ms=float(p99))


def table(results: list[Result]) -> str:
    """The results as a plain-text table, one row per city."""
    header: tuple[str, ...] = (
        "city", "districts", "streets", "communities", "cells", "build s", "validate s",
        "catalogues s", "write s", "total s", "loader CPU s", "peak RSS MB", "database MB",
        "locator s", "locator RSS MB", "locate p50 ms", "locate p99 ms",
    )  # fmt: skip
    rows = [header]
    for r in results:
        counts = [str(r.counts.get(k, 0)) for k in ("district", "street", "community", "grid")]
        phases = [
            f"{r.phases.get(k, 0.0):.1f}" for k in ("build", "validate", "catalogues", "write")
        ]
        rows.append((r.city, *counts, *phases, f"{r.total_s:.1f}", f"{r.cpu_s:.1f}",
                     f"{r.rss_mb:.0f}", f"{r.db_mb:.0f}", *_locate_cells(r.locate)))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


def _locate_cells(stats: LocateStats | None) -> tuple[str, ...]:
    """The locator columns of one row ("-" when not measured)."""
    if stats is None:
        return ("-",) * 4
    return (f"{stats.load_s:.1f}", f"{stats.rss_mb:.0f}", f"{stats.p50_ms:.3f}",
            f"{stats.p99_ms:.3f}")  # fmt: skip


def _run(city: str, cell_area_m2: float, keep: bool, points: int) -> Result:
    """Create a throwaway database, load ``city`` in a fresh process, drop the database."""
    from api.db.embedded import create_database, drop_database
    from api.db.session import database_url

    base = database_url()
    admin = base.rsplit("/", 1)[0] + "/postgres"
    name = f"gw_scale_{city}"
    drop_database(admin, name)
    create_database(admin, name)
    url = base.rsplit("/", 1)[0] + f"/{name}"
    try:
        context = multiprocessing.get_context("spawn")
        with context.Pool(1) as pool:
            result = pool.apply(load_city, (city, url, cell_area_m2))
        with context.Pool(1) as pool:
            locate = pool.apply(measure_locator, (url, points))
        return replace(result, locate=locate)
    finally:
        if not keep:
            drop_database(admin, name)


def main(argv: list[str] | None = None) -> None:
    """Load each city and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cities", nargs="+", default=["demo", "beijing"])
    parser.add_argument("--cell-area-m2", type=float, default=10_000.0)
    parser.add_argument("--keep", action="store_true", help="keep the throwaway databases")
    parser.add_argument("--points", type=int, default=20_000, help="single-point lookups")
    args = parser.parse_args(argv)
    results = [_run(city, args.cell_area_m2, args.keep, args.points) for city in args.cities]
    print(table(results))
    for r in results:
        if r.city == "beijing":
            verdict = "met" if r.total_s <= TARGET_LOAD_S else "NOT met"
            print(f"whole city in {r.total_s / 60:.1f} min (target ≤ 15 min): {verdict}")


if __name__ == "__main__":
    main()
