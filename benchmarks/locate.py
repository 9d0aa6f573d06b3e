"""Benchmark: the batch point locator against geopandas.sjoin and a PostGIS join (not a test).

Run ``.venv/bin/python -m benchmarks.locate [--points N] [--cells N]`` (defaults: 20,000,000
points, about 35,000 cells; ``--points 1000000`` is a quick run).

The city (synthetic, seeded): a lon/lat box of 29 km x 29 km centred on 116.40E 39.90N
(about 840 km²), cut in EPSG:4548 metres into 300 Voronoi streets (seeds Lloyd-relaxed
twice), each street into 10 Voronoi communities, and the 3,000 communities into unit grid cells with
``grids.cells.generate_cells``, its cell area chosen so that about ``--cells`` cells result
(35,000 cells average about 24,000 m²). Four districts group the streets by quadrant.
Communities of neighbouring streets do not share vertices along street lines (T-junctions),
as in real boundary files. The points are uniform over the box (so nearly all fall in a
cell; the few outside every district get "").

Each method runs in its own spawned process on the same saved inputs; its time and peak
memory (``ru_maxrss`` after the method minus ``ru_maxrss`` once the inputs are loaded) are
measured there, so methods do not contaminate each other. Every method starts from the same
lon/lat arrays and the same cell frame, so building its index (and, for sjoin, the point
geometries) is part of its time:

(a) ``geo.batch.BatchLocator`` with a ``Locator`` fallback, then ``locate_indexed``: the code
    per point as an int32 index into the code table (``locate_codes`` would add a Python
    string reference per point);
(b) ``geopandas.sjoin(points, cells, predicate="within")``, the points made with
    ``points_from_xy`` (on ``--sjoin-points`` points; points/s is extrapolated when fewer
    than all points are used);
(c) PostGIS ``ST_Covers`` join in a throwaway database of the embedded cluster: the cells are
    loaded with COPY and a GiST index, then ``--postgis-points`` points; the join (query and
    fetch) is timed alone, the loading is reported beside it, memory is the client's peak and
    the server backend's ``VmHWM``;
(d) in-process single-point latency of ``Locator.locate_point`` and of
    ``BatchLocator.locate_codes`` on one point (p50/p99 over ``--latency-points`` calls);
(e) SedonaDB (``sedonadb``, Apache Sedona's single-node engine, an optional peer: ``pip
    install -e '.[bench]'``): the cells as a frame, the points as Arrow record batches of
    ``SEDONA_BATCH`` rows (so its partitions use every core), ``ST_Covers(cell, ST_Point)`` in
    a spatial join, collected as (point, cell index) pairs into Arrow, the index being the
    cell's position in the code table as in (a); on ``--sedonadb-points``.

The assignments are compared on the points each other method assigns to exactly one cell
(sjoin's "within" leaves boundary points out; ``ST_Covers`` gives a boundary point two).
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing as mp
import os
import resource
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.codes import Level
from geo.crs import to_metric, to_storage
from grids.cells import generate_cells

CENTRE = (116.40, 39.90)
HALF_SIDE_M = 14_500.0
STREETS = 300
COMMUNITIES_PER_STREET = 10
DISTRICTS = ("110101", "110102", "110105", "110106")
CELL_AREA_PER_MEAN = 1.19  # generate_cells' requested area / resulting mean cell area here
REFERENCE_POINTS = 1_000_000
SEDONA_BATCH = 500_000
SEDONA_MISSING = "SedonaDB: not installed (pip install -e '.[bench]')"
TARGET_SPEED = 10.0
TARGET_MEMORY = 0.25
TARGET_P99_US = 100.0
TARGET_SEDONA_SPEED = 10.0  # the whole-city issue's goal: ≥ 10× SedonaDB …
TARGET_SEDONA_MEMORY = 0.5  # … at ≤ ½ its memory
LAYERS = {
    Level.DISTRICT: "districts",
    Level.STREET: "streets",
    Level.COMMUNITY: "communities",
    Level.GRID: "cells",
}


# --- the city and the points ----------------------------------------------------------------


def _voronoi_in(area, seeds: np.ndarray) -> np.ndarray:
    """Voronoi cells of ``seeds`` clipped to ``area`` (metres), in seed order."""
    frame = shapely.box(*shapely.buffer(area, 1000.0).bounds)
    diagram = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=frame, ordered=True)
    return shapely.intersection(shapely.get_parts(diagram), area)


def _sample(rng: np.random.Generator, area, n: int) -> np.ndarray:
    """``n`` uniform points inside ``area`` (metres)."""
    minx, miny, maxx, maxy = area.bounds
    shapely.prepare(area)
    found = np.empty((0, 2))
    while len(found) < n:
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(4 * n + 16, 2))
        found = np.vstack([found, xy[shapely.contains_xy(area, xy[:, 0], xy[:, 1])]])
    return found[:n]


def _relaxed(rng: np.random.Generator, area, n: int) -> np.ndarray:
    """``n`` seeds in ``area`` after two Lloyd steps."""
    seeds = _sample(rng, area, n)
    for _ in range(2):
        seeds = shapely.get_coordinates(shapely.centroid(_voronoi_in(area, seeds)))
    return seeds


def _frame(codes: list[str], geoms_m) -> gpd.GeoDataFrame:
    """A level frame (code, name, geometry as lon/lat MultiPolygons)."""
    geoms = to_storage(np.asarray(geoms_m, dtype=object))
    multi = [g if g.geom_type == "MultiPolygon" else shapely.MultiPolygon([g]) for g in geoms]
    return gpd.GeoDataFrame({"code": codes, "name": codes}, geometry=multi, crs="EPSG:4326")


def build_city(n_cells: int, seed: int = 20190101) -> dict[Level, gpd.GeoDataFrame]:
    """Districts, streets, communities and about ``n_cells`` grid cells (see module doc)."""
    rng = np.random.default_rng(seed)
    square = to_metric(shapely.segmentize(city_box(), 0.0005))
    cx, cy = shapely.get_coordinates(to_metric(shapely.Point(CENTRE)))[0]
    seeds = _relaxed(rng, square, STREETS)
    streets_m = _voronoi_in(square, seeds)
    quadrant = (seeds[:, 0] > cx).astype(int) * 2 + (seeds[:, 1] > cy).astype(int)
    street_codes = [""] * STREETS
    for q, district in enumerate(DISTRICTS):
        for k, i in enumerate(np.flatnonzero(quadrant == q), start=1):
            street_codes[i] = f"{district}{k:03d}"
    community_codes, communities_m = [], []
    for code, street in zip(street_codes, streets_m, strict=True):
        inner = _relaxed(rng, street, COMMUNITIES_PER_STREET)
        communities_m += list(_voronoi_in(street, inner))
        community_codes += [f"{code}{k:03d}" for k in range(1, COMMUNITIES_PER_STREET + 1)]
    districts_m = [shapely.union_all(streets_m[quadrant == q]) for q in range(len(DISTRICTS))]
    communities = _frame(community_codes, communities_m)
    cell_area = CELL_AREA_PER_MEAN * square.area / n_cells
    cells = generate_cells(communities, cell_area_m2=cell_area)
    return {
        Level.DISTRICT: _frame(list(DISTRICTS), districts_m),
        Level.STREET: _frame(street_codes, streets_m),
        Level.COMMUNITY: communities,
        Level.GRID: cells[["code", "name", "geometry"]],
    }


def city_box() -> shapely.Polygon:
    """The city's lon/lat box (HALF_SIDE_M each way from CENTRE)."""
    lon, lat = CENTRE
    dlat = HALF_SIDE_M / 111_320.0
    dlon = dlat / np.cos(np.radians(lat))
    return shapely.box(lon - dlon, lat - dlat, lon + dlon, lat + dlat)


def _save_inputs(workdir: Path, levels, n_points: int, seed: int) -> None:
    """Write the levels (GeoParquet) and the points (lon.npy, lat.npy) for the children."""
    for level, name in LAYERS.items():
        levels[level].to_parquet(workdir / f"{name}.parquet")
    minx, miny, maxx, maxy = levels[Level.GRID].total_bounds
    rng = np.random.default_rng(seed + 1)
    np.save(workdir / "lon.npy", rng.uniform(minx, maxx, n_points))
    np.save(workdir / "lat.npy", rng.uniform(miny, maxy, n_points))


def _load_levels(workdir: Path) -> dict[Level, gpd.GeoDataFrame]:
    return {level: gpd.read_parquet(workdir / f"{name}.parquet") for level, name in LAYERS.items()}


def _cell_index(cells: gpd.GeoDataFrame, codes) -> np.ndarray:
    """Position of each code among the sorted cell codes (-1: not a cell code)."""
    return pd.Index(np.sort(cells["code"].to_numpy(dtype=str))).get_indexer(codes)


def _one_per_point(n: int, point: np.ndarray, cell: np.ndarray) -> np.ndarray:
    """Cell per point from (point, cell) pairs: -1 none, -2 more than one."""
    count = np.bincount(point, minlength=n)
    out = np.full(n, -1, dtype=np.int64)
    out[point] = cell
    out[count > 1] = -2
    return out


# --- the methods (each in its own process) -------------------------------------------------


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _run_batch(workdir: Path, n: int) -> dict[str, Any]:
    from geo.batch import BatchLocator
    from geo.locate import Locator

    levels = _load_levels(workdir)
    lon, lat = np.load(workdir / "lon.npy")[:n], np.load(workdir / "lat.npy")[:n]
    gc.collect()
    base = _max_rss_mb()
    start = time.perf_counter()
    locator = Locator(levels, generation=1)
    fallback_built = time.perf_counter()
    batch = BatchLocator(levels[Level.GRID], fallback=locator)
    built = time.perf_counter()
    index, table = batch.locate_indexed(lon, lat)
    seconds = time.perf_counter() - start
    peak = _max_rss_mb() - base
    np.save(workdir / "batch.npy", _cell_index(levels[Level.GRID], table)[index])
    m = min(n, REFERENCE_POINTS)  # the reference: Locator itself, untimed
    differ = int((locator.locate_codes(lon[:m], lat[:m]) != table[index[:m]]).sum())
    return {
        "points": n,
        "seconds": seconds,
        "build_s": built - start,
        "fallback_s": fallback_built - start,
        "peak_mb": peak,
        "reference": (m, differ),
    }


def _run_sjoin(workdir: Path, n: int) -> dict[str, Any]:
    cells = gpd.read_parquet(workdir / "cells.parquet")[["code", "geometry"]]
    lon, lat = np.load(workdir / "lon.npy")[:n], np.load(workdir / "lat.npy")[:n]
    gc.collect()
    base = _max_rss_mb()
    start = time.perf_counter()
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    joined = gpd.sjoin(points, cells, predicate="within")
    seconds = time.perf_counter() - start
    peak = _max_rss_mb() - base
    point = joined.index.to_numpy()
    cell = _cell_index(cells, cells["code"].to_numpy()[joined["index_right"].to_numpy()])
    np.save(workdir / "sjoin.npy", _one_per_point(n, point, cell))
    return {"points": n, "seconds": seconds, "peak_mb": peak}


def _backend_hwm_mb(pid: int) -> float | None:
    """Peak resident memory (VmHWM) of a server backend, when /proc lets us read it (psutil
    reports the current RSS only, not the peak)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def _copy_rows(cursor, sql: str, lines) -> None:
    with cursor.copy(sql) as copy:
        for start in range(0, len(lines), 100_000):
            copy.write("".join(lines[start : start + 100_000]))


def _run_postgis(workdir: Path, n: int) -> dict[str, Any]:
    import psycopg

    from api.db.embedded import create_database, drop_database, libpq_url
    from api.db.session import embedded_cluster

    cells = gpd.read_parquet(workdir / "cells.parquet")[["code", "geometry"]]
    lon, lat = np.load(workdir / "lon.npy")[:n], np.load(workdir / "lat.npy")[:n]
    info = embedded_cluster().ensure_running()
    admin = info.url("postgres")
    name = f"gw_bench_{uuid.uuid4().hex[:8]}"
    create_database(admin, name)
    try:
        with psycopg.connect(libpq_url(info.url(name)), connect_timeout=10) as conn:
            cur = conn.cursor()
            cur.execute("SET statement_timeout = '900s'")
            start = time.perf_counter()
            cur.execute("CREATE TABLE cells (code text, geom geometry(MultiPolygon, 4326))")
            wkb = shapely.to_wkb(
                shapely.set_srid(cells.geometry.to_numpy(), 4326), hex=True, include_srid=True
            )
            rows = [f"{c}\t{g}\n" for c, g in zip(cells["code"], wkb, strict=True)]
            _copy_rows(cur, "COPY cells (code, geom) FROM STDIN", rows)
            cur.execute("CREATE INDEX ON cells USING gist (geom)")
            cur.execute("ANALYZE cells")
            cells_s = time.perf_counter() - start
            start = time.perf_counter()
            cur.execute("CREATE TABLE pts (id integer, geom geometry(Point, 4326))")
            with cur.copy("COPY pts (id, geom) FROM STDIN") as copy:
                for first in range(0, n, 100_000):  # in slices: keep the client's peak low
                    part = slice(first, first + 100_000)
                    points = shapely.set_srid(shapely.points(lon[part], lat[part]), 4326)
                    hexes = shapely.to_wkb(points, hex=True, include_srid=True)
                    copy.write("".join(f"{first + i}\t{h}\n" for i, h in enumerate(hexes)))
            cur.execute("ANALYZE pts")
            conn.commit()
            points_s = time.perf_counter() - start
            gc.collect()
            base = _max_rss_mb()
            (pid,) = cur.execute("SELECT pg_backend_pid()").fetchall()[0]
            start = time.perf_counter()
            cur.execute("SELECT p.id, c.code FROM pts p JOIN cells c ON ST_Covers(c.geom, p.geom)")
            found = cur.fetchall()
            seconds = time.perf_counter() - start
            peak = _max_rss_mb() - base
            backend = _backend_hwm_mb(pid)
    finally:
        drop_database(admin, name)
    point = np.fromiter((r[0] for r in found), dtype=np.int64, count=len(found))
    cell = _cell_index(cells, [r[1] for r in found])
    np.save(workdir / "postgis.npy", _one_per_point(n, point, cell))
    return {
        "points": n,
        "seconds": seconds,
        "peak_mb": peak,
        "backend_mb": backend,
        "cells_load_s": cells_s,
        "points_load_s": points_s,
    }


def sedonadb_available() -> bool:
    """Whether the optional SedonaDB peer can run (the ``bench`` extra)."""
    import importlib.util

    return importlib.util.find_spec("sedonadb") is not None


def _run_sedonadb(workdir: Path, n: int) -> dict[str, Any]:
    import pyarrow as pa
    import sedonadb

    cells = gpd.read_parquet(workdir / "cells.parquet")[["code", "geometry"]]
    # as the BatchLocator answers: a cell's position among the sorted codes, in the same type
    idx = _cell_index(cells, cells["code"])
    cells.insert(1, "idx", idx.astype(np.min_scalar_type(len(cells))))
    lon, lat = np.load(workdir / "lon.npy")[:n], np.load(workdir / "lat.npy")[:n]
    gc.collect()
    base = _max_rss_mb()
    start = time.perf_counter()
    sd = sedonadb.connect()
    sd.create_data_frame(cells).to_view("cells")
    ids = np.arange(n, dtype=np.int64)
    batches = [
        pa.record_batch({"id": ids[i : i + SEDONA_BATCH], "lon": lon[i : i + SEDONA_BATCH],
                         "lat": lat[i : i + SEDONA_BATCH]})
        for i in range(0, n, SEDONA_BATCH)
    ]  # fmt: skip
    sd.create_data_frame(pa.Table.from_batches(batches)).to_view("pts")
    joined = pa.table(
        sd.sql(
            "SELECT p.id, c.idx FROM"
            " (SELECT id, ST_SetSRID(ST_Point(lon, lat), 4326) AS geom FROM pts) p"
            " JOIN cells c ON ST_Covers(c.geometry, p.geom)"
        )
    )
    seconds = time.perf_counter() - start
    peak = _max_rss_mb() - base
    point, cell = joined.column("id").to_numpy(), joined.column("idx").to_numpy()
    np.save(workdir / "sedonadb.npy", _one_per_point(n, point, cell))
    return {"points": n, "seconds": seconds, "peak_mb": peak, "version": sedonadb.__version__}


def _run_latency(workdir: Path, n: int) -> dict[str, Any]:
    from geo.batch import BatchLocator
    from geo.locate import Locator

    levels = _load_levels(workdir)
    lon, lat = np.load(workdir / "lon.npy")[:n], np.load(workdir / "lat.npy")[:n]
    locator = Locator(levels, generation=1)
    batch = BatchLocator(levels[Level.GRID], fallback=locator)
    result: dict[str, Any] = {"points": n}
    calls = {
        "locator": lambda x, y: locator.locate_point(x, y),
        "batch": lambda x, y: batch.locate_codes(np.array([x]), np.array([y])),
    }
    for name, call in calls.items():
        for i in range(min(n, 1000)):  # warm up
            call(float(lon[i]), float(lat[i]))
        took = np.empty(n)
        for i in range(n):
            x, y = float(lon[i]), float(lat[i])
            t0 = time.perf_counter_ns()
            call(x, y)
            took[i] = time.perf_counter_ns() - t0
        result[name] = (float(np.percentile(took, 50)) / 1e3, float(np.percentile(took, 99)) / 1e3)
    return result


_METHODS = {
    "batch": _run_batch,
    "sjoin": _run_sjoin,
    "postgis": _run_postgis,
    "latency": _run_latency,
    "sedonadb": _run_sedonadb,
}


def _child(method: str, workdir: str, n: int, conn) -> None:
    try:
        conn.send(("ok", _METHODS[method](Path(workdir), n)))
    except BaseException as exc:  # report any failure to the parent, then stop
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def measure(method: str, workdir: Path, n: int, timeout_s: float) -> dict[str, Any]:
    """Run one method in a fresh spawned process; its result dict or an ``error``."""
    context = mp.get_context("spawn")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(method, str(workdir), n, child))
    process.start()
    child.close()
    try:
        if not parent.poll(timeout_s):
            return {"error": f"timed out after {timeout_s:.0f} s"}
        status, value = parent.recv()
    except EOFError:
        return {"error": f"the process died (exit code {process.exitcode})"}
    finally:
        process.join(10)
        if process.is_alive():
            process.terminate()
            process.join()
    return value if status == "ok" else {"error": value}


# --- report -------------------------------------------------------------------------------


def _rate(result: dict[str, Any]) -> float:
    return result["points"] / result["seconds"]


def _mismatches(workdir: Path, other: str) -> tuple[int, int, int] | None:
    """(points compared, mismatches, mismatches the edge tolerance explains) vs the batch.

    Explained: the batch's cell is within EDGE_TOLERANCE_DEG of the point and has the
    smaller code, so the locator's rule (smallest code within the tolerance) picks it while
    sjoin/PostGIS pick the cell that strictly contains the point."""
    from geo.locate import EDGE_TOLERANCE_DEG

    theirs_path, ours_path = workdir / f"{other}.npy", workdir / "batch.npy"
    if not (theirs_path.exists() and ours_path.exists()):
        return None
    theirs = np.load(theirs_path)
    ours = np.load(ours_path)[: len(theirs)]
    wrong = np.flatnonzero((theirs >= 0) & (ours != theirs))
    cells = gpd.read_parquet(workdir / "cells.parquet").sort_values("code")
    geoms = cells.geometry.to_numpy()
    lon, lat = np.load(workdir / "lon.npy")[wrong], np.load(workdir / "lat.npy")[wrong]
    mine = ours[wrong]
    near = shapely.dwithin(geoms[np.maximum(mine, 0)], shapely.points(lon, lat), EDGE_TOLERANCE_DEG)
    explained = int((near & (mine >= 0) & (mine < theirs[wrong])).sum())
    return int((theirs >= 0).sum()), len(wrong), explained


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _sedonadb_lines(results: dict[str, dict[str, Any]]) -> list[str]:
    """SedonaDB beside the BatchLocator: the ratios against the goal, or why it did not run."""
    sedona, batch = results.get("sedonadb"), results.get("batch", {})
    if sedona is None:
        return [] if sedonadb_available() else [SEDONA_MISSING]
    if "seconds" not in sedona or "seconds" not in batch:
        return []
    speed = _rate(batch) / _rate(sedona)
    memory = batch["peak_mb"] / sedona["peak_mb"] if sedona["peak_mb"] > 0 else float("nan")
    speed_ok = _verdict(speed >= TARGET_SEDONA_SPEED)
    memory_ok = _verdict(memory <= TARGET_SEDONA_MEMORY)
    return [
        f"(e) SedonaDB on {sedona['points']:,} points: {_rate(sedona):,.0f} points/s, peak "
        f"{sedona['peak_mb']:,.0f} MB; BatchLocator {_rate(batch):,.0f} points/s, peak "
        f"{batch['peak_mb']:,.0f} MB: {speed:.1f}× its speed ({speed_ok}, goal ≥ "
        f"{TARGET_SEDONA_SPEED:.0f}×) at {memory:.2f} of its memory ({memory_ok}, goal ≤ "
        f"{TARGET_SEDONA_MEMORY})"
    ]


def report(results: dict[str, dict[str, Any]], workdir: Path, city: str, n: int) -> str:
    """The printed table, agreement counts and target verdicts."""
    lines = [city, ""]
    header = f"{'method':<34}{'points':>12}{'seconds':>10}{'points/s':>14}{'peak MB':>10}"
    header += f"{'× sjoin speed':>15}{'mem / sjoin':>13}"
    lines += [header, "-" * len(header)]
    sjoin = results.get("sjoin", {})
    base_rate = _rate(sjoin) if "seconds" in sjoin else None
    base_mem = sjoin.get("peak_mb")
    labels = {
        "batch": "(a) BatchLocator, build incl.",
        "sjoin": "(b) geopandas.sjoin within",
        "postgis": "(c) PostGIS ST_Covers join",
        "sedonadb": "(e) SedonaDB spatial join",
    }
    for key, label in labels.items():
        r = results.get(key)
        if r is None:
            continue
        if "error" in r:
            lines.append(f"{label:<34}  {r['error']}")
            continue
        rate = _rate(r)
        times = f"{rate / base_rate:.1f}×" if base_rate else "-"
        mem = f"{r['peak_mb'] / base_mem:.3f}" if base_mem and key != "postgis" else "-"
        label = f"{label} {r['version']}" if "version" in r else label
        lines.append(
            f"{label:<34}{r['points']:>12,}{r['seconds']:>10.2f}{rate:>14,.0f}"
            f"{r['peak_mb']:>10.0f}{times:>15}{mem:>13}"
        )
    notes = []
    if "build_s" in results.get("batch", {}):
        b = results["batch"]
        notes.append(
            f"(a) of which building: {b['build_s']:.2f} s (the fallback Locator "
            f"{b['fallback_s']:.2f} s, the BatchLocator {b['build_s'] - b['fallback_s']:.2f} s)"
        )
    if base_rate and sjoin["points"] < n:
        notes.append(
            f"(b) ran on the first {sjoin['points']:,} of {n:,} points: its points/s is "
            "extrapolated as constant, its peak memory is at that size (smaller than at all)"
        )
    pg = results.get("postgis", {})
    if "seconds" in pg:
        backend = pg["backend_mb"]
        notes.append(
            f"(c) join on {pg['points']:,} points (query + fetch), timed alone; loading took "
            f"{pg['cells_load_s']:.1f} s (cells + GiST) and {pg['points_load_s']:.1f} s (points); "
            f"peak MB is the client's, server backend VmHWM "
            + (f"{backend:.0f} MB" if backend is not None else "n/a")
        )
    lines += ["", *notes, *_sedonadb_lines(results)]
    lat = results.get("latency", {})
    if "batch" in lat:
        lines += [
            "",
            f"(d) single-point latency over {lat['points']:,} calls (in process):",
            f"    Locator.locate_point                p50 {lat['locator'][0]:8.1f} µs   "
            f"p99 {lat['locator'][1]:8.1f} µs",
            f"    BatchLocator.locate_codes(1 point)  p50 {lat['batch'][0]:8.1f} µs   "
            f"p99 {lat['batch'][1]:8.1f} µs",
        ]
    elif "error" in lat:
        lines += ["", f"(d) latency: {lat['error']}"]
    lines += ["", "agreement with BatchLocator (points the other method assigns exactly once):"]
    if "reference" in results.get("batch", {}):
        m, differ = results["batch"]["reference"]
        lines.append(
            f"    Locator  {m:>12,} points compared, {differ:,} mismatches (the reference)"
        )
    for other in ("sjoin", "postgis", "sedonadb"):
        found = _mismatches(workdir, other)
        if found is not None:
            lines.append(
                f"    {other:<9}{found[0]:>12,} points compared, {found[1]:,} mismatches, "
                f"{found[2]:,} of them the 1e-9° edge tolerance (smaller code wins)"
            )
    lines += ["", f"targets (set for the default 20,000,000 points; this run: {n:,}):"]
    batch = results.get("batch", {})
    if base_rate and "seconds" in batch:
        speed = _rate(batch) / base_rate
        share = batch["peak_mb"] / base_mem if base_mem else float("nan")  # 0: too small
        speed_ok, mem_ok = _verdict(speed >= TARGET_SPEED), _verdict(share <= TARGET_MEMORY)
        lines.append(
            f"    BatchLocator ≥ {TARGET_SPEED:.0f}× sjoin points/s: {speed:.1f}× {speed_ok}"
        )
        if sjoin.get("points", n) < n:  # sjoin's peak grows with its points: no like for like
            mem_ok = f"not judged (sjoin ran on {sjoin['points']:,} of the {n:,} points)"
        lines.append(f"    BatchLocator peak memory ≤ ¼ of sjoin's: {share:.3f} {mem_ok}")
    if "batch" in lat:
        for key, label in (
            ("batch", "BatchLocator.locate_codes"),
            ("locator", "Locator.locate_point"),
        ):
            p99 = lat[key][1]
            ok = _verdict(p99 <= TARGET_P99_US)
            lines.append(
                f"    {label} single-point p99 ≤ {TARGET_P99_US:.0f} µs: {p99:.1f} µs {ok}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Build the city and the points, run every method, print the table."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.locate", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--points", type=int, default=20_000_000, help="random points (default 20,000,000)"
    )
    parser.add_argument("--cells", type=int, default=35_000, help="target number of grid cells")
    parser.add_argument(
        "--sjoin-points", type=int, default=None, help="points for sjoin (default: all)"
    )
    parser.add_argument("--postgis-points", type=int, default=1_000_000, help="points for PostGIS")
    parser.add_argument("--latency-points", type=int, default=20_000, help="single-point calls")
    parser.add_argument(
        "--sedonadb-points", type=int, default=None, help="points for SedonaDB (default: all)"
    )
    parser.add_argument("--seed", type=int, default=20190101)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per method")
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=list(_METHODS),
        help="leave a method out (repeatable)",
    )
    args = parser.parse_args(argv)
    n = args.points
    workdir = Path(tempfile.mkdtemp(prefix="gw-bench-"))
    try:
        start = time.perf_counter()
        levels = build_city(args.cells, args.seed)
        _save_inputs(workdir, levels, n, args.seed)
        cells = levels[Level.GRID]
        area_km2 = float((2 * HALF_SIDE_M) ** 2 / 1e6)
        city = (
            f"city: {len(cells):,} cells (mean {area_km2 * 1e6 / len(cells):,.0f} m²) in "
            f"{len(levels[Level.COMMUNITY]):,} communities, {len(levels[Level.STREET])} streets, "
            f"{len(levels[Level.DISTRICT])} districts over {area_km2:,.0f} km² "
            f"(built in {time.perf_counter() - start:.0f} s); {n:,} uniform random points"
        )
        print(city, flush=True)
        del levels, cells
        sizes = {
            "batch": n,
            "sjoin": min(n, args.sjoin_points or n),
            "postgis": min(n, args.postgis_points),
            "latency": min(n, args.latency_points),
            "sedonadb": min(n, args.sedonadb_points or n),
        }
        results: dict[str, dict[str, Any]] = {}
        for method in _METHODS:
            if method in args.skip:
                continue
            if method == "sedonadb" and not sedonadb_available():
                print(SEDONA_MISSING, flush=True)
                continue
            print(f"running {method} on {sizes[method]:,} points ...", flush=True)
            results[method] = measure(method, workdir, sizes[method], args.timeout)
        print()
        print(report(results, workdir, city, n))
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"\nmachine: {os.cpu_count()} cores, load average now {load} (other work on the "
            "machine slows every method)"
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
