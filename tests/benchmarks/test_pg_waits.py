"""The wait sampler of the load benchmark sees what the named backends do (real PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter

import psycopg

from api.db.session import libpq_url
from benchmarks.pg_waits import CPU, WaitSampler, summary


def test_a_sleeping_and_a_busy_backend_are_told_apart(empty_db_url: str) -> None:
    dsn = libpq_url(empty_db_url)
    sampler = WaitSampler(dsn, "waits-under-test", interval=0.02)

    def run(sql: str) -> None:
        with psycopg.connect(dsn, autocommit=True, application_name="waits-under-test") as conn:
            conn.execute(sql)

    busy = "SELECT count(*) FROM generate_series(1, 3000000) a, LATERAL (SELECT a * 2) b"
    threads = [
        threading.Thread(target=run, args=("SELECT pg_sleep(0.6)",)),
        threading.Thread(target=run, args=(busy,)),
    ]
    # another application waits on a lock meanwhile: not counted
    holder = psycopg.connect(dsn, autocommit=True, application_name="someone else")
    holder.execute("SELECT pg_advisory_lock(4711)")
    waiter = threading.Thread(
        target=lambda: (
            psycopg.connect(dsn, autocommit=True, application_name="someone else")
            .execute("SELECT pg_advisory_lock(4711)")
            .connection.close()
        )
    )
    waiter.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counts = sampler.stop()
    holder.close()  # releases the lock
    waiter.join()
    assert sampler.samples > 10
    assert counts[("Timeout", "PgSleep")] > 5
    assert counts[CPU] > 0
    assert ("Lock", "advisory") not in counts, counts
    text = summary(counts)
    assert "Timeout PgSleep" in text and "on CPU" in text


def test_the_summary_names_the_common_waits_and_lumps_the_rest() -> None:
    counts = Counter(
        {
            CPU: 50,
            ("IO", "WALSync"): 30,
            ("LWLock", "WALWrite"): 15,
            ("Lock", "tuple"): 3,
            ("X", "y"): 2,
        }
    )
    assert summary(counts, most=3) == (
        "on CPU 50%, flushing WAL 30%, waiting for another's WAL flush 15%, other 5%"
    )
    assert summary(Counter()) == "no statement was running when sampled"
