"""``gridwhistle load-demo --city beijing``: a slice of the whole city with its year, built
once per run, and the refusals of ``--only``."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner, Result

from api.cli import app
from api.geography import imports
from grids.demo import DemoCity

runner = CliRunner()
SLICE = ["--city", "beijing", "--only", "110101", "--cell-area-m2", "400000"]
YEAR = ["--events-per-year", "2000000"]


def _invoke(*args: str) -> Result:
    return runner.invoke(app, ["load-demo", *args])


def _count(url: str, sql: str) -> int:
    (value,) = _rows(url, sql)[0]
    return int(str(value))


def _rows(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text(sql)).all()]
    engine.dispose()
    return rows


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The cities ``imports.build_city`` built during the test (it still builds them)."""
    built: list[str] = []
    real = imports.build_city

    def counting(city: imports.City, **kwargs: object) -> DemoCity:
        built.append(str(city))
        return real(city, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(imports, "build_city", counting)
    return built


def test_the_city_is_built_once_for_itself_and_its_year(cli_db: str, builds: list[str]) -> None:
    first = _invoke(*SLICE, *YEAR, "--sample", "0.001")
    assert first.exit_code == 0, first.output
    assert builds == ["beijing"]
    districts = _rows(cli_db, "SELECT DISTINCT district_code FROM events")
    assert districts == [("110101",)]
    count = _count(cli_db, "SELECT count(*) FROM events")
    assert f"simulated year loaded: {count:,} events" in first.output
    assert _rows(cli_db, "SELECT code FROM areas WHERE level = 'district'") == [("110101",)]
    source = _rows(cli_db, "SELECT source FROM generations")[0][0]
    assert "only=110101" in str(source)

    again = _invoke(*SLICE, *YEAR, "--sample", "0.001")
    assert again.exit_code == 0, again.output
    assert "already loaded" in again.output and builds == ["beijing"]  # nothing built

    other = _invoke(*SLICE, *YEAR, "--sample", "0.002")  # the same city, another year
    assert other.exit_code == 0, other.output
    assert builds == ["beijing", "beijing"]  # built once, for the year only
    assert _rows(cli_db, "SELECT count(*) FROM generations") == [(1,)]
    assert _count(cli_db, "SELECT count(*) FROM events") > count


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--city", "beijing", "--only", "110199"], "110199"),
        (["--city", "beijing", "--only", "东城"], "东城"),
        (["--only", "110101"], "whole city"),
    ],
)
def test_a_slice_the_city_cannot_have_is_refused(
    cli_db: str, builds: list[str], args: list[str], reason: str
) -> None:
    result = _invoke(*args, "--cell-area-m2", "400000")
    assert result.exit_code == 2, result.output
    assert "--only" in result.output and reason in result.output
    assert _rows(cli_db, "SELECT count(*) FROM generations") == [(0,)]
    assert _rows(cli_db, "SELECT count(*) FROM areas") == [(0,)]
