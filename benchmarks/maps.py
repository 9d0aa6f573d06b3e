"""Benchmark: hot spot and chief map pages served cold and from warm caches (not a test).

Run::

    .venv/bin/python -m benchmarks.maps [--cell-area-m2 10000 --cold 3 --warm 20 --seconds 60]
    .venv/bin/python -m benchmarks.maps --url postgresql://…/gridwhistle   # an existing demo

What it does:

1. without ``--url``: creates a throwaway database on the project's PostGIS (the embedded
   cluster, or ``DATABASE_URL``'s server), migrates it, loads the demo city with grid cells
   of ``--cell-area-m2`` (default 10,000 m², what ``make demo`` serves) and the simulated
   year (``grids.simulate``, seed 2026); the database is dropped at the end, also on failure.
   With ``--url`` it reads that database (which must hold the demo city and events);
2. serves the application with uvicorn (one worker, in a thread) on 127.0.0.1 and requests
   over HTTP with httpx, one request at a time:

   - the chief page ``/maps/chief/{ref}`` (the first chief of ``--street``),
   - the street page ``/maps/street/{--street}``,
   - the district page ``/maps/district/{--district}``,
   - the city page ``/maps/hotspots``;

3. for each page: ``--cold`` requests with the map cache cleared before each (the statistics
   are recomputed; the process-wide spatial-weights cache of ``/api/hotspots`` stays warm
   after the first request, as in a running service), then ``--warm`` requests served from
   the cache; each phase stops early after ``--seconds``;
4. prints p50 and max per phase, the page size, and the target: a chief's page in ≤ 1 s
   from warm caches (PASS or MISS).

The load generator, the server and PostgreSQL share the machine's cores; the figures are
for one request at a time.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass

TARGET_CHIEF_WARM_S = 1.0
SEED = 2026


@dataclass(frozen=True)
class Timing:
    """Seconds per request of one phase of one page."""

    page: str
    phase: str
    seconds: list[float]
    size: int

    def row(self) -> str:
        """One line of the report."""
        if not self.seconds:
            return f"{self.page:<34} {self.phase:<5} (no request)"
        p50 = statistics.median(self.seconds) * 1000
        worst = max(self.seconds) * 1000
        return (
            f"{self.page:<34} {self.phase:<5} n={len(self.seconds):<3} "
            f"p50={p50:8.0f} ms  max={worst:8.0f} ms  {self.size / 1024:8.0f} KiB"
        )


def prepare(url: str, *, cell_area_m2: float) -> None:
    """Load the demo city and the simulated year into the database at ``url``."""
    from sqlalchemy.orm import Session

    from api.config import Settings
    from api.db.session import engine_for
    from api.geography.imports import load_demo
    from api.hotspots.service import load_events
    from grids.demo import build_demo_city
    from grids.simulate import simulate_year

    settings = Settings()
    started = time.perf_counter()
    with Session(engine_for(url)) as session:
        load_demo(
            session=session,
            data_dir=settings.data_dir,
            seed=settings.demo_seed,
            cell_area_m2=cell_area_m2,
        )
        session.commit()
    year = simulate_year(build_demo_city(cell_area_m2=cell_area_m2), seed=SEED)
    with Session(engine_for(url)) as session:
        load_events(session=session, events=year.events)
        session.commit()
    print(
        f"demo city ({cell_area_m2:,.0f} m² cells) and {len(year.events):,} events loaded "
        f"in {time.perf_counter() - started:.0f} s"
    )


@contextlib.contextmanager
def serving(url: str) -> Iterator[str]:
    """The service bound to ``url`` on a free loopback port (uvicorn in a thread), its maps
    opened as an administrator (who may open every map: the pages are timed, not the login)."""
    from api.app import create_app
    from api.auth.deps import viewer
    from api.auth.roles import Actor, Role
    from api.config import Settings
    from api.db.session import engine_for
    from api.threaded import serve_in_thread

    app = create_app(engine=engine_for(url), settings=Settings(environment="test"))
    app.dependency_overrides[viewer] = lambda: Actor(0, Role.ADMIN, None, "benchmark")
    with serve_in_thread(app) as base:
        yield base


def first_chief(url: str, street: str) -> str:
    """The ref of the first street-and-alley chief of ``street``."""
    from sqlalchemy import text

    from api.db.session import engine_for

    with engine_for(url).connect() as connection:
        ref = connection.execute(
            text("SELECT ref FROM chiefs WHERE street_code = :s ORDER BY ref LIMIT 1"),
            {"s": street},
        ).scalar()
    if ref is None:
        raise SystemExit(f"no street-and-alley chief in street {street}")
    return str(ref)


def measure(base: str, path: str, *, cold: int, warm: int, seconds: float) -> tuple[Timing, Timing]:
    """Time ``cold`` requests (cache cleared before each), then ``warm`` ones."""
    import httpx

    from api.maps.cache import MAPS_CACHE

    timings: list[Timing] = []
    with httpx.Client(base_url=base, timeout=300) as client:
        for phase, count in (("cold", cold), ("warm", warm)):
            spent, size, deadline = [], 0, time.monotonic() + seconds
            for _ in range(count):
                if phase == "cold":
                    MAPS_CACHE.clear()
                started = time.perf_counter()
                response = client.get(path)
                spent.append(time.perf_counter() - started)
                response.raise_for_status()
                size = len(response.content)
                if time.monotonic() > deadline:
                    break
            timings.append(Timing(path, phase, spent, size))
    return timings[0], timings[1]


def run(url: str, args: argparse.Namespace) -> list[Timing]:
    """Measure the four pages against the database at ``url``."""
    chief = first_chief(url, args.street)
    pages = [
        f"/maps/chief/{chief}",
        f"/maps/street/{args.street}",
        f"/maps/district/{args.district}",
        "/maps/hotspots",
    ]
    results: list[Timing] = []
    with serving(url) as base:
        for path in pages:
            cold, warm = measure(base, path, cold=args.cold, warm=args.warm, seconds=args.seconds)
            print(cold.row(), flush=True)
            print(warm.row(), flush=True)
            results += [cold, warm]
    return results


def main(argv: list[str] | None = None) -> None:
    """Parse the options, prepare the database, measure, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", help="an existing database with the demo city and events")
    parser.add_argument("--cell-area-m2", type=float, default=10_000.0)
    parser.add_argument("--street", default="110102020", help="street (and its first chief)")
    parser.add_argument("--district", default="110102")
    parser.add_argument("--cold", type=int, default=3, help="requests with the cache cleared")
    parser.add_argument("--warm", type=int, default=20, help="requests from the warm cache")
    parser.add_argument("--seconds", type=float, default=60.0, help="time limit per phase")
    args = parser.parse_args(argv)

    if args.url:
        from api.db.session import normalise_url

        results = run(normalise_url(args.url), args)
    else:
        from benchmarks.api_load import throwaway_database

        with throwaway_database() as url:
            prepare(url, cell_area_m2=args.cell_area_m2)
            results = run(url, args)
    chief_warm = next(t for t in results if t.page.startswith("/maps/chief/") and t.phase == "warm")
    p50 = statistics.median(chief_warm.seconds)
    verdict = "PASS" if p50 <= TARGET_CHIEF_WARM_S else "MISS"
    print(
        f"target: chief page ≤ {TARGET_CHIEF_WARM_S:g} s from warm caches — "
        f"p50 {p50 * 1000:.0f} ms, max {max(chief_warm.seconds) * 1000:.0f} ms: {verdict}"
    )


if __name__ == "__main__":
    main()
