"""The load benchmark's second-by-second machine timeline: steal is put in the right second,
and the seconds with the slow requests are compared with the others."""

from __future__ import annotations

import time
from itertools import count

import pytest

from benchmarks.timeline import (
    MachineTimeline,
    Reading,
    SecondLoad,
    machine_busy,
    per_second,
    slow_vs_stolen,
)


def _readings(stolen_per_second: list[float], working: float = 1.0) -> list[Reading]:
    """Counters read every 0.25 s from t = 100 on, each second with its own steal."""
    out, busy, stolen = [Reading(at=100.0, busy=0.0, stolen=0.0)], 0.0, 0.0
    for k, steal in enumerate(stolen_per_second):
        for q in range(1, 5):
            busy += (working + steal) / 4
            stolen += steal / 4
            out.append(Reading(at=100.0 + k + q / 4, busy=busy, stolen=stolen))
    return out


def test_each_second_gets_its_own_steal() -> None:
    load = per_second(_readings([0.0, 0.6, 0.0, 0.2]), start=100.0, elapsed=4.0)
    assert [s.second for s in load] == [0, 1, 2, 3]
    assert [s.stolen for s in load] == pytest.approx([0.0, 0.6, 0.0, 0.2])
    assert [s.working for s in load] == pytest.approx([1.0, 1.0, 1.0, 1.0])


def test_seconds_between_readings_are_interpolated() -> None:
    # the phase starts 0.6 s after the first reading, between two readings: its first second
    # holds 0.6 of the second with steal, its second 0.4
    load = per_second(_readings([0.0, 0.8, 0.0]), start=100.6, elapsed=2.0)
    assert [s.stolen for s in load] == pytest.approx([0.48, 0.32])


def test_a_last_short_second_is_scaled_to_a_second() -> None:
    load = per_second(_readings([0.0, 0.4]), start=100.0, elapsed=1.5)
    assert len(load) == 2
    assert load[1].stolen == pytest.approx(0.4)


def test_the_slow_seconds_are_compared_with_the_others() -> None:
    load = [SecondLoad(k, 1.0, 0.5 if k in (2, 5) else 0.05) for k in range(8)]
    at = [k + 0.5 for k in range(8) for _ in range(10)]
    ms = [50.0 if int(t) in (2, 5) else 5.0 for t in at]
    text = slow_vs_stolen(at, ms, load, above=30.0, worst=3)
    assert text == (
        "in those 2 seconds 0.50 cores stolen, 1.00 at work; "
        "in the other 6: 0.05 cores stolen, 1.00 at work"
    )


def test_only_the_measured_seconds_count() -> None:
    # seconds 0 (a warm-up) and 4 (after the last send) are not compared
    load = [SecondLoad(k, 1.0, 0.9 if k in (0, 4) else 0.1 * k) for k in range(5)]
    at = [1.5, 2.5, 3.5]
    text = slow_vs_stolen(at, [40.0, 5.0, 5.0], load, above=30.0)
    assert text == (
        "in that second 0.10 cores stolen, 1.00 at work; "
        "in the other 2: 0.25 cores stolen, 1.00 at work"
    )


def test_no_slow_requests_no_comparison() -> None:
    load = [SecondLoad(k, 1.0, 0.0) for k in range(3)]
    assert slow_vs_stolen([0.1, 1.1], [5.0, 6.0], load, above=30.0) == ""


@pytest.mark.real_clock
def test_the_timeline_reads_in_a_thread_until_stopped() -> None:
    ticks = count()

    def read() -> tuple[float, float, float]:
        n = float(next(ticks))
        return 2 * n, 4 * n, n

    timeline = MachineTimeline(interval=0.01, read=read)
    time.sleep(0.2)
    readings = timeline.stop()
    assert len(readings) >= 5
    assert [r.stolen for r in readings] == sorted(r.stolen for r in readings)
    assert [r.at for r in readings] == sorted(r.at for r in readings)
    taken = len(readings)
    time.sleep(0.05)
    assert len(timeline.readings) == taken  # nothing read after stop


def test_the_machine_counters_are_plausible() -> None:
    busy, total, stolen = machine_busy()
    assert 0 <= stolen <= busy <= total
    time.sleep(0.1)
    assert machine_busy()[1] > total
