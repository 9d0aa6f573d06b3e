"""Where each year's working days come from: ``WorkCalendar.year_status`` and
``gridwhistle calendar status``."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.deadlines.calendar import (
    WorkCalendar,
    YearData,
    YearSource,
    read_year_file,
    status_years,
)

runner = CliRunner()

# made-up dates, not an official arrangement
YEAR_2027 = """date,kind,name
2027-02-08,holiday,春节
2027-02-09,holiday,春节
2027-02-06,workday,春节调休
"""


def _year_file(folder: Path) -> Path:
    path = folder / "2027.csv"
    path.write_text(YEAR_2027, encoding="utf-8")
    return path


def test_a_year_the_package_knows_a_loaded_year_and_an_unknown_year(tmp_path: Path) -> None:
    work = WorkCalendar([read_year_file(_year_file(tmp_path))])
    known = work.year_status(2026)
    assert known.source is YearSource.PACKAGE and not known.provisional
    assert known.detail.startswith("chinese_calendar")
    loaded = work.year_status(2027)
    assert loaded.source is YearSource.LOADED and not loaded.provisional
    assert loaded.detail == "2027.csv"
    unknown = work.year_status(2028)
    assert unknown.source is YearSource.UNKNOWN and unknown.provisional


def test_a_loaded_year_wins_over_the_package() -> None:
    work = WorkCalendar([YearData(year=2025, holidays=frozenset(), workdays=frozenset(),
                                  source="2025.csv")])  # fmt: skip
    assert work.year_status(2025).source is YearSource.LOADED


@pytest.mark.parametrize(
    ("today", "years"),
    [
        (date(2026, 12, 31), [2024, 2025, 2026, 2027]),
        (date(2027, 1, 1), [2024, 2025, 2026, 2027, 2028]),
        (date(2024, 3, 1), [2024, 2025]),
    ],
)
def test_status_covers_2024_to_the_year_after_today(today: date, years: list[int]) -> None:
    assert list(status_years(today)) == years


def _rows(output: str) -> dict[str, str]:
    """The table's rows by year (the first cell), as the rest of the line."""
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip("│┃ ").replace("┃", "│").split("│")]
        if cells and cells[0].isdigit():
            rows[cells[0]] = " ".join(cells[1:])
    return rows


def test_the_command_lists_each_year_and_says_what_to_do(cli_db: str, tmp_path: Path) -> None:
    before = runner.invoke(app, ["calendar", "status", "--today", "2026-12-06"])
    assert before.exit_code == 0, before.output
    rows = _rows(before.output)
    assert sorted(rows) == ["2024", "2025", "2026", "2027"]
    for year in ("2024", "2025", "2026"):
        assert rows[year].startswith("package") and rows[year].endswith("final")
    assert rows["2027"].startswith("unknown") and rows["2027"].endswith("provisional")
    assert "calendar load data/calendar/2027.csv" in " ".join(before.output.split())

    loaded = runner.invoke(app, ["calendar", "load", str(_year_file(tmp_path))])
    assert loaded.exit_code == 0, loaded.output
    after = runner.invoke(app, ["calendar", "status", "--today", "2026-12-06"])
    rows = _rows(after.output)
    assert rows["2027"].startswith("loaded") and "2027.csv" in rows["2027"]
    assert rows["2027"].endswith("final")
    assert "calendar load" not in after.output


def test_a_bad_date_is_a_usage_error(cli_db: str) -> None:
    result = runner.invoke(app, ["calendar", "status", "--today", "2026-13-01"])
    assert result.exit_code == 2
    assert "--today" in result.output
