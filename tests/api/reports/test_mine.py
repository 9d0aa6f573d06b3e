"""GET /api/reports/mine: the caller's own reports, where each stands now (merges followed),
their history and whether the reporter may evaluate."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.support import BUILDING, CENTRE, PIN, Api, problem


def _report(api: Api, user: str = "worker-gw", **changes: Any) -> dict[str, Any]:
    response = api.call("POST", "/api/reports", user, json={**PIN, **changes})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _mine(api: Api, user: str = "worker-gw", query: str = "") -> dict[str, Any]:
    response = api.call("GET", f"/api/reports/mine{query}", user)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _one(api: Api, report_id: int, user: str = "worker-gw") -> dict[str, Any]:
    found = [r for r in _mine(api, user, "?limit=100")["reports"] if r["id"] == report_id]
    assert len(found) == 1
    return found[0]


def _ok(api: Api, path: str, user: str, body: dict[str, Any]) -> None:
    response = api.call("POST", path, user, json=body)
    assert response.status_code == 200, response.text


def test_a_worker_sees_its_own_reports_newest_first_and_no_one_elses(api: Api) -> None:
    first = _report(api, category="E0303", description="违建")
    second = _report(api, category="E0401", description="占道")
    tpq = _report(api, "worker-tpq", geometry=BUILDING, category="E0101")  # astride the line
    mine = _mine(api)
    assert [r["id"] for r in mine["reports"]] == [second["id"], first["id"]]
    assert mine["total"] == 2 and (mine["limit"], mine["offset"]) == (20, 0)
    newest = mine["reports"][0]
    assert newest["description"] == "占道" and newest["category"] == "E0401"
    assert newest["case_id"] == newest["case"]["id"] == second["case_id"]
    assert newest["case"]["status"] == "new" and newest["case"]["status_name"] == "新案件"
    assert newest["merged_into"] == [] and newest["actions"] == []
    assert newest["events"][0]["kind"] == "case:new"
    assert {e["case_id"] for e in newest["events"]} == {second["case_id"]}
    theirs = _mine(api, "worker-tpq")
    assert [r["id"] for r in theirs["reports"]] == [tpq["id"]] and theirs["total"] == 1
    page = _mine(api, query="?limit=1&offset=1")
    assert [r["id"] for r in page["reports"]] == [first["id"]] and page["total"] == 2


def test_a_merged_report_follows_its_case_into_the_one_it_was_merged_into(api: Api) -> None:
    mine = _report(api, category="E0401")
    kept = _report(api, "gw", category="E0303")["case_id"]
    last = _report(api, "gw", category="E0101")["case_id"]
    merge = {"into": kept, "reason": "同一处问题"}
    _ok(api, f"/api/cases/{mine['case_id']}/merge", "gw", merge)
    _ok(api, f"/api/cases/{last}/whistle", "gw", {})

    merged = _one(api, mine["id"])
    assert merged["case_id"] == mine["case_id"] and merged["merged_into"] == [kept]
    assert merged["case"]["id"] == kept and merged["case"]["status_name"] == "新案件"
    kinds = [(e["case_id"], e["kind"]) for e in merged["events"]]
    assert (mine["case_id"], "case:merged") in kinds and (kept, "case:merged_in") in kinds
    assert next(e for e in merged["events"] if e["kind"] == "case:merged")["reason"] == "同一处问题"
    # the case merged away is no longer the reporter's to open: its history comes along here
    problem(api.call("GET", f"/api/cases/{mine['case_id']}/events", "worker-gw"), 403)

    # merged again: followed to the end, which is whistled
    _ok(api, f"/api/cases/{kept}/merge", "gw", {"into": last, "reason": "并到已吹哨的案件"})
    again = _one(api, mine["id"])
    assert again["case_id"] == mine["case_id"] and again["merged_into"] == [kept, last]
    assert again["case"]["id"] == last
    assert (again["case"]["status"], again["case"]["status_name"]) == ("whistled", "已吹哨")
    assert {e["case_id"] for e in again["events"]} == {mine["case_id"], kept, last}
    assert [e["at"] for e in again["events"]] == sorted(e["at"] for e in again["events"])


def test_the_reporter_may_evaluate_once_the_case_is_verified_and_not_before(api: Api) -> None:
    report = _report(api, category="E0303")
    case = f"/api/cases/{report['case_id']}"
    _ok(api, f"{case}/whistle", "gw", {})
    assert _one(api, report["id"])["actions"] == []
    refused = problem(api.call("POST", f"{case}/evaluate", "worker-gw", json={"stars": 5}), 409)
    assert refused["field"] == "status"

    other = _report(api, category="E0401")
    verified = f"/api/cases/{other['case_id']}"
    _ok(api, f"{verified}/resolve", "gw", {"note": "已清理"})
    assert _one(api, other["id"])["actions"] == []  # resolved: the street verifies first
    _ok(api, f"{verified}/verify", "gw", {"confirmed": True})
    ready = _one(api, other["id"])
    assert ready["actions"] == ["evaluate"] and ready["case"]["status_name"] == "已核查"
    assert ready["case"]["rating"] is None

    _ok(api, f"{verified}/evaluate", "worker-gw", {"stars": 4, "comment": "处理及时"})
    closed = _one(api, other["id"])
    assert closed["actions"] == [] and closed["case"]["status_name"] == "已结案"
    assert closed["case"]["rating"] == {"stars": 4, "comment": "处理及时", "source": "reporter"}
    assert closed["case"]["closed_at"] is not None
    assert closed["events"][-1]["kind"] == "case:closed"


def test_a_hotline_case_waits_for_its_call_back_instead(api: Api) -> None:
    report = _report(api, category="E0101", source="hotline")
    case = f"/api/cases/{report['case_id']}"
    _ok(api, f"{case}/resolve", "gw", {"note": "已处理"})
    _ok(api, f"{case}/verify", "gw", {"confirmed": True})
    assert _one(api, report["id"])["actions"] == []


def test_another_workers_case_is_not_in_the_list_even_when_one_attached(api: Api) -> None:
    theirs = _report(api, "gw", category="E0303")
    lon, lat = CENTRE
    attached = _report(
        api, geometry={"type": "Point", "coordinates": [lon + 0.0001, lat]}, category="E0303"
    )
    assert attached["attached"] and attached["case_id"] == theirs["case_id"]
    mine = _mine(api)["reports"]
    assert [r["id"] for r in mine] == [attached["id"]] and mine[0]["attached"] is True
    assert _mine(api, "gw")["total"] == 1  # the street's own report, not the worker's


@pytest.mark.parametrize(("user", "status"), [(None, 401), ("analyst", 403), ("xc-cgzf", 403)])
def test_roles_that_never_report_are_refused(api: Api, user: str | None, status: int) -> None:
    problem(api.call("GET", "/api/reports/mine", user), status, "authorization")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?limit=0", "limit"),
        ("?limit=101", "limit"),
        ("?limit=ten", "limit"),
        ("?offset=-1", "offset"),
        ("?offset=2147483648", "offset"),
    ],
)
def test_a_bad_page_is_refused_naming_the_parameter(api: Api, query: str, field: str) -> None:
    problem(api.call("GET", f"/api/reports/mine{query}", "worker-gw"), 422, field)
