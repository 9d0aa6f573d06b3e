"""``gridwhistle addresses import FILE``: the standard address register."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.addresses.service import import_register
from api.cli.common import console, db_session, fail
from api.errors import Conflict
from grids.addresses import DataFileError, read_register

addresses_app = typer.Typer(help="The standard address register (标准地址库).")


@addresses_app.command("import")
def import_addresses(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="register (CSV, GPKG, SHP)")
    ],
    layer: Annotated[str | None, typer.Option(help="layer of a GeoPackage")] = None,
) -> None:
    """Check a register against the active geography and, if clean, write it as a new
    register version; any wrong row is reported and nothing is written."""
    try:
        frame = read_register(file, layer=layer)
    except DataFileError as exc:
        raise fail(f"{exc}; nothing was written", code=1) from exc
    with db_session() as session:
        try:
            report, generation = import_register(session=session, frame=frame, source=str(file))
        except Conflict as exc:
            raise fail(f"{exc.detail}; nothing was written", code=1) from exc
        if generation is None:
            for problem in report.problems:
                console.print(f"{file.name}: {problem}")
            raise fail(f"{len(report.problems)} problem(s); nothing was written", code=1)
        session.commit()
    console.print(f"imported {report.rows} address entries as register version {generation.id}")
