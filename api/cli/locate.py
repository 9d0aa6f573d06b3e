"""``gridwhistle locate`` and ``gridwhistle locate-batch``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.cli.common import console, db_session, fail
from api.errors import DomainError
from api.geography.locate import as_dict
from api.geography.service import load_locator, read_level
from api.routing import service
from geo.batch import BatchLocator
from geo.codes import Level
from geo.coords import CoordinateSystem
from geo.locate import Locator
from geo.locate_table import locate_frame


def locate_command(
    lon: Annotated[float, typer.Option(help="longitude in --crs")],
    lat: Annotated[float, typer.Option(help="latitude in --crs")],
    crs: Annotated[
        CoordinateSystem, typer.Option(help="coordinate system")
    ] = CoordinateSystem.WGS84,
    accuracy: Annotated[float | None, typer.Option(help="GPS accuracy in metres")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Locate one position: grid cell, community, street, district (PostGIS)."""
    with db_session() as session:
        try:
            found = service.locate(session=session, lon=lon, lat=lat, crs=crs, accuracy_m=accuracy)
        except DomainError as exc:
            raise fail(exc.detail) from exc
    body = as_dict(found)
    if as_json:
        typer.echo(json.dumps(body, ensure_ascii=False))
        return
    table = Table(
        title=f"WGS-84 ({found.lon:.6f}, {found.lat:.6f}) · generation {found.generation}"
    )
    table.add_column("level")
    table.add_column("code")
    table.add_column("name")
    for key in ("district", "street", "community", "grid"):
        ref = body[key]
        table.add_row(key, ref["code"] if ref else "—", (ref or {}).get("name", ""))
    console.print(table)
    if found.ambiguous:
        shares = ", ".join(f"{c.name} {c.share:.0%}" for c in found.candidates)
        console.print(f"[yellow]ambiguous:[/] the accuracy circle reaches {shares}")


def _read_points(path: Path) -> pd.DataFrame:
    if path.suffix.lower() in (".parquet", ".pq"):
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype=str)


def _write_points(frame: pd.DataFrame, path: Path) -> None:
    if path.suffix.lower() in (".parquet", ".pq"):
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)


def locate_batch_command(
    input_path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or Parquet")],
    output_path: Annotated[Path, typer.Argument(help="CSV or Parquet (by extension)")],
    lon_col: Annotated[str, typer.Option(help="longitude column")] = "lon",
    lat_col: Annotated[str, typer.Option(help="latitude column")] = "lat",
    crs: Annotated[
        CoordinateSystem, typer.Option(help="coordinate system")
    ] = CoordinateSystem.WGS84,
    workers: Annotated[
        int | None, typer.Option(min=1, help="run on a local Dask cluster of N processes")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="run on the Dask cluster at this address")
    ] = None,
    blocksize: Annotated[str, typer.Option(help="Dask partition size of the input")] = "64MB",
    spatial: Annotated[
        bool, typer.Option(help="Dask: shuffle rows by coarse tile (adds row and tile)")
    ] = False,
) -> None:
    """Locate every row of a CSV/Parquet file (in-process, or on Dask); write it with codes."""
    if workers is not None or scheduler is not None:
        from api.cli.locate_dask import locate_batch_on_dask  # dask loads only when asked for

        locate_batch_on_dask(
            input_path, output_path, lon_col=lon_col, lat_col=lat_col, crs=crs,
            workers=workers, scheduler=scheduler, blocksize=blocksize, spatial=spatial,
        )  # fmt: skip
        return
    frame = _read_points(input_path)
    missing = [c for c in (lon_col, lat_col) if c not in frame.columns]
    if missing:
        raise fail(
            f"{input_path}: missing column(s) {', '.join(missing)}; have {list(frame.columns)}"
        )
    with db_session() as session:
        exact = load_locator(session=session)
        cells = read_level(session=session, level=Level.GRID, generation=exact.generation)
    # the raster-accelerated locator gives the same answers; the exact one covers the rest
    locator: Locator | BatchLocator = (
        BatchLocator(cells, fallback=exact) if not cells.empty else exact
    )
    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,}"),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("locating", total=len(frame))
        out = locate_frame(
            frame,
            locator,
            lon_col=lon_col,
            lat_col=lat_col,
            crs=crs,
            on_chunk=lambda n: progress.update(task, advance=n),
        )
    _write_points(out, output_path)
    located = int((out["district_code"] != "").sum())
    unlocated = len(out) - located
    console.print(
        f"wrote {len(out):,} rows to {output_path}: {located:,} located, {unlocated:,} not"
    )
