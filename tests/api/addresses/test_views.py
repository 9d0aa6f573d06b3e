"""GET /api/addresses, POST /api/geocode, GET /api/reverse on the demo city's register, and
every refusal (422 problem+json naming the field)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.addresses.models import AddressEntry
from api.geography.service import active_generation
from geo.coords import CoordinateSystem, from_wgs84

STREET = "110102020"  # 广安门外街道


def _plate(session: Session) -> AddressEntry:
    gen = active_generation(session=session)
    stmt = (
        select(AddressEntry)
        .where(
            AddressEntry.kind == "plate",
            AddressEntry.street_code == STREET,
            AddressEntry.suffix == "",
            AddressEntry.generation_low <= gen,
            AddressEntry.generation_high >= gen,
        )
        .order_by(AddressEntry.ref)
        .limit(1)
    )
    entry = session.scalars(stmt).one()
    return entry


def _problem(response: Any, status: int, field: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert field in {e["field"] for e in body.get("errors", [])} or body.get("field") == field
    return body


def test_addresses_of_a_street_holding_a_word(
    signed_demo_client: TestClient, demo_session: Session
) -> None:
    plate = _plate(demo_session)
    r = signed_demo_client.get(
        "/api/addresses", params={"street": STREET, "q": plate.road, "limit": 5}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["generation"] == active_generation(session=demo_session)
    assert 0 < len(body["data"]) <= 5
    for entry in body["data"]:
        assert entry["street_code"] == STREET and plate.road in entry["text"]
        assert {"text", "kind", "lon", "lat", "grid_code", "district_code"} <= set(entry)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"street": "西城"}, "street"),
        ({"street": "1101020201"}, "street"),
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"q": ""}, "q"),
    ],
)
def test_a_bad_address_query_is_refused(
    signed_demo_client: TestClient, params: dict[str, Any], field: str
) -> None:
    _problem(signed_demo_client.get("/api/addresses", params=params), 422, field)


def test_the_address_routes_need_a_login(demo_client: TestClient) -> None:
    assert demo_client.get("/api/addresses").status_code == 401
    assert demo_client.post("/api/geocode", json={"text": "瑞庆街1号"}).status_code == 401
    assert demo_client.get("/api/reverse", params={"lon": 116.35, "lat": 39.89}).status_code == 401


def test_geocode_a_plate_said_with_noise_and_chinese_numerals(
    signed_demo_client: TestClient, demo_session: Session
) -> None:
    plate = _plate(demo_session)
    said = f"北京市西城区{plate.road}{_chinese(plate.number or 0)}号附近"
    r = signed_demo_client.post("/api/geocode", json={"text": said})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "matched"
    best = body["candidates"][0]
    assert best["text"] == plate.text and best["level"] == "plate"
    assert best["street"] == STREET and best["grid"] == plate.grid_code
    assert abs(best["lon"] - plate.lon) < 1e-9 and abs(best["lat"] - plate.lat) < 1e-9


def _chinese(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")


def test_an_address_in_another_city_or_matching_nothing_is_unknown(
    signed_demo_client: TestClient,
) -> None:
    for text in ("上海市浦东新区世纪大道100号", "火星大街99999号"):
        r = signed_demo_client.post("/api/geocode", json={"text": text})
        assert r.status_code == 200, r.text
        assert r.json() == {"status": "unknown", "candidates": []}


@pytest.mark.parametrize(
    "body",
    [{}, {"text": ""}, {"text": "   "}, {"text": 12}, {"text": "长" * 501}, {"text": "a\u0000"}],
)
def test_a_bad_geocode_request_is_refused(
    signed_demo_client: TestClient, body: dict[str, Any]
) -> None:
    _problem(signed_demo_client.post("/api/geocode", json=body), 422, "text")


def test_reverse_names_the_nearest_entry_with_distance_and_direction(
    signed_demo_client: TestClient, demo_session: Session
) -> None:
    plate = _plate(demo_session)
    r = signed_demo_client.get("/api/reverse", params={"lon": plate.lon, "lat": plate.lat})
    assert r.status_code == 200, r.text
    assert r.json()["text"] == plate.text and r.json()["distance_m"] < 5
    # 30 m east of the plate (1e-5 degrees of longitude ~ 0.85 m here)
    east = plate.lon + 30 / 85_000
    r = signed_demo_client.get("/api/reverse", params={"lon": east, "lat": plate.lat})
    body = r.json()
    if body["entry"]["text"] == plate.text:
        assert body["direction"] == "东" and body["text"].startswith(f"{plate.text}东侧约")
    assert 0 < body["distance_m"] <= 30.5


@pytest.mark.parametrize("crs", [CoordinateSystem.GCJ02, CoordinateSystem.BD09])
def test_reverse_converts_a_chinese_map_position(
    signed_demo_client: TestClient, demo_session: Session, crs: CoordinateSystem
) -> None:
    plate = _plate(demo_session)
    lon, lat = from_wgs84(plate.lon, plate.lat, crs)
    r = signed_demo_client.get("/api/reverse", params={"lon": lon, "lat": lat, "crs": str(crs)})
    assert r.status_code == 200, r.text
    assert r.json()["entry"]["text"] == plate.text
    # taken as WGS-84, the same numbers are hundreds of metres off: another entry or none
    wrong = signed_demo_client.get("/api/reverse", params={"lon": lon, "lat": lat})
    assert wrong.status_code == 404 or wrong.json()["entry"]["text"] != plate.text


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"lat": 39.89}, 422, "lon"),
        ({"lon": 116.35}, 422, "lat"),
        ({"lon": 190, "lat": 39.89}, 422, "lon"),
        ({"lon": 116.35, "lat": 91}, 422, "lat"),
        ({"lon": "east", "lat": 39.89}, 422, "lon"),
        ({"lon": 116.35, "lat": 39.89, "crs": "mars"}, 422, "crs"),
        ({"lon": 100.0, "lat": 30.0}, 404, "lon"),
    ],
)
def test_a_bad_reverse_request_is_refused(
    signed_demo_client: TestClient, params: dict[str, Any], status: int, field: str
) -> None:
    _problem(signed_demo_client.get("/api/reverse", params=params), status, field)
