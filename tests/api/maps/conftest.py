"""Fixtures of the map page tests: the simulated year loaded into the demo city."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.app import create_app
from api.config import Settings
from api.db.session import engine_for
from api.deps import get_session
from api.hotspots.service import load_events
from grids.demo import build_demo_city
from grids.simulate import simulate_year
from tests.api.tiles.conftest import decode, xyz
from tests.conftest import TEST_CELL_AREA_M2, sign_in


def contains(html: str, label: str) -> bool:
    """Chinese text appears literally or JSON-escaped (folium escapes inside scripts)."""
    return label in html or json.dumps(label)[1:-1] in html


def tile_urls(html: str) -> list[str]:
    """The vector tile URL templates (``{z}/{x}/{y}``) a map page draws from."""
    return [json.loads(u) for u in re.findall(r'L\.vectorGrid\.protobuf\(("[^"]*")', html)]


def tile_features(
    client: TestClient,
    template: str,
    bounds: tuple[float, float, float, float],
    z: int,
    *,
    token: str | None = None,
) -> list[dict[str, Any]]:
    """The features of every tile of ``template`` at zoom ``z`` over ``bounds`` (west,
    south, east, north), as ``client`` (or the holder of ``token``) may see them."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    west, south, east, north = bounds
    (x0, y0), (x1, y1) = xyz(west, north, z), xyz(east, south, z)
    found: list[dict[str, Any]] = []
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            url = template.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))
            r = client.get(url, headers=headers)
            assert r.status_code in (200, 204), r.text
            for layer in decode(r.content).values() if r.content else ():
                found += layer["features"]
    return found


def app_on(demo_db_url: str, session: Session) -> FastAPI:
    """The service whose requests share ``session`` (rolled back after the test)."""
    app = create_app(
        engine=engine_for(demo_db_url), settings=Settings(environment="test", report_connections=0)
    )
    app.dependency_overrides[get_session] = lambda: session
    return app


@pytest.fixture(scope="session")
def events() -> pd.DataFrame:
    """The simulated year (seed 2026) on the test-sized demo city."""
    return simulate_year(build_demo_city(cell_area_m2=TEST_CELL_AREA_M2), seed=2026).events


@pytest.fixture
def loaded(demo_session: Session, demo_db_url: str, events: pd.DataFrame) -> Iterator[TestClient]:
    """A client on the demo city with the simulated year loaded (rolled back afterwards),
    signed in as an administrator (who may open every map)."""
    load_events(session=demo_session, events=events)
    with TestClient(app_on(demo_db_url, demo_session)) as client:
        sign_in(client, demo_session)
        yield client
