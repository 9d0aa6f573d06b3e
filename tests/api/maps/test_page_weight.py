"""Map pages do not grow with the city: on a slice of the whole city (东城 and 房山, with a
year of events) the hot spot pages ship outlines of the scope's streets and districts only,
and draw communities, cells and roads from vector tiles."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.app import create_app
from api.cli.geography import load_city_events
from api.config import Settings
from api.db.session import engine_for
from api.deps import get_session
from api.geography.imports import City, build_city
from api.geography.service import active_generation
from grids.beijing import EventVolume
from tests.api.maps.conftest import contains, tile_urls
from tests.conftest import CITY_SLICE, TEST_CELL_AREA_M2, _rollback_session, sign_in

PAGE_LIMIT = 1_000_000  # bytes: no page ships more than 1 MB of data
FANGSHAN = "110111"


@pytest.fixture
def slice_session(city_slice_db_url: str) -> Iterator[Session]:
    yield from _rollback_session(engine_for(city_slice_db_url))


@pytest.fixture
def client(city_slice_db_url: str, slice_session: Session) -> Iterator[TestClient]:
    """An administrator on the slice, with a sampled year of events (rolled back)."""
    built = build_city(
        City.BEIJING,
        districts=None,
        seed=Settings().demo_seed,
        cell_area_m2=TEST_CELL_AREA_M2,
        only=CITY_SLICE,
    )
    generation = active_generation(session=slice_session)
    assert generation is not None
    load_city_events(
        session=slice_session,
        built=built,
        generation_id=generation,
        volume=EventVolume(2_000_000, 0.005),
        step=lambda _message: None,
    )
    settings = Settings(environment="test", report_connections=0)
    app = create_app(engine=engine_for(city_slice_db_url), settings=settings)
    app.dependency_overrides[get_session] = lambda: slice_session
    with TestClient(app) as test_client:
        sign_in(test_client, slice_session)
        yield test_client


def _names(session: Session, level: str, prefix: str) -> list[str]:
    rows = session.execute(
        text("SELECT DISTINCT name FROM areas WHERE level = :level AND code LIKE :prefix"),
        {"level": level, "prefix": f"{prefix}%"},
    )
    return [str(name) for (name,) in rows]


@pytest.mark.parametrize("page", ["/maps/hotspots", f"/maps/district/{FANGSHAN}"])
def test_hot_spot_pages_draw_communities_from_tiles(
    client: TestClient, slice_session: Session, page: str
) -> None:
    response = client.get(page)
    assert response.status_code == 200, response.text
    html = response.text
    assert len(response.content) < PAGE_LIMIT
    communities = _names(slice_session, "community", FANGSHAN)
    assert len(communities) > 400
    shipped = [name for name in communities if contains(html, name)]
    assert len(shipped) <= 2, shipped  # a name may also be a street's or appear in a label
    assert any("/tiles/communities/" in url for url in tile_urls(html))
    streets = _names(slice_session, "street", FANGSHAN)
    assert all(contains(html, name) for name in streets)  # the scope's streets are shipped
