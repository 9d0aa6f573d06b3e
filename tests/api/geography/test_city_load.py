"""Loading the whole-city demo: its fingerprint and its extra departments (the full load is
``benchmarks/scale.py``)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.config import get_settings
from api.errors import InvalidInput
from api.geography.imports import (
    DEMO_VERSION,
    City,
    demo_fingerprint,
    load_city_departments,
)


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
