"""``gridwhistle serve`` and ``gridwhistle demo``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from api.cli.common import console, prepared_url
from api.cli.geography import load_demo
from api.cli.simulate import ensure_demo_events, ensure_demo_operations
from api.config import get_settings
from api.db.session import engine_for

HostOpt = Annotated[str | None, typer.Option(help="address to listen on (default 127.0.0.1)")]
PortOpt = Annotated[int | None, typer.Option(help="port (default 8000)")]
WorkersOpt = Annotated[
    int | None,
    typer.Option(min=1, max=64, help="worker processes (default GRIDWHISTLE_WORKERS or 1)"),
]


def serve_command(host: HostOpt = None, port: PortOpt = None, workers: WorkersOpt = None) -> None:
    """Serve the API and the map pages."""
    from api.app import create_app

    settings = get_settings()
    host = host or settings.host
    port = port or settings.port
    workers = workers or settings.workers
    url = prepared_url()  # started and migrated once, before any worker
    console.print(
        f"serving on http://{host}:{port}/ with {workers} worker process(es)"
        "  (map: /maps/city, API docs: /docs)"
    )
    if workers > 1:
        uvicorn.run(
            "api.app:served_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            timeout_graceful_shutdown=settings.shutdown_grace_s,
        )
        return
    app = create_app(engine=engine_for(url), settings=settings, jobs=True, warm=True)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info",
        timeout_graceful_shutdown=settings.shutdown_grace_s,
    )


def demo_command(
    districts: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="real district outlines to build on"),
    ] = None,
    host: HostOpt = None,
    port: PortOpt = None,
    workers: WorkersOpt = None,
) -> None:
    """Load the demo city (if not loaded yet) and serve it."""
    load_demo(districts=districts, cell_area_m2=None, force=False)
    if districts is None:  # the simulated year is drawn on the synthetic demo city
        events = ensure_demo_events()
        console.print(f"demo events: {events:,} (a simulated year with planted hot spots)")
        with console.status("demo operations: the last 30 days (once per demo city)"):
            operations = ensure_demo_operations()
        console.print(f"demo operations: {operations}")
    serve_command(host=host, port=port, workers=workers)
