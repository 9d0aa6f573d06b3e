"""No map page ships more than 1 MB of data at any zoom: the page itself plus the tiles of
the layers it shows by default over a 1280 × 800 view (the street map, the city map, the
city's and a district's hot spot maps), measured on the demo city with the simulated year
loaded."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.hotspots.service import load_events
from api.maps.cache import MAPS_CACHE
from api.tiles.service import TILES_CACHE
from grids.demo import build_demo_city
from grids.simulate import simulate_year
from tests.api.maps.conftest import app_on, tile_urls
from tests.api.tiles.conftest import GUANGWAI
from tests.conftest import TEST_CELL_AREA_M2, sign_in

LIMIT = 1_000_000
VIEW = (1280, 800)  # pixels
CENTRE = (116.33, 39.89)  # in 广安门外街道


def view_tiles(lon: float, lat: float, z: int) -> Iterator[tuple[int, int]]:
    """The 256-pixel tiles a VIEW-sized map centred on (lon, lat) at zoom z touches."""
    n = 1 << z
    px = (lon + 180.0) / 360.0 * n * 256
    py = (1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n * 256
    w, h = VIEW
    for x in range(int((px - w / 2) // 256), int((px + w / 2) // 256) + 1):
        for y in range(int((py - h / 2) // 256), int((py + h / 2) // 256) + 1):
            yield x, y


def shipped(client: TestClient, page: str, shown: list[str], z: int) -> int:
    """Bytes of ``page`` plus the tiles of the ``shown`` URL templates in the view at ``z``."""
    total = len(client.get(page).content)
    for template in shown:
        for x, y in view_tiles(*CENTRE, z):
            url = template.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))
            r = client.get(url)
            assert r.status_code in (200, 204), (url, r.text)
            total += len(r.content)
    return total


@pytest.fixture
def year(demo_session: Session, demo_db_url: str) -> Iterator[TestClient]:
    """An administrator's client on the demo city with the simulated year loaded."""
    events = simulate_year(build_demo_city(cell_area_m2=TEST_CELL_AREA_M2), seed=2026).events
    load_events(session=demo_session, events=events)
    MAPS_CACHE.clear()
    TILES_CACHE.clear()
    with TestClient(app_on(demo_db_url, demo_session)) as client:
        sign_in(client, demo_session)
        yield client
    TILES_CACHE.clear()


def test_the_map_pages_ship_under_a_megabyte_at_every_zoom(
    year: TestClient,
) -> None:
    street = f"/maps/street/{GUANGWAI}"
    html = year.get(street).text
    # shown by default: the counts of the grid cells and the raw events
    urls = tile_urls(html)
    street_shown = [u for u in urls if "/hotspots/" in u][:1] + [u for u in urls if "/events/" in u]
    assert len(street_shown) == 2
    city_shown = [u for u in tile_urls(year.get("/maps/city").text) if "/grid/" in u]
    counts = {  # the hot spot maps of the city and a district: their counts layer
        page: [u for u in tile_urls(year.get(page).text) if "/hotspots/" in u][:1]
        for page in ("/maps/hotspots", "/maps/district/110102")
    }
    sizes = {}
    for z in range(11, 18):
        sizes[("street", z)] = shipped(year, street, street_shown, z)
        sizes[("city", z)] = shipped(year, "/maps/city", city_shown, z)
        for page, shown in counts.items():
            sizes[(page, z)] = shipped(year, page, shown, z)
    assert max(sizes.values()) <= LIMIT, " ".join(f"{k}={v}" for k, v in sorted(sizes.items()))
    # the tiles carry the data: the street's page grows with them where they are legible
    assert sizes[("street", 15)] > len(html) + 10_000, sizes
