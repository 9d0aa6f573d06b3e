"""``gridwhistle import boundaries``, ``grids generate|check`` and ``load-demo``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.orm import Session

from api.auth.demo import seed_demo_users
from api.cli.common import console, db_session, fail
from api.config import get_settings
from api.errors import InvalidInput
from api.geography import imports
from api.geography.models import Generation
from api.geography.service import count_areas, read_level
from api.hotspots.service import event_count, load_events
from geo.codes import LEVELS_TOP_DOWN, Level
from grids.beijing import EventVolume, default_volume, read_volume, simulate_city_year
from grids.boundaries import BoundaryFileError, read_boundaries
from grids.demo import DemoCity
from grids.hierarchy import format_report, hierarchy_report
from grids.validate import Tolerances, ValidationReport, validate_boundaries

import_app = typer.Typer(help="Import boundary files (GeoJSON, GeoPackage, Shapefile).")
grids_app = typer.Typer(help="Unit grid cells: generate and check the hierarchy.")


def _print_report(report: ValidationReport) -> None:
    console.print(report.to_text())


@import_app.command("boundaries")
def import_boundaries(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="boundary file")],
    level: Annotated[Level, typer.Option(help="administrative level of the features")],
    code_field: Annotated[str, typer.Option(help="attribute holding the division code")] = "code",
    name_field: Annotated[str, typer.Option(help="attribute holding the name")] = "name",
    parent_field: Annotated[
        str | None, typer.Option(help="attribute holding the parent code")
    ] = None,
    crs: Annotated[
        str | None, typer.Option(help="CRS to assume when the file declares none")
    ] = None,
    check_only: Annotated[
        bool, typer.Option("--check-only", help="validate and report only")
    ] = False,
    tolerance_m2: Annotated[float, typer.Option(help="overlap/gap/repair tolerance in m²")] = 1.0,
) -> None:
    """Validate a boundary file and, if clean, write it as a new generation."""
    try:
        frame = read_boundaries(
            file,
            level=level,
            code_field=code_field,
            name_field=name_field,
            parent_field=parent_field,
            crs=crs,
        )
    except BoundaryFileError as exc:
        raise fail(f"{file}: {exc}", code=2) from exc
    tolerances = Tolerances(
        repair_area_m2=tolerance_m2,
        overlap_m2=tolerance_m2,
        gap_m2=tolerance_m2,
        outside_parent_m2=tolerance_m2,
    )
    with db_session() as session:
        report, generation = imports.import_level(
            session=session,
            frame=frame,
            level=level,
            source=str(file),
            tolerances=tolerances,
            check_only=check_only,
            max_vertices=get_settings().subdivide_max_vertices,
        )
        _print_report(report)
        if not report.ok:
            raise fail(f"{len(report.errors())} error(s); nothing was written", code=1)
        if generation is None:
            console.print("check only: nothing was written")
            return
        session.commit()
        console.print(
            f"imported {len(report.frame)} {level} feature(s) as generation {generation.id}"
        )


@grids_app.command("generate")
def grids_generate(
    cell_area_m2: Annotated[float | None, typer.Option(help="target cell area in m²")] = None,
) -> None:
    """Cut every active community into ~10,000 m² unit cells (a new generation)."""
    area = cell_area_m2 or get_settings().cell_area_m2
    with db_session() as session, _progress() as progress:
        progress.add_task(f"generating unit grid cells of ~{area:,.0f} m²", total=None)
        try:
            report, generation = imports.generate_grid(session=session, cell_area_m2=area)
        except ValueError as exc:
            raise fail(str(exc)) from exc
        if not report.ok or generation is None:
            _print_report(report)
            raise fail("generated cells failed validation; nothing was written")
        session.commit()
    console.print(f"wrote {len(report.frame)} grid cells as generation {generation.id}")


@grids_app.command("check")
def grids_check() -> None:
    """Report coverage and nesting of the whole active hierarchy."""
    with db_session() as session:
        frames = {level: read_level(session=session, level=level) for level in LEVELS_TOP_DOWN}
    present = {lvl: f for lvl, f in frames.items() if not f.empty}
    if not present:
        raise fail("no boundaries are loaded")
    rows = hierarchy_report(present)
    console.print(format_report(rows))
    table = Table(title="areas per level")
    table.add_column("level")
    table.add_column("count", justify="right")
    for level in LEVELS_TOP_DOWN:
        table.add_row(str(level), str(len(frames[level])))
    console.print(table)


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    )


def city_volume(
    city: imports.City, *, events_per_year: int | None, sample: float | None
) -> EventVolume | None:
    """The simulated year's volume for ``city`` (None for the demo city, whose year is
    ``gridwhistle simulate``'s); ``--events-per-year`` and ``--sample`` override the
    defaults of ``data/beijing/event_volume.csv``."""
    if city != imports.City.BEIJING:
        if events_per_year is not None or sample is not None:
            raise fail("--events-per-year and --sample apply to --city beijing only", code=2)
        return None
    default = default_volume(read_volume(get_settings().data_dir / "beijing"))
    try:
        return EventVolume(
            default.events_per_year if events_per_year is None else events_per_year,
            default.sample if sample is None else sample,
        )
    except ValueError as exc:
        raise fail(str(exc), code=2) from exc


def load_city_events(
    *,
    session: Session,
    built: DemoCity,
    generation_id: int,
    volume: EventVolume,
    step: imports.Step,
) -> int:
    """Simulate ``built``'s year at ``volume`` and load it in place of the stored events,
    chunk by chunk; record the volume in the generation's source; return the event count."""
    figures = read_volume(get_settings().data_dir / "beijing")
    _truth, chunks = simulate_city_year(
        built, volume=volume, patrol_share_workday=figures.patrol_share_workday
    )
    loaded = 0
    for chunk in chunks:
        step(f"simulating and loading events: {loaded:,} of about {volume.expected:,.0f}")
        loaded += load_events(session=session, events=chunk, replace=loaded == 0)
    generation = session.get(Generation, generation_id)
    assert generation is not None
    base = " ".join(t for t in (generation.source or "").split() if not _volume_token(t))
    generation.source = f"{base} {volume.tag()}"
    return loaded


def _volume_token(token: str) -> bool:
    return token.startswith(("events_per_year=", "sample="))


def load_demo(
    *,
    districts: Path | None,
    cell_area_m2: float | None,
    force: bool,
    city: imports.City = imports.City.DEMO,
    events_per_year: int | None = None,
    sample: float | None = None,
    only: list[str] | None = None,
) -> None:
    """Build and load a demo city with a progress display (shared by load-demo and demo);
    the whole city gets its simulated year too (``city_volume``); ``only`` loads a slice
    of the whole city (those districts)."""
    settings = get_settings()
    volume = city_volume(city, events_per_year=events_per_year, sample=sample)
    area = cell_area_m2 or settings.cell_area_m2
    frame = None
    if districts is not None:
        try:
            raw = read_boundaries(districts, level=Level.DISTRICT, code_field="adcode")
        except BoundaryFileError as exc:
            raise fail(f"{districts}: {exc}", code=2) from exc
        report = validate_boundaries(raw, level=Level.DISTRICT)
        _print_report(report)
        if not report.ok:
            raise fail("the districts file failed validation")
        frame = report.frame
    with db_session() as session, _progress() as progress:
        task = progress.add_task(f"{city} city", total=None)

        def step(message: str) -> None:
            progress.update(task, description=f"{city} city: {message}")

        try:
            generation, built = imports.load_demo(
                session=session,
                data_dir=settings.data_dir,
                seed=settings.demo_seed,
                cell_area_m2=area,
                districts=frame,
                districts_file=districts,
                force=force,
                max_vertices=settings.subdivide_max_vertices,
                step=step,
                city=city,
                only=only or (),
            )
        except InvalidInput as exc:  # a district code --only or the outlines refuse
            raise fail(f"--{exc.field or 'districts'}: {exc}", code=2) from exc
        if settings.environment != "production":
            seed_demo_users(session=session, password=settings.demo_password)
        session.commit()
        loaded = built is not None
        counts = count_areas(session=session, generation=generation.id)
        stale = volume is not None and (
            loaded
            or EventVolume.from_tag(generation.source) != volume
            or event_count(session=session) == 0
        )
    verb = "loaded" if loaded else "already loaded (unchanged)"
    summary = ", ".join(f"{counts.get(str(lvl), 0)} {lvl}" for lvl in LEVELS_TOP_DOWN)
    console.print(f"{city} city {verb}: generation {generation.id} — {summary}")
    if volume is None:
        return
    if not stale:
        console.print(f"simulated year already loaded ({volume.tag()})")
        return
    with db_session() as session, _progress() as progress:
        task = progress.add_task("simulated year", total=None)

        def say(message: str) -> None:
            progress.update(task, description=f"simulated year: {message}")

        if built is None:  # loaded before: the same seed, cell area and districts build it
            say("building the city")
            built = imports.build_city(
                city, districts=frame, seed=settings.demo_seed, cell_area_m2=area, only=only or ()
            )
        events = load_city_events(
            session=session, built=built, generation_id=generation.id, volume=volume, step=say
        )
        session.commit()
    console.print(
        f"simulated year loaded: {events:,} events, a sample of {volume.sample:g} of "
        f"{volume.events_per_year:,} a year (counts × {1 / volume.sample:g} for the whole year)"
    )


def load_demo_command(
    districts: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="real district outlines to build on (e.g. the Beijing file)",
        ),
    ] = None,
    cell_area_m2: Annotated[float | None, typer.Option(help="unit grid cell area in m²")] = None,
    force: Annotated[bool, typer.Option(help="rebuild even if this demo is loaded")] = False,
    city: Annotated[
        imports.City,
        typer.Option(help="demo: 东城, 西城, 丰台; beijing: all 16 districts (docs/city.md)"),
    ] = imports.City.DEMO,
    events_per_year: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="beijing: events in the whole simulated year (default: the hotline's 2023 "
            "tickets plus patrol reports, data/beijing/event_volume.csv)",
        ),
    ] = None,
    sample: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1.0,
            help="beijing: the fraction of the year simulated and loaded (default 0.01); "
            "recorded with the city so analyses know the scale",
        ),
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option(
            help="beijing: load only this district (6-digit code; repeat for several), a "
            "slice of the whole city as it is there",
        ),
    ] = None,
) -> None:
    """Build a demo city and load it (a new generation if one is loaded); the whole city
    comes with a sampled simulated year."""
    load_demo(
        districts=districts,
        cell_area_m2=cell_area_m2,
        force=force,
        city=city,
        events_per_year=events_per_year,
        sample=sample,
        only=only,
    )
