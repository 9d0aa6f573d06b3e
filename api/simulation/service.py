"""Simulate the operations of the days before ``end`` on the loaded city (the caller commits)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.config import Settings
from api.deadlines.service import calendar, policies_from
from api.geography.models import Generation
from api.geography.service import active_generation
from api.reports.models import Report
from api.reports.service import Limits
from api.routing.service import rules_from
from api.simulation.behaviour import read_departments, read_streets
from api.simulation.operations import run_operations
from api.simulation.reports import plan_reports, simulated_events
from api.simulation.run import Outcome, Setup
from grids.demo import DemoCity

PROFILES = Path("simulation")


def setup_of(*, session: Session, settings: Settings) -> Setup:
    """The policies, calendar and behaviour profiles of the configured data directory."""
    folder = settings.data_dir
    return Setup(
        data_dir=folder,
        policies=policies_from(folder),
        calendar=calendar(session=session),
        departments=read_departments(folder / PROFILES / "departments.csv"),
        streets=read_streets(folder / PROFILES / "streets.csv"),
        rules=rules_from(folder),
        limits=Limits.of(settings),
        max_distance_m=settings.on_site_max_distance_m,
    )


def city_fingerprint(*, session: Session) -> str:
    """The active generation's fingerprint (its id when it has none)."""
    generation_id = active_generation(session=session)
    generation = None if generation_id is None else session.get(Generation, generation_id)
    if generation is None:
        raise LookupError("no city is loaded")
    return generation.fingerprint or f"generation-{generation.id}"


def key_prefix(*, fingerprint: str, seed: int | None = None, end: datetime | None = None) -> str:
    """The Idempotency-Key prefix of a run's reports (without seed and end: of every run
    on the city)."""
    prefix = f"sim:{fingerprint[:16]}:"
    if seed is None or end is None:
        return prefix
    return f"{prefix}{seed}:{end:%Y%m%dT%H%M%S}:"


def loaded(*, session: Session, prefix: str) -> bool:
    """Whether reports of a run with this key prefix are stored."""
    like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    found = select(Report.id).where(Report.idempotency_key.like(like)).limit(1)
    return session.scalar(found) is not None


def simulate_operations(
    *,
    session: Session,
    settings: Settings,
    city: DemoCity,
    seed: int,
    end: datetime,
    days: int,
    volume: int,
) -> Outcome:
    """Play ``days`` of operations ending at ``end`` over ``city`` (the loaded one):
    about ``volume`` reports and everything that follows them."""
    events = simulated_events(city, seed=seed, end=end, days=days, volume=volume)
    reports = plan_reports(events, seed=seed, end=end, days=days, volume=volume)
    prefix = key_prefix(fingerprint=city_fingerprint(session=session), seed=seed, end=end)
    return run_operations(
        session=session,
        setup=setup_of(session=session, settings=settings),
        reports=reports,
        seed=seed,
        start=end - timedelta(days=days),
        end=end,
        key_prefix=prefix,
    )
