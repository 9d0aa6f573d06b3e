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
request. Last, over HTTP, in a fifth fresh process that starts the service with uvicorn (one
process, ``benchmarks.api_load.serve``) on a free loopback port and stops it afterwards, also on
failure: ``--http-points`` single-point ``GET /api/locate`` requests one at a time on one
keep-alive connection (latency, not throughput), at points uniform over the city's districts;
then ``POST /api/reports`` by 16 grid workers over 16 streets spread over the city, paced open
loop at ``--report-rate`` reports/s for ``--report-seconds`` (``benchmarks.api_load``'s paced
phase: p50/p99 of first attempts after its warm-up second, the bare commit floor before it,
integrity checks), beside the p99 target ``api_load`` states.
Target: the whole city loads in ≤ 15 minutes; no page ships more than 1 MB; a served
process holds ≤ 1 GB; a report's p99 ≤ 30 ms (``api_load``'s, there at 200 reports/s).
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import resource
import signal
import sys
import time
from collections.abc import Iterator
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


@dataclass(frozen=True)
class HttpStats:
    """One city served over HTTP (one uvicorn process): single-point locates one at a time,
    then reports paced open loop."""

    locates: int
    locate_p50_ms: float
    locate_p99_ms: float
    locate_errors: int
    report_rate: float  # offered, reports/s
    achieved_rate: float  # distinct reports answered per second of the phase
    reports: int  # first attempts whose latency counts (after the warm-up)
    report_p50_ms: float
    report_p99_ms: float
    report_errors: int
    integrity: bool
    floor_p99_ms: float = float("nan")  # bare one-row commits at the same rate, just before


TARGET_SERVED_MB = 1024.0
LOCATE_WARMUP = 100
"""Locate requests sent first on the new connection and left out of the latencies."""
SERVE_READY_S = 900.0
"""How long the served process may take to answer (the whole city's facts load first)."""
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
    http: HttpStats | None = None


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


def aligned(rows: list[tuple[str, ...]]) -> str:
    """``rows`` (the first the header) as right-aligned columns, a rule under the header.

    >>> print(aligned([("city", "MB"), ("demo", "463")]))
    city   MB
    ----  ---
    demo  463
    """
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


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
    return aligned(rows)


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
    return aligned(rows)


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
    return aligned(rows)


def _locate_cells(stats: LocateStats | None) -> tuple[str, ...]:
    """The locator columns of one row ("-" when not measured)."""
    if stats is None:
        return ("-",) * 4
    return (f"{stats.load_s:.1f}", f"{stats.rss_mb:.0f}", f"{stats.p50_ms:.3f}",
            f"{stats.p99_ms:.3f}")  # fmt: skip


def city_points(url: str, count: int, seed: int) -> list[tuple[float, float]]:
    """``count`` points uniform over the union of the active generation's districts (kept
    ~30 m inside its outer edge, as ``api_load`` keeps a worker's points inside its street)."""
    import random

    import shapely
    from sqlalchemy.orm import Session

    from api.db.session import engine_for
    from api.geography.service import read_level
    from benchmarks.api_load import street_points
    from geo.codes import Level

    with Session(engine_for(url)) as session:
        districts = read_level(session=session, level=Level.DISTRICT)
    city = shapely.union_all(districts.geometry.to_numpy())
    return street_points(city, count, random.Random(seed))


def time_locates(
    base: str, token: str, points: list[tuple[float, float]], *, warmup: int = 0
) -> tuple[list[float], int, list[str]]:
    """``GET /api/locate`` for each point, one at a time on one keep-alive connection: the
    latency (ms) of each answer after the first ``warmup`` requests, the number of
    requests not answered 200 (warm-up included) and up to 3 examples of them."""
    import http.client
    from urllib.parse import urlencode, urlsplit

    address = urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port)
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    errors = 0
    samples: list[str] = []
    try:
        for i, (lon, lat) in enumerate(points):
            path = "/api/locate?" + urlencode({"lon": f"{lon:.7f}", "lat": f"{lat:.7f}"})
            begin = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                body = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                connection.close()  # the next request opens a new connection
                status, body = 0, f"{type(exc).__name__}: {exc}".encode()
            ms = (time.perf_counter() - begin) * 1000
            if status != 200:
                errors += 1
                if len(samples) < 3:
                    samples.append(f"{path} -> {status}: {body[:200].decode(errors='replace')}")
            elif i >= warmup:
                latencies.append(ms)
    finally:
        connection.close()
    return latencies, errors, samples


@contextlib.contextmanager
def exit_on_sigterm() -> Iterator[None]:
    """Within the block, SIGTERM raises ``SystemExit`` so that ``finally`` blocks run: a pool
    ends its worker with SIGTERM when the run is interrupted, and the server started in the
    block must be stopped then too."""

    def leave(signum: int, _frame: object) -> None:
        sys.exit(128 + signum)

    previous = signal.signal(signal.SIGTERM, leave)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def measure_http(url: str, locates: int, rate: float, seconds: float) -> HttpStats:
    """Serve ``url`` with uvicorn (one process) and time ``locates`` single-point locates,
    then reports paced at ``rate`` reports/s for ``seconds`` (``benchmarks.api_load``)."""
    import gc
    import math

    from benchmarks import api_load

    args = api_load.parse_args(
        ["--rate", str(rate), "--seconds", str(seconds), "--streets", "16",
         "--reports", str(math.ceil(2 * rate * seconds))]
    )  # fmt: skip
    workers = api_load.add_workers(
        url, workers=args.workers, streets=args.streets, seed=args.seed, spread=True
    )
    points = city_points(url, LOCATE_WARMUP + locates, seed=args.seed)
    gc.collect()
    gc.freeze()  # the generator's heap out of the collector's view, as api_load does
    with exit_on_sigterm(), api_load.serve(url, 1, ready_s=SERVE_READY_S) as (base, server):
        located, locate_errors, samples = time_locates(
            base, workers[0].token, points, warmup=LOCATE_WARMUP
        )
        for sample in samples:
            print(f"locate refused, e.g. {sample}")
        phase = api_load.run_phase(
            url, base, server, workers, args, name="paced", processes=1, rate=rate
        )
    api_load.print_phase(phase, len(workers))
    return HttpStats(
        locates=len(located),
        locate_p50_ms=api_load.percentile(located, 50),
        locate_p99_ms=api_load.percentile(located, 99),
        locate_errors=locate_errors,
        report_rate=rate,
        achieved_rate=len(phase.acked) / phase.elapsed if phase.elapsed else 0.0,
        reports=len(phase.first_ms),
        report_p50_ms=api_load.percentile(phase.first_ms, 50),
        report_p99_ms=api_load.percentile(phase.first_ms, 99),
        report_errors=phase.errors,
        integrity=api_load.integrity_ok(phase),
        floor_p99_ms=api_load.percentile(phase.floor_ms, 99),
    )


def report_verdict(stats: HttpStats) -> str:
    """``api_load``'s rule for a paced phase (at least 95 % of the offered rate achieved, the
    p99 of first attempts within its target) and its other targets: no errors, integrity."""
    from benchmarks.api_load import TARGET_P99_MS

    ok = (
        stats.achieved_rate >= 0.95 * stats.report_rate
        and stats.report_p99_ms <= TARGET_P99_MS
        and stats.report_errors == 0
        and stats.integrity
    )
    return "met" if ok else "NOT met"


def http_table(results: list[Result]) -> str:
    """HTTP locate and report latency, one row per city ("-" if not measured), then the
    report target it is read against."""
    from benchmarks.api_load import TARGET_P99_MS, TARGET_RPS

    header: tuple[str, ...] = (
        "city", "locates", "locate p50 ms", "locate p99 ms", "locate errors", "reports/s offered",
        "reports/s achieved", "reports", "report p50 ms", "report p99 ms", "report errors",
        "commit floor p99 ms", "integrity", f"report p99 ≤ {TARGET_P99_MS:.0f} ms",
    )  # fmt: skip
    rows = [header]
    for r in results:
        h = r.http
        if h is None:
            rows.append((r.city, *("-",) * (len(header) - 1)))
            continue
        rows.append((r.city, str(h.locates), f"{h.locate_p50_ms:.2f}", f"{h.locate_p99_ms:.2f}",
                     str(h.locate_errors), f"{h.report_rate:.0f}", f"{h.achieved_rate:.1f}",
                     str(h.reports), f"{h.report_p50_ms:.1f}", f"{h.report_p99_ms:.1f}",
                     str(h.report_errors), f"{h.floor_p99_ms:.1f}",
                     "ok" if h.integrity else "FAILED", report_verdict(h)))  # fmt: skip
    target = (
        f"report target (docs/benchmarks.md, api_load): p99 of first attempts ≤ "
        f"{TARGET_P99_MS:.0f} ms at {TARGET_RPS:.0f} reports/s, 1 process; measured here at "
        "the offered rate above"
    )
    return f"{aligned(rows)}\n{target}"


@dataclass(frozen=True)
class HttpOptions:
    """What the HTTP measurement sends: single-point locates, then reports paced."""

    locates: int = 3_000
    report_rate: float = 50.0
    report_seconds: float = 20.0


def _run(
    city: str, cell_area_m2: float, keep: bool, points: int, events: int, http: HttpOptions
) -> Result:
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
        with context.Pool(1) as pool:
            served = pool.apply(
                measure_http, (url, http.locates, http.report_rate, http.report_seconds)
            )
        return replace(result, locate=locate, serve=serve, memory=memory, http=served)
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
    parser.add_argument("--http-points", type=int, default=HttpOptions.locates,
                        help="single-point locates over HTTP, one at a time")  # fmt: skip
    parser.add_argument("--report-rate", type=float, default=HttpOptions.report_rate,
                        help="reports/s offered over HTTP (open loop)")  # fmt: skip
    parser.add_argument("--report-seconds", type=float, default=HttpOptions.report_seconds,
                        help="seconds of paced reports")  # fmt: skip
    args = parser.parse_args(argv)
    if args.http_points < 1 or args.report_rate <= 0 or args.report_seconds <= 1:
        parser.error("--http-points and --report-rate must be positive, --report-seconds > 1")
    http = HttpOptions(args.http_points, args.report_rate, args.report_seconds)
    results = [
        _run(city, args.cell_area_m2, args.keep, args.points, args.events, http)
        for city in args.cities
    ]
    print(table(results))
    print()
    print(serving_table(results))
    print()
    print(memory_table(results))
    print()
    print(http_table(results))
    for r in results:
        if r.city == "beijing":
            verdict = "met" if r.total_s <= TARGET_LOAD_S else "NOT met"
            print(f"whole city in {r.total_s / 60:.1f} min (target ≤ 15 min): {verdict}")


if __name__ == "__main__":
    main()
