"""``gridwhistle serve`` stops on SIGINT (Ctrl-C) while a live event stream is open: it waits
``GRIDWHISTLE_SHUTDOWN_GRACE_S`` for open connections, then closes them, instead of waiting
for the stream to end on its own (``GRIDWHISTLE_EVENTS_STREAM_MAX_S``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy.orm import Session

from api.auth.roles import Role
from api.auth.service import create_user, issue_token
from api.db.embedded import free_port
from api.db.session import engine_for
from tests.api.served import wait_healthy

REPO = Path(__file__).resolve().parents[2]
STREAM_MAX_S = 300  # the stream would stay open this long
GRACE_S = 1


def _token(url: str) -> str:
    with Session(engine_for(url)) as session:
        user = create_user(session=session, username="stream", role=Role.ADMIN, jurisdiction=None)
        token = issue_token(session=session, user=user)
        session.commit()
    return token


def test_ctrl_c_closes_a_live_stream_after_the_grace(
    make_database: Callable[[str], str],
) -> None:
    url = make_database("shutdown")
    token = _token(url)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "GRIDWHISTLE_EVENTS_STREAM_MAX_S": str(STREAM_MAX_S),
        "GRIDWHISTLE_SHUTDOWN_GRACE_S": str(GRACE_S),
    }
    gridwhistle = str(Path(sys.executable).parent / "gridwhistle")
    proc = subprocess.Popen(
        [gridwhistle, "serve", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    opened = threading.Event()

    def listen() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        try:
            with httpx.stream("GET", f"{base}/api/events/stream", headers=headers,
                              timeout=httpx.Timeout(5, read=None)) as response:  # fmt: skip
                assert response.status_code == 200
                opened.set()
                for _ in response.iter_bytes():
                    pass
        except httpx.HTTPError:
            pass  # the server closed the stream

    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc)
        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        assert opened.wait(30), "the stream did not open"
        proc.send_signal(signal.SIGINT)
        # far below the stream's own end: the grace, then the lifespan's shutdown
        code = proc.wait(timeout=STREAM_MAX_S / 6)
        listener.join(10)
        assert not listener.is_alive()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        output = proc.communicate(timeout=30)[0].decode(errors="replace")
    assert code == 0, output
    assert "Waiting for connections to close" in output or "Shutting down" in output, output
