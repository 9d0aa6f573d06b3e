"""Benchmark: loading the 3-district demo city beside the whole of Beijing (not a test).

Run ``.venv/bin/python -m benchmarks.scale`` (both cities, about 10 minutes on 2 cores;
``--cities demo`` for the small one only). Each city is loaded by ``api.geography.imports.
load_demo`` in a fresh process into a throwaway database created on the configured cluster
(``DATABASE_URL`` or the embedded one) and dropped afterwards (``--keep`` keeps it).

Reported per city: counts of districts, streets, communities and cells; wall time of each
phase (building the city, validating its levels, loading the catalogues, writing to PostGIS)
and in total; the loader's CPU time and peak RSS (PostgreSQL's own work is in the wall time
only); the database size after the load. Target: the whole city loads in ≤ 15 minutes.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import time
from dataclasses import dataclass, field
from itertools import pairwise

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
class Result:
    """One city's load."""

    city: str
    counts: dict[str, int]
    phases: dict[str, float]
    total_s: float
    cpu_s: float
    rss_mb: float
    db_mb: float


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


def table(results: list[Result]) -> str:
    """The results as a plain-text table, one row per city."""
    header: tuple[str, ...] = (
        "city", "districts", "streets", "communities", "cells", "build s", "validate s",
        "catalogues s", "write s", "total s", "loader CPU s", "peak RSS MB", "database MB",
    )  # fmt: skip
    rows = [header]
    for r in results:
        counts = [str(r.counts.get(k, 0)) for k in ("district", "street", "community", "grid")]
        phases = [
            f"{r.phases.get(k, 0.0):.1f}" for k in ("build", "validate", "catalogues", "write")
        ]
        rows.append((r.city, *counts, *phases, f"{r.total_s:.1f}", f"{r.cpu_s:.1f}",
                     f"{r.rss_mb:.0f}", f"{r.db_mb:.0f}"))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


def _run(city: str, cell_area_m2: float, keep: bool) -> Result:
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
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            return pool.apply(load_city, (city, url, cell_area_m2))
    finally:
        if not keep:
            drop_database(admin, name)


def main(argv: list[str] | None = None) -> None:
    """Load each city and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cities", nargs="+", default=["demo", "beijing"])
    parser.add_argument("--cell-area-m2", type=float, default=10_000.0)
    parser.add_argument("--keep", action="store_true", help="keep the throwaway databases")
    args = parser.parse_args(argv)
    results = [_run(city, args.cell_area_m2, args.keep) for city in args.cities]
    print(table(results))
    for r in results:
        if r.city == "beijing":
            verdict = "met" if r.total_s <= TARGET_LOAD_S else "NOT met"
            print(f"whole city in {r.total_s / 60:.1f} min (target ≤ 15 min): {verdict}")


if __name__ == "__main__":
    main()
