"""CPU accounting (psutil) for the load benchmark: the machine (busy, total, stolen by the
hypervisor), a process tree (the server and its workers) and a database's backends (read in a
thread, because backends come and go), split by whom at the end of a phase."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import psutil

_GONE = (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess)


def machine_busy() -> tuple[float, float, float]:
    """(busy, total, stolen) CPU seconds of the whole machine since boot; busy includes the
    time the hypervisor gave to other virtual machines while this one wanted to run (steal)."""
    t = psutil.cpu_times()  # Linux's fields: the first eight of /proc/stat's cpu line
    total = t.user + t.nice + t.system + t.idle + t.iowait + t.irq + t.softirq + t.steal
    return total - t.idle - t.iowait, total, t.steal


def _cpu_seconds(process: psutil.Process) -> float | None:
    """User + system CPU seconds of a process, None when it is gone."""
    try:
        times = process.cpu_times()
    except _GONE:
        return None
    return times.user + times.system


def tree_cpu(root: int) -> dict[int, float]:
    """CPU seconds of ``root`` and all its descendants."""
    try:
        top = psutil.Process(root)
        family = [top, *top.children(recursive=True)]
    except _GONE:
        return {}
    seconds = {p.pid: _cpu_seconds(p) for p in family}
    return {pid: s for pid, s in seconds.items() if s is not None}


def backends_cpu(database: str) -> dict[int, float]:
    """CPU seconds of the PostgreSQL backends connected to ``database`` (by their process
    title, ``postgres: user database host …``)."""
    out: dict[int, float] = {}
    for process in psutil.process_iter():
        try:
            parts = " ".join(process.cmdline()).split()
        except _GONE:
            continue
        if len(parts) >= 3 and parts[0] == "postgres:" and parts[2] == database:
            seconds = _cpu_seconds(process)
            if seconds is not None:
                out[process.pid] = seconds
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
        self._processes: dict[int, psutil.Process] = {}
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
                seconds = self._seconds(pid)
                if seconds is not None:
                    self.last[pid] = seconds

    def _seconds(self, pid: int) -> float | None:
        """A known backend's CPU seconds (its ``psutil.Process`` is kept: reading it again
        costs one file read, and it notices a reused pid); None once it is gone."""
        process = self._processes.get(pid)
        if process is None:
            try:
                process = self._processes[pid] = psutil.Process(pid)
            except _GONE:
                return None
        return _cpu_seconds(process)

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
