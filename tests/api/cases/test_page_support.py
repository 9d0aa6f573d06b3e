"""The API the pages lean on: case geometry, routing in the listing, suggested duplicates,
cases on the whistle board, the extension listing, areas by code — and their refusals."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from api.deadlines.calendar import TZ
from tests.api.support import BUILDING, Api

P1 = (116.3230, 39.8906)  # in 广安门外街道, away from the 西城/丰台 line
NEAR = (116.3238, P1[1])  # about 70 m east: past the 50 m attach radius
FAR = (P1[0], P1[1] + 0.0030)  # about 330 m north


def _report(api: Api, at: tuple[float, float], category: str, user: str = "worker-gw") -> int:
    body = {"geometry": {"type": "Point", "coordinates": list(at)}, "category": category}
    response = api.call("POST", "/api/reports", user, json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["case_id"])


def _refused(api: Api, url: str, user: str | None, status: int, field: str) -> None:
    before = api.counts()
    response = api.call("GET", url, user)
    assert response.status_code == status, (url, user, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["field"] == field
    assert api.counts() == before


def test_the_points_lie_in_guangwai(api: Api) -> None:
    for lon, lat in (P1, NEAR):
        where = api.call("GET", f"/api/locate?lon={lon}&lat={lat}", "worker-gw").json()
        assert where["street"]["code"] == "110102020"


def test_case_detail_carries_its_geometry(api: Api) -> None:
    point = _report(api, P1, "E0401")
    building = _report(api, P1, "E0303")  # a point, then check a footprint too
    case = api.call("GET", f"/api/cases/{point}", "gw").json()
    assert case["geometry"] == {"type": "Point", "coordinates": list(P1)}
    assert api.call("GET", f"/api/cases/{building}", "gw").json()["geometry"]["type"] == "Point"
    body = {"geometry": BUILDING, "category": "E0303"}
    joint = api.call("POST", "/api/reports", "worker-gw", json=body).json()["case_id"]
    polygon = api.call("GET", f"/api/cases/{joint}", "gw").json()["geometry"]
    assert polygon["type"] == "Polygon"
    assert polygon["coordinates"][0][0] == BUILDING["coordinates"][0][0]


def test_the_listing_carries_a_routing_summary(api: Api) -> None:
    case_id = _report(api, P1, "C0103")
    listing = api.call("GET", "/api/cases?status=new", "gw").json()
    props = next(f["properties"] for f in listing["features"] if f["id"] == case_id)
    routing = props["routing"]
    assert routing["streets"][0] == {"code": "110102020", "name": "广安门外街道", "share": 1.0}
    assert routing["overall_lead"]["name"]
    assert routing["departments"] >= 1
    assert routing["whistle_type"] in {"综合执法哨", "重点工作哨", "应急处置哨"}
    assert routing["ambiguous"] is False


def test_suggested_duplicates_are_near_open_cases_of_the_same_category(api: Api) -> None:
    first = _report(api, P1, "E0401")
    second = _report(api, NEAR, "E0401")  # past the attach radius: a case of its own
    assert second != first
    _report(api, NEAR, "C0103")  # another category
    _report(api, FAR, "E0401")  # too far
    got = api.call("GET", f"/api/cases/{second}/duplicates", "gw").json()
    assert got["case_id"] == second and got["radius_m"] == 100.0
    assert got["window_hours"] == 72.0
    assert got["position"] == list(NEAR)
    assert [d["id"] for d in got["duplicates"]] == [first]
    assert 60 < got["duplicates"][0]["distance_m"] < 80
    assert got["duplicates"][0]["position"] == list(P1)
    wider = api.call("GET", f"/api/cases/{second}/duplicates?radius_m=500", "gw").json()
    assert len(wider["duplicates"]) == 2
    narrower = api.call("GET", f"/api/cases/{second}/duplicates?radius_m=50", "gw").json()
    assert narrower["duplicates"] == []

    # merging along the suggestion; a merged case is no longer suggested
    merged = api.call(
        "POST", f"/api/cases/{second}/merge", "gw", json={"into": first, "reason": "同一问题"}
    )
    assert merged.status_code == 200 and merged.json()["report_count"] == 2
    again = api.call("GET", f"/api/cases/{first}/duplicates", "gw").json()
    assert again["duplicates"] == []


def test_suggested_duplicates_refusals_write_nothing(api: Api) -> None:
    case_id = _report(api, P1, "E0401")
    url = f"/api/cases/{case_id}/duplicates"
    _refused(api, url, None, 401, "authorization")
    for user in ("other-street", "dongcheng", "xc-swj", "worker-tpq"):
        _refused(api, url, user, 403, "authorization")
    _refused(api, "/api/cases/999999/duplicates", "gw", 404, "case_id")
    bad = api.call("GET", f"{url}?radius_m=5000", "gw")
    assert bad.status_code == 422


@pytest.fixture
def whistled(api: Api) -> dict[str, Any]:
    """A case of 广外 whistled to 西城 城管执法 alone."""
    case_id = _report(api, P1, "E0404")
    lead = [{"code": "110102-cgzf", "role": "lead", "overall_lead": True}]
    r = api.call("POST", f"/api/cases/{case_id}/whistle", "gw", json={"departments": lead})
    assert r.status_code == 200, r.text
    case = api.call("GET", f"/api/cases/{case_id}", "gw").json()
    return {"case": case_id, "assignment": case["assignments"][0]["id"]}


def test_the_board_carries_each_assignment_s_case(api: Api, whistled: dict[str, Any]) -> None:
    rows = api.call("GET", f"/api/whistles?case_id={whistled['case']}", "xc-cgzf").json()
    assert [r["id"] for r in rows] == [whistled["assignment"]]
    case = rows[0]["case"]
    assert case["id"] == whistled["case"] and case["category"] == "E0404"
    assert case["status"] == "whistled" and case["joint"] is False
    assert case["lead_street_code"] == "110102020"
    assert case["streets"] == [{"code": "110102020", "name": "广安门外街道", "share": 1.0}]
    assert case["grid_code"].startswith("110102020")
    assert api.call("GET", f"/api/whistles?case_id={whistled['case']}", "ft-cgzf").json() == []


def test_pending_extensions_are_listed_to_those_who_may_see_them(
    api: Api, whistled: dict[str, Any]
) -> None:
    assignment = whistled["assignment"]
    assert api.call("POST", f"/api/assignments/{assignment}/acknowledge", "xc-cgzf").is_success
    asked = api.call(
        "POST",
        f"/api/assignments/{assignment}/extensions",
        "xc-cgzf",
        json={"amount": "3wd", "reason": "材料未到"},
    ).json()
    listed = api.call("GET", "/api/extensions?status=requested", "gw").json()
    assert [e["id"] for e in listed] == [asked["id"]]
    row = listed[0]
    assert row["case_id"] == whistled["case"] and row["department_code"] == "110102-cgzf"
    assert row["assignment_id"] == assignment and row["status"] == "requested"
    assert row["amount"] == "3wd" and row["reason"] == "材料未到"
    mine = api.call("GET", f"/api/extensions?case_id={whistled['case']}", "xc-cgzf").json()
    assert [e["id"] for e in mine] == [asked["id"]]
    for user in ("ft-cgzf", "dongcheng", "other-street"):  # not theirs: nothing listed
        assert api.call("GET", "/api/extensions?status=requested", user).json() == []
    assert [e["id"] for e in api.call("GET", "/api/extensions", "admin").json()] == [asked["id"]]

    _refused(api, "/api/extensions", "worker-gw", 403, "authorization")
    _refused(api, "/api/extensions", None, 401, "authorization")
    assert api.call("GET", "/api/extensions?status=maybe", "gw").status_code == 422

    decided = api.call(
        "POST", f"/api/extensions/{asked['id']}/decision", "gw", json={"approve": True}
    )
    assert decided.status_code == 200
    assert api.call("GET", "/api/extensions?status=requested", "gw").json() == []
    approved = api.call("GET", "/api/extensions?status=approved", "gw").json()
    assert [e["id"] for e in approved] == [asked["id"]]
    assert approved[0]["decided_at"] is not None


def test_areas_by_code(api: Api) -> None:
    one = api.call("GET", "/api/areas?level=district&code=110102", "worker-gw").json()
    assert [f["id"] for f in one["features"]] == ["110102"]
    two = api.call("GET", "/api/areas?level=street&code=110106002,110102020", "worker-gw").json()
    assert [f["id"] for f in two["features"]] == ["110102020", "110106002"]
    assert two["truncated"] is False
    first_cell = api.call(
        "GET", "/api/areas?level=grid&code=110102020001001", "worker-gw"
    ).json()  # grid cells by code need no bbox
    assert [f["id"] for f in first_cell["features"]] == ["110102020001001"]
    none = api.call("GET", "/api/areas?level=street&code=110102999", "worker-gw").json()
    assert none["features"] == []
    elsewhere = "&bbox=116.0,40.5,116.1,40.6"
    assert (
        api.call("GET", f"/api/areas?level=district&code=110102{elsewhere}", "worker-gw").json()[
            "features"
        ]
        == []
    )
    for bad in ("abc", "", "1,2,x", ",".join(["110102"] * 101)):
        r = api.call("GET", f"/api/areas?level=district&code={bad}", "worker-gw")
        assert r.status_code == 422 and r.json()["field"] == "code", bad


def test_a_listing_time_without_an_offset_is_beijing_time(api: Api) -> None:
    """since/until without an offset are Beijing time, as in the assessment routes (not the
    database session's time zone)."""
    case_id = _report(api, P1, "E0201")
    created = datetime.fromisoformat(
        api.call("GET", f"/api/cases/{case_id}", "gw").json()["created_at"]
    )

    def listed(**bounds: datetime) -> bool:
        naive = {k: v.astimezone(TZ).replace(tzinfo=None).isoformat() for k, v in bounds.items()}
        query = "&".join(f"{k}={v}" for k, v in naive.items())
        listing = api.call("GET", f"/api/cases?category=E0201&{query}", "gw").json()
        return case_id in {f["id"] for f in listing["features"]}

    minute = timedelta(minutes=1)
    assert listed(since=created - minute)
    assert not listed(since=created + minute)
    assert listed(since=created - minute, until=created + minute)
    assert not listed(until=created - minute)
