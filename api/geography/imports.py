"""Validated imports: boundary files, generated unit grids and the demo city."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from api.departments.models import Department
from api.departments.service import load_catalogues
from api.errors import InvalidInput
from api.geography.models import Generation
from api.geography.service import find_generation_by_fingerprint, load_levels, read_level
from geo import rules
from geo.codes import LEVELS_TOP_DOWN, PARENT_LEVEL, Level
from geo.datafile import DataFileError
from grids.cells import generate_cells
from grids.validate import Tolerances, ValidationReport, validate_boundaries

if TYPE_CHECKING:
    from grids.demo import DemoCity

DEMO_VERSION = "2"  # 2: with the demo address register
Step = Callable[[str], None]


class City(StrEnum):
    """The demo cities ``load-demo`` builds."""

    DEMO = "demo"  # 东城, 西城 and 丰台 (grids.demo)
    BEIJING = "beijing"  # all 16 districts (grids.beijing)


def _quiet(_message: str) -> None:
    return None


def with_flags(cleaned: gpd.GeoDataFrame, original: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Carry the ``synthetic`` flag of ``original`` (by code) onto validated features."""
    if "synthetic" not in original:
        return cleaned.assign(synthetic=False)
    flags = dict(zip(original["code"], original["synthetic"], strict=True))
    out = cleaned.copy()
    out["synthetic"] = [bool(flags.get(code, False)) for code in out["code"]]
    return out


def parents_of(*, session: Session, level: Level) -> gpd.GeoDataFrame | None:
    """The active parent level of ``level`` (None for districts or when none is loaded)."""
    parent = PARENT_LEVEL[level]
    if parent is None:
        return None
    frame = read_level(session=session, level=parent)
    return None if frame.empty else frame


def import_level(
    *,
    session: Session,
    frame: gpd.GeoDataFrame,
    level: Level,
    source: str,
    tolerances: Tolerances | None = None,
    check_only: bool = False,
    max_vertices: int = 256,
) -> tuple[ValidationReport, Generation | None]:
    """Validate ``frame`` against the active parents; write a new generation only if clean."""
    report = validate_boundaries(
        frame,
        level=level,
        parents=parents_of(session=session, level=level),
        tolerances=tolerances or Tolerances(),
    )
    if check_only or not report.ok:
        return report, None
    generation = load_levels(
        session=session,
        frames={level: with_flags(report.frame, frame)},
        description=f"import {level}",
        source=source,
        max_vertices=max_vertices,
    )
    return report, generation


def generate_grid(
    *, session: Session, cell_area_m2: float, max_vertices: int = 256
) -> tuple[ValidationReport, Generation | None]:
    """Cut the active communities into unit cells and import them as a new generation."""
    communities = read_level(session=session, level=Level.COMMUNITY)
    if communities.empty:
        raise ValueError("no communities are loaded; import communities or load the demo first")
    cells = generate_cells(communities, cell_area_m2=cell_area_m2)
    return import_level(
        session=session,
        frame=cells,
        level=Level.GRID,
        source=f"grids generate cell_area_m2={cell_area_m2:g}",
        max_vertices=max_vertices,
    )


def demo_fingerprint(
    *,
    seed: int,
    cell_area_m2: float,
    districts_file: Path | None,
    city: City = City.DEMO,
    only: Collection[str] = (),
) -> str:
    """Identify a demo build so an unchanged second run can skip it."""
    digest = hashlib.sha256(districts_file.read_bytes()).hexdigest() if districts_file else None
    payload: dict[str, object] = {
        "v": DEMO_VERSION,
        "seed": seed,
        "cell": cell_area_m2,
        "districts": digest,
    }
    if city != City.DEMO:
        payload["city"] = str(city)
    if only:
        payload["only"] = sorted(only)
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def build_city(
    city: City,
    *,
    districts: gpd.GeoDataFrame | None,
    seed: int,
    cell_area_m2: float,
    only: Collection[str] = (),
) -> DemoCity:
    """Build ``city`` on synthetic outlines or on ``districts``; ``only`` makes a slice of the
    whole city (those districts, each as it is in the whole city)."""
    if only and city != City.BEIJING:
        raise InvalidInput("a slice of districts applies to the whole city only", field="only")
    if city == City.DEMO:
        from grids.demo import build_demo_city

        return build_demo_city(districts=districts, seed=seed, cell_area_m2=cell_area_m2)
    from grids.beijing import build_beijing_city
    from grids.demo import DemoCityError

    try:
        return build_beijing_city(
            districts=districts, seed=seed, cell_area_m2=cell_area_m2, district_codes=only or None
        )
    except DemoCityError as exc:
        raise InvalidInput(str(exc), field="only" if only else "districts") from exc


def load_city_departments(*, session: Session, path: Path) -> int:
    """Upsert the district departments a city ships beside the catalogue; return their count."""
    try:
        rows = [asdict(d) for d in rules.read_departments(path)]
    except DataFileError as exc:
        raise InvalidInput(str(exc), field=exc.column) from exc
    stmt = insert(Department).values(rows)
    columns = {c: stmt.excluded[c] for c in rows[0] if c != "code"}
    session.execute(stmt.on_conflict_do_update(index_elements=["code"], set_=columns))
    return len(rows)


def load_demo(
    *,
    session: Session,
    data_dir: Path,
    seed: int,
    cell_area_m2: float,
    districts: gpd.GeoDataFrame | None = None,
    districts_file: Path | None = None,
    force: bool = False,
    max_vertices: int = 256,
    step: Step = _quiet,
    city: City = City.DEMO,
    only: Collection[str] = (),
) -> tuple[Generation, DemoCity | None]:
    """Build, validate and load a demo city; return the generation and the city built (None
    when the unchanged city was already loaded: nothing was built), from which its simulated
    year is drawn without building it again."""
    fingerprint = demo_fingerprint(
        seed=seed, cell_area_m2=cell_area_m2, districts_file=districts_file, city=city, only=only
    )
    existing = find_generation_by_fingerprint(session=session, fingerprint=fingerprint)
    if existing is not None and not force:
        return existing, None
    step(f"building the {city} city")
    built = build_city(city, districts=districts, seed=seed, cell_area_m2=cell_area_m2, only=only)
    frames = built.levels()
    cleaned: dict[Level, gpd.GeoDataFrame] = {}
    for level in LEVELS_TOP_DOWN:
        step(f"validating {level}")
        parent = PARENT_LEVEL[level]
        report = validate_boundaries(
            frames[level], level=level, parents=cleaned.get(parent) if parent else None
        )
        if not report.ok:
            raise ValueError(f"demo {level} failed validation:\n{report.to_text()}")
        cleaned[level] = with_flags(report.frame, frames[level])
    features = {"roads": built.roads, "chiefs": built.chiefs, "zones": built.zones}
    if city == City.DEMO:
        from grids.addresses import demo_register

        step("building the address register")
        features["addresses"] = demo_register(built, seed=seed)
    step("loading catalogues")
    load_catalogues(session=session, data_dir=data_dir)
    if city == City.BEIJING:
        load_city_departments(session=session, path=data_dir / "beijing" / "departments.csv")
    step("writing to PostGIS")
    source = f"demo seed={seed} districts={districts_file or 'synthetic'}"
    generation = load_levels(
        session=session,
        frames=cleaned,
        description=f"{city} city",
        source=source if city == City.DEMO else f"{source} city={city}{_only_tag(only)}",
        fingerprint=fingerprint,
        max_vertices=max_vertices,
        features=features,
    )
    return generation, built


def _only_tag(only: Collection[str]) -> str:
    return f" only={','.join(sorted(only))}" if only else ""


def load_demo_into(
    url: str, *, cell_area_m2: float, city: City = City.DEMO, only: Collection[str] = ()
) -> Generation:
    """Load a demo city (configured data directory and seed; ``only`` for a slice of the
    whole city) into the database at ``url`` and commit; tests and benchmarks prepare their
    databases with it."""
    from api.config import get_settings
    from api.db.session import engine_for

    settings = get_settings()
    with Session(engine_for(url), expire_on_commit=False) as session:
        generation, _loaded = load_demo(
            session=session,
            data_dir=settings.data_dir,
            seed=settings.demo_seed,
            cell_area_m2=cell_area_m2,
            city=city,
            only=only,
        )
        session.commit()
    return generation
