"""Loading the whole-city demo: its fingerprint, its extra departments and its sampled year
(on a one-district slice; the full load is ``benchmarks/scale.py``)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import typer
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.cli.geography import city_volume, load_city_events
from api.config import get_settings
from api.errors import InvalidInput
from api.geography.imports import (
    DEMO_VERSION,
    City,
    demo_fingerprint,
    load_city_departments,
)
from api.geography.models import Generation
from api.geography.service import active_generation
from grids.beijing import EventVolume, build_beijing_city, default_volume


def test_the_demo_city_keeps_its_fingerprint_and_beijing_gets_its_own() -> None:
    plain = demo_fingerprint(seed=1, cell_area_m2=10_000.0, districts_file=None)
    demo = demo_fingerprint(seed=1, cell_area_m2=10_000.0, districts_file=None, city=City.DEMO)
    beijing = demo_fingerprint(
        seed=1, cell_area_m2=10_000.0, districts_file=None, city=City.BEIJING
    )
    assert plain == demo != beijing
    payload = {"v": DEMO_VERSION, "seed": 1, "cell": 10_000.0, "districts": None}  # no city key
    assert plain == hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def test_beijing_departments_join_the_catalogue(demo_session: Session) -> None:
    path = get_settings().data_dir / "beijing" / "departments.csv"
    assert load_city_departments(session=demo_session, path=path) == 156
    per_district: dict[str | None, int] = dict(
        demo_session.execute(
            text("SELECT district_code, count(*) FROM departments GROUP BY district_code")
        ).all()
    )
    assert len([d for d in per_district if d is not None]) == 16
    assert per_district["110105"] == 12 and per_district["110119"] == 12


def test_a_wrong_departments_file_is_refused_by_field(
    demo_session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "departments.csv"
    path.write_text("code,name,kind,level,district_code\nx-ga,某局,ga,district,1101\n")
    with pytest.raises(InvalidInput) as caught:
        load_city_departments(session=demo_session, path=path)
    assert caught.value.field == "district_code"


def test_the_whole_city_takes_its_volume_from_the_data_file_unless_told() -> None:
    default = default_volume()
    assert city_volume(City.BEIJING, events_per_year=None, sample=None) == default
    assert city_volume(City.BEIJING, events_per_year=1_000, sample=None) == EventVolume(
        1_000, default.sample
    )
    assert city_volume(City.BEIJING, events_per_year=None, sample=0.5) == EventVolume(
        default.events_per_year, 0.5
    )
    assert city_volume(City.DEMO, events_per_year=None, sample=None) is None


@pytest.mark.parametrize(
    ("city", "events_per_year", "sample"),
    [(City.DEMO, 1_000, None), (City.DEMO, None, 0.5), (City.BEIJING, 1_000, 0.0)],
)
def test_a_volume_the_city_cannot_take_is_refused(
    city: City, events_per_year: int | None, sample: float | None
) -> None:
    with pytest.raises(typer.Exit) as caught:
        city_volume(city, events_per_year=events_per_year, sample=sample)
    assert caught.value.exit_code == 2


def test_the_sampled_year_replaces_the_events_and_is_recorded(demo_session: Session) -> None:
    city = build_beijing_city(district_codes=["110101"], cell_area_m2=4e6)  # 东城, coarse
    generation = active_generation(session=demo_session)
    assert generation is not None

    def load(volume: EventVolume) -> int:
        return load_city_events(
            session=demo_session,
            built=city,
            generation_id=generation,
            volume=volume,
            step=lambda _message: None,
        )

    first = load(EventVolume(2_000_000, 0.002))
    stored = demo_session.execute(
        text("SELECT count(*), count(DISTINCT grid_code), min(district_code) FROM events")
    ).one()
    assert stored[0] == first and first == pytest.approx(4_000, rel=0.1)
    assert stored[1] > 1 and stored[2] == "110101"
    source = demo_session.get(Generation, generation)
    assert source is not None
    assert EventVolume.from_tag(source.source) == EventVolume(2_000_000, 0.002)
    second = load(EventVolume(2_000_000, 0.001))  # in place of the first, not beside it
    assert demo_session.execute(text("SELECT count(*) FROM events")).scalar_one() == second
    assert second < first
    assert EventVolume.from_tag(source.source) == EventVolume(2_000_000, 0.001)
    assert source.source is not None and source.source.count("sample=") == 1
