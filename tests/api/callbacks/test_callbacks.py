"""Call-backs (回访) of hotline cases: the queue, each result, the lead street's decision,
and every refusal (wrong role 403, missing reason 422, not pending 409), nothing written."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from api.auth.roles import Role
from api.callbacks.models import Callback
from tests.api.support import BUILDING, CENTRE, PIN, Api, issue_tokens, problem


@pytest.fixture
def hotline(api: Api) -> Api:
    """The shared client with a 12345 call-taker (``hotline``) and a community among its users."""
    extra = {"hotline": (Role.HOTLINE, None), "community-gw": (Role.COMMUNITY, "110102020001")}
    api.tokens.update(issue_tokens(api.session, extra))
    return api


def _report(api: Api, *, source: str, geometry: dict[str, Any] | None = None) -> int:
    body = {**PIN, "source": source, "description": "回访测试"}
    if geometry is not None:
        body["geometry"] = geometry
    response = api.call("POST", "/api/reports", "worker-gw", json=body)
    assert response.status_code in (200, 201), response.text
    return int(response.json()["case_id"])


def _verified_locally(api: Api, source: str = "hotline") -> int:
    """A case 广外 resolved itself and verified."""
    case_id = _report(api, source=source)
    assert api.call(
        "POST", f"/api/cases/{case_id}/resolve", "gw", json={"note": "已清理"}
    ).is_success
    verify = api.call("POST", f"/api/cases/{case_id}/verify", "gw", json={"confirmed": True})
    assert verify.json()["status"] == "verified"
    return case_id


def _verified_by_department(api: Api) -> tuple[int, int]:
    """A hotline case on the line, whistled, resolved by 西城 城管执法 and verified by 广外."""
    case_id = _report(api, source="hotline", geometry=BUILDING)
    lead = [{"code": "110102-cgzf", "role": "lead", "overall_lead": True}]
    assert api.call("POST", f"/api/cases/{case_id}/whistle", "gw", json={"departments": lead})
    case = api.call("GET", f"/api/cases/{case_id}", "gw").json()
    aid = case["assignments"][0]["id"]
    for step, body in (
        ("acknowledge", None),
        ("on-site", {"lon": CENTRE[0], "lat": CENTRE[1]}),
        ("resolve", {"note": "已拆除"}),
    ):
        done = api.call("POST", f"/api/assignments/{aid}/{step}", "xc-cgzf", json=body)
        assert done.is_success, done.text
    verify = api.call("POST", f"/api/cases/{case_id}/verify", "gw", json={"confirmed": True})
    assert verify.json()["status"] == "verified"
    return case_id, aid


def _queue(api: Api, user: str, status: str = "pending") -> list[int]:
    response = api.call("GET", "/api/callbacks", user, params={"status": status})
    assert response.status_code == 200, response.text
    return [item["case_id"] for item in response.json()["items"]]


def _written(api: Api) -> dict[str, int]:
    counts = api.counts()
    counts["callbacks"] = api.session.scalar(select(func.count()).select_from(Callback)) or 0
    return counts


def test_a_verified_hotline_case_waits_and_a_satisfied_call_back_closes_it(hotline: Api) -> None:
    api = hotline
    patrol = _verified_locally(api, source="patrol")
    case_id = _verified_locally(api)
    pending = _queue(api, "hotline")
    assert case_id in pending and patrol not in pending
    assert case_id in _queue(api, "gw") and case_id not in _queue(api, "tpq")

    done = api.call(
        "POST", f"/api/cases/{case_id}/callback", "hotline", json={"result": "基本满意"}
    )
    assert done.status_code == 200, done.text
    assert (done.json()["result"], done.json()["stars"]) == ("基本满意", 4)
    case = api.call("GET", f"/api/cases/{case_id}", "gw").json()
    assert (case["status"], case["rating"]) == ("closed", 4)
    events = api.call("GET", f"/api/cases/{case_id}/events", "gw").json()
    kinds = [e["kind"] for e in events]
    assert kinds[-2:] == ["callback", "case:closed"]
    assert events[-1]["data"]["source"] == "callback" and events[-1]["actor_role"] == "hotline"
    assert case_id not in _queue(api, "hotline")
    assert case_id in _queue(api, "hotline", "done")


def test_a_hotline_case_is_closed_by_its_call_back_not_by_an_evaluation(hotline: Api) -> None:
    api = hotline
    case_id = _verified_locally(api)
    before = _written(api)
    refusal = problem(
        api.call("POST", f"/api/cases/{case_id}/evaluate", "gw", json={"stars": 5}), 409, "status"
    )
    assert "call-back" in refusal["detail"]
    assert _written(api) == before
    patrol = _verified_locally(api, source="patrol")  # a patrol case is still evaluated
    closed = api.call("POST", f"/api/cases/{patrol}/evaluate", "gw", json={"stars": 5})
    assert closed.json()["status"] == "closed"


def test_unsatisfied_accepted_by_the_street_reopens_the_case_to_its_department(
    hotline: Api,
) -> None:
    api = hotline
    case_id, aid = _verified_by_department(api)
    said = {"result": "不满意", "reason": "违建只拆了一半"}
    done = api.call("POST", f"/api/cases/{case_id}/callback", "hotline", json=said).json()
    case = api.call("GET", f"/api/cases/{case_id}", "gw").json()
    assert case["status"] == "verified" and case["rating"] is None
    assert _queue(api, "gw", "review") == [case_id] and case_id not in _queue(api, "hotline")

    decided = api.call("POST", f"/api/callbacks/{done['id']}/decision", "gw", json={"accept": True})
    assert decided.status_code == 200, decided.text
    assert decided.json()["decision"] == "accepted"
    case = api.call("GET", f"/api/cases/{case_id}", "gw").json()
    assert case["status"] == "whistled" and case["verified_at"] is None
    assert case["resolved_at"] is None
    assert [a["status"] for a in case["assignments"] if a["id"] == aid] == ["on_site"]
    events = api.call("GET", f"/api/cases/{case_id}/events", "gw").json()
    reopened = [e for e in events if e["kind"] == "case:whistled"][-1]
    assert reopened["from_status"] == "verified" and "违建只拆了一半" in reopened["reason"]

    # redone, verified again: back in the queue for a second call-back
    api.call("POST", f"/api/assignments/{aid}/resolve", "xc-cgzf", json={"note": "已拆净"})
    api.call("POST", f"/api/cases/{case_id}/verify", "gw", json={"confirmed": True})
    assert case_id in _queue(api, "hotline")
    again = api.call("POST", f"/api/cases/{case_id}/callback", "hotline", json={"result": "满意"})
    assert again.status_code == 200
    assert api.call("GET", f"/api/cases/{case_id}", "gw").json()["rating"] == 5


def test_unsatisfied_accepted_on_a_local_resolution_goes_back_to_triage(hotline: Api) -> None:
    api = hotline
    case_id = _verified_locally(api)
    said = {"result": "不满意", "reason": "垃圾又堆回来了"}
    done = api.call("POST", f"/api/cases/{case_id}/callback", "hotline", json=said).json()
    api.call("POST", f"/api/callbacks/{done['id']}/decision", "gw", json={"accept": True})
    case = api.call("GET", f"/api/cases/{case_id}", "gw").json()
    assert case["status"] == "new" and case["resolution_level"] is None


def test_unsatisfied_declined_with_a_reason_closes_the_case_with_the_rating(hotline: Api) -> None:
    api = hotline
    case_id = _verified_locally(api)
    said = {"result": "不满意", "reason": "希望拆除整栋楼"}
    done = api.call("POST", f"/api/cases/{case_id}/callback", "hotline", json=said).json()
    decided = api.call(
        "POST",
        f"/api/callbacks/{done['id']}/decision",
        "gw",
        json={"accept": False, "reason": "诉求超出职责范围"},
    ).json()
    assert decided["decision"] == "declined" and decided["decision_reason"] == "诉求超出职责范围"
    case = api.call("GET", f"/api/cases/{case_id}", "gw").json()
    assert (case["status"], case["rating"]) == ("closed", 2)
    assert case_id in _queue(api, "hotline", "done")


def test_refusals_write_nothing(hotline: Api) -> None:
    api = hotline
    case_id = _verified_locally(api)
    patrol = _verified_locally(api, source="patrol")
    url = f"/api/cases/{case_id}/callback"
    refusals = [
        (url, "gw", {"result": "满意"}, 403, "authorization"),  # streets do not call back
        (url, "worker-gw", {"result": "满意"}, 403, "authorization"),
        (url, "xc-cgzf", {"result": "满意"}, 403, "authorization"),
        (url, "hotline", {"result": "不满意"}, 422, "reason"),
        (url, "hotline", {"result": "不满意", "reason": "   "}, 422, "reason"),
        (url, "hotline", {"result": "很好"}, 422, "result"),
        (f"/api/cases/{patrol}/callback", "hotline", {"result": "满意"}, 409, "status"),
        ("/api/cases/999999/callback", "hotline", {"result": "满意"}, 404, "case_id"),
    ]
    for target, user, body, status, field in refusals:
        before = _written(api)
        problem(api.call("POST", target, user, json=body), status, field)
        assert _written(api) == before, (target, user, body)

    # not pending: a case not yet verified, and one already called back
    fresh = _report(api, source="hotline")
    before = _written(api)
    problem(
        api.call("POST", f"/api/cases/{fresh}/callback", "hotline", json={"result": "满意"}),
        409,
        "status",
    )
    assert _written(api) == before
    said = {"result": "不满意", "reason": "没人来"}
    done = api.call("POST", url, "hotline", json=said).json()
    before = _written(api)
    problem(api.call("POST", url, "hotline", json={"result": "满意"}), 409, "status")
    assert _written(api) == before

    decision = f"/api/callbacks/{done['id']}/decision"
    decisions = [
        (decision, "tpq", {"accept": True}, 403, "authorization"),  # not the lead street
        (decision, "hotline", {"accept": True}, 403, "authorization"),
        (decision, "community-gw", {"accept": True}, 403, "authorization"),
        (decision, "gw", {"accept": False}, 422, "reason"),
        ("/api/callbacks/999999/decision", "gw", {"accept": True}, 404, "callback_id"),
    ]
    for target, user, choice, status, field in decisions:
        before = _written(api)
        problem(api.call("POST", target, user, json=choice), status, field)
        assert _written(api) == before, (target, user, choice)
    assert api.call("POST", decision, "gw", json={"accept": False, "reason": "已解释"}).is_success
    before = _written(api)
    problem(api.call("POST", decision, "gw", json={"accept": True}), 409, "status")
    assert _written(api) == before


def test_who_sees_the_queue(hotline: Api) -> None:
    api = hotline
    for user in ("worker-gw", "xc-cgzf", "community-gw"):
        problem(api.call("GET", "/api/callbacks", user), 403, "authorization")
    problem(api.call("GET", "/api/callbacks", None), 401)
    problem(api.call("GET", "/api/callbacks", "hotline", params={"status": "later"}), 422, "status")
