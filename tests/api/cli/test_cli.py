"""The gridwhistle command line against a throwaway PostGIS database."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner, Result

from api.cli import app
from api.config import get_settings
from tests.conftest import real_districts_or_skip
from tests.grids.geometries import EAST_NEIGHBOUR, OVERLAPPING_EAST, SQUARE, boundary_frame

runner = CliRunner()


def _scalar(url: str, sql: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text(sql)).scalar_one()
    engine.dispose()
    return int(value)


def _invoke(*args: str) -> Result:
    return runner.invoke(app, list(args))


def test_import_real_districts_check_only_then_for_real(cli_db: str) -> None:
    path = str(real_districts_or_skip())
    args = ["import", "boundaries", path, "--level", "district", "--code-field", "adcode"]
    checked = _invoke(*args, "--check-only")
    assert checked.exit_code == 0, checked.output
    assert "nothing was written" in checked.output
    assert "110106" in checked.output  # the repaired sliver is reported by code
    assert _scalar(cli_db, "SELECT count(*) FROM generations") == 0
    first = _invoke(*args)
    assert first.exit_code == 0, first.output
    assert "generation 1" in first.output
    second = _invoke(*args)
    assert "generation 2" in second.output
    assert _scalar(cli_db, "SELECT count(*) FROM areas WHERE generation_high = 2") == 3
    assert _scalar(cli_db, "SELECT count(*) FROM areas WHERE generation_high = 1") == 3


def test_invalid_file_exits_non_zero_and_writes_nothing(cli_db: str, tmp_path: Path) -> None:
    bad = tmp_path / "overlap.geojson"
    boundary_frame(("110101", SQUARE), ("110102", OVERLAPPING_EAST)).to_file(bad)
    result = _invoke("import", "boundaries", str(bad), "--level", "district")
    assert result.exit_code == 1
    assert "overlap" in result.output and "110101" in result.output
    assert "nothing was written" in result.output
    assert _scalar(cli_db, "SELECT count(*) FROM areas") == 0


def test_projected_crs_is_refused(cli_db: str, tmp_path: Path) -> None:
    projected = tmp_path / "projected.gpkg"
    boundary_frame(("110101", SQUARE)).to_crs("EPSG:4548").to_file(projected)
    result = _invoke("import", "boundaries", str(projected), "--level", "district")
    assert result.exit_code == 2
    assert "geographic" in result.output.lower() or "projected" in result.output.lower()
    assert _scalar(cli_db, "SELECT count(*) FROM areas") == 0


def test_missing_crs_needs_a_declared_one(cli_db: str, tmp_path: Path) -> None:
    frame = boundary_frame(("110101", SQUARE), ("110102", EAST_NEIGHBOUR))
    frame = frame.set_crs(None, allow_override=True)
    bare = tmp_path / "bare.shp"
    with pytest.warns(UserWarning, match="'crs' was not provided"):  # as intended
        frame.to_file(bare)
    assert not bare.with_suffix(".prj").exists()
    refused = _invoke("import", "boundaries", str(bare), "--level", "district")
    assert refused.exit_code == 2, refused.output
    assert "crs" in refused.output.lower()
    declared = _invoke(
        "import", "boundaries", str(bare), "--level", "district", "--crs", "EPSG:4326"
    )
    assert declared.exit_code == 0, declared.output
    assert _scalar(cli_db, "SELECT count(*) FROM areas") == 2


def test_grids_check_and_generate_need_data(cli_db: str) -> None:
    empty = _invoke("grids", "check")
    assert empty.exit_code == 1 and "no boundaries" in empty.output
    generate = _invoke("grids", "generate")
    assert generate.exit_code == 1 and "no communities" in generate.output


def test_db_url_prints_database_url(cli_db: str) -> None:
    result = _invoke("db", "url")
    assert result.exit_code == 0
    assert result.output.strip() == cli_db


def test_users_token_issues_a_bearer_token_or_an_open311_key(cli_db: str) -> None:
    added = _invoke("users", "add", "hotline", "--role", "admin")
    assert added.exit_code == 0, added.output
    bearer = _invoke("users", "token", "hotline")
    key = _invoke("users", "token", "hotline", "--open311")
    assert bearer.exit_code == 0 and key.exit_code == 0, (bearer.output, key.output)
    assert bearer.output.strip() != key.output.strip()
    scopes = "SELECT string_agg(scope || ':' || label, ',' ORDER BY id) FROM api_tokens"
    engine = create_engine(cli_db)
    with engine.connect() as conn:
        assert conn.execute(text(scopes)).scalar_one() == "api:cli,api:cli,open311:cli-open311"
    engine.dispose()
    assert _invoke("users", "token", "nobody").exit_code != 0


def test_users_add_refuses_a_chief_without_a_chief_ref_of_the_city(cli_db: str) -> None:
    street_code = _invoke("users", "add", "c1", "--role", "chief", "--jurisdiction", "110102020")
    assert street_code.exit_code == 1
    assert "C110102020-01" in street_code.output  # the message shows the form of a ref
    absent = _invoke("users", "add", "c1", "--role", "chief", "--jurisdiction", "C110102020-01")
    assert absent.exit_code == 1
    assert "no street-and-alley chief C110102020-01" in absent.output
    assert _scalar(cli_db, "SELECT count(*) FROM users") == 0


def test_catalogues_load_checks_then_adds_or_updates(
    cli_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = Path(shutil.copytree(get_settings().data_dir, tmp_path / "data"))
    monkeypatch.setenv("GRIDWHISTLE_DATA_DIR", str(data))
    get_settings.cache_clear()
    departments = data / "departments.csv"
    total = len(departments.read_text(encoding="utf-8").splitlines()) - 1
    loaded = _invoke("catalogues", "load")
    assert loaded.exit_code == 0, loaded.output
    assert f"loaded {total} department(s)" in loaded.output
    assert _scalar(cli_db, "SELECT count(*) FROM departments") == total
    # a department leaves the file: it is kept, and said so
    lines = departments.read_text(encoding="utf-8").splitlines()
    departments.write_text(
        "\n".join(line for line in lines if not line.startswith("110101-cgzf,")) + "\n",
        encoding="utf-8",
    )
    again = _invoke("catalogues", "load")
    assert again.exit_code == 0, again.output
    assert "1 department(s) not in the file are kept" in again.output
    # a wrong file: exit 2, the file and field named, nothing written
    departments.write_text(
        departments.read_text(encoding="utf-8").replace(",city,\n", ",county,\n", 1),
        encoding="utf-8",
    )
    refused = _invoke("catalogues", "load")
    assert refused.exit_code == 2, refused.output
    assert "departments.csv line" in refused.output
    assert "nothing was written" in refused.output
    assert _scalar(cli_db, "SELECT count(*) FROM departments WHERE level = 'county'") == 0
    assert _scalar(cli_db, "SELECT count(*) FROM departments") == total
