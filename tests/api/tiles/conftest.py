"""Fixtures of the vector tile tests: the demo city with a handful of planted events, the
service with a user per role, and a tile client that decodes what it gets."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import mapbox_vector_tile
import pandas as pd
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.auth.roles import Role
from api.hotspots.service import load_events
from api.maps.cache import MAPS_CACHE
from api.tiles.service import TILES_CACHE
from tests.api.support import Api, issue_tokens

GUANGWAI = "110102020"  # 广安门外街道 (西城)
TAIPINGQIAO = "110106002"  # 太平桥街道 (丰台), across the district line from 广外
EXTRA_USERS = {
    "community": (Role.COMMUNITY, GUANGWAI + "001"),
    "chief": (Role.CHIEF, f"C{GUANGWAI}-01"),
    "hotline": (Role.HOTLINE, None),
}


def xyz(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The x, y of the web-map tile at zoom ``z`` holding (lon, lat)."""
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    rad = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(rad)) / math.pi) / 2.0 * n)
    return x, y


def extent(
    session: Session, where: str, params: dict[str, str]
) -> tuple[float, float, float, float]:
    """West, south, east, north of the active generation's rows of ``where`` (a table and
    its condition, e.g. ``"roads WHERE chief_ref = :c"``)."""
    found = session.execute(
        text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT "
            f"ST_Extent(geom) AS e FROM {where} "
            "AND generation_high = (SELECT max(id) FROM generations)) b"
        ),
        params,
    ).one()
    return (float(found[0]), float(found[1]), float(found[2]), float(found[3]))


def decode(content: bytes) -> dict[str, Any]:
    """The layers of an MVT."""
    return dict(mapbox_vector_tile.decode(content))


def planted_events(session: Session) -> pd.DataFrame:
    """Events in the 40 grid cells of 广外 and of 太平桥 nearest the other street (they meet
    on the 西城/丰台 line): the i-th cell of 广外 holds i % 4 + 1 events (the first five 8
    more), each cell of 太平桥 two; at each cell's point on surface."""
    rows = []
    for street, other in ((GUANGWAI, TAIPINGQIAO), (TAIPINGQIAO, GUANGWAI)):
        cells = session.execute(
            text(
                "SELECT c.code, c.parent_code, ST_X(ST_PointOnSurface(c.geom)) AS lon, "
                "ST_Y(ST_PointOnSurface(c.geom)) AS lat FROM areas c, areas o "
                "WHERE c.level = 'grid' AND c.code LIKE :prefix AND o.code = :other "
                "AND c.generation_high = (SELECT max(id) FROM generations) "
                "AND o.generation_high = c.generation_high "
                "ORDER BY ST_Distance(c.geom, o.geom), c.code LIMIT 40"
            ),
            {"prefix": f"{street}%", "other": other},
        ).all()
        for index, cell in enumerate(cells):
            n = (index % 4 + 1 + (8 if index < 5 else 0)) if street == GUANGWAI else 2
            rows += [
                {
                    "event_id": f"T{cell.code}-{k}",
                    "at": pd.Timestamp("2026-03-02 09:00", tz="Asia/Shanghai")
                    + pd.Timedelta(days=k),
                    "category": "E0303",
                    "source": "patrol",
                    "lon": float(cell.lon),
                    "lat": float(cell.lat),
                    "grid_code": cell.code,
                    "community_code": cell.parent_code,
                    "street_code": street,
                    "district_code": street[:6],
                    "pattern": "",
                }
                for k in range(n)
            ]
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Tiles:
    """The service on the demo city with planted events, and a tile fetcher per user."""

    api: Api
    events: pd.DataFrame

    def get(self, url: str, user: str | None, **kwargs: Any) -> Any:
        return self.api.call("GET", url, user, **kwargs)

    def layer(self, url: str, user: str) -> list[dict[str, Any]]:
        """The features of the tile at ``url`` (its one layer), none for a 204."""
        response = self.get(url, user)
        assert response.status_code in (200, 204), response.text
        if response.status_code == 204:
            assert response.content == b""
            return []
        assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
        layers = decode(response.content)
        assert len(layers) == 1, layers.keys()
        return list(next(iter(layers.values()))["features"])


@pytest.fixture
def tiles(api: Api) -> Iterator[Tiles]:
    """Planted events loaded (rolled back with the test) and empty caches."""
    api.tokens.update(issue_tokens(api.session, EXTRA_USERS, prefix="tile-"))
    events = planted_events(api.session)
    load_events(session=api.session, events=events)
    TILES_CACHE.clear()
    MAPS_CACHE.clear()
    yield Tiles(api, events)
    TILES_CACHE.clear()
