"""Benchmark: Gi* and emerging hot spot analysis on 35,000 cells against esda (not a test).

Run ``.venv/bin/python -m benchmarks.hotspots`` (defaults: 35,000 cells, 52 weeks, 999
permutations, about a minute; ``--esda-steps 1`` shortens the reference part).

The data (synthetic, seeded): a regular lattice of ``--rows`` x ``--cols`` square cells of
``--side-m`` metres (EPSG:4548, centred on 116.40E 39.90N, stored in EPSG:4326 like the
platform's cells) and a year of events (``--events`` background events spread uniformly over
cells and weeks) with three planted 5 x 5 blocks: *persistent* (+3 events per cell and week),
*intensifying* (rising from +1.5 to +5 per cell and week) and *new* (+5 per cell and week in the
last three weeks). Every method starts from the same cells and events.

1. **Gi\\* with 999 permutations** on the year's counts per cell: ``geo.hotspots.gi_star``
   (weights built vectorised from the cells, analytic z, conditional-permutation p, FDR,
   classes) beside plain ``esda.G_Local(star=True, permutations=999)`` with libpysal's
   ``Queen.from_dataframe`` on the same cells (esda's default ``n_jobs=-1`` unless
   ``--esda-jobs``). Both times include building the weights. esda's conditional
   randomisation is JIT-compiled when ``numba`` is importable and runs a per-cell Python
   loop otherwise; the report says which path ran. The permutation p-values are compared
   (same null, different draws: they agree within Monte-Carlo noise).
2. **Emerging hot spot analysis** on the 35,000 x 52 cube: ``geo.emerging`` (the cube from
   the events, the weights, the Gi* z of every week at once, binomial bin p with FDR per week,
   Mann-Kendall, categories) beside ``esda.G_Local(star=True, permutations=999)`` run step by
   step: ``--esda-steps`` weeks are timed and the per-step time is **extrapolated** to 52
   steps (plus building the weights once). Before timing, the analytic z of the cube is
   asserted equal to esda's ``Zs`` on those weeks, so the two compute the same statistic.
3. **Peak memory**: ``ru_maxrss`` after our two analyses (before esda ran) and at the end.

Targets (2 cores): Gi* with 999 permutations ≤ 5 s including weights, emerging hot spots for
the whole cube ≤ 10 s, memory ≤ 4 GB.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from libpysal.weights import Queen, W

from geo.crs import to_metric, to_storage
from geo.emerging import emerging_hotspots, space_time_cube
from geo.hotspots import counts, gi_star, gi_star_z, star_matrix, weight_matrix

CENTRE = (116.40, 39.90)
START = pd.Timestamp("2025-11-24", tz="Asia/Shanghai")  # a Monday
BLOCK = 5
TARGET_GI_S = 5.0
TARGET_EMERGING_S = 10.0
TARGET_MEMORY_GB = 4.0
T = TypeVar("T")


@dataclass(frozen=True)
class Data:
    """The lattice, the year of events and the planted blocks (cell indices per pattern)."""

    cells: gpd.GeoDataFrame
    events: pd.DataFrame
    blocks: dict[str, np.ndarray]


def lattice(rows: int, cols: int, side_m: float) -> gpd.GeoDataFrame:
    """``rows`` x ``cols`` square cells (EPSG:4326) around CENTRE, codes in row order."""
    cx, cy = shapely.get_coordinates(to_metric(shapely.Point(*CENTRE)))[0]
    x0, y0 = cx - cols * side_m / 2, cy + rows * side_m / 2
    xs, ys = np.meshgrid(x0 + np.arange(cols) * side_m, y0 - np.arange(rows) * side_m)
    boxes = shapely.box(xs.ravel(), ys.ravel() - side_m, xs.ravel() + side_m, ys.ravel())
    codes = [f"C{i:06d}" for i in range(rows * cols)]
    return gpd.GeoDataFrame({"code": codes}, geometry=list(to_storage(boxes)), crs=4326)


def _block(rows: int, cols: int, row: int, col: int) -> np.ndarray:
    r, c = np.meshgrid(np.arange(row, row + BLOCK), np.arange(col, col + BLOCK), indexing="ij")
    return np.asarray((r * cols + c).ravel())


def simulate(rows: int, cols: int, side_m: float, weeks: int, events: int, seed: int) -> Data:
    """The lattice and a year of events: uniform background plus three planted blocks."""
    rng = np.random.default_rng(seed)
    cells = lattice(rows, cols, side_m)
    n = rows * cols
    blocks = {
        "persistent": _block(rows, cols, rows // 4, cols // 4),
        "intensifying": _block(rows, cols, rows // 2, cols // 2),
        "new": _block(rows, cols, 3 * rows // 4, 3 * cols // 4),
    }
    week = np.arange(weeks)
    rates = {
        "persistent": np.full(weeks, 3.0),
        "intensifying": 1.5 + 3.5 * week / max(weeks - 1, 1),
        "new": np.where(week >= weeks - 3, 5.0, 0.0),
    }
    cell_parts, week_parts = [rng.integers(0, n, events)], [rng.integers(0, weeks, events)]
    for name, block in blocks.items():
        tally = rng.poisson(np.broadcast_to(rates[name], (len(block), weeks)))
        cell_index, week_index = np.nonzero(tally)
        repeats = tally[cell_index, week_index]
        cell_parts.append(np.repeat(block[cell_index], repeats))
        week_parts.append(np.repeat(week_index, repeats))
    cell, wk = np.concatenate(cell_parts), np.concatenate(week_parts)
    seconds = wk * 7 * 86_400 + rng.integers(0, 7 * 86_400, len(wk))
    frame = pd.DataFrame(
        {
            "at": START + pd.to_timedelta(seconds, unit="s"),
            "category": "E0401",
            "grid_code": cells["code"].to_numpy()[cell],
        }
    )
    return Data(cells, frame.sort_values("at", ignore_index=True), blocks)


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    """The result of ``fn()`` and its wall time in seconds."""
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def peak_rss_gb() -> float:
    """Peak resident memory of this process so far (Linux ``ru_maxrss`` is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def numba_path() -> str:
    """Which path esda's conditional randomisation takes here."""
    if importlib.util.find_spec("numba") is None:
        return "numba not installed: esda's per-cell Python loop (no JIT)"
    import numba

    return f"numba {numba.__version__}: esda's JIT-compiled loop (compile time included)"


def esda_g_local(y: np.ndarray, w: W, *, permutations: int, jobs: int, seed: int) -> Any:
    """Plain ``esda.G_Local(star=True)`` with binary weights (as ArcGIS and our Gi*)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # esda's notices about its default alternative
        return esda.G_Local(y, w, transform="B", star=True, permutations=permutations,
                            n_jobs=jobs, seed=seed)  # fmt: skip


def two_sided_p(g: Any, permutations: int) -> np.ndarray:
    """esda's kept simulations read as our p: two-sided, ties on both sides."""
    sims, observed = np.asarray(g.rGs), np.asarray(g.Gs)[:, None]
    tol = 1e-12 * np.abs(observed)
    extreme = np.minimum((sims >= observed - tol).sum(1), (sims <= observed + tol).sum(1))
    return np.asarray(np.minimum(1.0, 2.0 * (extreme + 1) / (permutations + 1)))


def majority(labels: pd.Series) -> str:
    """The most common label and its share."""
    top = labels.value_counts()
    return f"{top.index[0]} ({top.iloc[0]}/{len(labels)})"


def run(args: argparse.Namespace) -> None:
    """Simulate, run ours, then esda, and print the figures."""
    data, elapsed = timed(
        lambda: simulate(args.rows, args.cols, args.side_m, args.weeks, args.events, args.seed)
    )
    n, codes = len(data.cells), data.cells["code"]
    print(
        f"data: {n:,} square cells of {args.side_m:g} m, {len(data.events):,} events over "
        f"{args.weeks} weeks (background {args.events:,}; planted blocks of {BLOCK}x{BLOCK}: "
        f"{', '.join(data.blocks)}); built in {elapsed:.1f} s",
        flush=True,
    )
    year = counts(data.events, units=codes).to_numpy(dtype=float)

    # --- ours ---------------------------------------------------------------------------------
    ours_gi, t_gi = timed(
        lambda: gi_star(data.cells, year, permutations=args.permutations, seed=args.seed)
    )

    def emerging() -> pd.DataFrame:
        cube = space_time_cube(data.events, codes, start=START, steps=args.weeks)
        return emerging_hotspots(cube, weight_matrix(data.cells))

    ours_em, t_em = timed(emerging)
    memory_ours = peak_rss_gb()
    print(f"ours done: Gi* {t_gi:.2f} s, emerging {t_em:.2f} s", flush=True)

    # --- esda ---------------------------------------------------------------------------------
    print(f"esda {esda.__version__}; {numba_path()}", flush=True)
    w, t_queen = timed(lambda: _queen(data.cells))
    g, t_esda = timed(
        lambda: esda_g_local(
            year, w, permutations=args.permutations, jobs=args.esda_jobs, seed=args.seed
        )
    )
    print(f"esda Gi* done: {t_queen + t_esda:.2f} s", flush=True)
    cube = space_time_cube(data.events, codes, start=START, steps=args.weeks)
    star = star_matrix(weight_matrix(data.cells))
    z_cube = gi_star_z(cube.values, star)
    steps = np.linspace(args.weeks - 1, 0, max(args.esda_steps, 1)).round().astype(int)
    step_times = []
    for step in steps:
        column = cube.values[:, step]
        ref, t_step = timed(
            partial(
                esda_g_local,
                column,
                w,
                permutations=args.permutations,
                jobs=args.esda_jobs,
                seed=args.seed,
            )
        )
        np.testing.assert_allclose(z_cube[:, step], ref.Zs, rtol=0, atol=1e-6)
        step_times.append(t_step)
        print(f"esda week {step}: {t_step:.2f} s (z equals ours)", flush=True)
    per_step = float(np.mean(step_times))
    t_esda_cube = t_queen + per_step * args.weeks
    memory_all = peak_rss_gb()

    # --- report ---------------------------------------------------------------------------------
    p_ref = two_sided_p(g, args.permutations)
    p_ours = ours_gi["p"].to_numpy()
    floor = 2.0 / (args.permutations + 1)
    by_code = ours_em.set_index("code")["category"]
    rows = [
        ("Gi* 999 perm., weights incl.", t_gi, t_queen + t_esda, TARGET_GI_S, ""),
        (
            f"emerging, {n:,} x {args.weeks} weeks",
            t_em,
            t_esda_cube,
            TARGET_EMERGING_S,
            f"esda EXTRAPOLATED: {per_step:.2f} s/step x {args.weeks} from {len(steps)} "
            f"step(s) {sorted(int(s) for s in steps)} + weights {t_queen:.2f} s",
        ),
    ]
    print()
    print(f"{'what':34} {'ours s':>8} {'esda s':>9} {'x esda':>7} {'target':>8}  note")
    for what, ours, ref_s, target, note in rows:
        verdict = "met" if ours <= target else "MISSED"
        print(
            f"{what:34} {ours:8.2f} {ref_s:9.2f} {ref_s / ours:6.1f}x "
            f"{'≤' + format(target, 'g') + ' s':>7} {verdict}  {note}"
        )
    print(
        f"\nesda Gi* split: Queen.from_dataframe {t_queen:.2f} s + G_Local {t_esda:.2f} s "
        f"(n_jobs={args.esda_jobs})"
    )
    print(
        f"permutation p, ours vs esda (same null, other draws; all cells share one table of "
        f"draws, so two seeds of either differ as much): mean |Δp| "
        f"{np.abs(p_ours - p_ref).mean():.4f}; cells at the floor p={floor:.3f}: ours "
        f"{int((p_ours <= floor).sum())}, esda {int((p_ref <= floor).sum())}; p ≤ 0.01: ours "
        f"{int((p_ours <= 0.01).sum())}, esda {int((p_ref <= 0.01).sum())}; "
        f"significant after FDR (ours): {int(ours_gi['significant'].sum())}"
    )
    print(f"analytic z of the cube equals esda's Zs on weeks {sorted(int(s) for s in steps)}")
    for name, block in data.blocks.items():
        print(f"planted {name:12} → {majority(by_code.iloc[block])}")
    background = np.setdiff1d(np.arange(n), np.concatenate(list(data.blocks.values())))
    print(
        f"cells with a category outside the blocks and their rings: "
        f"{_outside(by_code, background, data.blocks, args.cols)}"
    )
    verdict = "met" if memory_all <= TARGET_MEMORY_GB else "MISSED"
    print(
        f"peak memory (ru_maxrss): {memory_ours:.2f} GB after ours, {memory_all:.2f} GB at the "
        f"end with esda's kept simulations (target ≤ {TARGET_MEMORY_GB:g} GB: {verdict})"
    )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"machine: {os.cpu_count()} cores, load average now {load} (other work on the machine "
        "slows every method)"
    )


def _queen(cells: gpd.GeoDataFrame) -> W:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Queen.from_dataframe(cells, use_index=False)


def _outside(
    categories: pd.Series, background: np.ndarray, blocks: dict[str, np.ndarray], cols: int
) -> int:
    """Cells more than two cells away from every planted block that got a category."""
    near: set[int] = set()
    for block in blocks.values():
        for cell in block:
            r, c = divmod(int(cell), cols)
            near.update((r + dr) * cols + (c + dc) for dr in range(-2, 3) for dc in range(-2, 3))
    far = np.asarray([i for i in background if int(i) not in near])
    return int((categories.iloc[far] != "no pattern").sum())


def main(argv: list[str] | None = None) -> None:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.hotspots", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rows", type=int, default=175, help="lattice rows (default 175)")
    parser.add_argument("--cols", type=int, default=200, help="lattice columns (default 200)")
    parser.add_argument("--side-m", type=float, default=120.0, help="cell side in metres")
    parser.add_argument("--weeks", type=int, default=52, help="time steps of the cube")
    parser.add_argument(
        "--events", type=int, default=500_000, help="background events over the year"
    )
    parser.add_argument("--permutations", type=int, default=999)
    parser.add_argument(
        "--esda-steps", type=int, default=3, help="weeks run step by step with esda"
    )
    parser.add_argument(
        "--esda-jobs", type=int, default=-1, help="esda's n_jobs (default -1, its own default)"
    )
    parser.add_argument("--seed", type=int, default=2026)
    run(parser.parse_args(argv))


if __name__ == "__main__":
    main()
