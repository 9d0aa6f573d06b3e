"""gridwhistle locate and locate-batch against the demo database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from api.cli import app
from api.config import get_settings
from api.geography import locate as pg
from geo.coords import CoordinateSystem, from_wgs84
from geo.locate import OutsideJurisdiction

runner = CliRunner()


@pytest.fixture
def demo_env(demo_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", demo_db_url)
    get_settings.cache_clear()
    yield demo_db_url
    get_settings.cache_clear()


def test_locate_prints_json_in_wgs84(demo_env: str) -> None:
    lon, lat = from_wgs84(116.3170, 39.8900, CoordinateSystem.GCJ02)
    result = runner.invoke(
        app, ["locate", "--lon", str(lon), "--lat", str(lat), "--crs", "gcj02", "--json"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["street"]["code"] == "110106002"
    assert body["position"]["lon"] == pytest.approx(116.3170, abs=1e-7)


def test_locate_outside_fails_with_the_nearest_district(demo_env: str) -> None:
    result = runner.invoke(app, ["locate", "--lon", "117.5", "--lat", "40.5"])
    assert result.exit_code == 1
    assert "nearest" in result.output


def _coordinate(value: object) -> float:
    """A lon or lat cell of locate-batch's output: text read from CSV, a float from Parquet."""
    assert isinstance(value, str | float)
    return float(value)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_locate_batch_adds_codes_matching_postgis(
    demo_env: str, demo_session: Session, tmp_path: Path, suffix: str
) -> None:
    rng = np.random.default_rng(8)
    frame = pd.DataFrame(
        {"id": range(60), "x": rng.uniform(116.05, 116.5, 60), "y": rng.uniform(39.76, 39.98, 60)}
    )
    src, dst = tmp_path / f"in{suffix}", tmp_path / f"out{suffix}"
    if suffix == ".csv":
        frame.to_csv(src, index=False)
    else:
        frame.to_parquet(src, index=False)
    result = runner.invoke(
        app, ["locate-batch", str(src), str(dst), "--lon-col", "x", "--lat-col", "y"]
    )
    assert result.exit_code == 0, result.output
    out = (
        pd.read_csv(dst, dtype=str, keep_default_na=False)
        if suffix == ".csv"
        else pd.read_parquet(dst)
    )
    assert len(out) == 60
    for row in out.itertuples():
        try:
            expected = pg.locate_point(
                session=demo_session, lon=_coordinate(row.x), lat=_coordinate(row.y)
            )
        except OutsideJurisdiction:
            assert row.district_code == ""
            continue
        assert row.grid_code == (expected.grid.code if expected.grid else "")
        assert row.street_code == (expected.street.code if expected.street else "")


def test_locate_batch_names_missing_columns(demo_env: str, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    pd.DataFrame({"a": [1]}).to_csv(src, index=False)
    result = runner.invoke(app, ["locate-batch", str(src), str(tmp_path / "o.csv")])
    assert result.exit_code == 1 and "missing column" in result.output
