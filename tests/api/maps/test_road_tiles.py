"""The hot spot maps draw the roads by load from the scope's ``roads`` vector tiles: no page
ships road GeoJSON, the tiles carry the loads the page's own data computed (with the page's
filter), and the popup says what the GeoJSON's did."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.maps.analysis import Filters, Scope, cached_scope_data
from api.maps.cache import data_version
from api.maps.data import features
from tests.api.maps.conftest import tile_features, tile_urls

STREET, DISTRICT = "110102020", "110102"
PAGES = {
    "/maps/hotspots": None,
    f"/maps/district/{DISTRICT}": DISTRICT,
    f"/maps/street/{STREET}": STREET,
}


def _street_box(session: Session) -> tuple[float, float, float, float]:
    found = session.execute(
        text(
            "SELECT ST_XMin(g), ST_YMin(g), ST_XMax(g), ST_YMax(g) FROM (SELECT geom AS g "
            "FROM areas WHERE code = :c ORDER BY generation_high DESC LIMIT 1) a"
        ),
        {"c": STREET},
    ).one()
    return (float(found[0]), float(found[1]), float(found[2]), float(found[3]))


def _road_refs(session: Session, prefix: str) -> list[str]:
    return list(
        session.scalars(
            text(
                "SELECT ref FROM roads WHERE street_code LIKE :p "
                "AND generation_high = (SELECT max(id) FROM generations)"
            ),
            {"p": f"{prefix}%"},
        )
    )


@pytest.mark.parametrize("page", sorted(PAGES))
def test_no_hot_spot_page_ships_road_geojson(
    loaded: TestClient, demo_session: Session, page: str
) -> None:
    html = loaded.get(page).text
    roads = [u for u in tile_urls(html) if u.startswith("/tiles/roads/")]
    assert len(roads) == 1, tile_urls(html)
    scope = PAGES[page]
    assert (f"scope={scope}" in roads[0]) if scope else ("scope=" not in roads[0])
    # the GeoJSON roads layer wrote each road's ref as its id, its kind in words, a tooltip
    assert '"kind_label":' not in html
    assert '"MultiLineString"' not in html and '"LineString"' not in html
    refs = _road_refs(demo_session, scope or "")
    assert refs and not any(f'"{ref}"' in html for ref in refs)
    assert re.search(r"L\.vectorGrid\.protobuf\(\"/tiles/roads/", html)


def test_the_road_tiles_carry_the_loads_of_the_page_and_its_filter(
    loaded: TestClient, demo_session: Session
) -> None:
    html = loaded.get(f"/maps/street/{STREET}", params={"category": "E04"}).text
    (url,) = (u for u in tile_urls(html) if u.startswith("/tiles/roads/"))
    assert f"scope={STREET}" in url and "category=E04" in url
    data = cached_scope_data(
        session=demo_session,
        scope=Scope("street", STREET, "广安门外街道"),
        filters=Filters(category="E04"),
        version=data_version(session=demo_session),
    )
    expected = {f["properties"]["id"]: f["properties"] for f in features(data.roads)}
    found = tile_features(loaded, url, _street_box(demo_session), 14)
    seen = {f["properties"]["ref"]: f["properties"] for f in found}
    assert set(seen) == set(expected)
    assert {ref: p["count"] for ref, p in seen.items()} == {
        ref: p["count"] for ref, p in expected.items()
    }
    assert any(p["count"] for p in seen.values())  # the planted year has E04 near roads
    assert {ref: p["kind_label"] for ref, p in seen.items()} == {
        ref: p["kind_label"] for ref, p in expected.items()
    }
    # the popup names the same things the GeoJSON layer's did
    popups = [json.loads(p) for p in re.findall(r'(\[\["name", .*?\]\])', html)]
    (rows,) = (p for p in popups if p[0][1] == "道路：")
    assert [field for field, _ in rows] == ["name", "kind_label", "chief", "title", "count"]
    assert [label for _, label in rows][1:4] == ["类型：", "街巷长：", "职务："]
