"""Debian package checks: root installs, anyone else gets the exact command."""

from __future__ import annotations

import os

import pytest

from api import system
from api.system import Requirement


def test_non_root_gets_the_install_command_and_the_database_url_hint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    missing = [Requirement("PostGIS", ("postgresql-15-postgis-3",), present=False)]
    monkeypatch.setattr(system, "requirements", lambda **_: missing)
    monkeypatch.setattr(system.os, "geteuid", lambda: 1000)
    ran: list[object] = []
    monkeypatch.setattr(system.subprocess, "run", lambda *a, **k: ran.append(a))
    ok, message = system.ensure(database=True, browser=False)
    assert not ok and ran == []
    assert "apt-get install -y --no-install-recommends postgresql-15-postgis-3" in message
    assert "DATABASE_URL" in message


def test_nothing_missing_means_nothing_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    present = [Requirement("PostGIS", ("postgresql-15-postgis-3",), present=True)]
    monkeypatch.setattr(system, "requirements", lambda **_: present)
    assert system.ensure(database=True, browser=True) == (True, "system packages present")


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="uses an external database")
def test_requirements_reflect_this_machine() -> None:
    reqs = {r.name: r for r in system.requirements(database=True, browser=False)}
    # make test installed them before running the suite
    assert reqs["PostgreSQL server"].present and reqs["PostGIS"].present
