"""``gridwhistle simulate``: a year of demo events with planted patterns (ground truth);
``gridwhistle simulate operations``: the days before an end driven through the services."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api.cases.models import Case
from api.cli.common import console, db_session, fail
from api.config import get_settings
from api.hotspots.service import event_count, load_events
from api.simulation.run import Outcome
from api.simulation.service import city_fingerprint, key_prefix, loaded, simulate_operations
from grids.demo import build_demo_city
from grids.simulate import SimulatedYear, simulate_year


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


simulate_app = typer.Typer(
    help="Simulate a year of events (default) or the operations of the last days.",
    invoke_without_command=True,
)


@simulate_app.callback(invoke_without_command=True)
def simulate_command(
    ctx: typer.Context,
    seed: Annotated[int, typer.Option(help="random seed (same seed → same year)")] = 2026,
    out: Annotated[
        Path | None, typer.Option(help="write events to CSV/Parquet (+ .truth.json)")
    ] = None,
    load: Annotated[bool, typer.Option(help="load the events into the database")] = True,
    replace: Annotated[bool, typer.Option(help="replace events loaded before")] = True,
) -> None:
    """Simulate a year of patrol reports and hotline calls for the demo city."""
    if ctx.invoked_subcommand is not None:
        return
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


def parse_end(value: str | None) -> datetime:
    """``--end``: an ISO time (UTC unless it carries an offset), by default now."""
    if value is None:
        return datetime.now(UTC).replace(second=0, microsecond=0)
    try:
        end = datetime.fromisoformat(value)
    except ValueError as exc:
        raise fail(f"--end {value!r} is not an ISO time (2026-06-10T08:00+08:00)", code=2) from exc
    return end.replace(tzinfo=UTC) if end.tzinfo is None else end.astimezone(UTC)


def run_operations_on(
    session: Session, *, seed: int, end: datetime, days: int, volume: int
) -> Outcome:
    """Simulate the operations on the loaded demo city (built again to draw the events)."""
    settings = get_settings()
    city = build_demo_city(seed=settings.demo_seed, cell_area_m2=settings.cell_area_m2)
    return simulate_operations(
        session=session,
        settings=settings,
        city=city,
        seed=seed,
        end=end,
        days=days,
        volume=volume,
    )


def _summary(session: Session, outcome: Outcome) -> str:
    states = Counter(session.scalars(select(Case.status)))
    acts = sum(outcome.acts.values()) - outcome.acts["report"] - outcome.acts["job"]
    return f"{outcome.reports} reports, {acts} acts; cases: " + ", ".join(
        f"{n} {state}" for state, n in sorted(states.items())
    )


@simulate_app.command("operations")
def operations_command(
    days: Annotated[int, typer.Option(min=1, max=366, help="days simulated")] = 30,
    seed: Annotated[int, typer.Option(help="random seed (same seed and end → same acts)")] = 2026,
    end: Annotated[
        str | None, typer.Option(help="the simulated clock's end, ISO (default: now; UTC)")
    ] = None,
    volume: Annotated[int, typer.Option(min=1, help="events drawn (echoes come on top)")] = 300,
) -> None:
    """Drive the services over the days before --end: reports, triage, whistles, duty."""
    until = parse_end(end)
    with db_session() as session:
        if session.execute(text("SELECT count(*) FROM areas")).scalar_one() == 0:
            raise fail("load the demo city first (gridwhistle load-demo)")
        prefix = key_prefix(fingerprint=city_fingerprint(session=session), seed=seed, end=until)
        if loaded(session=session, prefix=prefix):
            raise fail(f"seed {seed} ending {until:%Y-%m-%d %H:%M} UTC is already simulated")
        with console.status(f"simulating {days} days of operations"):
            outcome = run_operations_on(session, seed=seed, end=until, days=days, volume=volume)
        session.commit()
        console.print(
            f"{days} days ending {until:%Y-%m-%d %H:%M} UTC: {_summary(session, outcome)}"
        )


def ensure_demo_operations(*, days: int = 30, seed: int = 2026, volume: int = 300) -> str:
    """Simulate the operations of the ``days`` ending now once per demo city (used by
    ``gridwhistle demo``); what was done, or that it was loaded before."""
    with db_session() as session:
        if loaded(
            session=session, prefix=key_prefix(fingerprint=city_fingerprint(session=session))
        ):
            return "already loaded for this demo city (skipped)"
        until = parse_end(None)
        outcome = run_operations_on(session, seed=seed, end=until, days=days, volume=volume)
        session.commit()
        return f"{days} days ending now: {_summary(session, outcome)}"
