"""``gridwhistle calendar load FILE`` and ``gridwhistle jobs overdue``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cases.service import utcnow
from api.cli.common import console, db_session, fail
from api.config import get_settings
from api.deadlines.calendar import DataFileError, read_year_file
from api.deadlines.service import calendar, load_year, policies_from, recompute_provisional
from api.whistles.jobs import mark_overdue

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


@jobs_app.command("overdue")
def overdue() -> None:
    """Record newly overdue obligations (the service runs this every minute)."""
    with db_session() as session:
        count = mark_overdue(session=session, now=utcnow())
        session.commit()
    console.print(f"{count} obligation(s) newly overdue")
