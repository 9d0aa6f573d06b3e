"""Point location and the space-time cube on Dask: the same answers, partition by partition.

**Locating.** A table of positions is read in partitions (``dask.dataframe``). Each worker
process builds one ``BatchLocator`` (with the exact ``Locator`` as its fallback) from a
``LocatorParts`` the client scatters to every worker once; the built locator is kept per
process under the parts' token, so no task ships or rebuilds cells. Each partition then runs
``geo.locate_table.locate_frame``, the function the single-process path runs, so every row
gets the same codes.

**Spatial partitions.** ``partition_spatially`` numbers the rows (``row``: the partition
number in the high 32 bits, the position in the low ones, so sorting by it restores the input
order), gives each a coarse tile key from its raw coordinates (``tile``: ``tile_deg`` squares,
a little arithmetic, no geometry) and shuffles the rows so that each tile lies in one
partition, sorted by tile. A partition then touches a few tiles' share of the raster instead
of all of it, and the output is grouped by place; the locator is whole on every worker, so
the tiles decide nothing about the answer.

**The cube.** ``space_time_cube_dask`` counts events per (unit code, step) in every partition
(with ``geo.hotspots.select``'s window and category rule), sums the counts across partitions
with a Dask group-by, and lays them into the rows and steps of ``geo.emerging.space_time_cube``
over the same codes: the same ``SpaceTimeCube``, ready for ``emerging_hotspots``.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import dask.dataframe as dd
import geopandas as gpd
import numpy as np
import pandas as pd
from distributed import Client, Future, LocalCluster

from geo.batch import BatchLocator
from geo.codes import LEVELS_TOP_DOWN, Level
from geo.coords import CoordinateSystem
from geo.emerging import SpaceTimeCube, space_time_cube
from geo.hotspots import LEVEL_COLUMN, AreaLevel, Moment, select
from geo.locate import Locator
from geo.locate_table import locate_frame

TILE_DEG = 0.05
"""Side of the coarse tiles of ``partition_spatially`` (degrees, about 4 x 5.5 km)."""

KEEP_LOCATORS = 2
"""Built locators a worker process keeps (the most recently used)."""

_ROW_BITS = 32
_BUILT: dict[str, Locator | BatchLocator] = {}
_BUILD_LOCK = threading.Lock()


@dataclass(frozen=True)
class LocatorParts:
    """The areas of one boundary generation, from which a worker builds its locator."""

    levels: Mapping[Level, gpd.GeoDataFrame]
    generation: int
    token: str = field(default_factory=lambda: uuid.uuid4().hex)

    def build(self) -> Locator | BatchLocator:
        """The single-process path's locator: raster over the cells, exact fallback."""
        exact = Locator(self.levels, generation=self.generation)
        cells = self.levels.get(Level.GRID)
        if cells is None or cells.empty:
            return exact
        return BatchLocator(cells, fallback=exact, threads=1)


def worker_locator(parts: LocatorParts) -> Locator | BatchLocator:
    """The locator built from ``parts``, once per process (threads wait for one build).

    A process keeps the ``KEEP_LOCATORS`` most recently used, so a long-lived worker that
    serves run after run does not accumulate rasters.
    """
    with _BUILD_LOCK:
        built = _BUILT.pop(parts.token, None)
        if built is None:
            built = parts.build()
        _BUILT[parts.token] = built  # most recent last
        while len(_BUILT) > KEEP_LOCATORS:
            _BUILT.pop(next(iter(_BUILT)))
        return built


@contextmanager
def dask_client(*, workers: int | None = None, scheduler: str | None = None) -> Iterator[Client]:
    """A client of the cluster at ``scheduler``, or of a local cluster of ``workers`` processes.

    The local cluster listens on 127.0.0.1 only, without a dashboard, one thread a worker.
    """
    if (workers is None) == (scheduler is None):
        raise ValueError("give exactly one of workers and scheduler")
    if scheduler is not None:
        with Client(scheduler) as client:
            yield client
        return
    assert workers is not None
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def tile_keys(lons: np.ndarray, lats: np.ndarray, *, tile_deg: float = TILE_DEG) -> np.ndarray:
    """A coarse tile number per position (-1 where a coordinate is not a finite number).

    >>> tile_keys(np.array([116.31, 116.34, np.nan]), np.array([39.9, 39.9, 39.9])).tolist()
    [18711526, 18711526, -1]
    """
    x = np.floor((np.asarray(lons, dtype=float) + 180.0) / tile_deg)
    y = np.floor((np.asarray(lats, dtype=float) + 90.0) / tile_deg)
    ok = np.isfinite(x) & np.isfinite(y)
    columns = int(np.ceil(360.0 / tile_deg))
    return np.where(ok, np.where(ok, y, 0) * columns + np.where(ok, x, 0), -1).astype(np.int64)


def _keyed(
    frame: pd.DataFrame,
    *,
    lon_col: str,
    lat_col: str,
    tile_deg: float,
    partition_info: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """``frame`` with its ``row`` numbers and coarse ``tile`` keys."""
    number = 0 if partition_info is None else int(partition_info["number"])
    lons = pd.to_numeric(frame[lon_col], errors="coerce").to_numpy(dtype=float)
    lats = pd.to_numeric(frame[lat_col], errors="coerce").to_numpy(dtype=float)
    out = frame.copy()
    out["row"] = (np.int64(number) << _ROW_BITS) + np.arange(len(frame), dtype=np.int64)
    out["tile"] = tile_keys(lons, lats, tile_deg=tile_deg)
    return out


def _by_tile(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of one shuffled partition, by tile and then in input order."""
    return frame.sort_values(["tile", "row"], kind="stable")


def partition_spatially(
    frame: dd.DataFrame,
    *,
    lon_col: str,
    lat_col: str,
    tile_deg: float = TILE_DEG,
    npartitions: int | None = None,
) -> dd.DataFrame:
    """Rows numbered (``row``), shuffled by coarse tile (``tile``): a tile in one partition."""
    meta = _keyed(frame._meta, lon_col=lon_col, lat_col=lat_col, tile_deg=tile_deg)
    keyed = frame.map_partitions(
        _keyed, lon_col=lon_col, lat_col=lat_col, tile_deg=tile_deg, meta=meta
    )
    shuffled = keyed.shuffle(on="tile", npartitions=npartitions or frame.npartitions)
    return shuffled.map_partitions(_by_tile, meta=meta)


def _located(
    frame: pd.DataFrame, parts: LocatorParts, *, lon_col: str, lat_col: str, crs: CoordinateSystem
) -> pd.DataFrame:
    """One partition located by this worker's locator."""
    return locate_frame(frame, worker_locator(parts), lon_col=lon_col, lat_col=lat_col, crs=crs)


def locate_partitions(
    frame: dd.DataFrame,
    parts: LocatorParts | Future,
    *,
    lon_col: str,
    lat_col: str,
    crs: CoordinateSystem,
) -> dd.DataFrame:
    """Every partition of ``frame`` located (``locate_frame``'s columns, same rows and order).

    ``parts`` is a ``LocatorParts`` or, better, the future of one scattered to every worker
    (``client.scatter(parts, broadcast=True)``), so that tasks carry only its key.
    """
    meta = frame._meta.copy()
    meta["wgs84_lon"] = pd.Series(dtype=float)
    meta["wgs84_lat"] = pd.Series(dtype=float)
    for level in LEVELS_TOP_DOWN:
        meta[f"{level}_code"] = pd.Series(dtype="str")
    return frame.map_partitions(
        _located, parts, lon_col=lon_col, lat_col=lat_col, crs=crs, meta=meta
    )


def _step_counts(
    frame: pd.DataFrame,
    *,
    column: str,
    window: tuple[pd.Timestamp, pd.Timestamp],
    step_days: int,
    category: str | None,
) -> pd.DataFrame:
    """Events of one partition per (unit code, step)."""
    chosen = select(frame, window=window, category=category)
    elapsed = (chosen["at"] - window[0]).to_numpy().astype("timedelta64[s]").astype(np.int64)
    step = elapsed // (86_400 * step_days)
    code, names = pd.factorize(chosen[column].astype(str))
    span = int(step.max()) + 1 if len(step) else 1
    key, n = np.unique(code.astype(np.int64) * span + step, return_counts=True)
    return pd.DataFrame(
        {
            "code": pd.Series(np.asarray(names, dtype=object)[key // span], dtype="str"),
            "step": (key % span).astype(np.int64),
            "n": n.astype(np.int64),
        }
    )


def space_time_cube_dask(
    events: dd.DataFrame,
    codes: Sequence[str] | np.ndarray,
    *,
    start: Moment,
    steps: int,
    step_days: int = 7,
    level: AreaLevel = "grid",
    category: str | None = None,
) -> SpaceTimeCube:
    """``geo.emerging.space_time_cube`` of a Dask frame of events (counts summed across
    partitions); computes on the current Dask scheduler (a ``Client`` if one is active)."""
    cube = space_time_cube(
        events._meta, codes, start=start, steps=steps, step_days=step_days, level=level
    )
    window = (cube.edges[0], cube.edges[-1])
    meta = pd.DataFrame(
        {
            "code": pd.Series(dtype="str"),
            "step": pd.Series(dtype=np.int64),
            "n": pd.Series(dtype=np.int64),
        }
    )
    partial = events.map_partitions(
        _step_counts,
        column=LEVEL_COLUMN[level],
        window=window,
        step_days=step_days,
        category=category,
        meta=meta,
    )
    totals = partial.groupby(["code", "step"]).n.sum().compute()
    rows = pd.Index([str(c) for c in cube.codes]).get_indexer(
        totals.index.get_level_values("code").astype(str)
    )
    keep = rows >= 0
    steps_of = totals.index.get_level_values("step").to_numpy()[keep]
    cube.values[rows[keep], steps_of] = totals.to_numpy()[keep]
    return cube
