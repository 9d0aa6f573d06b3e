"""Fixtures: the lifecycle's ``api`` client on the demo city (rolled back after each test)."""

from __future__ import annotations

from tests.api.lifecycle.conftest import api  # noqa: F401  (the fixture)
