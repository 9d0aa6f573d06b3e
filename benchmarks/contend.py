"""A noisy neighbour on purpose: competing CPU load for the load benchmark.

On a shared virtual machine the service's p99 misses its target when something else takes
the cores (the hypervisor's steal, another tenant). ``api_load --contend CORES`` reproduces
that on demand: while its phases run, ``Contention`` keeps processes busy in bursts of a few
milliseconds at random, so that together they take about ``CORES`` of the machine, the way
a neighbour's work arrives. The benchmark then shows what the same service does on a busier
machine, floor included.

Run alone (one burner; ``api_load`` starts them)::

    .venv/bin/python -m benchmarks.contend --duty 0.3
"""

from __future__ import annotations

import argparse
import contextlib
import math
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MEAN_BURST_S = 0.010  # a neighbour's work arrives in slices of about a scheduler tick


def bursts(
    duty: float, rng: random.Random, mean_busy: float = MEAN_BURST_S
) -> Iterator[tuple[float, float]]:
    """Endless (busy, idle) seconds whose busy share averages ``duty`` (0 < duty < 1): both
    drawn uniformly within ±50 % of their means."""
    if not 0 < duty < 1:
        raise ValueError(f"duty must be within 0..1 (exclusive), not {duty}")
    mean_idle = mean_busy * (1 - duty) / duty
    while True:
        yield rng.uniform(0.5, 1.5) * mean_busy, rng.uniform(0.5, 1.5) * mean_idle


def burn(duty: float, seed: int | None = None) -> None:
    """Keep one core busy ``duty`` of the time until terminated."""
    for busy, idle in bursts(duty, random.Random(seed)):
        end = time.perf_counter() + busy
        while time.perf_counter() < end:
            pass
        time.sleep(idle)


@contextlib.contextmanager
def contention(cores: float) -> Iterator[list[subprocess.Popen[bytes]]]:
    """About ``cores`` of competing CPU load while the block runs, shared by at least two
    burner processes (so that it lands on either core, as a neighbour's does), each busy less
    than all the time; they are stopped and reaped when the block ends, also on failure."""
    if cores <= 0:
        yield []
        return
    count = max(2, math.floor(cores) + 1)
    duty = cores / count
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for i in range(count):
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "benchmarks.contend",
                        "--duty",
                        str(duty),
                        "--seed",
                        str(i),
                    ],
                    cwd=REPO,
                )
            )
        yield procs
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.contend", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--duty", type=float, required=True, help="share of one core to keep busy")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    if not 0 < args.duty < 1:
        parser.error("--duty must be within 0..1 (exclusive)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    burn(args.duty, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
