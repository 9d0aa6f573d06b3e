"""``gridwhistle simulate``: a year of demo events with planted patterns (ground truth)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import text

from api.cli.common import console, db_session, fail
from api.config import get_settings
from api.hotspots.service import event_count, load_events
from geo.simulate import SimulatedYear, simulate_year
from grids.demo import build_demo_city


def build_year(*, seed: int, cell_area_m2: float) -> SimulatedYear:
    """The demo city's simulated year (the same city ``load-demo`` builds)."""
    city = build_demo_city(seed=get_settings().demo_seed, cell_area_m2=cell_area_m2)
    return simulate_year(city, seed=seed)


def write_year(year: SimulatedYear, out: Path) -> Path:
    """Write events (CSV or Parquet by extension) and the truth beside them (JSON)."""
    if out.suffix.lower() in (".parquet", ".pq"):
        year.events.to_parquet(out, index=False)
    else:
        year.events.to_csv(out, index=False)
    truth = out.with_suffix(".truth.json")
    truth.write_text(json.dumps([asdict(p) for p in year.truth], ensure_ascii=False, indent=2))
    return truth


def simulate_command(
    seed: Annotated[int, typer.Option(help="random seed (same seed → same year)")] = 2026,
    out: Annotated[
        Path | None, typer.Option(help="write events to CSV/Parquet (+ .truth.json)")
    ] = None,
    load: Annotated[bool, typer.Option(help="load the events into the database")] = True,
    replace: Annotated[bool, typer.Option(help="replace events loaded before")] = True,
) -> None:
    """Simulate a year of patrol reports and hotline calls for the demo city."""
    settings = get_settings()
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task("simulating a year of events", total=None)
        year = build_year(seed=seed, cell_area_m2=settings.cell_area_m2)
        if out is not None:
            progress.update(task, description=f"writing {out}")
            write_year(year, out)
        if load:
            progress.update(task, description="loading events into PostGIS")
            with db_session() as session:
                if session.execute(text("SELECT count(*) FROM areas")).scalar_one() == 0:
                    raise fail("load the demo city first (gridwhistle load-demo)")
                load_events(session=session, events=year.events, replace=replace)
                session.commit()
    patterns = ", ".join(f"{p.name} ({p.kind})" for p in year.truth)
    console.print(f"{len(year.events):,} events {year.start} – {year.end}; planted: {patterns}")


def ensure_demo_events(*, seed: int = 2026) -> int:
    """Load the simulated year once (used by ``gridwhistle demo``); return the event count."""
    with db_session() as session:
        present = event_count(session=session)
        if present:
            return present
        year = build_year(seed=seed, cell_area_m2=get_settings().cell_area_m2)
        load_events(session=session, events=year.events)
        session.commit()
        return len(year.events)
