"""``allowed_actions`` tell the truth: for each role on a case in each state, the actions the
API lists (on the case, on each of its assignments) are exactly those whose route does not
refuse with 403 or 409. Every action is tried, with a body the route accepts, inside a
savepoint that is rolled back, so each try meets the same world."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.roles import Role
from api.cases.workflow import AssignmentAction, CaseAction
from api.deps import get_session
from api.whistles.models import Extension
from tests.api.support import CENTRE, PIN, Api, issue_tokens

XC_CGZF = {"code": "110102-cgzf", "role": "lead", "overall_lead": True}
XC_GHZY = {"code": "110102-ghzy", "role": "support", "overall_lead": False}
HERE = {"lon": CENTRE[0], "lat": CENTRE[1]}
WHO = (
    "admin",
    "analyst",
    "gw",
    "tpq",
    "xicheng",
    "fengtai",
    "xc-cgzf",
    "xc-ghzy",
    "worker-gw",
    "worker-tpq",
    "community",
)


def _ok(response: Any) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


def _case(api: Api, category: str) -> int:
    # a category of its own each: a report of the same one nearby would join the open case
    report = {**PIN, "category": category}
    return int(_ok(api.call("POST", "/api/reports", "worker-gw", json=report))["case_id"])


def _assignment(api: Api, case_id: int, code: str) -> int:
    case = _ok(api.call("GET", f"/api/cases/{case_id}", "admin"))
    return next(int(a["id"]) for a in case["assignments"] if a["department_code"] == code)


def _world(api: Api) -> dict[str, int]:
    """A case in each state; the merge target (new) is not tried itself."""
    names = ("new", "target", "whistled", "disputed", "resolved", "verified", "closed")
    cats = ("E0101", "E0102", "E0103", "E0104", "E0105", "E0201", "E0202", "E0301", "E0302")
    ids = {
        name: _case(api, cat)
        for name, cat in zip((*names, "rejected", "merged"), cats, strict=True)
    }
    whistle = {"departments": [XC_CGZF, XC_GHZY]}
    for name in ("whistled", "disputed", "resolved"):
        _ok(api.call("POST", f"/api/cases/{ids[name]}/whistle", "gw", json=whistle))
    # whistled: the lead on site asking for more time, the support not yet signed for it
    lead = _assignment(api, ids["whistled"], "110102-cgzf")
    _ok(api.call("POST", f"/api/assignments/{lead}/on-site", "xc-cgzf", json=HERE))
    more = {"amount": "2wd", "reason": "材料未到"}
    _ok(api.call("POST", f"/api/assignments/{lead}/extensions", "xc-cgzf", json=more))
    # disputed: the overall lead says not ours, the support has signed for it
    lead = _assignment(api, ids["disputed"], "110102-cgzf")
    _ok(api.call("POST", f"/api/assignments/{lead}/dispute", "xc-cgzf", json={"reason": "非本局"}))
    support = _assignment(api, ids["disputed"], "110102-ghzy")
    _ok(api.call("POST", f"/api/assignments/{support}/acknowledge", "xc-ghzy"))
    # resolved by its lead department
    lead = _assignment(api, ids["resolved"], "110102-cgzf")
    _ok(api.call("POST", f"/api/assignments/{lead}/on-site", "xc-cgzf", json=HERE))
    _ok(api.call("POST", f"/api/assignments/{lead}/resolve", "xc-cgzf", json={"note": "已拆除"}))
    for name in ("verified", "closed"):
        _ok(api.call("POST", f"/api/cases/{ids[name]}/resolve", "gw", json={"note": "劝离"}))
        _ok(api.call("POST", f"/api/cases/{ids[name]}/verify", "gw", json={"confirmed": True}))
    _ok(api.call("POST", f"/api/cases/{ids['closed']}/evaluate", "gw", json={"stars": 5}))
    _ok(api.call("POST", f"/api/cases/{ids['rejected']}/reject", "gw", json={"reason": "不属实"}))
    into = {"into": ids["target"], "reason": "同一问题"}
    _ok(api.call("POST", f"/api/cases/{ids['merged']}/merge", "gw", json=into))
    return ids


def _case_tries(case_id: int, target: int) -> dict[CaseAction, tuple[str, dict[str, Any]]]:
    """Each case action's route and a body it accepts."""
    city = {"code": "110000-cgzf", "role": "lead", "overall_lead": True}
    return {
        CaseAction.RESOLVE: ("resolve", {"note": "已处理"}),
        CaseAction.REJECT: ("reject", {"reason": "不属实"}),
        CaseAction.MERGE: ("merge", {"into": target, "reason": "同一问题"}),
        CaseAction.WHISTLE: ("whistle", {"departments": [XC_CGZF]}),
        CaseAction.ESCALATE: ("escalate", {"departments": [city]}),
        CaseAction.REROUTE: ("reroute", {"departments": [XC_GHZY | {"role": "lead"}]}),
        CaseAction.VERIFY: ("verify", {"confirmed": True}),
        CaseAction.EVALUATE: ("evaluate", {"stars": 4}),
        CaseAction.COMMENT: ("comments", {"text": "留言"}),
    }


def _assignment_tries(
    assignment_id: int, extension: int | None
) -> dict[AssignmentAction, tuple[str, dict[str, Any] | None]]:
    """Each assignment action's route and a body it accepts."""
    at = f"/api/assignments/{assignment_id}"
    tries: dict[AssignmentAction, tuple[str, dict[str, Any] | None]] = {
        AssignmentAction.ACKNOWLEDGE: (f"{at}/acknowledge", None),
        AssignmentAction.ARRIVE: (f"{at}/on-site", HERE),
        AssignmentAction.RESOLVE: (f"{at}/resolve", {"note": "已办结"}),
        AssignmentAction.EXTEND: (f"{at}/extensions", {"amount": "1wd", "reason": "天气"}),
        AssignmentAction.DISPUTE: (f"{at}/dispute", {"reason": "非本部门"}),
    }
    if extension is not None:
        decision = (f"/api/extensions/{extension}/decision", {"approve": True})
        tries[AssignmentAction.DECIDE_EXTENSION] = decision
    return tries


@contextmanager
def _savepoint(api: Api) -> Iterator[None]:
    """The app's requests inside a savepoint of the test's transaction, rolled back after."""
    app = api.client.app
    api.session.flush()
    connection = api.session.connection()
    savepoint = connection.begin_nested()
    trial = Session(bind=connection, join_transaction_mode="create_savepoint")
    app.dependency_overrides[get_session] = lambda: trial  # type: ignore[attr-defined]
    try:
        yield
    finally:
        trial.close()
        savepoint.rollback()
        app.dependency_overrides[get_session] = lambda: api.session  # type: ignore[attr-defined]
        api.session.expire_all()


def _refused(api: Api, url: str, who: str, body: dict[str, Any] | None) -> bool:
    with _savepoint(api):
        status = api.call("POST", url, who, json=body).status_code
    assert status in (200, 201, 403, 409, 422), (url, who, status)
    return status in (403, 409)


def test_allowed_actions_are_what_the_routes_allow(api: Api) -> None:
    ids = _world(api)
    community = _ok(api.call("GET", f"/api/cases/{ids['new']}", "admin"))["community_code"]
    api.tokens.update(issue_tokens(api.session, {"community": (Role.COMMUNITY, community)}))
    seen: set[tuple[str, str]] = set()  # (who, action) pairs allowed somewhere
    for name, case_id in ids.items():
        if name == "target":
            continue
        for who in WHO:
            detail = api.call("GET", f"/api/cases/{case_id}", who)
            assert detail.status_code in (200, 403), detail.text
            body = detail.json() if detail.status_code == 200 else {}
            listed = set(body.get("allowed_actions", []))
            tries = _case_tries(case_id, ids["target"])
            allowed = {
                str(action)
                for action, (path, data) in tries.items()
                if not _refused(api, f"/api/cases/{case_id}/{path}", who, data)
            }
            assert listed == allowed, (name, who)
            seen |= {(who, a) for a in allowed}
            for assignment in body.get("assignments", []):
                extension = api.session.scalar(
                    select(Extension.id)
                    .where(Extension.assignment_id == assignment["id"])
                    .order_by(Extension.id.desc())
                    .limit(1)
                )
                duties = {
                    str(action)
                    for action, (url, data) in _assignment_tries(
                        assignment["id"], extension
                    ).items()
                    if not _refused(api, url, who, data)
                }
                where = (name, who, assignment["department_code"], assignment["status"])
                assert set(assignment["allowed_actions"]) == duties, where
                seen |= {(who, a) for a in duties}
    # the world is rich enough for the comparison to mean something
    for expected in (
        ("gw", "whistle"),
        ("gw", "reroute"),
        ("gw", "verify"),
        ("gw", "evaluate"),
        ("gw", "decide_extension"),
        ("community", "merge"),
        ("xicheng", "escalate"),
        ("xc-cgzf", "resolve"),
        ("xc-ghzy", "extend"),
        ("xc-ghzy", "acknowledge"),
        ("xc-ghzy", "arrive"),
        ("xc-ghzy", "dispute"),
        ("worker-gw", "evaluate"),
    ):
        assert expected in seen, expected


def test_the_case_list_and_the_board_list_the_same_actions_as_the_detail(api: Api) -> None:
    case_id = _case(api, "E0101")
    whistle = {"departments": [XC_CGZF, XC_GHZY]}
    _ok(api.call("POST", f"/api/cases/{case_id}/whistle", "gw", json=whistle))
    for who in ("gw", "xicheng", "xc-cgzf", "xc-ghzy", "admin", "analyst"):
        detail = _ok(api.call("GET", f"/api/cases/{case_id}", who))
        listed = _ok(api.call("GET", "/api/cases", who, params={"limit": 1000}))
        feature = next(f for f in listed["features"] if f["id"] == case_id)
        assert feature["properties"]["allowed_actions"] == detail["allowed_actions"], who
        board = _ok(api.call("GET", "/api/whistles", who, params={"case_id": case_id}))
        by_id = {a["id"]: a["allowed_actions"] for a in detail["assignments"]}
        assert board and all(a["allowed_actions"] == by_id[a["id"]] for a in board), who
    mine = _ok(api.call("GET", "/api/whistles", "xc-cgzf", params={"case_id": case_id}))
    actions = {a["department_code"]: a["allowed_actions"] for a in mine}
    assert actions == {"110102-cgzf": ["acknowledge", "arrive", "dispute"]}
    mine = _ok(api.call("GET", "/api/whistles", "gw", params={"case_id": case_id}))
    assert [a["allowed_actions"] for a in mine] == [[], []]  # the street does not do their work
