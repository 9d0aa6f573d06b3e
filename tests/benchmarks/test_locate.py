"""benchmarks/locate.py: the methods save the same cell positions, the report reads right."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchmarks.locate import (
    _cell_index,
    _load_levels,
    _run_batch,
    _run_sedonadb,
    _save_inputs,
    report,
    sedonadb_available,
)
from geo.codes import Level
from geo.locate import Locator
from grids.demo import build_demo_city


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo city's levels and 20,000 uniform points over its cells, saved as the children
    read them."""
    path = tmp_path_factory.mktemp("locate")
    _save_inputs(path, build_demo_city(cell_area_m2=250_000).levels(), 20_000, seed=3)
    return path


def test_the_batch_run_saves_the_locators_cells(workdir: Path) -> None:
    result = _run_batch(workdir, 20_000)
    assert result["points"] == 20_000 and result["reference"] == (20_000, 0)
    assert 0 < result["fallback_s"] <= result["build_s"] <= result["seconds"]
    levels = _load_levels(workdir)
    lon, lat = np.load(workdir / "lon.npy"), np.load(workdir / "lat.npy")
    want = _cell_index(levels[Level.GRID], Locator(levels, generation=1).locate_codes(lon, lat))
    saved = np.load(workdir / "batch.npy")
    assert (saved == want).all() and (saved >= 0).mean() > 0.5  # the rest: beyond the cells


@pytest.mark.skipif(not sedonadb_available(), reason="the bench extra (sedonadb) is absent")
def test_sedonadb_answers_the_same_cell_positions(workdir: Path) -> None:
    result = _run_sedonadb(workdir, 5_000)
    assert result["points"] == 5_000
    theirs, ours = np.load(workdir / "sedonadb.npy"), np.load(workdir / "batch.npy")[:5_000]
    one = theirs >= 0  # -1: no cell, -2: on an edge between two
    assert one.sum() > 2_500 and ((theirs == -1) == (ours == -1)).all()
    # a point within 1e-9° of an edge may go to the smaller code: none among 5,000 here
    assert (theirs[one] == ours[one]).all()


def test_report_gives_the_ratios_against_sedonadb_and_survives_a_zero_peak(
    tmp_path: Path,
) -> None:
    results: dict[str, dict[str, Any]] = {
        "batch": {"points": 1_000, "seconds": 0.5, "peak_mb": 50.0, "build_s": 0.3,
                  "fallback_s": 0.1, "reference": (1_000, 0)},
        "sjoin": {"points": 1_000, "seconds": 1.0, "peak_mb": 0.0},  # too small to register
        "sedonadb": {"points": 1_000, "seconds": 8.0, "peak_mb": 200.0, "version": "0.5.0"},
    }  # fmt: skip
    text = report(results, tmp_path, "city", 1_000)
    assert "16.0× its speed (PASS, goal ≥ 10×) at 0.25 of its memory (PASS" in text
    assert "(e) SedonaDB spatial join 0.5.0" in text
    assert "peak memory ≤ ¼ of sjoin's: nan MISS" in text
    results["sjoin"] |= {"points": 500, "peak_mb": 400.0}  # sjoin on half the points
    assert "peak memory ≤ ¼ of sjoin's: 0.125 not judged (sjoin ran on 500 of the 1,000" in (
        report(results, tmp_path, "city", 1_000)
    )
    results["sedonadb"] |= {"seconds": 4.0, "peak_mb": 90.0}
    assert "8.0× its speed (MISS, goal ≥ 10×) at 0.56 of its memory (MISS" in report(
        results, tmp_path, "city", 1_000
    )
