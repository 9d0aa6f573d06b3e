"""What the service's PostgreSQL backends were doing while a phase ran, by sampling.

``pg_stat_activity`` shows for each backend running a statement whether it is on the CPU or
waits, and for what: the commit's WAL flush (``IO``/``WALSync``), another backend's flush of
the same WAL (``LWLock``/``WALWrite``), a row lock, the client. Sampled every ``interval``
seconds on a connection of its own (in a thread: each sample holds the load generator's GIL
for a moment only), the shares tell a run slowed by the disk's flushes from one slowed by CPU.

Also: the WAL a phase wrote and flushed (``WalUsage``, from ``pg_stat_wal``), and the floor
(``commit_floor``): what a bare durable commit costs at the same moment.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, fields, replace

import psycopg

CPU = ("CPU", "")
_SAMPLE = (
    "SELECT coalesce(wait_event_type, 'CPU'), coalesce(wait_event, '') FROM pg_stat_activity "
    "WHERE application_name = %s AND state = 'active' AND pid <> pg_backend_pid()"
)
# what the common waits of a report's statement mean, for the printout
NAMES = {
    CPU: "on CPU",
    ("IO", "WALSync"): "flushing WAL",
    ("LWLock", "WALWrite"): "waiting for another's WAL flush",
    ("IO", "WALWrite"): "writing WAL",
    ("Lock", "transactionid"): "row lock",
    ("Lock", "tuple"): "row lock",
    ("Client", "ClientRead"): "reading from the client",
}


class WaitSampler:
    """Counts (wait_event_type, wait_event) of the active backends named ``application``."""

    def __init__(self, dsn: str, application: str, interval: float = 0.05) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.samples = 0
        self._conn = psycopg.connect(dsn, autocommit=True)
        self._application = application
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            rows = self._conn.execute(_SAMPLE, (self._application,)).fetchall()
            self.counts.update((str(kind), str(event)) for kind, event in rows)
            self.samples += 1

    def stop(self) -> Counter[tuple[str, str]]:
        """Stop sampling; the counts."""
        self._stop.set()
        self._thread.join()
        self._conn.close()
        return self.counts


def summary(counts: Counter[tuple[str, str]], *, most: int = 4) -> str:
    """E.g. ``on CPU 48%, flushing WAL 31%, waiting for another's WAL flush 17%, other 4%``
    (shares of the active backends' samples)."""
    total = sum(counts.values())
    if not total:
        return "no statement was running when sampled"
    parts = []
    shown = 0
    for key, n in counts.most_common(most):
        name = NAMES.get(key, f"{key[0]} {key[1]}".strip())
        parts.append(f"{name} {n / total:.0%}")
        shown += n
    if total > shown:
        parts.append(f"other {(total - shown) / total:.0%}")
    return ", ".join(parts)


# -- WAL written and flushed (pg_stat_wal: the whole cluster) --------------------------------

_WAL = (
    "SELECT wal_records, wal_fpi, wal_bytes::float8, wal_write, wal_sync, wal_sync_time "
    "FROM pg_stat_wal"
)


@dataclass(frozen=True)
class WalUsage:
    """``pg_stat_wal``'s counters at one moment; ``delta`` gives what happened between two.

    ``sync_ms`` is only counted by processes that run with ``track_wal_io_timing`` on (the
    benchmark turns it on for its database's backends, not for the WAL writer, whose flushes
    ``syncs`` counts too: the mean per flush is then a slight underestimate)."""

    records: int
    full_pages: int
    bytes: float
    writes: int
    syncs: int
    sync_ms: float

    @classmethod
    def take(cls, dsn: str) -> WalUsage:
        with psycopg.connect(dsn, autocommit=True) as conn:
            row = conn.execute(_WAL).fetchone()
        assert row is not None
        records, full_pages, size, writes, syncs, sync_ms = row
        return cls(
            int(records), int(full_pages), float(size), int(writes), int(syncs), float(sync_ms)
        )

    def delta(self, before: WalUsage) -> WalUsage:
        return replace(
            self, **{f.name: getattr(self, f.name) - getattr(before, f.name) for f in fields(self)}
        )


def wal_summary(wal: WalUsage, reports: int) -> str:
    """E.g. ``6.1 kB in 21 records (0.3 full pages) per report; 0.81 flushes per report,
    0.92 ms each`` for ``reports`` stored."""
    per = 1 / max(1, reports)
    text = (
        f"{wal.bytes * per / 1000:.1f} kB in {wal.records * per:.0f} records "
        f"({wal.full_pages * per:.2f} full pages) per report; "
        f"{wal.syncs * per:.2f} flushes per report"
    )
    if wal.syncs and wal.sync_ms:
        text += f", {wal.sync_ms / wal.syncs:.2f} ms each"
    return text


# -- the floor: a bare durable commit at the same pace ----------------------------------------

_FLOOR_TABLE = "commit_floor_probe"


def commit_floor(dsn: str, *, rate: float, seconds: float) -> list[float]:
    """Latencies (ms) of one-row INSERTs, each its own durably committed transaction, sent
    one at a time at ``rate`` per second for ``seconds``: what a commit costs on this machine
    and disk right now, to read a service's latency against.

    The table is an ordinary one, created and dropped here: a transaction that writes only a
    temporary or unlogged table does not wait for the WAL flush."""
    latencies: list[float] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE IF NOT EXISTS {_FLOOR_TABLE} (id bigserial PRIMARY KEY)")
        try:
            interval = 1 / rate
            start = time.perf_counter()
            for i in range(max(1, round(rate * seconds))):
                delay = start + i * interval - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                sent = time.perf_counter()
                conn.execute(f"INSERT INTO {_FLOOR_TABLE} DEFAULT VALUES")
                latencies.append((time.perf_counter() - sent) * 1000)
        finally:
            # its WAL statistics now, not when the backend next finds time (in a phase)
            conn.execute("SELECT pg_stat_force_next_flush()")
            conn.execute(f"DROP TABLE {_FLOOR_TABLE}")
    return latencies
