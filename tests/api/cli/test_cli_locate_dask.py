"""gridwhistle locate-batch --workers 2 writes the rows the single-process path writes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from distributed import LocalCluster
from typer.testing import CliRunner

from api.cli import app
from api.config import get_settings

runner = CliRunner()


@pytest.fixture
def demo_env(demo_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", demo_db_url)
    get_settings.cache_clear()
    yield demo_db_url
    get_settings.cache_clear()


@pytest.fixture
def points(tmp_path: Path) -> Path:
    """600 positions in and around the demo city, in row groups of 100 (several partitions)."""
    rng = np.random.default_rng(31)
    frame = pd.DataFrame(
        {"id": range(600), "x": rng.uniform(116.0, 116.55, 600), "y": rng.uniform(39.7, 40.0, 600)}
    )
    frame.loc[7, "x"] = np.nan
    path = tmp_path / "points.parquet"
    frame.to_parquet(path, index=False, row_group_size=100)
    return path


def _single_process(points: Path, out: Path) -> pd.DataFrame:
    result = runner.invoke(
        app, ["locate-batch", str(points), str(out), "--lon-col", "x", "--lat-col", "y"]
    )
    assert result.exit_code == 0, result.output
    return pd.read_parquet(out)


def test_workers_write_one_file_row_for_row(demo_env: str, points: Path, tmp_path: Path) -> None:
    want = _single_process(points, tmp_path / "single.parquet")
    out = tmp_path / "dask.parquet"
    args = ["locate-batch", str(points), str(out), "--lon-col", "x", "--lat-col", "y"]
    result = runner.invoke(app, [*args, "--workers", "2", "--blocksize", "1KB"])
    assert result.exit_code == 0, result.output
    assert pq.ParquetFile(out).metadata.num_row_groups > 1  # written partition by partition
    got = pd.read_parquet(out)
    assert 100 < (want["grid_code"] != "").sum() < 599
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    located = int((want["district_code"] != "").sum())
    assert f"{located:,} located" in " ".join(result.output.split())


def test_spatial_partitions_write_a_directory_in_tiles(
    demo_env: str, points: Path, tmp_path: Path
) -> None:
    want = _single_process(points, tmp_path / "single.parquet")
    out = tmp_path / "located"
    args = ["locate-batch", str(points), str(out), "--lon-col", "x", "--lat-col", "y"]
    result = runner.invoke(app, [*args, "--workers", "2", "--spatial", "--blocksize", "1KB"])
    assert result.exit_code == 0, result.output
    files = sorted(out.glob("*.parquet"))
    tiles = [set(pd.read_parquet(f, columns=["tile"])["tile"]) for f in files]
    assert len(files) > 1 and sum(map(len, tiles)) == len(set().union(*tiles))
    got = pd.read_parquet(out).sort_values("row").drop(columns=["row", "tile"])
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want, check_dtype=False)


def test_dask_path_refuses_csv_output_and_two_clusters(
    demo_env: str, points: Path, tmp_path: Path
) -> None:
    csv = runner.invoke(
        app, ["locate-batch", str(points), str(tmp_path / "o.csv"), "--workers", "2"]
    )
    assert csv.exit_code == 1 and "Parquet" in csv.output
    both = runner.invoke(
        app,
        ["locate-batch", str(points), str(tmp_path / "o.parquet"), "--workers", "2",
         "--scheduler", "tcp://127.0.0.1:1"],
    )  # fmt: skip
    assert both.exit_code == 1 and "not both" in both.output
    (tmp_path / "earlier").mkdir()
    (tmp_path / "earlier" / "part.7.parquet").write_bytes(b"")
    taken = runner.invoke(
        app, ["locate-batch", str(points), str(tmp_path / "earlier"), "--workers", "2"]
    )
    assert taken.exit_code == 1 and "not empty" in " ".join(taken.output.split())


def test_scheduler_runs_a_csv_on_an_existing_cluster(
    demo_env: str, points: Path, tmp_path: Path
) -> None:
    csv = tmp_path / "points.csv"
    pd.read_parquet(points).to_csv(csv, index=False)
    want = _single_process(csv, tmp_path / "single.parquet")
    out = tmp_path / "located"
    args = ["locate-batch", str(csv), str(out), "--lon-col", "x", "--lat-col", "y"]
    with LocalCluster(
        n_workers=1, threads_per_worker=2, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        result = runner.invoke(app, [*args, "--scheduler", cluster.scheduler_address])
    assert result.exit_code == 0, result.output
    assert want["x"].isna().sum() == 1 and (want["district_code"] != "").sum() > 100
    got = pd.read_parquet(out)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
