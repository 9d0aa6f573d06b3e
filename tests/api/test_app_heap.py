"""The served app loads the generation's facts and takes its start-up heap out of the cyclic
collector's view (gc.freeze)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.config import Settings
from api.db.session import engine_for


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    try:
        yield
    finally:
        gc.unfreeze()  # the rest of the test session keeps a normal collector


@pytest.mark.parametrize("freeze", [True, False])
def test_start_up_freezes_the_heap_only_when_asked(
    unfrozen: None, demo_db_url: str, freeze: bool
) -> None:
    app = create_app(
        engine=engine_for(demo_db_url), settings=Settings(environment="test"), freeze_heap=freeze
    )
    with TestClient(app) as client:
        assert client.get("/api/health").status_code == 200
        frozen = gc.get_freeze_count()
        # the served app loads the facts of the generation before freezing (no request waits)
        loaded = app.state.city_facts.generation
    assert (frozen > 10_000) is freeze
    assert (loaded is not None) is freeze


def test_a_served_app_starts_without_boundaries(unfrozen: None, empty_db_url: str) -> None:
    app = create_app(
        engine=engine_for(empty_db_url), settings=Settings(environment="test"), freeze_heap=True
    )
    with TestClient(app) as client:
        assert client.get("/api/health").status_code == 200
        assert app.state.city_facts.generation is None  # loaded once boundaries are
