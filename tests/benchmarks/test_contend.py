"""The load benchmark's noisy neighbour takes about the CPU it is asked for, and goes away."""

from __future__ import annotations

import random
import time
from itertools import islice

import pytest

from benchmarks.contend import bursts, contention
from benchmarks.cpu import tree_cpu


@pytest.mark.parametrize("duty", [0.1, 0.3, 0.75])
def test_bursts_keep_the_asked_share_busy(duty: float) -> None:
    drawn = list(islice(bursts(duty, random.Random(1)), 5_000))
    busy = sum(b for b, _ in drawn)
    idle = sum(i for _, i in drawn)
    assert busy / (busy + idle) == pytest.approx(duty, abs=0.01)
    assert all(0 < b <= 0.015 for b, _ in drawn)  # slices of ~10 ms, never long stalls


@pytest.mark.parametrize("duty", [0.0, 1.0, -0.2])
def test_a_duty_outside_zero_to_one_is_refused(duty: float) -> None:
    with pytest.raises(ValueError, match="duty"):
        next(bursts(duty, random.Random(1)))


def test_contention_burns_cpu_while_it_runs_and_stops_its_processes() -> None:
    with contention(0.8) as procs:
        assert len(procs) == 2
        time.sleep(1.5)
        used = sum(tree_cpu(p.pid).get(p.pid, 0.0) for p in procs)
        assert all(p.poll() is None for p in procs)
    # the burners start in well under a second; on a busy machine they may get less than
    # asked, but an idle burner would use next to nothing
    assert used > 0.3, used
    assert all(p.returncode is not None for p in procs)


def test_no_contention_starts_nothing() -> None:
    with contention(0) as procs:
        assert procs == []
