"""The load benchmark's report helpers (pure)."""

from __future__ import annotations

from benchmarks.api_load import percentile, slow_seconds


def test_slow_latencies_bunched_in_a_few_seconds_are_told_apart_from_spread_ones() -> None:
    at = [i / 10 for i in range(100)]  # 10 requests a second for 10 s
    bunched = [50.0 if 3 <= t < 4 else 5.0 for t in at]
    assert slow_seconds(at, bunched, above=30) == (
        "10 over 30 ms, in 1 of 10 seconds; the worst 1 seconds hold 100% of them"
    )
    spread = [50.0 if i % 10 == 0 else 5.0 for i in range(100)]
    assert slow_seconds(at, spread, above=30) == (
        "10 over 30 ms, in 10 of 10 seconds; the worst 3 seconds hold 30% of them"
    )
    assert slow_seconds(at, [5.0] * 100, above=30) == "none over 30 ms"


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 99) == 99.0
    assert percentile(values, 50) == 50.0
    assert percentile([], 99) != percentile([], 99)  # NaN
