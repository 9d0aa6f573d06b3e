"""Where a case is, on the whistle board: the point to go to (a footprint's representative
point), its GCJ-02 and BD-09 twins for the phone map apps, the nearest named road with its
distance and the nearest register address."""

from __future__ import annotations

from typing import Any

import pytest
import shapely
from geoalchemy2 import Geography
from sqlalchemy import cast, func, select

from api.cases.models import Case
from api.config import Settings
from api.geography.models import Road
from geo.coords import CoordinateSystem, from_wgs84, to_wgs84
from tests.api.support import BUILDING, Api

P1 = (116.3230, 39.8906)  # in 广安门外街道, away from the 西城/丰台 line
XC_CGZF = "110102-cgzf"
ONLY_CGZF = [{"code": XC_CGZF, "role": "lead", "overall_lead": True}]


def _whistled(api: Api, geometry: dict[str, Any], category: str = "E0303") -> int:
    body = {"geometry": geometry, "category": category, "description": "现场"}
    created = api.call("POST", "/api/reports", "worker-gw", json=body)
    assert created.status_code == 201, created.text
    case_id = int(created.json()["case_id"])
    whistle = {"departments": ONLY_CGZF}
    r = api.call("POST", f"/api/cases/{case_id}/whistle", "gw", json=whistle)
    assert r.status_code == 200, r.text
    return case_id


def _site(api: Api, case_id: int, user: str = "xc-cgzf") -> dict[str, Any]:
    rows = api.call("GET", f"/api/whistles?case_id={case_id}", user).json()
    assert rows, case_id
    site: dict[str, Any] = rows[0]["case"]["site"]
    return site


def _nearest_road(api: Api, case_id: int) -> tuple[str, float] | None:
    """The nearest road within the chief radius, asked of PostGIS directly."""
    radius = Settings(environment="test").chief_radius_m
    road, case = Road.__table__, Case.__table__
    d = func.ST_Distance(cast(road.c.geom, Geography), cast(case.c.geom, Geography))
    row = api.session.execute(
        select(road.c.name, d)
        .where(case.c.id == case_id, d <= radius)
        .where(road.c.generation_low <= case.c.generation)
        .where(road.c.generation_high >= case.c.generation)
        .order_by(d, road.c.ref)
        .limit(1)
    ).first()
    return None if row is None else (row[0], float(row[1]))


def test_a_point_case_is_sited_at_its_pin_with_map_app_coordinates(api: Api) -> None:
    case_id = _whistled(api, {"type": "Point", "coordinates": list(P1)})
    site = _site(api, case_id)
    assert site["kind"] == "point"
    assert site["geometry"] == {"type": "Point", "coordinates": list(P1)}
    assert (site["point"]["lon"], site["point"]["lat"]) == pytest.approx(P1, abs=1e-7)
    for crs in (CoordinateSystem.GCJ02, CoordinateSystem.BD09):
        twin = site[crs.value]
        assert (twin["lon"], twin["lat"]) == pytest.approx(from_wgs84(*P1, crs), abs=1e-7)
        assert (twin["lon"], twin["lat"]) != pytest.approx(P1, abs=1e-4)  # really shifted
        # and back: the map app's position is the case's, to about a centimetre
        assert to_wgs84(twin["lon"], twin["lat"], crs) == pytest.approx(P1, abs=1e-7)


def test_the_nearest_road_is_named_with_its_distance(api: Api) -> None:
    case_id = _whistled(api, {"type": "Point", "coordinates": list(P1)})
    site = _site(api, case_id)
    expected = _nearest_road(api, case_id)
    assert expected is not None, "the demo city has a named road within the radius of P1"
    name, distance = expected
    assert site["road"]["name"] == name
    assert site["road"]["distance_m"] == pytest.approx(distance, abs=0.06)
    assert site["road"]["kind"] in {"street", "alley"}


def test_the_site_agrees_with_the_router_and_the_case_view(api: Api) -> None:
    case_id = _whistled(api, {"type": "Point", "coordinates": list(P1)})
    case = api.call("GET", f"/api/cases/{case_id}", "gw").json()
    site = _site(api, case_id)
    # the router names the nearest road that has a chief (界址胡同 near P1 has one)
    chief = case["routing"]["chief"]
    assert chief is not None
    assert site["road"]["name"] == chief["street_or_alley"]
    assert site["road"]["distance_m"] == pytest.approx(chief["distance_m"], abs=0.06)
    # the address the triage view shows, found through the register's batch search
    assert case["address"] is not None
    assert site["address"] == case["address"]


def test_the_joint_building_is_sited_inside_its_footprint(api: Api) -> None:
    case_id = _whistled(api, BUILDING)
    site = _site(api, case_id)
    assert site["kind"] == "polygon"
    assert site["geometry"]["type"] == "Polygon"
    footprint = shapely.geometry.shape(BUILDING)
    point = shapely.Point(site["point"]["lon"], site["point"]["lat"])
    assert footprint.contains(point)
    lon, lat = site["point"]["lon"], site["point"]["lat"]
    for crs in (CoordinateSystem.GCJ02, CoordinateSystem.BD09):
        twin = site[crs.value]
        assert (twin["lon"], twin["lat"]) == pytest.approx(from_wgs84(lon, lat, crs), abs=1e-7)
    expected = _nearest_road(api, case_id)
    if expected is None:
        assert site["road"] is None
    else:
        assert site["road"]["name"] == expected[0]
    # the card says which streets the building spans: the board's case carries them
    case = api.call("GET", f"/api/whistles?case_id={case_id}", "xc-cgzf").json()[0]["case"]
    assert case["joint"] is True
    assert [s["name"] for s in case["streets"]] == ["广安门外街道", "太平桥街道"]


def test_every_role_reading_the_board_gets_the_site(api: Api) -> None:
    case_id = _whistled(api, {"type": "Point", "coordinates": list(P1)})
    for user in ("xc-cgzf", "gw", "xicheng", "admin"):
        assert _site(api, case_id, user)["point"]["lon"] == pytest.approx(P1[0], abs=1e-7)
