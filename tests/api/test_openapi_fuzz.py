"""Schemathesis against the served app: every check, every phase (examples, coverage,
fuzzing and the stateful phase, which follows the document's links), as an administrator.

The run is bounded by wall-clock time (``GRIDWHISTLE_FUZZ_SECONDS``, 100 s by default) and
generates deterministically, so a run on the same code asks the same questions first. A
failure that the document cannot rule out is accepted in ``openapi_baseline.json``, each
entry with its ``reason``; any other failure fails the test with Schemathesis' report (each
case with a ``curl`` line that reproduces it). docs/api.md says how to update the baseline.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import OpenApiSite

HERE = Path(__file__).resolve().parent
BASELINE = HERE / "openapi_baseline.json"
BUDGET_S = int(os.environ.get("GRIDWHISTLE_FUZZ_SECONDS", "100"))
# the CLI stops on its own once the budget is spent; this only ends a run that hangs
HANG_S = BUDGET_S + 120
PHASES = "examples,coverage,fuzzing,stateful"


def schemathesis_cli() -> Path:
    """The ``st`` executable of the interpreter running the tests, or skip."""
    st = Path(sys.executable).parent / "st"
    if not st.exists():
        pytest.skip(f"schemathesis is not installed next to {sys.executable}")
    return st


def warm_up(site: OpenApiSite) -> None:
    """Build what the first call of a kind builds (the address register's geocoder, the call
    text model): seconds, which would otherwise count as one request's response time."""
    headers = {"Authorization": f"Bearer {site.token}"}
    for path in ("/api/geocode", "/api/hotline/parse"):
        httpx.post(
            f"{site.base}{path}", json={"text": "广安门外大街1号"}, headers=headers, timeout=120
        )


def fuzz(
    site: OpenApiSite, tmp_path: Path, *, update: bool = False
) -> subprocess.CompletedProcess[str]:
    """One Schemathesis run against ``site``; its report is written under ``tmp_path``."""
    command = [
        str(schemathesis_cli()),
        "run",
        f"{site.base}/openapi.json",
        "--checks=all",
        f"--phases={PHASES}",
        f"--max-time={BUDGET_S}",
        "--generation-deterministic",
        "--workers=1",
        "--request-timeout=30",
        f"--header=Authorization: Bearer {site.token}",
        f"--baseline={BASELINE}",
        "--report=junit",
        f"--report-dir={tmp_path}",
        "--no-color",
        # an endless event stream (a request would only time out): tests/api/events test it
        "--exclude-path=/api/events/stream",
        # a logout revokes the administrator's token every later request of the run (and the
        # other tests on this site) sends: tests/api/auth test it
        "--exclude-path=/api/auth/logout",
        "--output-truncate=true",
    ]
    if update:
        command.append("--baseline-update")
    # in tmp_path: Schemathesis keeps the failures it found (.schemathesis/) where it runs and
    # would replay them first next time
    return subprocess.run(
        command, capture_output=True, text=True, timeout=HANG_S, check=False, cwd=tmp_path
    )


def test_the_fuzzer_finds_nothing_outside_the_baseline(
    openapi_site: OpenApiSite, tmp_path: Path, artifacts: Path
) -> None:
    warm_up(openapi_site)
    run = fuzz(
        openapi_site, tmp_path, update=os.environ.get("GRIDWHISTLE_FUZZ_UPDATE_BASELINE") == "1"
    )
    (artifacts / "schemathesis.txt").write_text(run.stdout + run.stderr, encoding="utf-8")
    report = run.stdout[-20_000:] + run.stderr[-5_000:]
    assert "Stateful" in run.stdout, report  # the stateful phase ran
    assert run.returncode == 0, report


def test_every_accepted_failure_says_why() -> None:
    entries = json.loads(BASELINE.read_text(encoding="utf-8"))["entries"]
    for entry in entries:
        assert entry.get("reason", "").strip(), entry
    assert len({e["id"] for e in entries}) == len(entries)
