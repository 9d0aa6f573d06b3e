"""The embedded cluster: initdb, start, status, stale pid file, port in use, stop."""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from api.db.embedded import EmbeddedCluster, EmbeddedDatabaseError, free_port, libpq_url

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def cluster() -> Iterator[EmbeddedCluster]:
    home = REPO / ".gridwhistle" / "test-clusters" / uuid.uuid4().hex[:8]
    instance = EmbeddedCluster(home, database="gw_embedded_test")
    yield instance
    try:
        instance.stop()
    finally:
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(instance.root.parent, ignore_errors=True)


def test_start_initialises_and_serves_postgis_on_loopback(cluster: EmbeddedCluster) -> None:
    notes = cluster.start()
    assert any("initialised" in n for n in notes)
    info = cluster.info()
    assert info is not None
    with psycopg.connect(libpq_url(info.url()), connect_timeout=5) as conn:
        version = conn.execute("SELECT postgis_lib_version()").fetchone()
        listen = conn.execute("SHOW listen_addresses").fetchone()
    assert version is not None and version[0].startswith("3.")
    assert listen == ("127.0.0.1",)
    st = cluster.status()
    assert st.running and st.initialised and st.port == info.port


def test_second_start_reuses_the_running_cluster(cluster: EmbeddedCluster) -> None:
    cluster.start()
    pid = cluster.status().pid
    notes = cluster.start()
    assert any("already running" in n for n in notes)
    assert cluster.status().pid == pid


def test_requested_port_in_use_is_a_clear_error(cluster: EmbeddedCluster) -> None:
    cluster.stop()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(EmbeddedDatabaseError, match=f"port {port} .* in use"):
            cluster.start(port=port)
    assert not cluster.status().running


def test_recorded_port_taken_moves_to_a_free_port(cluster: EmbeddedCluster) -> None:
    cluster.stop()
    info = cluster.info()
    assert info is not None
    with socket.socket() as busy:
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        busy.bind(("127.0.0.1", info.port))
        busy.listen()
        notes = cluster.start()
    assert any(f"port {info.port} is in use" in n for n in notes)
    new = cluster.info()
    assert new is not None and new.port != info.port and cluster.status().running


@pytest.mark.parametrize("pid", [999_999, os.getpid()], ids=["dead", "reused-by-another-program"])
def test_stale_pid_file_is_removed_with_a_message(cluster: EmbeddedCluster, pid: int) -> None:
    cluster.stop()
    pid_file = cluster.data_dir / "postmaster.pid"
    pid_file.write_text(f"{pid}\n{cluster.data_dir}\n")
    notes = cluster.start(port=free_port())
    assert any("stale pid file" in n for n in notes)
    assert cluster.status().running


def test_stop_then_status(cluster: EmbeddedCluster) -> None:
    cluster.start()
    assert cluster.stop() == "stopped"
    assert not cluster.status().running
    assert cluster.stop() == "not running"
