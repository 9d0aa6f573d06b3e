"""Tiered dispatch: a district escalates a whistled case to the city departments (分级派单)."""

from __future__ import annotations

from typing import Any

from tests.api.support import PIN, Api, problem

# E0303 违法建设 at the city level (data/duty_rules.csv): 市规划自然资源委 leads, 市城管执法局
# and 市住建委 cooperate
CITY = {"110000-ghzy": "lead", "110000-cgzf": "support", "110000-zjw": "support"}


def _whistled_case(api: Api) -> int:
    created = api.call("POST", "/api/reports", "worker-gw", json=PIN)
    assert created.status_code == 201, created.text
    case_id = int(created.json()["case_id"])
    whistle = api.call("POST", f"/api/cases/{case_id}/whistle", "gw", json={})
    assert whistle.status_code == 200, whistle.text
    return case_id


def _assignments(api: Api, case_id: int) -> dict[str, dict[str, Any]]:
    case = api.call("GET", f"/api/cases/{case_id}", "gw").json()
    return {a["department_code"]: a for a in case["assignments"]}


def test_the_district_escalates_to_the_city_rule_departments(api: Api) -> None:
    case_id = _whistled_case(api)
    district_level = {
        code for code, a in _assignments(api, case_id).items() if a["status"] == "dispatched"
    }
    assert district_level and all(code.startswith("110102-") for code in district_level)

    up = api.call("POST", f"/api/cases/{case_id}/escalate", "xicheng", json={"note": "跨区疑难"})
    assert up.status_code == 200, up.text
    assert up.json()["level"] == "city" and up.json()["sla_policy"] == "maanshan"

    after = _assignments(api, case_id)
    live = {code: a for code, a in after.items() if a["status"] == "dispatched"}
    assert {code: a["role"] for code, a in live.items()} == CITY
    assert [code for code, a in live.items() if a["overall_lead"]] == ["110000-ghzy"]
    assert {after[code]["status"] for code in district_level} == {"cancelled"}
    case = api.call("GET", f"/api/cases/{case_id}", "gw").json()
    assert case["status"] == "whistled"

    events = api.call("GET", f"/api/cases/{case_id}/events", "gw").json()
    escalated = [e for e in events if e["kind"] == "whistle:escalated"]
    assert len(escalated) == 1 and escalated[0]["actor_name"] == "xicheng"
    assert escalated[0]["data"]["level"] == "city" and escalated[0]["reason"] == "跨区疑难"
    assert {d["code"] for d in escalated[0]["data"]["departments"]} == set(CITY)
    cancelled = [e for e in events if e["kind"] == "assignment:cancelled"]
    assert len(cancelled) == len(district_level)


def test_the_district_may_name_the_city_departments(api: Api) -> None:
    case_id = _whistled_case(api)
    chosen = [{"code": "110000-cgzf", "role": "lead", "overall_lead": True}]
    up = api.call("POST", f"/api/cases/{case_id}/escalate", "xicheng", json={"departments": chosen})
    assert up.status_code == 200, up.text
    live = {c for c, a in _assignments(api, case_id).items() if a["status"] == "dispatched"}
    assert live == {"110000-cgzf"}


def test_only_a_district_of_the_case_escalates_and_nothing_is_written(api: Api) -> None:
    case_id = _whistled_case(api)
    before = api.counts()
    for user in ("fengtai", "dongcheng", "gw", "xc-cgzf", "worker-gw"):
        # another district, the street that whistled, a department, the reporter
        refused = api.call("POST", f"/api/cases/{case_id}/escalate", user, json={})
        problem(refused, 403, "authorization")
    leaderless = [{"code": "110000-cgzf", "role": "support"}]
    problem(
        api.call(
            "POST", f"/api/cases/{case_id}/escalate", "xicheng", json={"departments": leaderless}
        ),
        422,
        "departments",
    )
    assert api.counts() == before


def _new_case(api: Api, category: str) -> int:
    # each of another category: a report of the same one nearby would join the open case
    created = api.call("POST", "/api/reports", "worker-gw", json={**PIN, "category": category})
    assert created.status_code == 201, created.text
    return int(created.json()["case_id"])


def test_a_new_or_disputed_case_may_be_escalated_too(api: Api) -> None:
    fresh = _new_case(api, "E0101")
    chosen = {"departments": [{"code": "110000-cgzf", "role": "lead", "overall_lead": True}]}
    up = api.call("POST", f"/api/cases/{fresh}/escalate", "xicheng", json=chosen)
    assert up.status_code == 200, up.text
    assert up.json()["level"] == "city"
    assert api.call("GET", f"/api/cases/{fresh}", "gw").json()["status"] == "whistled"

    disputed = _whistled_case(api)
    lead = next(a for a in _assignments(api, disputed).values() if a["overall_lead"])
    no = api.call(
        "POST", f"/api/assignments/{lead['id']}/dispute", "xc-cgzf", json={"reason": "非本局"}
    )
    assert no.status_code == 200, no.text
    up = api.call("POST", f"/api/cases/{disputed}/escalate", "xicheng", json={})
    assert up.status_code == 200, up.text
    assert api.call("GET", f"/api/cases/{disputed}", "gw").json()["status"] == "whistled"


def test_a_case_resolved_or_ended_is_not_escalated_and_nothing_is_written(api: Api) -> None:
    resolved = _new_case(api, "E0101")
    done = api.call("POST", f"/api/cases/{resolved}/resolve", "gw", json={"note": "社区劝离"})
    assert done.status_code == 200, done.text
    rejected = _new_case(api, "E0102")
    no = api.call("POST", f"/api/cases/{rejected}/reject", "gw", json={"reason": "不属实"})
    assert no.status_code == 200, no.text
    for case_id, status in ((resolved, "resolved"), (rejected, "rejected")):
        before = api.counts()
        body = problem(
            api.call("POST", f"/api/cases/{case_id}/escalate", "xicheng", json={}), 409, "status"
        )
        assert body["current"] == status and body["requested"] == "escalate"
        assert api.counts() == before


def test_only_an_escalation_whistles_a_whistled_case_again(api: Api) -> None:
    case_id = _whistled_case(api)
    before = api.counts()
    body = problem(api.call("POST", f"/api/cases/{case_id}/whistle", "gw", json={}), 409, "status")
    assert body["current"] == "whistled"
    assert api.counts() == before
    assert api.call("POST", f"/api/cases/{case_id}/escalate", "xicheng", json={}).status_code == 200
