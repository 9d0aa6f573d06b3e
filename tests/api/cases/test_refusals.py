"""Refusals on cases: illegal transitions, roles and jurisdictions, malformed bodies, unknown
cases — each a 4xx problem+json naming the field, and nothing written."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.support import BUILDING, Api, problem


@pytest.fixture
def whistled(api: Api) -> dict[str, Any]:
    """A case on the line, whistled by 广外."""
    case_id = api.call(
        "POST", "/api/reports", "worker-gw", json={"geometry": BUILDING, "category": "E0303"}
    ).json()["case_id"]
    assert api.call("POST", f"/api/cases/{case_id}/whistle", "gw", json={}).status_code == 200
    case = api.call("GET", f"/api/cases/{case_id}", "gw").json()
    by_dept = {a["department_code"]: a["id"] for a in case["assignments"]}
    return {"case": case_id, "xc": by_dept["110102-cgzf"], "ft": by_dept["110106-cgzf"]}


def test_illegal_transitions_are_409_and_change_nothing(api: Api, whistled: dict[str, Any]) -> None:
    case, xc = whistled["case"], whistled["xc"]
    attempts = [
        ("POST", f"/api/cases/{case}/verify", "gw", {"confirmed": True}),
        ("POST", f"/api/cases/{case}/evaluate", "worker-gw", {"stars": 5}),
        ("POST", f"/api/cases/{case}/resolve", "gw", {"note": "done"}),
        ("POST", f"/api/cases/{case}/whistle", "gw", {}),
        ("POST", f"/api/assignments/{xc}/resolve", "xc-cgzf", {"note": "too early: not on site"}),
    ]
    for method, url, user, body in attempts:
        before = api.counts()
        refusal = problem(api.call(method, url, user, json=body), 409, "status")
        assert "cannot" in refusal["detail"] or "resolved by its lead" in refusal["detail"]
        assert api.counts() == before, url
    assert api.call("POST", f"/api/assignments/{xc}/acknowledge", "xc-cgzf").status_code == 200
    before = api.counts()
    problem(api.call("POST", f"/api/assignments/{xc}/acknowledge", "xc-cgzf"), 409, "status")
    assert api.counts() == before


def test_refusals_by_role_and_jurisdiction(api: Api, whistled: dict[str, Any]) -> None:
    case, xc, ft = whistled["case"], whistled["xc"], whistled["ft"]
    refusals = [
        ("POST", f"/api/assignments/{xc}/acknowledge", "ft-cgzf", None),  # not its assignment
        (
            "POST",
            f"/api/assignments/{xc}/acknowledge",
            "gw",
            None,
        ),  # streets do not sign for departments
        (
            "POST",
            f"/api/cases/{case}/reject",
            "tpq",
            {"reason": "x"},
        ),  # partner street: view, not triage
        ("POST", f"/api/cases/{case}/reject", "other-street", {"reason": "x"}),
        ("GET", f"/api/cases/{case}", "other-street", None),
        ("GET", f"/api/cases/{case}", "dongcheng", None),
        ("GET", f"/api/cases/{case}", "xc-swj", None),  # a department not assigned
        ("POST", f"/api/cases/{case}/escalate", "gw", {}),  # escalation is the district's
        ("POST", f"/api/cases/{case}/reject", "analyst", {"reason": "x"}),
    ]
    for method, url, user, body in refusals:
        before = api.counts()
        problem(api.call(method, url, user, json=body), 403, "authorization")
        assert api.counts() == before, (url, user)
    ext = api.call(
        "POST",
        f"/api/assignments/{ft}/extensions",
        "ft-cgzf",
        json={"amount": "2wd", "reason": "x"},
    )
    assert ext.status_code == 409  # not acknowledged yet
    api.call("POST", f"/api/assignments/{ft}/acknowledge", "ft-cgzf")
    ext = api.call(
        "POST",
        f"/api/assignments/{ft}/extensions",
        "ft-cgzf",
        json={"amount": "2wd", "reason": "x"},
    )
    assert ext.status_code == 201
    before = api.counts()
    problem(
        api.call(
            "POST", f"/api/extensions/{ext.json()['id']}/decision", "tpq", json={"approve": True}
        ),
        403,
        "authorization",
    )
    assert api.counts() == before


def test_on_site_far_from_the_case_is_refused(api: Api, whistled: dict[str, Any]) -> None:
    xc = whistled["xc"]
    before = api.counts()
    refusal = problem(
        api.call(
            "POST", f"/api/assignments/{xc}/on-site", "xc-cgzf", json={"lon": 116.40, "lat": 39.90}
        ),
        422,
        "position",
    )
    assert refusal["distance_m"] > 5_000
    assert api.counts() == before
    state = api.call("GET", f"/api/cases/{whistled['case']}", "gw").json()
    assert {a["id"]: a["status"] for a in state["assignments"]}[xc] == "dispatched"


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/cases/{case}/evaluate", {"stars": 6}, "stars"),
        ("/api/cases/{case}/reject", {"reason": ""}, "reason"),
        ("/api/cases/{case}/merge", {"into": "x"}, "into"),
        ("/api/assignments/{xc}/extensions", {"amount": "three days", "reason": "x"}, "amount"),
        ("/api/assignments/{xc}/on-site", {"lon": 200, "lat": 39.9}, "lon"),
        ("/api/cases/{case}/whistle", {"whistle_type": "口哨"}, "whistle_type"),
        (
            "/api/cases/{case}/whistle",
            {"departments": [{"code": "110102-nope", "role": "lead"}]},
            "departments",
        ),
    ],
)
def test_malformed_bodies_name_the_field(
    api: Api, whistled: dict[str, Any], url: str, body: dict, field: str
) -> None:
    target = url.format(case=whistled["case"], xc=whistled["xc"])
    user = "xc-cgzf" if "assignments" in target else ("worker-gw" if "evaluate" in target else "gw")
    before = api.counts()
    r = api.call("POST", target, user, json=body)
    assert r.status_code in (409, 422), r.text
    if r.status_code == 422:
        assert r.json()["field"] == field
    assert api.counts() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"departments": [{"code": "x" * 100_000, "role": "lead"}]}, "departments.0.code"),
        ({"partner_streets": ["1" * 100_000]}, "partner_streets.0"),
        ({"sla_policy": "p" * 100_000}, "sla_policy"),
    ],
)
def test_a_huge_code_is_refused_without_echoing_it(
    api: Api, whistled: dict[str, Any], body: dict, field: str
) -> None:
    before = api.counts()
    r = api.call("POST", f"/api/cases/{whistled['case']}/whistle", "gw", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field
    assert len(r.content) < 2_000  # the answer names the field, it does not repeat the value
    assert api.counts() == before


def test_unknown_case_is_404(api: Api) -> None:
    problem(api.call("GET", "/api/cases/999999", "gw"), 404, "case_id")
