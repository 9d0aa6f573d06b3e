"""Reuse the lifecycle's API fixture (a client on the demo city, rolled back per test)."""

from tests.api.lifecycle.conftest import api  # noqa: F401
