"""POST /api/route and GET /api/locate on the demo city (the acceptance cases)."""

from __future__ import annotations

from typing import Any

import pytest
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.coords import CoordinateSystem, from_wgs84
from grids.demo import joint_box

GUANGWAI, TAIPINGQIAO = "110102020", "110106002"


def _route(client: Any, geometry: dict[str, Any], category: str, **extra: Any) -> Any:
    return client.post("/api/route", json={"geometry": geometry, "category": category, **extra})


def _geojson(geom: BaseGeometry) -> dict[str, Any]:
    return shapely.geometry.mapping(geom)


def _locate(client: Any, lon: float, lat: float, **extra: Any) -> Any:
    return client.get("/api/locate", params={"lon": lon, "lat": lat, **extra})


def test_straddling_building_is_a_joint_whistle_with_both_districts(
    signed_demo_client: Any,
) -> None:
    r = _route(signed_demo_client, _geojson(joint_box()), "E0303")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["joint"] is True
    assert {s["code"] for s in body["streets"]} == {GUANGWAI, TAIPINGQIAO}
    assert body["lead_street"]["code"] == body["streets"][0]["code"]
    assert sum(s["share"] for s in body["streets"]) == pytest.approx(1.0)
    leads = {d["code"] for d in body["departments"] if d["role"] == "lead"}
    assert leads == {"110102-cgzf", "110106-cgzf"}
    overall = [d for d in body["departments"] if d["overall_lead"]]
    assert len(overall) == 1
    assert overall[0]["district_code"] == body["lead_street"]["district_code"]
    assert body["departments"][0] == overall[0]
    districts = {d["district_code"] for d in body["departments"]}
    assert districts == {"110102", "110106"}
    assert body["whistle_type"] == "综合执法哨"
    assert any("联合吹哨" in line for line in body["explanation"])


def test_gcj02_pin_across_the_line_still_routes_to_the_right_street(
    signed_demo_client: Any,
) -> None:
    wgs = (116.3170, 39.8900)  # west of the 西城/丰台 line: 太平桥
    gcj = from_wgs84(*wgs, CoordinateSystem.GCJ02)
    raw = _locate(signed_demo_client, *gcj).json()  # the raw numbers read as WGS-84
    assert raw["street"]["code"] != TAIPINGQIAO  # premise: they lie on the other side
    assert raw["district"]["code"] == "110102"
    r = _route(
        signed_demo_client, {"type": "Point", "coordinates": list(gcj)}, "E0401", crs="gcj02"
    )
    body = r.json()
    assert body["lead_street"]["code"] == TAIPINGQIAO
    assert body["position"]["lon"] == pytest.approx(wgs[0], abs=1e-7)
    located = _locate(signed_demo_client, *gcj, crs="gcj02").json()
    assert located["street"]["code"] == TAIPINGQIAO
    assert located["position"]["lat"] == pytest.approx(wgs[1], abs=1e-7)


@pytest.mark.parametrize(
    ("zone", "lead_kind"),
    [("R1", "swj"), ("F1", "nyj"), ("M1", "ylj")],
    ids=["river", "farmland", "forest"],
)
def test_jinhaihu_land_use_decides_the_lead(
    signed_demo_client: Any, demo_session: Session, zone: str, lead_kind: str
) -> None:
    x, y = demo_session.execute(
        text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM land_use_zones WHERE code = :c) q"
        ),
        {"c": zone},
    ).one()
    body = _route(signed_demo_client, {"type": "Point", "coordinates": [x, y]}, "E0601").json()
    lead = [d for d in body["departments"] if d["role"] == "lead"]
    assert [d["code"] for d in lead] == [f"110106-{lead_kind}"]
    support = {d["code"].split("-")[1] for d in body["departments"] if d["role"] == "support"}
    assert {"ga", "ghzy"} <= support | {lead_kind}
    assert any(zone in line for line in body["explanation"])
    assert any("line" in line or "行" in line for line in body["explanation"])


def test_departments_belong_to_the_district_of_the_pin(signed_demo_client: Any) -> None:
    body = _route(
        signed_demo_client, {"type": "Point", "coordinates": [116.3650, 39.9100]}, "E0401"
    ).json()
    assert body["joint"] is False
    assert body["lead_street"]["district_code"] == "110102"
    assert {d["district_code"] for d in body["departments"]} == {"110102"}
    assert [d["code"] for d in body["departments"] if d["role"] == "lead"] == ["110102-cgzf"]


def test_locate_answers_the_documented_shape_and_ambiguity_shares(signed_demo_client: Any) -> None:
    body = _locate(signed_demo_client, 116.3203, 39.8900, accuracy_m=120).json()
    assert set(body) >= {
        "position",
        "district",
        "street",
        "community",
        "grid",
        "generation",
        "ambiguous",
        "candidates",
    }
    assert len(body["grid"]["code"]) == 15 and body["grid"]["code"].startswith(
        body["community"]["code"]
    )
    assert body["community"]["code"].startswith(body["street"]["code"])
    assert body["ambiguous"] is True
    assert {c["code"] for c in body["candidates"]} == {GUANGWAI, TAIPINGQIAO}
    assert sum(c["share"] for c in body["candidates"]) == pytest.approx(1.0, abs=1e-9)
    assert body["street"]["code"] in {c["code"] for c in body["candidates"]}


def test_chief_of_the_nearest_alley_is_attached(
    signed_demo_client: Any, demo_session: Session
) -> None:
    x, y, alley, chief = demo_session.execute(
        text(
            "SELECT ST_X(ST_LineInterpolatePoint(ST_GeometryN(r.geom, 1), 0.5)), "
            "ST_Y(ST_LineInterpolatePoint(ST_GeometryN(r.geom, 1), 0.5)), r.name, c.name "
            "FROM roads r JOIN chiefs c ON c.ref = r.chief_ref WHERE r.kind = 'alley' ORDER BY r.ref LIMIT 1"
        )
    ).one()
    body = _route(signed_demo_client, {"type": "Point", "coordinates": [x, y]}, "E0401").json()
    assert body["chief"]["street_or_alley"] == alley and body["chief"]["name"] == chief
    assert body["chief"]["distance_m"] < 1.0


BAD: dict[str, tuple[dict[str, Any], str]] = {
    "not GeoJSON": (
        {"geometry": {"type": "Blob", "coordinates": [1, 2]}, "category": "E0401"},
        "geometry",
    ),
    "no coordinates": ({"geometry": {"type": "Point"}, "category": "E0401"}, "geometry"),
    "self-intersecting": (
        {
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [
                        [116.31, 39.88],
                        [116.33, 39.90],
                        [116.33, 39.88],
                        [116.31, 39.90],
                        [116.31, 39.88],
                    ]
                ],
            },
            "category": "E0303",
        },
        "geometry",
    ),
    "unknown crs": (
        {
            "geometry": {"type": "Point", "coordinates": [116.32, 39.89]},
            "crs": "epsg:3857",
            "category": "E0401",
        },
        "crs",
    ),
    "unknown category": (
        {"geometry": {"type": "Point", "coordinates": [116.32, 39.89]}, "category": "Z9999"},
        "category",
    ),
    "out of range": (
        {"geometry": {"type": "Point", "coordinates": [216.32, 39.89]}, "category": "E0401"},
        "geometry",
    ),
    "outside every district": (
        {"geometry": {"type": "Point", "coordinates": [117.5, 40.5]}, "category": "E0401"},
        "geometry",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_route_input_is_a_422_naming_the_field(signed_demo_client: Any, case: str) -> None:
    body, field = BAD[case]
    r = signed_demo_client.post("/api/route", json=body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["field"] == field
    assert problem["detail"]


def test_outside_names_the_nearest_district_and_distance(signed_demo_client: Any) -> None:
    r = _locate(signed_demo_client, 116.0, 39.6)
    assert r.status_code == 422
    problem = r.json()
    assert problem["nearest_district"]["code"] in {"110101", "110102", "110106"}
    assert problem["distance_m"] > 1000
    assert problem["nearest_district"]["name"] in problem["detail"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lon": 190, "lat": 39.9}, "lon"),
        ({"lon": 116.3, "lat": 95}, "lat"),
        ({"lon": 116.3, "lat": 39.9, "crs": "mars"}, "crs"),
    ],
)
def test_bad_locate_parameters(signed_demo_client: Any, params: dict[str, Any], field: str) -> None:
    r = signed_demo_client.get("/api/locate", params=params)
    assert r.status_code == 422 and r.json()["field"] == field
