"""The hot spot maps' default choropleth is events per km² of each unit, not raw counts: a
large community with many events is not drawn hotter than a small one where they are packed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.geography.service import active_generation
from api.hotspots.service import load_events
from geo.crs import area_m2
from geo.hotspot_maps import LAYER_COUNTS, LAYER_PER_KM2
from tests.api.maps.conftest import app_on, tile_features, tile_urls
from tests.api.maps.page_parts import colour_class, overlays, shown, style_tables
from tests.conftest import sign_in

DISTRICT = "110102"  # 西城区
START = datetime(2026, 3, 2, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Unit:
    code: str
    street: str
    lon: float
    lat: float
    grid: str | None
    area_m2: float


def _communities(session: Session) -> list[Unit]:
    """The district's communities: a point inside each, the grid cell there, the area."""
    rows = session.execute(
        text(
            "SELECT c.code, c.parent_code AS street, ST_X(c.p) AS lon, ST_Y(c.p) AS lat,"
            " ST_AsText(c.geom) AS wkt,"
            " (SELECT g.code FROM areas g WHERE g.level = 'grid' AND g.generation_low <= :gen"
            "    AND g.generation_high >= :gen AND ST_Covers(g.geom, c.p) LIMIT 1) AS grid"
            " FROM (SELECT code, parent_code, geom, ST_PointOnSurface(geom) AS p FROM areas"
            "       WHERE level = 'community' AND code LIKE :prefix AND generation_low <= :gen"
            "         AND generation_high >= :gen) c ORDER BY c.code"
        ),
        {"prefix": f"{DISTRICT}%", "gen": active_generation(session=session)},
    ).mappings()
    found = [dict(r) for r in rows]
    areas = area_m2(shapely.from_wkt(np.array([r["wkt"] for r in found])))
    return [
        Unit(r["code"], r["street"], r["lon"], r["lat"], r["grid"], float(a))
        for r, a in zip(found, areas, strict=True)
    ]


def _events(communities: list[Unit], counts: dict[str, int]) -> pd.DataFrame:
    """``counts[code]`` events at the point of each community, an hour apart."""
    rows: list[dict[str, object]] = []
    for c in communities:
        for k in range(counts[c.code]):
            rows.append(
                {
                    "event_id": f"D{c.code}-{k}",
                    "at": START + timedelta(hours=len(rows)),
                    "category": "E0401",
                    "source": "patrol",
                    "lon": c.lon,
                    "lat": c.lat,
                    "grid_code": c.grid or "",
                    "community_code": c.code,
                    "street_code": c.street,
                    "district_code": DISTRICT,
                }
            )
    return pd.DataFrame(rows)


def test_a_small_dense_community_tops_the_default_map_and_a_large_busy_one_does_not(
    demo_session: Session, demo_db_url: str
) -> None:
    communities = _communities(demo_session)
    km2 = {c.code: c.area_m2 / 1e6 for c in communities}
    big = max(communities, key=lambda c: c.area_m2)
    small = min(communities, key=lambda c: c.area_m2)
    rng = np.random.default_rng(7)
    counts = {c.code: int(rng.integers(1, 6)) for c in communities}
    # the small one: one event more than any other unit in a background of 1–5
    counts[small.code] = max(counts.values()) + 1
    # the big one: as many events as keep it below the others' median density
    others = [counts[c] / km2[c] for c in counts if c not in (big.code, small.code)]
    counts[big.code] = int(np.median(others) * km2[big.code] * 0.9)
    assert counts[big.code] > counts[small.code]  # the most events of all units
    load_events(session=demo_session, events=_events(communities, counts))

    with TestClient(app_on(demo_db_url, demo_session)) as client:
        sign_in(client, demo_session)
        page = client.get(f"/maps/district/{DISTRICT}").text
        layers = overlays(page)
        assert shown(page, layers[LAYER_PER_KM2]) and not shown(page, layers[LAYER_COUNTS])
        ((rate_breaks, _),) = style_tables(page, "per_km2")
        count_breaks, _ = style_tables(page, "count")[0]
        url = next(u for u in tile_urls(page) if u.startswith("/tiles/hotspots/"))
        west, south, east, north = (
            float(v)
            for v in demo_session.execute(
                text(
                    "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT"
                    " ST_Extent(geom) AS e FROM areas WHERE code LIKE :p AND level = 'community')"
                    " x"
                ),
                {"p": f"{DISTRICT}%"},
            ).one()
        )
        found = tile_features(client, url, (west, south, east, north), 12)
    units = {f["properties"]["code"]: f["properties"] for f in found}
    assert set(units) == set(km2)
    # the tiles carry each unit's events per km² of its EPSG:4548 area
    for c in communities:
        expected = counts[c.code] / km2[c.code]
        assert units[c.code]["per_km2"] == pytest.approx(expected, abs=0.06)
    rate_class = {code: colour_class(p["per_km2"], rate_breaks) for code, p in units.items()}
    top = max(rate_class.values())
    assert rate_class[small.code] == top
    assert rate_class[big.code] < top
    # on raw counts (a layer of its own, off at opening) the big one is in the top class
    count_class = {code: colour_class(p["count"], count_breaks) for code, p in units.items()}
    assert count_class[big.code] == max(count_class.values())
