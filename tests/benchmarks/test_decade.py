"""benchmarks/decade.py: chunks are deterministic, the table reads right, a tiny run agrees."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmarks.decade import Chunk, Row, Sampler, chunks, decade_chunk, main, table

SAMPLER = Sampler(bounds=np.array([[116.3, 39.8, 116.4, 39.9]]), cumulative=np.ones(1))


def test_chunks_split_each_year_and_draw_the_same_events_twice() -> None:
    todo = chunks(seed=1, years=2, per_year=10, parts=3)
    assert [c.size for c in todo] == [4, 3, 3, 4, 3, 3] and {c.year for c in todo} == {0, 1}
    first, again = decade_chunk(todo[0], SAMPLER), decade_chunk(Chunk(1, 0, 0, 4), SAMPLER)
    pd.testing.assert_frame_equal(first, again)
    assert not decade_chunk(todo[1], SAMPLER).equals(first.iloc[:3])
    assert first["lon"].between(116.3, 116.4).all()


def test_table_gives_throughput_and_scaling_against_one_worker() -> None:
    rows = [
        Row("single process (in memory)", 1, 1_000, 1.0, 0.0, 500.0),
        Row("Dask, 1 worker", 2, 2_000, 4.0, 9.0, 600.0),
        Row("Dask, 2 workers", 2, 2_000, 2.5, 12.0, 610.0),
    ]
    lines = table(rows).splitlines()
    assert lines[0].split()[:2] == ["engine", "years"]
    assert lines[2].split()[-6:] == ["2,000", "4.0", "500", "1.00", "9.0", "600"]
    assert lines[3].split()[-4:-2] == ["800", "1.60"] and lines[1].split()[-3] == "-"


def test_a_tiny_decade_runs_on_two_workers(capsys: pytest.CaptureFixture[str]) -> None:
    rows = main(["--years", "2", "--per-year", "3000", "--parts", "2", "--cell-area", "250000",
                 "--workers", "2"])  # fmt: skip
    assert [r.engine for r in rows] == ["single process (in memory)", "Dask, 2 workers"]
    assert rows[1].events == 6_000 and rows[0].events == 3_000
    assert "cubes agree" in capsys.readouterr().out
