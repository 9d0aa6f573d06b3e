"""What the service's PostgreSQL backends were doing while a phase ran, by sampling.

``pg_stat_activity`` shows for each backend running a statement whether it is on the CPU or
waits, and for what: the commit's WAL flush (``IO``/``WALSync``), another backend's flush of
the same WAL (``LWLock``/``WALWrite``), a row lock, the client. Sampled every ``interval``
seconds on a connection of its own (in a thread: each sample holds the load generator's GIL
for a moment only), the shares tell a run slowed by the disk's flushes from one slowed by CPU.
"""

from __future__ import annotations

import threading
from collections import Counter

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
