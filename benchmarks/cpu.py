"""CPU accounting from ``/proc`` for the load benchmark: the machine (busy, total, stolen by
the hypervisor), a process tree (the server and its workers) and a database's backends (read
in a thread, because backends come and go), split by whom at the end of a phase."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float, float]:
    """(busy, total, stolen) CPU seconds of the whole machine since boot; busy includes the
    time the hypervisor gave to other virtual machines while this one wanted to run (steal)."""
    first = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    ticks = [int(v) for v in first]
    idle = ticks[3] + ticks[4]  # idle + iowait
    total = sum(ticks[:8])
    return (total - idle) / CLK_TCK, total / CLK_TCK, ticks[7] / CLK_TCK


def _stat(pid: int) -> tuple[int, float] | None:
    """(ppid, CPU seconds) of a process, None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLK_TCK


def _all_pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def tree_cpu(root: int) -> dict[int, float]:
    """CPU seconds of ``root`` and all its descendants."""
    stats = {pid: s for pid in _all_pids() if (s := _stat(pid)) is not None}
    tree = {root}
    grew = True
    while grew:
        grew = False
        for pid, (ppid, _) in stats.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return {pid: stats[pid][1] for pid in tree if pid in stats}


def backends_cpu(database: str) -> dict[int, float]:
    """CPU seconds of the PostgreSQL backends connected to ``database``."""
    out: dict[int, float] = {}
    for pid in _all_pids():
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        parts = cmdline.replace("\0", " ").split()
        if len(parts) >= 3 and parts[0] == "postgres:" and parts[2] == database:
            stat = _stat(pid)
            if stat is not None:
                out[pid] = stat[1]
    return out


def _delta(after: dict[int, float], before: dict[int, float]) -> float:
    return sum(v - before.get(pid, 0.0) for pid, v in after.items())


class BackendSampler:
    """CPU seconds of a database's backends over a phase, sampled in a thread.

    A backend that exits (a pool's overflow connection being closed) takes its CPU counters
    with it, so the known backends are read every ``interval`` seconds and each one's last
    reading kept; every ``rescan`` seconds all processes are scanned for new backends (the
    thread shares the load generator's interpreter, so it must hold the GIL only briefly).
    """

    def __init__(self, database: str, interval: float = 0.25, rescan: float = 2.0) -> None:

        self.database = database
        self.interval = interval
        self.rescan = rescan
        self.first = backends_cpu(database)
        self.last = dict(self.first)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        scanned = time.monotonic()
        while not self._stop.wait(self.interval):
            if time.monotonic() - scanned >= self.rescan:
                self.last.update(backends_cpu(self.database))
                scanned = time.monotonic()
                continue
            for pid in list(self.last):
                stat = _stat(pid)
                if stat is not None:
                    self.last[pid] = stat[1]

    def stop(self) -> float:
        """Stop sampling; the CPU seconds spent since the start."""
        self._stop.set()
        self._thread.join()
        self.last.update(backends_cpu(self.database))
        return _delta(self.last, self.first)


@dataclass
class CpuSample:
    """A snapshot of the CPU counters the report splits (PostgreSQL is sampled apart)."""

    wall: float
    own: float
    server: dict[int, float]
    busy: float
    total: float
    stolen: float

    @classmethod
    def take(cls, server_pid: int) -> CpuSample:
        busy, total, stolen = machine_busy()
        return cls(
            wall=time.perf_counter(),
            own=time.process_time(),
            server=tree_cpu(server_pid),
            busy=busy,
            total=total,
            stolen=stolen,
        )


@dataclass(frozen=True)
class CpuSplit:
    """CPU seconds spent during a phase, by whom."""

    wall: float
    load_generator: float
    server: float
    postgres: float
    machine_busy: float
    machine_total: float
    stolen: float
    connections_opened: int

    @classmethod
    def between(
        cls, before: CpuSample, after: CpuSample, postgres: float, connections_opened: int
    ) -> CpuSplit:
        return cls(
            wall=after.wall - before.wall,
            load_generator=after.own - before.own,
            server=_delta(after.server, before.server),
            postgres=postgres,
            machine_busy=after.busy - before.busy,
            machine_total=after.total - before.total,
            stolen=after.stolen - before.stolen,
            connections_opened=connections_opened,
        )
