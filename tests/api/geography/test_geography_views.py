"""HTTP: generations, areas as GeoJSON, catalogues, problem+json for bad input (each for a
logged-in user: the bearer token, or for areas, the map tiles, the login cookie too)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.config import get_settings
from api.departments.service import load_catalogues
from api.geography.models import Area
from api.geography.service import load_levels
from geo.codes import Level
from tests.conftest import sign_in
from tests.factories import four_streets, two_districts


@pytest.fixture(autouse=True)
def signed_in(client: TestClient, db_session: Session) -> Iterator[str]:
    """Every request of ``client`` carries an administrator's bearer token."""
    yield sign_in(client, db_session)


def _seed(session: Session) -> int:
    load_levels(session=session, frames={Level.DISTRICT: two_districts()}, description="d")
    return load_levels(session=session, frames={Level.STREET: four_streets()}, description="s").id


def test_generations_lists_and_marks_the_active_one(client, db_session: Session) -> None:
    gen = _seed(db_session)
    body = client.get("/api/generations").json()
    assert body["active"] == gen
    assert [g["id"] for g in body["data"]] == [gen - 1, gen]


def test_areas_returns_geojson_of_a_level(client, db_session: Session) -> None:
    _seed(db_session)
    body = client.get("/api/areas", params={"level": "street"}).json()
    assert body["type"] == "FeatureCollection"
    codes = sorted(f["properties"]["code"] for f in body["features"])
    assert codes == ["110102020", "110102021", "110106001", "110106002"]
    assert body["features"][0]["geometry"]["type"] == "MultiPolygon"


def test_grid_cells_need_a_bbox(client, db_session: Session) -> None:
    _seed(db_session)
    r = client.get("/api/areas", params={"level": "grid"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == "bbox"


def test_bad_inputs_are_problem_json_naming_the_field(client, db_session: Session) -> None:
    _seed(db_session)
    cases = [
        ({"level": "street", "bbox": "1,2,3"}, 422, "bbox"),
        ({"level": "street", "bbox": "116.4,39.9,116.3,40"}, 422, "bbox"),
        ({"level": "province"}, 422, "level"),
        ({"level": "street", "generation": 999}, 404, "generation"),
        ({"level": "street", "simplify_m": -1}, 422, "simplify_m"),
    ]
    for params, status, field in cases:
        r = client.get("/api/areas", params=params)
        assert r.status_code == status, params
        problem = r.json()
        assert problem["field"] == field, params
        assert problem["status"] == status and problem["detail"]


def test_catalogues_are_served(client, db_session: Session) -> None:
    load_catalogues(session=db_session, data_dir=get_settings().data_dir)
    departments = client.get("/api/departments", params={"district_code": "110102"}).json()
    kinds = {d["kind"] for d in departments}
    assert {"cgzf", "swj", "ylj", "ga", "ghzy"} <= kinds
    assert all(d["district_code"] == "110102" and d["level"] == "district" for d in departments)
    categories = {c["code"]: c for c in client.get("/api/categories").json()}
    assert categories["E0401"]["name"] == "占道经营"
    assert categories["E0601"]["parent_code"] == "E06"


def test_reading_writes_nothing(client, db_session: Session) -> None:
    _seed(db_session)
    before = db_session.scalar(select(func.count()).select_from(Area))
    client.get("/api/areas", params={"level": "street", "bbox": "bad"})
    assert db_session.scalar(select(func.count()).select_from(Area)) == before


def test_anonymous_calls_are_401_and_areas_take_the_login_cookie(
    client: TestClient, db_session: Session, signed_in: str
) -> None:
    _seed(db_session)
    del client.headers["Authorization"]
    for url in ("/api/generations", "/api/areas?level=street", "/api/categories"):
        r = client.get(url)
        assert r.status_code == 401, url
        assert r.headers["content-type"].startswith("application/problem+json")
    client.cookies.set("gridwhistle_token", signed_in)
    assert client.get("/api/generations").status_code == 401  # the cookie opens map tiles only
    tiles = client.get("/api/areas?level=street")
    assert tiles.status_code == 200 and len(tiles.json()["features"]) == 4
    client.cookies.set("gridwhistle_token", "not-a-token")
    assert client.get("/api/areas?level=street").status_code == 401
