"""``gridwhistle db start|stop|status|url|migrate|backup|restore``: the embedded PostGIS
cluster, and backups of the configured database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import console, fail, prepared_url
from api.config import get_settings
from api.db import dump
from api.db.embedded import EmbeddedDatabaseError
from api.db.session import database_url, embedded_cluster, normalise_url

app = typer.Typer(
    help="The embedded PostGIS cluster (ignored when DATABASE_URL is set); backups of the "
    "configured database."
)


def _external() -> str | None:
    url = get_settings().database_url
    return normalise_url(url) if url else None


@app.command("start")
def start(
    port: Annotated[int | None, typer.Option(help="loopback port (default: free one)")] = None,
) -> None:
    """Initialise (once) and start the embedded cluster on 127.0.0.1."""
    if _external():
        console.print("DATABASE_URL is set; the embedded cluster is not used.")
        return
    try:
        for note in embedded_cluster().start(port=port):
            console.print(note)
    except EmbeddedDatabaseError as exc:
        raise fail(str(exc)) from exc


@app.command("stop")
def stop() -> None:
    """Stop the embedded cluster."""
    try:
        console.print(embedded_cluster().stop())
    except EmbeddedDatabaseError as exc:
        raise fail(str(exc)) from exc


@app.command("status")
def status() -> None:
    """Show whether the embedded cluster runs, and where."""
    if (url := _external()) is not None:
        console.print(f"using DATABASE_URL ({url.split('@')[-1]})")
        return
    st = embedded_cluster().status()
    state = "running" if st.running else "stopped"
    console.print(f"cluster: {st.data_dir}\ninitialised: {st.initialised}\nstate: {state}")
    if st.running:
        console.print(f"pid: {st.pid}\nlistening: 127.0.0.1:{st.port}")
    if not st.running:
        raise typer.Exit(3)


@app.command("url")
def url() -> None:
    """Print the database URL every command uses (starting the embedded cluster)."""
    if (external := _external()) is not None:
        typer.echo(external)
        return
    try:
        typer.echo(embedded_cluster().ensure_running().url())
    except EmbeddedDatabaseError as exc:
        raise fail(str(exc)) from exc


@app.command("migrate")
def migrate() -> None:
    """Apply the Alembic migrations."""
    prepared_url()
    console.print("database schema is at the latest migration")


def _configured_url() -> str:
    """The configured database's URL (starting the embedded cluster), not migrated."""
    try:
        return database_url(get_settings())
    except EmbeddedDatabaseError as exc:
        raise fail(str(exc)) from exc


@app.command("backup")
def backup(file: Annotated[Path, typer.Argument(help="where to write the backup")]) -> None:
    """Write the configured database to FILE (pg_dump custom format)."""
    try:
        dump.backup(url=_configured_url(), file=file, embedded=_external() is None)
    except dump.DumpError as exc:
        raise fail(str(exc)) from exc
    console.print(f"backed up to {file} ({file.stat().st_size:,} bytes)")


@app.command("restore")
def restore(
    file: Annotated[Path, typer.Argument(help="a backup written by `gridwhistle db backup`")],
    force: Annotated[
        bool, typer.Option("--force", help="replace what the backup holds in a non-empty database")
    ] = False,
) -> None:
    """Restore FILE into the configured database (empty, unless --force)."""
    try:
        dump.restore(url=_configured_url(), file=file, embedded=_external() is None, force=force)
    except dump.DumpError as exc:
        raise fail(str(exc)) from exc
    console.print(f"restored {file}; run `gridwhistle db migrate` if it predates this version")
