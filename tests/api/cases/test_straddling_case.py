"""The acceptance story: the building astride the 西城/丰台 line, end to end over HTTP."""

from __future__ import annotations

import pytest

from geo.coords import CoordinateSystem, from_wgs84
from tests.api.support import BUILDING, CENTRE, Api

GUANGWAI, TAIPINGQIAO = "110102020", "110106002"


def _gcj(geometry: dict) -> dict:
    ring = [list(from_wgs84(x, y, CoordinateSystem.GCJ02)) for x, y in geometry["coordinates"][0]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_straddling_building_end_to_end(api: Api) -> None:
    # 1. a 太平桥 grid worker reports the footprint from a phone map (GCJ-02)
    first = api.call(
        "POST",
        "/api/reports",
        "worker-tpq",
        headers={"Idempotency-Key": "tpq-1"},
        json={
            "geometry": _gcj(BUILDING),
            "crs": "gcj02",
            "category": "E0303",
            "description": "两层违建骑线",
        },
    )
    assert first.status_code == 201, first.text
    case_id = first.json()["case_id"]
    routing = first.json()["routing"]
    assert routing["joint"] is True
    assert [s["code"] for s in routing["streets"]] == [GUANGWAI, TAIPINGQIAO]

    # 2. a 广外 grid worker reports the same building as a GPS pin; the phone retries
    pin = {
        "geometry": {"type": "Point", "coordinates": list(CENTRE)},
        "category": "E0303",
        "accuracy_m": 15,
    }
    second = api.call(
        "POST", "/api/reports", "worker-gw", headers={"Idempotency-Key": "gw-1"}, json=pin
    )
    assert second.status_code == 201 and second.json()["attached"] is True
    assert second.json()["case_id"] == case_id
    retry = api.call(
        "POST", "/api/reports", "worker-gw", headers={"Idempotency-Key": "gw-1"}, json=pin
    )
    assert retry.status_code == 200 and retry.json()["replayed"] is True
    assert retry.json()["id"] == second.json()["id"]
    assert api.counts()["reports"] == 2
    case = api.call("GET", f"/api/cases/{case_id}", "gw").json()
    assert case["report_count"] == 2 and case["status"] == "new"

    # 3. 广外 (the lead street) blows a joint whistle with 太平桥; 太平桥 sees it
    whistle = api.call("POST", f"/api/cases/{case_id}/whistle", "gw", json={"note": "联合吹哨"})
    assert whistle.status_code == 200, whistle.text
    assert api.call("GET", f"/api/cases/{case_id}", "tpq").status_code == 200
    case = api.call("GET", f"/api/cases/{case_id}", "gw").json()
    assert case["status"] == "whistled"
    by_dept = {a["department_code"]: a for a in case["assignments"]}
    assert {"110102-cgzf", "110106-cgzf"} <= set(by_dept)
    assert by_dept["110102-cgzf"]["overall_lead"] and by_dept["110102-cgzf"]["role"] == "lead"
    assert by_dept["110106-cgzf"]["role"] == "lead" and not by_dept["110106-cgzf"]["overall_lead"]
    xc, ft = by_dept["110102-cgzf"]["id"], by_dept["110106-cgzf"]["id"]

    # 4. both districts' 城管执法 acknowledge and report on site
    for user, aid in (("xc-cgzf", xc), ("ft-cgzf", ft)):
        assert api.call("POST", f"/api/assignments/{aid}/acknowledge", user).status_code == 200
        arrived = api.call(
            "POST",
            f"/api/assignments/{aid}/on-site",
            user,
            json={"lon": CENTRE[0], "lat": 39.8904},  # 0.0002° (~22 m) north of the footprint
        )
        assert arrived.status_code == 200, arrived.text
        assert 15 < arrived.json()["on_site_distance_m"] < 30

    # 5. 西城 asks for an extension; 广外 approves; the resolve due time moves
    before = by_dept["110102-cgzf"]["resolve_due_at"]
    ext = api.call(
        "POST",
        f"/api/assignments/{xc}/extensions",
        "xc-cgzf",
        json={"amount": "3wd", "reason": "需走拆除程序"},
    )
    assert ext.status_code == 201, ext.text
    decided = api.call(
        "POST", f"/api/extensions/{ext.json()['id']}/decision", "gw", json={"approve": True}
    )
    assert decided.status_code == 200 and decided.json()["status"] == "approved"
    after = api.call("GET", f"/api/cases/{case_id}", "gw").json()
    moved = {a["id"]: a["resolve_due_at"] for a in after["assignments"]}[xc]
    assert moved > before

    # 6. the overall lead resolves; 广外 verifies; the reporter evaluates 4 stars
    done = api.call(
        "POST", f"/api/assignments/{xc}/resolve", "xc-cgzf", json={"note": "两区联合拆除完毕"}
    )
    assert done.status_code == 200
    assert api.call("GET", f"/api/cases/{case_id}", "gw").json()["status"] == "resolved"
    assert (
        api.call("POST", f"/api/cases/{case_id}/verify", "gw", json={"confirmed": True}).status_code
        == 200
    )
    rated = api.call(
        "POST",
        f"/api/cases/{case_id}/evaluate",
        "worker-gw",
        json={"stars": 4, "comment": "基本满意"},
    )
    assert (
        rated.status_code == 200
        and rated.json()["status"] == "closed"
        and rated.json()["rating"] == 4
    )

    # 7. the history tells the whole story with actors and times
    events = api.call("GET", f"/api/cases/{case_id}/events", "gw").json()
    story = [(e["kind"], e["actor_name"]) for e in events]
    expected_in_order = [
        ("case:new", "worker-tpq"),
        ("report:received", "worker-tpq"),
        ("report:attached", "worker-gw"),
        ("case:whistled", "gw"),
        ("assignment:acknowledged", "xc-cgzf"),
        ("assignment:on_site", "xc-cgzf"),
        ("assignment:acknowledged", "ft-cgzf"),
        ("assignment:on_site", "ft-cgzf"),
        ("extension:requested", "xc-cgzf"),
        ("extension:approved", "gw"),
        ("assignment:resolved", "xc-cgzf"),
        ("case:resolved", "xc-cgzf"),
        ("case:verified", "gw"),
        ("case:closed", "worker-gw"),
    ]
    positions = [story.index(step) for step in expected_in_order]
    assert positions == sorted(positions), story
    times = [e["at"] for e in events]
    assert times == sorted(times)
    assert all(e["actor_role"] for e in events)


def test_history_alone_rebuilds_the_case_and_its_assignments(api: Api) -> None:
    created = api.call(
        "POST", "/api/reports", "worker-gw", json={"geometry": BUILDING, "category": "E0303"}
    ).json()
    case_id = created["case_id"]
    api.call("POST", f"/api/cases/{case_id}/whistle", "gw", json={})
    case = api.call("GET", f"/api/cases/{case_id}", "gw").json()
    ft = next(a for a in case["assignments"] if a["department_code"] == "110106-cgzf")
    api.call(
        "POST", f"/api/assignments/{ft['id']}/dispute", "ft-cgzf", json={"reason": "非本部门职责"}
    )
    api.call(
        "POST",
        f"/api/cases/{case_id}/reroute",
        "gw",
        json={"departments": [{"code": "110102-cgzf", "role": "lead", "overall_lead": True}]},
    )
    events = api.call("GET", f"/api/cases/{case_id}/events", "gw").json()
    status = None
    assignments: dict[int, str] = {}
    for e in events:
        if e["kind"].startswith("case:") and e["to_status"]:
            assert e["from_status"] == status
            status = e["to_status"]
        if e["kind"].startswith("assignment:"):
            aid = e["data"]["assignment_id"]
            assert assignments.get(aid, "dispatched") == e["from_status"]
            assignments[aid] = e["to_status"]
    now = api.call("GET", f"/api/cases/{case_id}", "gw").json()
    assert status == now["status"] == "whistled"
    for a in now["assignments"]:
        assert assignments.get(a["id"], "dispatched") == a["status"]
    # 丰台's department is not the overall lead: its dispute is its assignment's, not the case's
    assert not any(e["kind"] == "case:disputed" for e in events)
    assert any(e["kind"] == "assignment:disputed" and e["reason"] == "非本部门职责" for e in events)


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_reports_in_chinese_crs_land_where_the_wgs_pin_does(api: Api, crs: str) -> None:
    wgs = (116.3170, 39.8900)
    shifted = from_wgs84(*wgs, CoordinateSystem(crs))
    r = api.call(
        "POST",
        "/api/reports",
        "worker-tpq",
        json={
            "geometry": {"type": "Point", "coordinates": list(shifted)},
            "crs": crs,
            "category": "E0401",
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["routing"]["streets"][0]["code"] == TAIPINGQIAO


def test_the_receiving_street_leads_a_near_tie_and_triages_it(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """首接负责: with a tolerance wider than the building's 40-point gap, the 太平桥 worker's
    street leads the case it received, and 太平桥 (not 广外) may whistle it."""
    monkeypatch.setattr("api.reports.service.lead_tolerance_from", lambda _: 0.45)
    body = {"geometry": BUILDING, "category": "E0303"}
    done = api.call("POST", "/api/reports", "worker-tpq", json=body)
    assert done.status_code == 201, done.text
    routing = done.json()["routing"]
    assert [s["code"] for s in routing["streets"]] == [TAIPINGQIAO, GUANGWAI]
    assert any("首接负责" in line for line in routing["explanation"])
    case_id = done.json()["case_id"]
    assert api.call("GET", f"/api/cases/{case_id}", "tpq").json()["lead_street_code"] == TAIPINGQIAO
    assert api.call("POST", f"/api/cases/{case_id}/whistle", "gw", json={}).status_code == 403
    assert api.call("POST", f"/api/cases/{case_id}/whistle", "tpq", json={}).status_code == 200


def test_beyond_the_tolerance_the_largest_share_leads_whoever_received_it(api: Api) -> None:
    done = api.call(
        "POST", "/api/reports", "worker-tpq", json={"geometry": BUILDING, "category": "E0303"}
    )
    assert done.status_code == 201, done.text
    assert [s["code"] for s in done.json()["routing"]["streets"]] == [GUANGWAI, TAIPINGQIAO]


def test_the_preview_routes_as_the_callers_report_would(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("api.routing.service.lead_tolerance_from", lambda _: 0.45)
    body = {"geometry": BUILDING, "category": "E0303"}
    by_tpq = api.call("POST", "/api/route", "worker-tpq", json=body).json()
    by_gw = api.call("POST", "/api/route", "worker-gw", json=body).json()
    assert by_tpq["lead_street"]["code"] == TAIPINGQIAO
    assert by_gw["lead_street"]["code"] == GUANGWAI
