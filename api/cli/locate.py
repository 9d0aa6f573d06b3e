"""``gridwhistle locate`` and ``gridwhistle locate-batch``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import numpy as np
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
from geo.coords import CoordinateSystem, arrays_to_wgs84
from geo.locate import Locator
from grids.codes import CODE_LENGTH, LEVELS_TOP_DOWN, Level

CHUNK = 200_000


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


def locate_frame(
    frame: pd.DataFrame,
    locator: Locator | BatchLocator,
    *,
    lon_col: str,
    lat_col: str,
    crs: CoordinateSystem,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Add district/street/community/grid code columns to a frame of positions."""
    lons = pd.to_numeric(frame[lon_col], errors="coerce").to_numpy(dtype=float)
    lats = pd.to_numeric(frame[lat_col], errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(lons) & np.isfinite(lats))
    lons, lats = np.where(bad, 0.0, lons), np.where(bad, 0.0, lats)
    wlon, wlat = arrays_to_wgs84(lons, lats, crs)
    codes = np.array([""] * len(frame), dtype=object)
    task = progress.add_task("locating", total=len(frame)) if progress else None
    for start in range(0, len(frame), CHUNK):
        stop = min(start + CHUNK, len(frame))
        codes[start:stop] = locator.locate_codes(wlon[start:stop], wlat[start:stop])
        if progress is not None and task is not None:
            progress.update(task, advance=stop - start)
    codes[bad] = ""
    out = frame.copy()
    out["wgs84_lon"], out["wgs84_lat"] = np.where(bad, np.nan, wlon), np.where(bad, np.nan, wlat)
    for level in LEVELS_TOP_DOWN:
        length = CODE_LENGTH[level]
        out[f"{level}_code"] = [c[:length] if len(c) >= length else "" for c in codes]
    return out


def locate_batch_command(
    input_path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or Parquet")],
    output_path: Annotated[Path, typer.Argument(help="CSV or Parquet (by extension)")],
    lon_col: Annotated[str, typer.Option(help="longitude column")] = "lon",
    lat_col: Annotated[str, typer.Option(help="latitude column")] = "lat",
    crs: Annotated[
        CoordinateSystem, typer.Option(help="coordinate system")
    ] = CoordinateSystem.WGS84,
) -> None:
    """Locate every row of a CSV/Parquet file in-process; write it back with codes."""
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
        out = locate_frame(
            frame, locator, lon_col=lon_col, lat_col=lat_col, crs=crs, progress=progress
        )
    _write_points(out, output_path)
    located = int((out["district_code"] != "").sum())
    unlocated = len(out) - located
    console.print(
        f"wrote {len(out):,} rows to {output_path}: {located:,} located, {unlocated:,} not"
    )
