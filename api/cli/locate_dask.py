"""``gridwhistle locate-batch --workers N | --scheduler ADDRESS``: the same rows, on Dask.

The input is read in partitions of about ``blocksize`` bytes, the boundary generation is read
from the database once here and scattered to every worker (``geo.distributed``), and the
located partitions are written to Parquet: a directory of one file per partition
(``part.0.parquet``, ``part.1.parquet`` … in input order), or, for a path ending in
``.parquet``/``.pq``, one file written partition by partition (a few partitions in flight,
never the whole table). Every worker must be able to read the input path.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

import dask.dataframe as dd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from distributed import Client, Future
from sqlalchemy.orm import Session

from api.cli.common import console, db_session, fail
from api.geography.service import active_generation, read_level
from geo.codes import LEVELS_TOP_DOWN
from geo.coords import CoordinateSystem
from geo.distributed import LocatorParts, dask_client, locate_partitions, partition_spatially

PARQUET_SUFFIXES = (".parquet", ".pq")


def locator_parts(*, session: Session) -> LocatorParts:
    """Every level of the active boundary generation, ready to scatter."""
    generation = active_generation(session=session)
    if generation is None:
        raise LookupError("no boundaries are loaded")
    levels = {
        lvl: read_level(session=session, level=lvl, generation=generation)
        for lvl in LEVELS_TOP_DOWN
    }
    return LocatorParts(levels, generation=generation)


def read_partitioned(path: Path, *, blocksize: str) -> dd.DataFrame:
    """CSV (every column as text, as the single-process path reads it) or Parquet."""
    if path.suffix.lower() in PARQUET_SUFFIXES:
        return dd.read_parquet(str(path), blocksize=blocksize)
    return dd.read_csv(str(path), dtype=str, blocksize=blocksize)


def _write_one_file(frame: dd.DataFrame, path: Path, *, client: Client, in_flight: int) -> None:
    """The partitions of ``frame``, in order, into one Parquet file."""
    schema = pa.Schema.from_pandas(frame._meta, preserve_index=False)
    pending: deque[Future] = deque()
    parts = iter(frame.to_delayed())
    with pq.ParquetWriter(path, schema) as writer:
        while True:
            while len(pending) < in_flight and (part := next(parts, None)) is not None:
                pending.append(client.compute(part))
            if not pending:
                return
            table = pa.Table.from_pandas(pending.popleft().result(), preserve_index=False)
            writer.write_table(table.cast(schema))


def locate_batch_dask(
    input_path: Path,
    output_path: Path,
    *,
    parts: LocatorParts,
    lon_col: str,
    lat_col: str,
    crs: CoordinateSystem,
    workers: int | None,
    scheduler: str | None,
    blocksize: str,
    spatial: bool,
) -> tuple[int, int]:
    """Locate ``input_path`` on a Dask cluster into ``output_path``: (rows, rows located)."""
    frame = read_partitioned(input_path, blocksize=blocksize)
    missing = [c for c in (lon_col, lat_col) if c not in frame.columns]
    if missing:
        raise KeyError(f"missing column(s) {', '.join(missing)}; have {list(frame.columns)}")
    with dask_client(workers=workers, scheduler=scheduler) as client:
        shared = client.scatter(parts, broadcast=True)
        if spatial:
            frame = partition_spatially(frame, lon_col=lon_col, lat_col=lat_col)
        located = locate_partitions(frame, shared, lon_col=lon_col, lat_col=lat_col, crs=crs)
        if output_path.suffix.lower() in PARQUET_SUFFIXES:
            in_flight = 2 * max(1, len(client.nthreads()))
            _write_one_file(located, output_path, client=client, in_flight=in_flight)
        else:
            located.to_parquet(str(output_path), write_index=False)
    return tally(output_path)


def tally(path: Path) -> tuple[int, int]:
    """(rows, rows with a district) of a located Parquet file or directory, column by column."""
    files = [path] if path.is_file() else sorted(path.glob("*.parquet"))
    rows = located = 0
    for file in files:
        for batch in pq.ParquetFile(file).iter_batches(columns=["district_code"]):
            codes = batch.column(0)
            rows += len(codes)
            located += int(pc.sum(pc.not_equal(codes, "")).as_py() or 0)
    return rows, located


def locate_batch_on_dask(
    input_path: Path,
    output_path: Path,
    *,
    lon_col: str,
    lat_col: str,
    crs: CoordinateSystem,
    workers: int | None,
    scheduler: str | None,
    blocksize: str,
    spatial: bool,
) -> None:
    """``locate-batch`` on a Dask cluster: Parquet out (one file or a directory)."""
    if workers is not None and scheduler is not None:
        raise fail("give --workers or --scheduler, not both")
    if output_path.suffix.lower() == ".csv":
        raise fail("on Dask the output is Parquet: a .parquet file or a directory")
    if output_path.is_dir() and any(output_path.iterdir()):
        # parts of an earlier run would be read as part of this one
        raise fail(f"{output_path} is a directory that is not empty")
    with db_session() as session:
        try:
            parts = locator_parts(session=session)
        except LookupError as exc:
            raise fail(str(exc)) from exc
    try:
        rows, located = locate_batch_dask(
            input_path, output_path, parts=parts, lon_col=lon_col, lat_col=lat_col, crs=crs,
            workers=workers, scheduler=scheduler, blocksize=blocksize, spatial=spatial,
        )  # fmt: skip
    except KeyError as exc:
        raise fail(f"{input_path}: {exc.args[0]}") from exc
    console.print(
        f"wrote {rows:,} rows to {output_path}: {located:,} located, {rows - located:,} not"
    )
