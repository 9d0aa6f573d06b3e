"""The machine second by second while a phase runs: did the slow requests fall when the
hypervisor took the cores?

A phase's average steal says that a run was disturbed, not whether its slow requests came
from it. ``MachineTimeline`` reads the machine's CPU counters (``benchmarks.cpu.machine_busy``)
in a thread every ``interval`` seconds; ``per_second`` turns the readings into the cores used
and stolen in each second of the phase, and ``slow_vs_stolen`` compares the seconds that held
the most slow requests with the others.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from benchmarks.cpu import machine_busy


@dataclass(frozen=True)
class Reading:
    """The machine's counters (CPU seconds since boot) at ``at`` (``time.perf_counter``)."""

    at: float
    busy: float
    stolen: float


@dataclass(frozen=True)
class SecondLoad:
    """One second of a phase: cores at work for this machine, and cores stolen from it."""

    second: int
    working: float
    stolen: float


class MachineTimeline:
    """The machine's CPU counters read every ``interval`` seconds in a thread until ``stop``."""

    def __init__(
        self,
        interval: float = 0.1,
        *,
        read: Callable[[], tuple[float, float, float]] = machine_busy,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._interval = interval
        self._read = read
        self._clock = clock
        self.readings = [self._take()]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _take(self) -> Reading:
        busy, _total, stolen = self._read()
        return Reading(at=self._clock(), busy=busy, stolen=stolen)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.readings.append(self._take())

    def stop(self) -> list[Reading]:
        """Stop reading; all readings, the last one taken now."""
        self._stop.set()
        self._thread.join()
        self.readings.append(self._take())
        return self.readings


def per_second(readings: Sequence[Reading], start: float, elapsed: float) -> list[SecondLoad]:
    """The cores at work (busy, not stolen) and stolen in each second of a phase that began
    at ``start`` and lasted ``elapsed`` seconds (a last, shorter second is scaled to a
    second). The counters are interpolated between the readings around each second's edges
    (clamped to the first and last reading)."""
    edges = start + np.minimum(np.arange(math.ceil(elapsed) + 1), elapsed)
    times = [r.at for r in readings]
    busy = np.interp(edges, times, [r.busy for r in readings])
    stolen = np.interp(edges, times, [r.stolen for r in readings])
    widths = np.diff(edges)
    return [
        SecondLoad(
            second=k,
            working=float((busy[k + 1] - busy[k] - stolen[k + 1] + stolen[k]) / width),
            stolen=float((stolen[k + 1] - stolen[k]) / width),
        )
        for k, width in enumerate(widths)
        if width > 0
    ]


def slow_vs_stolen(
    at: Sequence[float],
    ms: Sequence[float],
    load: Sequence[SecondLoad],
    *,
    above: float,
    worst: int = 3,
) -> str:
    """The cores stolen and at work in the ``worst`` seconds by requests over ``above`` ms
    (by send time, seconds into the phase) against the phase's other seconds."""
    slow = Counter(int(t) for t, m in zip(at, ms, strict=True) if m > above)
    by_second = {s.second: s for s in load}
    sent = {int(t) for t in at} & by_second.keys()  # the seconds measured (after a warm-up)
    top = {k for k, _ in slow.most_common(worst)} & sent
    if not top:
        return ""
    rest = [by_second[k] for k in sorted(sent - top)]

    def mean(seconds: Sequence[SecondLoad]) -> str:
        stolen = sum(s.stolen for s in seconds) / len(seconds)
        working = sum(s.working for s in seconds) / len(seconds)
        return f"{stolen:4.2f} cores stolen, {working:4.2f} at work"

    those = "that second" if len(top) == 1 else f"those {len(top)} seconds"
    text = f"in {those} {mean([by_second[k] for k in sorted(top)])}"
    return text + (f"; in the other {len(rest)}: {mean(rest)}" if rest else "")
