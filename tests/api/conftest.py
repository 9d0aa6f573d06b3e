"""Fixtures shared by the service's tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from api.config import get_settings
from api.db.session import engine_for


@pytest.fixture
def cli_db(make_database: Callable[[str], str], monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh database that DATABASE_URL points the CLI at."""
    url = make_database(f"cli{id(monkeypatch) % 100000}")
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()
    engine_for(url).dispose()
