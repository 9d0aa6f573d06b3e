"""``gridwhistle calendar load FILE`` and ``gridwhistle jobs overdue``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from api.cases.service import utcnow
from api.cli.common import console, db_session, fail
from api.config import get_settings
from api.deadlines.calendar import read_year_file, status_years, to_local
from api.deadlines.service import calendar, load_year, policies_from, recompute_provisional
from api.whistles.jobs import run_round
from geo.datafile import DataFileError

calendar_app = typer.Typer(help="China's working-day calendar: load a year the library lacks.")
jobs_app = typer.Typer(help="Scheduled jobs, run once by hand.")


@calendar_app.command("load")
def load(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="YYYY.csv: date,kind,name")
    ],
) -> None:
    """Load a year's holidays and make-up workdays; recompute provisional deadlines."""
    try:
        year = read_year_file(file)
    except (DataFileError, ValueError) as exc:
        raise fail(str(exc)) from exc
    with db_session() as session:
        days = load_year(session=session, year=year)
        session.flush()
        changed = recompute_provisional(
            session=session,
            work=calendar(session=session),
            policies=policies_from(get_settings().data_dir),
            at=utcnow(),
        )
        session.commit()
    console.print(
        f"loaded {year.year}: {days} day(s); recomputed {changed} provisional assignment(s)"
    )


@calendar_app.command("status")
def status(
    today: Annotated[
        str | None,
        typer.Option(help="YYYY-MM-DD to report for (default: today in Beijing)"),
    ] = None,
) -> None:
    """Each year from 2024 to next year: where its days come from, or provisional."""
    try:
        day = date.fromisoformat(today) if today else to_local(utcnow()).date()
    except ValueError as exc:
        raise fail(f"--today: {exc}", code=2) from exc
    with db_session() as session:
        work = calendar(session=session)
    table = Table("year", "source", "detail", "working-day deadlines")
    missing = []
    for year in status_years(day):
        row = work.year_status(year)
        table.add_row(
            str(year), row.source.value, row.detail, "provisional" if row.provisional else "final"
        )
        if row.provisional:
            missing.append(year)
    console.print(table)
    for year in missing:
        console.print(
            f"{year} is provisional (weekend rule only): when the State Council publishes its "
            f"holiday arrangement (each November), write data/calendar/{year}.csv and run "
            f"gridwhistle calendar load data/calendar/{year}.csv"
        )


@jobs_app.command("overdue")
def overdue() -> None:
    """Record newly overdue obligations and supervision steps (the service runs this every
    minute)."""
    with db_session() as session:
        done = run_round(session=session, now=utcnow(), data_dir=get_settings().data_dir)
        session.commit()
    console.print(f"{done.overdue} obligation(s) newly overdue")
    console.print(f"{done.supervision} supervision step(s) newly reached")
