"""A street-and-alley chief through the API: reports in the chief's street, sees and comments
on what the chief reported, nothing else."""

from __future__ import annotations

import pytest

from api.auth.roles import Role
from tests.api.support import Api, issue_tokens

IN_GUANGWAI = {"type": "Point", "coordinates": [116.3230, 39.8906]}
IN_TAIPINGQIAO = {"type": "Point", "coordinates": [116.3170, 39.8900]}


def test_a_chief_reports_in_its_street_and_comments_on_its_own_cases(
    request: pytest.FixtureRequest,
) -> None:
    api: Api = request.getfixturevalue("api")
    api.tokens.update(issue_tokens(api.session, {"chief": (Role.CHIEF, "C110102020-01")}))
    report = {"geometry": IN_GUANGWAI, "category": "E0401"}
    mine = api.call("POST", "/api/reports", "chief", json=report)
    assert mine.status_code == 201, mine.text
    case_id = mine.json()["case_id"]
    assert api.call("GET", f"/api/cases/{case_id}", "chief").status_code == 200
    comment = api.call("POST", f"/api/cases/{case_id}/comments", "chief", json={"text": "巡查确认"})
    assert comment.status_code == 200, comment.text
    listed = api.call("GET", "/api/cases", "chief").json()
    assert [f["id"] for f in listed["features"]] == [case_id]

    before = api.counts()
    elsewhere = api.call(
        "POST", "/api/reports", "chief", json={"geometry": IN_TAIPINGQIAO, "category": "E0401"}
    )
    assert elsewhere.status_code == 403
    assert "outside its jurisdiction" in elsewhere.json()["detail"]
    other_report = {**report, "category": "E0303"}  # not a duplicate of the chief's
    other = api.call("POST", "/api/reports", "worker-gw", json=other_report).json()["case_id"]
    assert other != case_id
    assert api.call("GET", f"/api/cases/{other}", "chief").status_code == 403
    refused = api.call("POST", f"/api/cases/{other}/comments", "chief", json={"text": "x"})
    assert refused.status_code == 403
    assert (
        api.call("POST", f"/api/cases/{case_id}/resolve", "chief", json={"note": "x"}).status_code
        == 403
    )
    assert api.counts()["reports"] == before["reports"] + 1  # only the grid worker's
