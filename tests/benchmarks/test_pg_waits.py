"""The wait sampler of the load benchmark sees what the named backends do (real PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter

import psycopg
import pytest

from api.db.session import libpq_url
from benchmarks.pg_waits import CPU, WaitSampler, WalUsage, commit_floor, summary, wal_summary


@pytest.mark.real_clock
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


def test_wal_usage_counts_what_a_commit_wrote_and_flushed(empty_db_url: str) -> None:
    dsn = libpq_url(empty_db_url)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE wal_probe_under_test (id int PRIMARY KEY, v text)")
        try:
            before = WalUsage.take(dsn)
            for i in range(20):
                conn.execute(
                    "INSERT INTO wal_probe_under_test VALUES (%s, repeat('x', 1000))", (i,)
                )
            # a backend reports its statistics at most once a second unless told to
            conn.execute("SELECT pg_stat_force_next_flush()")
            conn.execute("SELECT 1")
            used = WalUsage.take(dsn).delta(before)
        finally:
            conn.execute("DROP TABLE wal_probe_under_test")
    # 20 rows of ~1 kB, each with its index entry and commit record, each commit flushed
    assert used.bytes >= 20 * 1000
    assert used.records >= 3 * 20
    assert used.syncs >= 20 * (1 if _fsync_on(dsn) else 0)
    text = wal_summary(used, 20)
    assert text.startswith(f"{used.bytes / 20 / 1000:.1f} kB in ")
    assert "flushes per report" in text


def _fsync_on(dsn: str) -> bool:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SHOW fsync").fetchone()
    return row is not None and row[0] == "on"


def test_the_commit_floor_commits_each_insert_durably_and_cleans_up(empty_db_url: str) -> None:
    dsn = libpq_url(empty_db_url)
    before = WalUsage.take(dsn)
    latencies = commit_floor(dsn, rate=100, seconds=0.3)
    used = WalUsage.take(dsn).delta(before)
    assert len(latencies) == 30
    assert all(ms > 0 for ms in latencies)
    # each INSERT is its own transaction that waits for the flush (a temporary or unlogged
    # table would not: its commits flush nothing)
    assert used.syncs >= 30
    with psycopg.connect(dsn) as conn:
        left = conn.execute("SELECT to_regclass('commit_floor_probe')").fetchone()
    assert left == (None,)
