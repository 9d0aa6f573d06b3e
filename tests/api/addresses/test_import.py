"""``gridwhistle addresses import``: every refusal names the row and writes nothing; a clean
register becomes a new version and the previous one stays readable."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from api.addresses.service import count_entries, read_entries
from api.cli import app
from api.config import get_settings
from api.db.session import engine_for
from api.geography.imports import load_demo_into
from tests.conftest import TEST_CELL_AREA_M2

runner = CliRunner()


@pytest.fixture(scope="module")
def register_db(make_database: Callable[[str], str]) -> Iterator[str]:
    """The demo city (with its register) in a database of this module, which the CLI uses."""
    url = make_database("addresses")
    load_demo_into(url, cell_area_m2=TEST_CELL_AREA_M2)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()
        yield url
    get_settings.cache_clear()


def _counts(url: str) -> tuple[int, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        generations = conn.execute(text("SELECT count(*) FROM generations")).scalar_one()
        entries = conn.execute(text("SELECT count(*) FROM address_entries")).scalar_one()
    engine.dispose()
    return int(generations), int(entries)


def _sample(url: str) -> pd.DataFrame:
    """Every entry of the first ten roads' plates and of one street (a small register)."""
    with Session(engine_for(url)) as session:
        register = read_entries(session=session)
    roads = sorted(set(register["road"]) - {""})[:10]
    keep = register["road"].isin(roads) | (register["street_code"] == "110102020")
    return pd.DataFrame(register[keep].drop(columns="geometry")).reset_index(drop=True)


def _write(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


def _refused(url: str, path: Path, *needles: str) -> None:
    before = _counts(url)
    result = runner.invoke(app, ["addresses", "import", str(path)])
    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split())  # rich wraps long lines
    for needle in (*needles, "nothing was written"):
        assert needle in output, output
    assert _counts(url) == before


def test_the_demo_register_is_loaded_with_the_city(register_db: str) -> None:
    with Session(engine_for(register_db)) as session:
        register = read_entries(session=session)
    assert len(register) > 10_000
    assert set(register["kind"]) == {"plate", "compound", "building", "village", "poi"}
    assert register["grid_code"].str.len().eq(15).all()


def test_a_duplicate_text_is_refused_naming_both_rows(register_db: str, tmp_path: Path) -> None:
    frame = _sample(register_db)
    frame.at[3, "text"] = str(frame["text"].iat[1])
    path = _write(frame, tmp_path / "duplicate.csv")
    _refused(register_db, path, f"row 4 ({frame['id'].iat[3]})", "repeats row 2")


def test_a_position_outside_every_district_is_refused(register_db: str, tmp_path: Path) -> None:
    frame = _sample(register_db)
    frame.loc[5, "lon"] = 100.0
    path = _write(frame, tmp_path / "outside.csv")
    _refused(register_db, path, "row 6", "outside every district")


def test_a_code_that_disagrees_with_the_position_is_refused(
    register_db: str, tmp_path: Path
) -> None:
    frame = _sample(register_db)
    wrong = "110106002" if frame.loc[2, "street_code"] != "110106002" else "110102020"
    frame.loc[2, "street_code"] = wrong
    path = _write(frame, tmp_path / "code.csv")
    _refused(register_db, path, "row 3", "column street_code")


def test_a_number_out_of_its_road_order_is_refused(register_db: str, tmp_path: Path) -> None:
    frame = _sample(register_db)
    plates = frame[(frame["kind"] == "plate") & (frame["side"] == "odd")]
    road = plates["road"].value_counts().index[0]
    side = plates[plates["road"] == road].sort_values("number")
    first, last = side.index[0], side.index[-1]
    for column in ("lon", "lat"):
        frame.loc[first, column], frame.loc[last, column] = (
            frame.loc[last, column],
            frame.loc[first, column],
        )
    path = _write(frame, tmp_path / "order.csv")
    _refused(register_db, path, "column number", "out of the order")


def test_an_unreadable_file_is_refused(register_db: str, tmp_path: Path) -> None:
    frame = _sample(register_db).drop(columns="street_code")
    _refused(register_db, _write(frame, tmp_path / "missing.csv"), "street_code", "missing column")
    frame = _sample(register_db)
    frame["lat"] = frame["lat"].astype(object)
    frame.loc[0, "lat"] = "north"
    _refused(register_db, _write(frame, tmp_path / "lat.csv"), "line 2", "'north'")


def test_a_clean_register_is_a_new_version_and_the_old_stays_readable(
    register_db: str, tmp_path: Path
) -> None:
    frame = _sample(register_db)
    generations, _ = _counts(register_db)
    with Session(engine_for(register_db)) as session:
        old = count_entries(session=session, generation=generations)
    result = runner.invoke(app, ["addresses", "import", str(_write(frame, tmp_path / "ok.csv"))])
    assert result.exit_code == 0, result.output
    assert f"register version {generations + 1}" in result.output
    with Session(engine_for(register_db)) as session:
        assert count_entries(session=session) == len(frame)
        assert count_entries(session=session, generation=generations) == old > len(frame)
        kept = read_entries(session=session, generation=generations)
        assert len(kept) == old
        areas = session.execute(
            text("SELECT count(*) FROM areas WHERE generation_high = :g"), {"g": generations + 1}
        ).scalar_one()
        assert areas > 0  # the boundaries carry over to the new version


@pytest.mark.filterwarnings("ignore:Normalized/laundered field name")
def test_a_shapefile_with_a_duplicate_is_refused(register_db: str, tmp_path: Path) -> None:
    frame = _sample(register_db)
    frame.at[4, "id"] = str(frame["id"].iat[0])
    points = gpd.GeoDataFrame(
        frame.drop(columns=["lon", "lat"]),
        geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
        crs=4326,
    )
    path = tmp_path / "register.shp"
    points.to_file(path)  # community_code and the others are cut to 10 characters
    _refused(register_db, path, "row 5", "repeats row 1")


def test_a_clean_geopackage_is_a_new_version(register_db: str, tmp_path: Path) -> None:
    frame = _sample(register_db)
    points = gpd.GeoDataFrame(
        frame.drop(columns=["lon", "lat"]),
        geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
        crs=4326,
    )
    path = tmp_path / "register.gpkg"
    points.to_file(path, layer="addresses")
    generations, _ = _counts(register_db)
    result = runner.invoke(app, ["addresses", "import", str(path), "--layer", "addresses"])
    assert result.exit_code == 0, result.output
    assert f"register version {generations + 1}" in result.output
    with Session(engine_for(register_db)) as session:
        assert count_entries(session=session) == len(frame)
