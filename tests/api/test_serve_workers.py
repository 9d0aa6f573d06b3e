"""``gridwhistle serve --workers 2``: two processes serve one port; the job runs in one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from api.db.embedded import free_port
from tests.api.served import wait_healthy

REPO = Path(__file__).resolve().parents[2]


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                out.append(int(entry))
    return out


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def test_serve_with_two_workers_answers_from_both(demo_db_url: str) -> None:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": demo_db_url, "GRIDWHISTLE_OVERDUE_JOB_INTERVAL_S": "1"}
    gridwhistle = str(Path(sys.executable).parent / "gridwhistle")
    cmd = [gridwhistle, "serve", "--port", str(port), "--workers", "2"]
    proc = subprocess.Popen(
        cmd,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, proc)
        workers = [c for c in _children(proc.pid) if "spawn_main" in _cmdline(c)]
        assert len(workers) == 2, workers
        with httpx.Client(base_url=base, timeout=10) as client:
            # a public route that reads the database (the catalogue of services)
            services = "/open311/v2/services.json"
            assert all(client.get(services).status_code == 200 for _ in range(20))
        time.sleep(2.5)  # a couple of overdue-job rounds in both workers, without errors
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        output = proc.communicate(timeout=30)[0].decode(errors="replace")
    assert "with 2 worker process(es)" in output
    assert "overdue job failed" not in output and "Traceback" not in output
