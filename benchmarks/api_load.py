"""Load benchmark of ``POST /api/reports``: simulated grid workers against a real server.

Run::

    .venv/bin/python -m benchmarks.api_load [--workers N --reports N --retry-rate R
                                             --seconds S --rate R --server-workers 1,2]

What it does:

1. creates a throwaway database on the project's PostGIS (the embedded cluster, or
   ``DATABASE_URL``'s server), migrates it, loads the demo city (40,000 m² cells) and creates
   ``--workers`` grid-worker users with bearer tokens, spread over the first ``--streets``
   streets; the database is dropped at the end, also on failure;
2. for each ``--server-workers`` count, starts ``uvicorn`` on 127.0.0.1 (a free port) in a
   separate process, waits for ``/api/health``, and stops it afterwards;
3. runs two phases against it, each bounded by ``--reports`` distinct reports and
   ``--seconds`` seconds, whichever comes first (the case tables are emptied before each):

   - **saturation**: every simulated worker submits its next report as soon as the previous
     one is answered (closed loop) — the highest throughput the service sustains;
   - **paced**: the workers together offer ``--rate`` reports/s (open loop on a fixed
     schedule; a worker that falls behind sends at once) — the latency at the target rate.
     The latency of a late worker is measured from its actual send, so if the service cannot
     keep up the achieved rate drops below the target and the phase is a MISS.

   Each phase starts cold: the case tables were just emptied (PostgreSQL re-plans the
   prepared statements that use them) and the workers open new connections. The latencies of
   first attempts sent in the first ``--warmup`` seconds (default 1) are therefore printed
   apart (the "incl. warm-up" line gives the whole phase) and left out of the targets; the
   throughput and the integrity checks count every report.

   Each report goes to a random point inside the worker's street (at least ~30 m from its
   edge, so it is located in that street), with a random category from a realistic mix, a
   GPS accuracy of 5–30 m for 80 % of them (as the report page sends a phone's fix; the
   rest are pins placed by hand) and a unique ``Idempotency-Key``; with probability
   ``--retry-rate`` the same request is sent again at once with the same key (a flaky
   network), which must answer 200 with the same report id. Reports of the same category
   within 50 m of an open case attach to it — that is expected and not a duplicate;
4. prints throughput, latency percentiles of first attempts and of retries, errors, the
   integrity checks (rows in ``reports`` against distinct keys sent, ids that changed on a
   retry or differ from the database, keys lost) and where the CPU time went (load
   generator, server processes, PostgreSQL backends of the benchmark database, everything
   else on the machine), what the service's PostgreSQL backends waited on (sampled), the WAL
   written and flushed per report (``pg_stat_wal``; flush times where the role may turn on
   ``track_wal_io_timing``), against the targets: 200 reports/s with p99 ≤ 30 ms, 0 errors,
   0 duplicates, 0 losses — PASS or MISS;
5. before each paced phase, sends bare one-row INSERTs (each a durably committed
   transaction) at the same rate for ``--floor-seconds`` (default 5) and prints their
   latencies: the floor any durable write has on this machine and disk at that moment. On a
   virtual machine this floor moves a lot from minute to minute, and the service's p99
   follows it;
6. with ``--contend CORES``, keeps about that much competing CPU load running while the
   phases run (``benchmarks.contend``: burner processes busy in random bursts of ~10 ms), to
   show on demand what the service does when a neighbour takes the cores.

Only 127.0.0.1 is contacted. The load generator (one uvloop loop, a lean keep-alive client per
worker: ``benchmarks.http_client``) runs on the same machine as the server and the database,
so it competes with them for the cores; its share is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import math
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import uvloop

from api.db.aio import APPLICATION_NAME
from api.db.session import libpq_url
from benchmarks.contend import contention
from benchmarks.cpu import BackendSampler, CpuSample, CpuSplit
from benchmarks.http_client import Answer, Client
from benchmarks.pg_waits import WaitSampler, WalUsage, commit_floor, summary, wal_summary
from benchmarks.timeline import (
    MachineTimeline,
    SecondLoad,
    per_second,
    slow_vs_stolen,
)

if TYPE_CHECKING:
    from fastapi import FastAPI

REPO = Path(__file__).resolve().parents[1]
URL_ENV = "GW_BENCH_URL"
CELL_AREA_M2 = 40_000
TARGET_RPS = 200.0
TARGET_P99_MS = 30.0
# How long after a phase its backends' statistics (pg_stat_wal) are all reported: a backend
# reports at most once a second, and one that went idle within that second holds them until
# an idle timeout of 10 s (PostgreSQL's PGSTAT_IDLE_INTERVAL). Read sooner, the last second
# of a phase is missing from it and turns up in the next phase's figures.
STATS_SETTLE_S = 10.5
# As the phone's report page sends them: a GPS fix's accuracy, rounded to metres, unless
# the pin was placed by hand on the map
GPS_SHARE = 0.8
GPS_ACCURACY_M = (5, 30)
EDGE_MARGIN_DEG = 0.0003  # ~33 m north-south, ~26 m east-west at Beijing's latitude
POINTS_PER_STREET = 4_000

# A realistic mix of what grid workers report (code: (name, weight)).
CATEGORIES: dict[str, tuple[str, int]] = {
    "E0401": ("占道经营", 22),
    "E0101": ("暴露垃圾", 18),
    "E0404": ("乱停车", 16),
    "E0403": ("店外经营", 10),
    "E0201": ("非法小广告", 10),
    "C0103": ("路灯不亮", 8),
    "C0102": ("井盖破损", 6),
    "E0304": ("私搭乱建", 5),
    "E0303": ("违法建设", 5),
}


def app_factory() -> FastAPI:
    """The service bound to the benchmark database (``uvicorn --factory`` entry point)."""
    from api.app import create_app
    from api.config import Settings
    from api.db.session import engine_for

    return create_app(
        engine=engine_for(os.environ[URL_ENV]),
        settings=Settings(environment="test"),
        freeze_heap=True,
    )


# -- the throwaway database ------------------------------------------------------------------


@dataclass(frozen=True)
class Worker:
    """A simulated grid worker: its token, its street and points inside that street."""

    username: str
    token: str
    street: str
    points: list[tuple[float, float]]


def admin_url() -> str:
    """A URL allowed to create databases: DATABASE_URL's server or the embedded cluster."""
    from api.config import Settings
    from api.db.session import embedded_cluster, normalise_url

    settings = Settings()
    if settings.database_url:
        return normalise_url(settings.database_url)
    return embedded_cluster(settings).ensure_running().url("postgres")


@contextlib.contextmanager
def throwaway_database() -> Iterator[str]:
    """Create and migrate a database; drop it afterwards whatever happens."""
    from api.db.embedded import create_database, drop_database
    from api.db.migrate import upgrade
    from api.db.session import engine_for

    admin = admin_url()
    name = f"gw_bench_{uuid.uuid4().hex[:8]}"
    url = admin.rsplit("/", 1)[0] + f"/{name}"
    try:
        create_database(admin, name)
        time_wal_flushes(admin, name)
        upgrade(url)
        yield url
    finally:
        engine_for(url).dispose()
        engine_for.cache_clear()
        drop_database(admin, name)
        print(f"dropped database {name}")


def time_wal_flushes(admin: str, name: str) -> None:
    """Have the database's backends time their WAL flushes (for ``pg_stat_wal``); a role
    that may not (not a superuser) leaves the flush time unmeasured."""
    import psycopg
    from psycopg import sql

    with (
        contextlib.suppress(psycopg.errors.InsufficientPrivilege),
        psycopg.connect(libpq_url(admin), autocommit=True) as conn,
    ):
        conn.execute(
            sql.SQL("ALTER DATABASE {} SET track_wal_io_timing = on").format(sql.Identifier(name))
        )


def street_points(geom: Any, count: int, rng: random.Random) -> list[tuple[float, float]]:
    """``count`` random points inside ``geom``, away from its edges where possible."""
    import numpy as np
    import shapely

    inner = geom.buffer(-EDGE_MARGIN_DEG)
    area = inner if not inner.is_empty and inner.area > 0.05 * geom.area else geom
    shapely.prepare(area)
    minx, miny, maxx, maxy = area.bounds
    gen = np.random.default_rng(rng.randrange(2**32))
    found: list[tuple[float, float]] = []
    while len(found) < count:
        xs = gen.uniform(minx, maxx, 4 * count)
        ys = gen.uniform(miny, maxy, 4 * count)
        inside = shapely.contains_xy(area, xs, ys)
        found.extend(zip(xs[inside].tolist(), ys[inside].tolist(), strict=True))
    return [(round(x, 7), round(y, 7)) for x, y in found[:count]]


def prepare(url: str, *, workers: int, streets: int, seed: int) -> list[Worker]:
    """Load the demo city and create the grid workers; return them with their points."""
    from sqlalchemy.orm import Session

    from api.config import Settings
    from api.db.session import engine_for
    from api.geography.imports import load_demo

    settings = Settings()
    with Session(engine_for(url)) as session:
        started = time.perf_counter()
        load_demo(
            session=session,
            data_dir=settings.data_dir,
            seed=settings.demo_seed,
            cell_area_m2=CELL_AREA_M2,
        )
        session.commit()
        print(f"demo city loaded in {time.perf_counter() - started:.0f} s")
    return add_workers(url, workers=workers, streets=streets, seed=seed)


def spread_indices(total: int, count: int) -> list[int]:
    """``count`` indices evenly spread over ``range(total)``, first and last included (all of
    them when ``count >= total``).

    >>> spread_indices(10, 4)
    [0, 3, 6, 9]
    """
    if count >= total:
        return list(range(total))
    if count <= 1:
        return [0][:count]
    return [i * (total - 1) // (count - 1) for i in range(count)]


def add_workers(
    url: str, *, workers: int, streets: int, seed: int, spread: bool = False
) -> list[Worker]:
    """Create ``workers`` grid workers over ``streets`` streets of the loaded city: the first
    ones by code, or with ``spread`` evenly over the city's streets in code order (every
    district of a large city); return them with their points."""
    from sqlalchemy.orm import Session

    from api.auth.roles import Role
    from api.auth.service import create_user, issue_token
    from api.db.session import engine_for
    from api.geography.service import read_level
    from geo.codes import Level

    rng = random.Random(seed)
    with Session(engine_for(url)) as session:
        frame = read_level(session=session, level=Level.STREET)
        rows = spread_indices(len(frame), streets) if spread else list(range(streets))
        frame = frame.iloc[[i for i in rows if i < len(frame)]]
        chosen = list(zip(frame["code"], frame["name"], frame.geometry, strict=True))
        points = {code: street_points(geom, POINTS_PER_STREET, rng) for code, _, geom in chosen}
        out: list[Worker] = []
        for i in range(workers):
            code, name, _ = chosen[i % len(chosen)]
            username = f"bench-worker-{i:03d}"
            user = create_user(
                session=session,
                username=username,
                role=Role.GRID_WORKER,
                jurisdiction=code,
                display_name=f"网格员{i:03d}（{name}）",
            )
            token = issue_token(session=session, user=user, label="benchmark")
            out.append(Worker(username, token, code, points[code]))
        session.commit()
    names = ", ".join(f"{code} {name}" for code, name, _ in chosen)
    print(f"{workers} grid workers over {len(chosen)} streets: {names}")
    return out


def empty_cases(url: str) -> None:
    """Remove every case and what hangs off it (reports, events, whistles …)."""
    from sqlalchemy import text

    from api.db.session import engine_for

    with engine_for(url).begin() as conn:
        conn.execute(text("TRUNCATE cases RESTART IDENTITY CASCADE"))


def sessions_opened(url: str) -> int:
    """Connections ever opened to the database (``pg_stat_database.sessions``, PG 14+)."""
    from sqlalchemy import text

    from api.db.session import engine_for

    with engine_for(url).connect() as conn:
        value = conn.execute(
            text("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        ).scalar()
    return int(value or 0)


# -- the server ------------------------------------------------------------------------------


@contextlib.contextmanager
def serve(
    url: str, processes: int, *, ready_s: float = 90.0
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run uvicorn with ``processes`` workers on a free loopback port until the block ends
    (``ready_s``: how long it may take to answer ``/api/health``: a large city's facts load
    before the first request)."""
    from api.db.embedded import free_port

    port = free_port()
    env = {**os.environ, URL_ENV: url}
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "benchmarks.api_load:app_factory",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(processes),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            cmd, cwd=REPO, env=env, stdout=log, stderr=log, start_new_session=True
        )
        try:
            _wait_healthy(base, proc, log, ready_s)
            # with several processes, give every worker process time to import and start
            time.sleep(1.0 if processes > 1 else 0.2)
            yield base, proc
        finally:
            _stop(proc)


def _wait_healthy(
    base: str, proc: subprocess.Popen[bytes], log: Any, ready_s: float = 90.0
) -> None:
    """Poll /api/health until it answers 200 (``ready_s`` at most)."""
    import httpx

    deadline = time.monotonic() + ready_s
    while True:
        if proc.poll() is not None:
            log.seek(0)
            tail = log.read().decode(errors="replace")[-3000:]
            raise RuntimeError(f"uvicorn exited with {proc.returncode}:\n{tail}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not answer /api/health within {ready_s:.0f} s")
        time.sleep(0.2)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server we started (uvicorn stops its workers); SIGKILL its group if stuck."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


# -- the load --------------------------------------------------------------------------------


@dataclass
class PhaseResult:
    """What one phase measured."""

    name: str
    processes: int
    target_rate: float | None
    first_ms: list[float] = field(default_factory=list)  # sent after the warm-up
    first_at: list[float] = field(default_factory=list)  # their send times (s into the phase)
    retry_ms: list[float] = field(default_factory=list)
    warmup_ms: list[float] = field(default_factory=list)  # first attempts during the warm-up
    acked: dict[str, int] = field(default_factory=dict)  # key -> report id of the first answer
    sent_keys: set[str] = field(default_factory=set)
    requests: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    retry_not_200: int = 0
    retry_id_changed: int = 0
    attached: int = 0
    elapsed: float = 0.0
    cpu: CpuSplit | None = None
    rows: int = 0
    rows_without_key: int = 0
    db_id_mismatch: int = 0
    lost: int = 0
    unacked_rows: int = 0
    waits: Counter[tuple[str, str]] = field(default_factory=Counter)
    wal: WalUsage | None = None
    floor_ms: list[float] = field(default_factory=list)  # bare commits just before the phase
    started: float = 0.0  # time.perf_counter() when the phase began
    load: list[SecondLoad] = field(default_factory=list)  # the machine, second by second

    def error(self, message: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(message)


def _pick_category(rng: random.Random) -> str:
    codes = list(CATEGORIES)
    return rng.choices(codes, weights=[CATEGORIES[c][1] for c in codes])[0]


async def drive(
    base: str,
    workers: list[Worker],
    *,
    result: PhaseResult,
    reports: int,
    seconds: float,
    retry_rate: float,
    rate: float | None,
    seed: int,
    warmup: float = 0.0,
) -> None:
    """Submit reports from every worker until ``reports`` are sent or ``seconds`` pass. The
    latencies of first attempts sent in the first ``warmup`` seconds are kept apart.

    Each worker has its own keep-alive connection (``benchmarks.http_client``: a lean client,
    because the load generator shares the 2 cores with the service).
    """
    prefix = f"{result.name}-{result.processes}p-{uuid.uuid4().hex[:6]}"
    issued = 0
    start = time.perf_counter()
    deadline = start + seconds
    interval = len(workers) / rate if rate else 0.0

    def next_index() -> int | None:
        nonlocal issued
        if issued >= reports or time.perf_counter() >= deadline:
            return None
        issued += 1
        return issued

    async def post(
        client: Client, headers: dict[str, str], body: dict[str, Any]
    ) -> tuple[Answer | None, float]:
        t0 = time.perf_counter()
        try:
            answer = await client.post_json("/api/reports", body, headers)
        except (OSError, TimeoutError) as exc:
            result.requests += 1
            result.error(f"{type(exc).__name__}: {exc}")
            return None, (time.perf_counter() - t0) * 1000
        result.requests += 1
        return answer, (time.perf_counter() - t0) * 1000

    async def run(n: int, worker: Worker, client: Client) -> None:
        rng = random.Random(seed * 1_000 + n)
        auth = f"Bearer {worker.token}"
        slot = start + interval * n / len(workers)
        while True:
            if interval:
                await asyncio.sleep(max(0.0, slot - time.perf_counter()))
                slot += interval
            index = next_index()
            if index is None:
                return
            key = f"{prefix}-{index:06d}"
            lon, lat = rng.choice(worker.points)
            category = _pick_category(rng)
            body: dict[str, Any] = {
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "category": category,
                "description": f"{CATEGORIES[category][0]}（压测 {index}）",
                "source": "patrol",
            }
            if rng.random() < GPS_SHARE:
                body["accuracy_m"] = rng.randint(*GPS_ACCURACY_M)
            headers = {"Authorization": auth, "Idempotency-Key": key}
            result.sent_keys.add(key)
            response, ms = await post(client, headers, body)
            if response is None:  # no answer at all: a real client retries with the same key
                for _ in range(2):
                    response, _ms = await post(client, headers, body)
                    if response is not None:
                        break
                if response is None or response.status_code not in (200, 201):
                    continue
            elif response.status_code != 201:
                result.error(f"first attempt {response.status_code}: {response.text[:300]}")
                continue
            else:
                sent = time.perf_counter() - ms / 1000 - start
                if sent >= warmup:
                    result.first_ms.append(ms)
                    result.first_at.append(sent)
                else:
                    result.warmup_ms.append(ms)
            data = response.json()
            result.acked[key] = data["id"]
            result.attached += bool(data["attached"])
            if rng.random() >= retry_rate:
                continue
            response, ms = await post(client, headers, body)
            if response is None:
                continue
            if not 200 <= response.status_code < 300:
                result.error(f"retry {response.status_code}: {response.text[:300]}")
                continue
            result.retry_ms.append(ms)
            if response.status_code != 200:
                result.retry_not_200 += 1
            if response.json()["id"] != data["id"]:
                result.retry_id_changed += 1

    address = urlsplit(base)
    clients = [Client(address.hostname or "127.0.0.1", address.port or 80) for _ in workers]
    try:
        await asyncio.gather(*(run(n, w, clients[n]) for n, w in enumerate(workers)))
    finally:
        for client in clients:
            client.close()
    result.started = start
    result.elapsed = time.perf_counter() - start


def check_integrity(url: str, result: PhaseResult) -> None:
    """Compare the rows in ``reports`` with the keys sent and the ids answered."""
    from sqlalchemy import text

    from api.db.session import engine_for

    with engine_for(url).connect() as conn:
        rows = conn.execute(text("SELECT idempotency_key, id FROM reports")).all()
    in_db = {r.idempotency_key: r.id for r in rows if r.idempotency_key is not None}
    result.rows = len(rows)
    result.rows_without_key = sum(1 for r in rows if r.idempotency_key is None)
    result.db_id_mismatch = sum(
        1 for key, rid in result.acked.items() if key in in_db and in_db[key] != rid
    )
    result.lost = sum(1 for key in result.acked if key not in in_db)
    result.unacked_rows = sum(1 for key in in_db if key not in result.acked)


def run_phase(
    url: str,
    base: str,
    server: subprocess.Popen[bytes],
    workers: list[Worker],
    args: argparse.Namespace,
    *,
    name: str,
    processes: int,
    rate: float | None,
) -> PhaseResult:
    """Empty the case tables, drive one phase, measure its CPU split and check integrity."""
    empty_cases(url)
    database = url.rsplit("/", 1)[1]
    result = PhaseResult(name=name, processes=processes, target_rate=rate)
    dsn = libpq_url(url)
    if rate and args.floor_seconds > 0:
        result.floor_ms = commit_floor(dsn, rate=rate, seconds=args.floor_seconds)
    sessions = sessions_opened(url)
    sampler = BackendSampler(database)
    waits = WaitSampler(dsn, APPLICATION_NAME)
    wal = WalUsage.take(dsn)
    before = CpuSample.take(server.pid)
    timeline = MachineTimeline()
    uvloop.run(
        drive(
            base,
            workers,
            result=result,
            reports=args.reports,
            seconds=args.seconds,
            retry_rate=args.retry_rate,
            rate=rate,
            seed=args.seed,
            warmup=args.warmup,
        )
    )
    after = CpuSample.take(server.pid)
    result.load = per_second(timeline.stop(), result.started, result.elapsed)
    postgres = sampler.stop()
    result.waits = waits.stop()
    time.sleep(STATS_SETTLE_S)
    result.wal = WalUsage.take(dsn).delta(wal)
    opened = sessions_opened(url) - sessions
    result.cpu = CpuSplit.between(before, after, postgres, opened)
    check_integrity(url, result)
    return result


# -- the report ------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def _lat(values: list[float]) -> str:
    if not values:
        return "n=0"
    p50, p95, p99 = (percentile(values, q) for q in (50, 95, 99))
    return (
        f"n={len(values):>5}  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  p99 {p99:6.1f} ms  "
        f"max {max(values):6.1f} ms"
    )


def slow_seconds(at: list[float], ms: list[float], *, above: float, worst: int = 3) -> str:
    """How the latencies over ``above`` ms spread over the phase's seconds (by send time):
    a few bad seconds (the machine stalled) or everywhere (the service is too slow)."""
    slow = Counter(int(t) for t, m in zip(at, ms, strict=True) if m > above)
    total = sum(slow.values())
    if not total:
        return f"none over {above:.0f} ms"
    top = sum(n for _, n in slow.most_common(worst))
    seconds = len({int(t) for t in at})
    return (
        f"{total} over {above:.0f} ms, in {len(slow)} of {seconds} seconds; "
        f"the worst {min(worst, len(slow))} seconds hold {top / total:.0%} of them"
    )


def _mark(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def integrity_ok(r: PhaseResult) -> bool:
    """No errors, no duplicates, no losses, stable ids."""
    return (
        r.errors == 0
        and r.rows == len(r.sent_keys)
        and r.rows_without_key == 0
        and r.lost == 0
        and r.unacked_rows == 0
        and r.db_id_mismatch == 0
        and r.retry_id_changed == 0
        and r.retry_not_200 == 0
    )


def print_phase(r: PhaseResult, workers: int) -> None:
    """The numbers of one phase."""
    distinct = len(r.acked)
    rate = distinct / r.elapsed if r.elapsed else 0.0
    mode = f"paced at {r.target_rate:.0f} reports/s" if r.target_rate else "closed loop"
    print(f"\n== {r.name}: {r.processes} server process(es), {workers} workers, {mode} ==")
    print(
        f"  duration {r.elapsed:6.1f} s   distinct reports {distinct}  "
        f"({rate:6.1f} reports/s)   requests {r.requests}  "
        f"({r.requests / r.elapsed if r.elapsed else 0:6.1f} req/s)   "
        f"attached to an open case {r.attached}"
    )
    print(f"  first attempts  {_lat(r.first_ms)}")
    print(f"    incl. warm-up {_lat(r.warmup_ms + r.first_ms)}")
    print(f"  retries         {_lat(r.retry_ms)}")
    print(f"  slow first attempts: {slow_seconds(r.first_at, r.first_ms, above=TARGET_P99_MS)}")
    machine = slow_vs_stolen(r.first_at, r.first_ms, r.load, above=TARGET_P99_MS)
    if machine:
        print(f"    the machine {machine}")
    if r.floor_ms:
        print(f"  bare commits    {_lat(r.floor_ms)}  (one-row INSERTs, the seconds before)")
    print(f"  errors (non-2xx or transport) {r.errors}")
    for sample in r.error_samples:
        print(f"    e.g. {sample}")
    print(
        f"  integrity: rows in reports {r.rows} vs distinct keys sent {len(r.sent_keys)} "
        f"(answered {distinct}); rows without key {r.rows_without_key}; "
        f"lost keys {r.lost}; rows never answered {r.unacked_rows}"
    )
    print(
        f"             retries not 200 {r.retry_not_200}; id changed on retry "
        f"{r.retry_id_changed}; answered id != stored id {r.db_id_mismatch}"
        f"  -> {_mark(integrity_ok(r))}"
    )
    if r.cpu is not None and r.cpu.wall > 0:
        c = r.cpu
        per = 1000 / max(1, r.requests)
        other = c.machine_busy - c.stolen - c.load_generator - c.server - c.postgres
        cores = c.machine_total / c.wall
        print(
            f"  CPU (cores busy on average, of {cores:.0f}): "
            f"load generator {c.load_generator / c.wall:4.2f}, "
            f"uvicorn {c.server / c.wall:4.2f}, postgres (this db) {c.postgres / c.wall:4.2f}, "
            f"other {other / c.wall:4.2f}, stolen by the hypervisor {c.stolen / c.wall:4.2f}; "
            f"machine {c.machine_busy / c.machine_total:4.0%} busy"
        )
        print(
            f"  CPU ms per request: uvicorn {c.server * per:5.2f}, "
            f"postgres {c.postgres * per:5.2f}, load generator {c.load_generator * per:5.2f}; "
            f"new database connections {c.connections_opened} "
            f"({c.connections_opened / max(1, r.requests):.2f} per request)"
        )
    if r.waits:
        print(f"  the service's PostgreSQL backends, when running a statement: {summary(r.waits)}")
    if r.wal is not None:
        print(f"  WAL (whole cluster): {wal_summary(r.wal, len(r.acked))}")


def _steal_note(r: PhaseResult) -> str:
    if r.cpu is None or not r.cpu.wall:
        return ""
    stolen = r.cpu.stolen / r.cpu.wall
    return f"  (the hypervisor stole {stolen:.2f} cores)" if stolen >= 0.02 else ""


def _floor_note(r: PhaseResult) -> str:
    if not r.floor_ms:
        return ""
    return f"  (a bare commit's p99 just before: {percentile(r.floor_ms, 99):.1f} ms)"


def verdict(results: list[PhaseResult], *, contend: float = 0.0) -> bool:
    """The targets: throughput in the best configuration, p99 in every configuration paced;
    True when all pass (``contend``: the competing load the run added on purpose)."""
    print("\n== targets ==")
    if contend:
        print(f"  (with {contend:.2f} cores of competing CPU load throughout: --contend)")
    sat = [r for r in results if r.target_rate is None and r.elapsed]
    paced = [r for r in results if r.target_rate is not None and r.elapsed]
    best_rate = max((len(r.acked) / r.elapsed for r in sat), default=0.0)
    throughput_ok = best_rate >= TARGET_RPS
    print(
        f"  throughput ≥ {TARGET_RPS:.0f} reports/s (saturation, best configuration): "
        f"{best_rate:.1f}  {_mark(throughput_ok)}"
    )
    latency_ok = bool(paced)
    for r in paced:
        achieved = len(r.acked) / r.elapsed
        p99 = percentile(r.first_ms, 99)
        ok = achieved >= 0.95 * (r.target_rate or 0) and p99 <= TARGET_P99_MS
        latency_ok = latency_ok and ok
        print(
            f"  p99 ≤ {TARGET_P99_MS:.0f} ms at {r.target_rate:.0f} reports/s "
            f"({r.processes} process(es)): achieved {achieved:.1f} reports/s, p99 {p99:.1f} ms  "
            f"{_mark(ok)}{_steal_note(r)}{_floor_note(r)}"
        )
    if not paced:
        print("  p99 at the target rate: not measured (--rate 0)")
    errors = sum(r.errors for r in results)
    dupes = sum(max(0, r.rows - len(r.sent_keys)) + r.rows_without_key for r in results)
    losses = sum(r.lost for r in results)
    unstable = sum(r.retry_id_changed + r.db_id_mismatch + r.retry_not_200 for r in results)
    print(f"  0 errors: {errors}  {_mark(errors == 0)}")
    print(f"  0 duplicates (extra rows): {dupes}  {_mark(dupes == 0)}")
    print(f"  0 losses: {losses}  {_mark(losses == 0)}")
    print(f"  stable ids across retries: {unstable} unstable  {_mark(unstable == 0)}")
    return all([throughput_ok, latency_ok, errors == 0, dupes == 0, losses == 0, unstable == 0])


# -- entry point -----------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.api_load", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--workers", type=int, default=16, help="simulated grid workers")
    parser.add_argument("--reports", type=int, default=3000, help="distinct reports per phase")
    parser.add_argument("--seconds", type=float, default=60.0, help="time limit per phase")
    parser.add_argument("--retry-rate", type=float, default=0.2, help="share of retried reports")
    parser.add_argument(
        "--rate",
        type=float,
        default=TARGET_RPS,
        help="reports/s offered in the paced phase (0 skips it)",
    )
    parser.add_argument(
        "--server-workers", default="1,2", help="uvicorn process counts to try, e.g. 1,2"
    )
    parser.add_argument("--streets", type=int, default=10, help="streets the workers cover")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--floor-seconds",
        type=float,
        default=5.0,
        help="seconds of bare one-row commits at the paced rate before each paced phase, "
        "to read the service's latency against (0 skips them)",
    )
    parser.add_argument(
        "--contend",
        type=float,
        default=0.0,
        help="cores of competing CPU load while the phases run (a noisy neighbour on "
        "purpose, benchmarks.contend; 0: none)",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=1.0,
        help="seconds at the start of each phase whose latencies are reported apart",
    )
    args = parser.parse_args(argv)
    if args.workers < 1 or args.reports < 1 or args.seconds <= 0:
        parser.error("--workers, --reports and --seconds must be positive")
    if not 0 <= args.warmup < args.seconds:
        parser.error("--warmup must be within 0..--seconds")
    if not 0 <= args.retry_rate <= 1:
        parser.error("--retry-rate must be within 0..1")
    if not 0 <= args.contend < (os.cpu_count() or 1):
        parser.error("--contend must be within 0..the number of cores")
    args.processes = [int(p) for p in str(args.server_workers).split(",") if p.strip()]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(
        f"configuration: {args.workers} simulated workers, {args.reports} reports or "
        f"{args.seconds:.0f} s per phase, retry rate {args.retry_rate:.0%}, paced rate "
        f"{args.rate:.0f}/s, server processes {args.processes}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start"
        + (f", competing load {args.contend:.2f} cores (--contend)" if args.contend else "")
    )
    results: list[PhaseResult] = []
    with throwaway_database() as url:
        workers = prepare(url, workers=args.workers, streets=args.streets, seed=args.seed)
        # the load generator's own heap (the demo city it loaded, the workers' points) out
        # of its collector's view, as the served app does: a full collection would stall
        # the generator and show up as the service's latency
        gc.collect()
        gc.freeze()
        with contention(args.contend):
            for processes in args.processes:
                with serve(url, processes) as (base, server):
                    phases: list[tuple[str, float | None]] = [("saturation", None)]
                    if args.rate > 0:
                        phases.append(("paced", args.rate))
                    for name, rate in phases:
                        result = run_phase(
                            url,
                            base,
                            server,
                            workers,
                            args,
                            name=name,
                            processes=processes,
                            rate=rate,
                        )
                        print_phase(result, len(workers))
                        results.append(result)
    ok = verdict(results, contend=args.contend)
    print(f"\noverall: {_mark(ok)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
