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
``locate_code`` on ``--points`` points uniform over the city's bounding box. Last, in a third
fresh process, the served app (in process, no sockets) on the city with ``--events`` events
planted in random grid cells (``plant_events``): vector tile p95 cold (the tile cache emptied
before each tile; the first ``hotspots`` tile also computes the street's statistics) and warm
(the same tiles again), over 3 × 3 tiles of each layer around 广安门外街道; the p50 of the
map caches' data mark (``api.maps.cache.data_version``) beside the query that counted every
event and report before it; and the bytes of each
map page (the city map, the city, district and street hot spot maps, a chief's map).
And in a fourth fresh process, what a served process holds: its RSS after importing the app,
then with the routing facts of the active generation (the locator, zones, roads, catalogue),
the geocoder and the category model, as ``gridwhistle serve`` loads them before the first
request.
Target: the whole city loads in ≤ 15 minutes; no page ships more than 1 MB; a served
process holds ≤ 1 GB.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import time
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path
from typing import Any

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
class ServeStats:
    """Serving one city: vector tile latency and the bytes of each map page."""

    tile_cold_p95_ms: float
    tile_warm_p95_ms: float
    tiles: int
    page_bytes: dict[str, int]
    events: int = 0
    mark_p50_ms: float = float("nan")
    counting_p50_ms: float = float("nan")


@dataclass(frozen=True)
class ServedMemory:
    """The RSS of a served process (MB) after each thing it loads, in load order."""

    steps: dict[str, float]


TARGET_SERVED_MB = 1024.0
PAGES = {
    "city map": "/maps/city",
    "hot spots (city)": "/maps/hotspots",
    "district 110102": "/maps/district/110102",
    "street 110102020": "/maps/street/110102020",
    "chief": "/maps/chief/{chief}",
}
"""The map pages whose bytes are reported (``{chief}``: the street's first chief)."""
STREET = "110102020"  # 广安门外街道, in both cities
TILE_LAYERS = {
    "districts": 12, "streets": 13, "communities": 14, "grid": 15,
    "roads": 14, "hotspots": 15, "events": 15,
}  # fmt: skip
"""The zoom at which each layer's tiles are timed."""


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
    serve: ServeStats | None = None
    memory: ServedMemory | None = None


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


def measure_served_memory(url: str) -> ServedMemory:
    """RSS of this (fresh) process after importing the app, then after loading what the served
    app loads before its first request: the city facts, the geocoder, the category model."""
    import gc

    from sqlalchemy.orm import Session

    def rss() -> float:
        gc.collect()
        return current_rss_mb()

    steps = {"python": rss()}
    from api.addresses.service import GEOCODER
    from api.app import create_app
    from api.config import get_settings
    from api.db.session import engine_for
    from api.hotline.service import current_model
    from api.routing.snapshot import load_city_facts

    engine = engine_for(url)
    create_app(engine=engine)
    steps["app imported"] = rss()
    with Session(engine) as session:
        facts = load_city_facts(session=session)
        steps["city facts"] = rss()
        GEOCODER.current(session=session)
        steps["geocoder"] = rss()
    current_model(get_settings())
    steps["category model"] = rss()
    del facts
    return ServedMemory(steps=steps)


def memory_table(results: list[Result]) -> str:
    """The served process's RSS after each step, one row per city ("-" if not measured)."""
    names = ("app imported", "city facts", "geocoder", "category model")
    header = ("city", *(f"{n} MB" for n in names), "target")
    rows = [header]
    for r in results:
        if r.memory is None:
            rows.append((r.city, *("-",) * (len(header) - 1)))
            continue
        last = r.memory.steps[names[-1]]
        verdict = "met" if last <= TARGET_SERVED_MB else "NOT met"
        rows.append((r.city, *(f"{r.memory.steps[n]:.0f}" for n in names), verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


def plant_events(url: str, events: int, seed: float = 0.5) -> int:
    """Insert ``events`` events at the points on surface of random grid cells (several per
    cell, spread over 2025), with the cells' codes; how many were inserted."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from api.db.session import engine_for

    with Session(engine_for(url)) as session:
        session.execute(text("SELECT setseed(:seed)"), {"seed": seed})
        session.execute(
            text(
                "INSERT INTO events (ref, at, category, source, geom, grid_code, community_code,"
                " street_code, district_code, pattern, synthetic) "
                "SELECT 'B' || c.code || '-' || n, timestamptz '2025-01-01 08:00+08' "
                "+ (random() * 364) * interval '1 day', 'E0303', 'patrol', "
                "ST_PointOnSurface(c.geom), c.code, c.parent_code, left(c.code, 9), "
                "left(c.code, 6), '', true "
                "FROM (SELECT * FROM areas WHERE level = 'grid' AND generation_high = "
                "(SELECT max(id) FROM generations) ORDER BY random() LIMIT :cells) c, "
                "generate_series(1, 8) n"
            ),
            {"cells": max(1, events // 8)},
        )
        session.commit()
        return int(session.scalar(text("SELECT count(*) FROM events")) or 0)


def _tile_urls(lon: float, lat: float) -> list[str]:
    """3 × 3 tiles of each layer of TILE_LAYERS around (lon, lat)."""
    import math

    urls = []
    for layer, z in TILE_LAYERS.items():
        n = 1 << z
        x = int((lon + 180.0) / 360.0 * n)
        y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
        query = f"?scope={STREET}" if layer in ("hotspots", "roads", "events") else ""
        urls += [
            f"/tiles/{layer}/{z}/{x + dx}/{y + dy}.mvt{query}"
            for dx in (-1, 0, 1)
            for dy in (-1, 0, 1)
        ]
    return urls


def measure_serving(url: str, events: int) -> ServeStats:
    """Plant ``events`` events, then time tiles cold and warm and weigh each map page."""
    import numpy as np
    from fastapi.testclient import TestClient
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from api.app import create_app
    from api.auth.roles import Role
    from api.auth.service import create_user, issue_token
    from api.db.session import engine_for
    from api.tiles.service import TILES_CACHE

    planted = plant_events(url, events)
    engine = engine_for(url)
    mark_ms, counting_ms = time_cache_marks(engine)
    with Session(engine) as session:
        admin = create_user(session=session, username="scale-admin", role=Role.ADMIN,
                            jurisdiction=None)  # fmt: skip
        token = issue_token(session=session, user=admin)
        lon, lat, chief = session.execute(
            text(
                "SELECT ST_X(p), ST_Y(p), (SELECT min(ref) FROM chiefs WHERE street_code = :s) "
                "FROM (SELECT ST_PointOnSurface(geom) AS p FROM areas WHERE code = :s "
                "ORDER BY generation_high DESC LIMIT 1) a"
            ),
            {"s": STREET},
        ).one()
        session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    urls = _tile_urls(float(lon), float(lat))
    with TestClient(create_app(engine=engine), headers=headers) as client:
        cold, warm = [], []
        for tile in urls:
            TILES_CACHE.clear()
            begin = time.perf_counter()
            assert client.get(tile).status_code in (200, 204), tile
            cold.append(time.perf_counter() - begin)
        for tile in urls:
            begin = time.perf_counter()
            client.get(tile)
            warm.append(time.perf_counter() - begin)
        sizes = {}
        for name, page in PAGES.items():
            response = client.get(page.format(chief=chief))
            sizes[name] = len(response.content) if response.status_code == 200 else -1
    return ServeStats(
        tile_cold_p95_ms=float(np.percentile(cold, 95) * 1000),
        tile_warm_p95_ms=float(np.percentile(warm, 95) * 1000),
        tiles=len(urls),
        page_bytes=sizes,
        events=planted,
        mark_p50_ms=mark_ms,
        counting_p50_ms=counting_ms,
    )


COUNTING_SQL = (
    "SELECT (SELECT max(id) FROM generations), "
    "(SELECT count(*) FROM events), (SELECT coalesce(max(id), 0) FROM events), "
    "(SELECT count(*) FROM reports), (SELECT coalesce(max(id), 0) FROM reports)"
)
"""The caches' version before migration 0013: counts of every event and report."""


def time_cache_marks(engine: Any, rounds: int = 50) -> tuple[float, float]:
    """p50 (ms) of the map caches' ``data_version`` and of the counting query it replaced."""
    import numpy as np
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from api.maps.cache import data_version

    times: dict[str, list[float]] = {"mark": [], "count": []}
    with Session(engine) as session:
        for _ in range(rounds):
            begin = time.perf_counter()
            data_version(session=session)
            times["mark"].append(time.perf_counter() - begin)
            begin = time.perf_counter()
            session.execute(text(COUNTING_SQL)).one()
            times["count"].append(time.perf_counter() - begin)
    return (float(np.median(times["mark"]) * 1000), float(np.median(times["count"]) * 1000))


def serving_table(results: list[Result]) -> str:
    """Tile latency and page bytes, one row per city that was served ("-" otherwise)."""
    header = ("city", "tiles", "tile p95 cold ms", "tile p95 warm ms", *(f"{p} kB" for p in PAGES),
              "events", "cache mark p50 ms", "counting p50 ms")  # fmt: skip
    rows = [header]
    for r in results:
        s = r.serve
        if s is None:
            rows.append((r.city, *("-",) * (len(header) - 1)))
            continue
        sizes = [s.page_bytes.get(p, -1) for p in PAGES]
        pages = [f"{n / 1000:.0f}" if n >= 0 else "-" for n in sizes]
        rows.append((r.city, str(s.tiles), f"{s.tile_cold_p95_ms:.1f}",
                     f"{s.tile_warm_p95_ms:.1f}", *pages, str(s.events),
                     f"{s.mark_p50_ms:.2f}", f"{s.counting_p50_ms:.2f}"))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


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


def _run(city: str, cell_area_m2: float, keep: bool, points: int, events: int) -> Result:
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
        with context.Pool(1) as pool:
            memory = pool.apply(measure_served_memory, (url,))
        with context.Pool(1) as pool:
            serve = pool.apply(measure_serving, (url, events))
        return replace(result, locate=locate, serve=serve, memory=memory)
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
    parser.add_argument("--events", type=int, default=50_000, help="events planted to serve")
    args = parser.parse_args(argv)
    results = [
        _run(city, args.cell_area_m2, args.keep, args.points, args.events) for city in args.cities
    ]
    print(table(results))
    print()
    print(serving_table(results))
    print()
    print(memory_table(results))
    for r in results:
        if r.city == "beijing":
            verdict = "met" if r.total_s <= TARGET_LOAD_S else "NOT met"
            print(f"whole city in {r.total_s / 60:.1f} min (target ≤ 15 min): {verdict}")


if __name__ == "__main__":
    main()
