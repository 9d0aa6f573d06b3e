"""派单异议: a dispute concerns the disputing department's assignment; the case goes back to
the dispatcher (有异议) only when the overall lead disputes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from tests.api.support import BUILDING, Api


def _joint_case(api: Api) -> tuple[int, dict[str, Any]]:
    case_id = api.call(
        "POST", "/api/reports", "worker-gw", json={"geometry": BUILDING, "category": "E0303"}
    ).json()["case_id"]
    assert api.call("POST", f"/api/cases/{case_id}/whistle", "gw", json={}).status_code == 200
    case = api.call("GET", f"/api/cases/{case_id}", "gw").json()
    return case_id, {a["department_code"]: a for a in case["assignments"]}


def test_a_non_lead_dispute_leaves_the_case_whistled(api: Api) -> None:
    case_id, by_dept = _joint_case(api)
    ft = by_dept["110106-cgzf"]
    assert not ft["overall_lead"]
    r = api.call(
        "POST", f"/api/assignments/{ft['id']}/dispute", "ft-cgzf", json={"reason": "不归我们"}
    )
    assert r.status_code == 200, r.text
    case = api.call("GET", f"/api/cases/{case_id}", "gw").json()
    assert case["status"] == "whistled"
    statuses = {a["department_code"]: a["status"] for a in case["assignments"]}
    assert statuses["110106-cgzf"] == "disputed" and statuses["110102-cgzf"] == "dispatched"
    # the lead can still finish the case
    xc = by_dept["110102-cgzf"]["id"]
    for act, body in (("acknowledge", None), ("on-site", {"lon": 116.3203, "lat": 39.8900})):
        done = api.call("POST", f"/api/assignments/{xc}/{act}", "xc-cgzf", json=body)
        assert done.status_code == 200, done.text
    done = api.call("POST", f"/api/assignments/{xc}/resolve", "xc-cgzf", json={"note": "已拆除"})
    assert done.status_code == 200, done.text
    assert api.call("GET", f"/api/cases/{case_id}", "gw").json()["status"] == "resolved"


def test_the_overall_leads_dispute_sends_the_case_back(api: Api) -> None:
    case_id, by_dept = _joint_case(api)
    xc = by_dept["110102-cgzf"]
    assert xc["overall_lead"]
    r = api.call(
        "POST", f"/api/assignments/{xc['id']}/dispute", "xc-cgzf", json={"reason": "非本局"}
    )
    assert r.status_code == 200, r.text
    assert api.call("GET", f"/api/cases/{case_id}", "gw").json()["status"] == "disputed"
    events = api.call("GET", f"/api/cases/{case_id}/events", "gw").json()
    assert [e["reason"] for e in events if e["kind"] == "case:disputed"] == ["非本局"]


def test_a_dispute_locks_its_case_before_writing(api: Api) -> None:
    """The case is locked before the dispute's event is written, as in every act (the
    assignment, then its case), so a concurrent act on the case waits for it."""
    _case_id, by_dept = _joint_case(api)
    ft = by_dept["110106-cgzf"]
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split()))

    connection = api.session.connection()
    event.listen(connection, "before_cursor_execute", record)
    try:
        r = api.call(
            "POST", f"/api/assignments/{ft['id']}/dispute", "ft-cgzf", json={"reason": "不归我们"}
        )
    finally:
        event.remove(connection, "before_cursor_execute", record)
    assert r.status_code == 200, r.text
    locked = [i for i, s in enumerate(statements) if "FROM cases" in s and "FOR UPDATE" in s]
    written = [i for i, s in enumerate(statements) if s.startswith("INSERT INTO case_events")]
    assert locked and written, statements
    assert locked[0] < written[0]
