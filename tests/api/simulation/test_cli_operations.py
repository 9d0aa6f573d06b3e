"""``gridwhistle simulate operations`` and the demo's one-time load of operations."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from api.cli import app
from api.cli.simulate import ensure_demo_operations
from api.config import get_settings
from api.db.session import engine_for
from api.geography.imports import load_demo_into
from tests.conftest import TEST_CELL_AREA_M2

runner = CliRunner()
END = "2026-03-20T12:00+08:00"


def _count(url: str, sql: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        value = int(conn.execute(text(sql)).scalar_one())
    engine.dispose()
    return value


@pytest.fixture(scope="module")
def demo_cli_db(make_database: Callable[[str], str]) -> Iterator[str]:
    """A database with the test-sized demo city that the CLI points at (and builds the
    same city for)."""
    url = make_database("simcli")
    load_demo_into(url, cell_area_m2=TEST_CELL_AREA_M2)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", url)
        patch.setenv("GRIDWHISTLE_CELL_AREA_M2", str(TEST_CELL_AREA_M2))
        get_settings.cache_clear()
        yield url
    get_settings.cache_clear()
    engine_for(url).dispose()


def test_the_demo_loads_operations_once_and_the_command_once_per_end(demo_cli_db: str) -> None:
    first = ensure_demo_operations(days=2, volume=10)
    assert first.startswith("2 days ending now"), first
    cases = _count(demo_cli_db, "SELECT count(*) FROM cases")
    assert cases > 0
    assert "already loaded" in ensure_demo_operations(days=2, volume=10)
    assert _count(demo_cli_db, "SELECT count(*) FROM cases") == cases

    args = ["simulate", "operations", "--days", "4", "--volume", "15", "--end", END]
    ran = runner.invoke(app, args)
    assert ran.exit_code == 0, ran.output
    assert "4 days ending 2026-03-20 04:00 UTC" in ran.output and "reports" in ran.output
    more = _count(demo_cli_db, "SELECT count(*) FROM cases")
    assert more > cases + 5
    window = "at BETWEEN '2026-03-16 04:00Z' AND '2026-03-20 04:00Z'"
    assert _count(demo_cli_db, f"SELECT count(*) FROM case_events WHERE {window}") > 20
    again = runner.invoke(app, args)
    assert again.exit_code == 1 and "already simulated" in again.output
    assert _count(demo_cli_db, "SELECT count(*) FROM cases") == more


def test_a_bad_end_is_refused() -> None:
    result = runner.invoke(app, ["simulate", "operations", "--end", "next tuesday"])
    assert result.exit_code == 2 and "not an ISO time" in result.output


def test_the_year_of_events_is_still_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDWHISTLE_CELL_AREA_M2", str(TEST_CELL_AREA_M2))
    get_settings.cache_clear()
    result = runner.invoke(app, ["simulate", "--seed", "1", "--no-load"])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "events" in result.output and "planted" in result.output
