"""Case and assignment states rebuilt from the history agree with the tables after a real
lifecycle over the API; a hand-corrupted row or event is reported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from api.assessment.scoring import Period
from api.assessment.service import rules_from
from api.assessment.totals import COUNTS, scoreboard_disagreements, total_disagreements
from api.cases.models import Case, CaseEvent
from api.cases.replay import Event, disagreements, rebuild
from api.config import Settings
from api.whistles.models import Assignment
from tests.api.support import BUILDING, Api

IN_GUANGWAI = {"type": "Point", "coordinates": [116.3300, 39.8950]}
NEAR_IT = {"type": "Point", "coordinates": [116.3301, 39.8951]}  # ~14 m away
ELSEWHERE = {"type": "Point", "coordinates": [116.3250, 39.8920]}
T = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _ok(response: Any) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


def _report(api: Api, geometry: dict[str, Any], category: str, user: str = "worker-gw") -> int:
    return int(
        _ok(
            api.call(
                "POST", "/api/reports", user, json={"geometry": geometry, "category": category}
            )
        )["case_id"]
    )


def _duty(api: Api, case_id: int, *, resolve: str) -> list[dict[str, Any]]:
    """Every summoned department acknowledges and reports on site; ``resolve`` resolves."""
    users = {"110102-cgzf": "xc-cgzf", "110106-cgzf": "ft-cgzf", "110102-ghzy": "xc-ghzy"}
    case = _ok(api.call("GET", f"/api/cases/{case_id}", "gw"))
    geometry = case["geometry"]
    lon, lat = geometry["coordinates"] if geometry["type"] == "Point" else (116.3203, 39.8900)
    position = {"lon": lon, "lat": lat}
    for a in case["assignments"]:
        user = users.get(a["department_code"], "admin")
        _ok(api.call("POST", f"/api/assignments/{a['id']}/acknowledge", user))
        _ok(api.call("POST", f"/api/assignments/{a['id']}/on-site", user, json=position))
    lead = next(a for a in case["assignments"] if a["overall_lead"])
    _ok(
        api.call(
            "POST",
            f"/api/assignments/{lead['id']}/resolve",
            users.get(lead["department_code"], "admin"),
            json={"note": resolve},
        )
    )
    return list(case["assignments"])


@pytest.fixture
def lifecycle(api: Api) -> list[int]:
    """A whistled case closed, a joint case across the 西城/丰台 line closed, a local
    resolution verified, a reject and a merge: the ids of the cases."""
    single = _report(api, IN_GUANGWAI, "E0101")
    _ok(api.call("POST", f"/api/cases/{single}/whistle", "gw", json={}))
    _duty(api, single, resolve="垃圾已清运")
    _ok(api.call("POST", f"/api/cases/{single}/verify", "gw", json={"confirmed": True}))
    _ok(api.call("POST", f"/api/cases/{single}/evaluate", "worker-gw", json={"stars": 5}))

    joint = _report(api, BUILDING, "E0303")
    _ok(api.call("POST", f"/api/cases/{joint}/whistle", "gw", json={"note": "联合吹哨"}))
    assignments = _duty(api, joint, resolve="两区联合拆除完毕")
    assert {"110102-cgzf", "110106-cgzf"} <= {a["department_code"] for a in assignments}
    # the street sends the result back once, the lead resolves again
    _ok(
        api.call(
            "POST",
            f"/api/cases/{joint}/verify",
            "gw",
            json={"confirmed": False, "reason": "未拆净"},
        )
    )
    lead = next(a for a in assignments if a["overall_lead"])
    _ok(
        api.call(
            "POST", f"/api/assignments/{lead['id']}/resolve", "xc-cgzf", json={"note": "已拆净"}
        )
    )
    _ok(api.call("POST", f"/api/cases/{joint}/verify", "gw", json={"confirmed": True}))
    _ok(api.call("POST", f"/api/cases/{joint}/evaluate", "worker-gw", json={"stars": 4}))

    local = _report(api, ELSEWHERE, "E0401")
    _ok(api.call("POST", f"/api/cases/{local}/resolve", "gw", json={"note": "社区劝离"}))
    _ok(api.call("POST", f"/api/cases/{local}/verify", "gw", json={"confirmed": True}))

    rejected = _report(api, ELSEWHERE, "E0201")
    _ok(api.call("POST", f"/api/cases/{rejected}/reject", "gw", json={"reason": "重复上报"}))

    target = _report(api, IN_GUANGWAI, "E0404")
    duplicate = _report(api, NEAR_IT, "E0403")  # another category: not attached on arrival
    assert duplicate != target
    _ok(
        api.call(
            "POST",
            f"/api/cases/{duplicate}/merge",
            "gw",
            json={"into": target, "reason": "同一问题"},
        )
    )

    states = dict(
        api.session.execute(
            select(Case.id, Case.status).where(
                Case.id.in_([single, joint, local, rejected, duplicate, target])
            )
        ).all()
    )
    assert states == {
        single: "closed",
        joint: "closed",
        local: "verified",
        rejected: "rejected",
        duplicate: "merged",
        target: "new",
    }
    return [single, joint, local, rejected, target, duplicate]


def test_a_real_lifecycle_rebuilds_to_the_tables(api: Api, lifecycle: list[int]) -> None:
    assert disagreements(session=api.session, case_ids=lifecycle) == []
    # every department's arrival on the joint case and the lead's return after the reopening
    # are in the history
    kinds = list(
        api.session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == lifecycle[1]))
    )
    summoned = api.session.scalars(select(Assignment.id).where(Assignment.case_id == lifecycle[1]))
    assert kinds.count("assignment:on_site") == len(list(summoned)) + 1


def test_a_corrupted_case_status_is_reported(api: Api, lifecycle: list[int]) -> None:
    closed = lifecycle[0]
    api.session.execute(update(Case).where(Case.id == closed).values(status="verified"))
    found = disagreements(session=api.session, case_ids=lifecycle)
    assert [(d.subject, d.id, d.what, d.events, d.table) for d in found] == [
        ("case", closed, "status", "closed", "verified")
    ]
    assert str(found[0]) == f"case {closed}: status: events say closed, table says verified"


def test_a_corrupted_assignment_status_or_time_is_reported(api: Api, lifecycle: list[int]) -> None:
    rows = api.session.scalars(select(Assignment).where(Assignment.case_id == lifecycle[1]))
    support = next(a for a in rows if not a.overall_lead)
    api.session.execute(
        update(Assignment).where(Assignment.id == support.id).values(status="resolved")
    )
    lead = api.session.scalar(
        select(Assignment).where(Assignment.case_id == lifecycle[0], Assignment.overall_lead)
    )
    assert lead is not None and lead.resolved_at is not None
    api.session.execute(
        update(Assignment)
        .where(Assignment.id == lead.id)
        .values(resolved_at=lead.resolved_at + timedelta(hours=1))
    )
    found = {
        (d.subject, d.id, d.what) for d in disagreements(session=api.session, case_ids=lifecycle)
    }
    assert found == {("assignment", support.id, "status"), ("assignment", lead.id, "since")}


def test_a_lost_event_breaks_the_chain(api: Api, lifecycle: list[int]) -> None:
    verified = api.session.scalar(
        select(CaseEvent.id).where(
            CaseEvent.case_id == lifecycle[0], CaseEvent.kind == "case:verified"
        )
    )
    api.session.execute(delete(CaseEvent).where(CaseEvent.id == verified))
    found = {(d.id, d.what) for d in disagreements(session=api.session, case_ids=lifecycle)}
    assert (lifecycle[0], "chain") in found


def test_a_case_without_history_and_an_assignment_nobody_summoned_are_reported(
    api: Api, lifecycle: list[int]
) -> None:
    api.session.execute(delete(CaseEvent).where(CaseEvent.case_id == lifecycle[3]))
    found = {(d.subject, d.what) for d in disagreements(session=api.session, case_ids=lifecycle)}
    assert found == {("case", "unrecorded")}


def test_an_illegal_move_in_the_history_is_reported() -> None:
    events = [
        Event(1, 9, T, "case:new", None, "new"),
        Event(2, 9, T, "case:closed", "new", "closed"),
        Event(3, 9, T, "assignment:resolved", "dispatched", "resolved", assignment_id=4),
    ]
    broken = rebuild(events).broken
    assert [(d.subject, d.what, d.events) for d in broken] == [
        ("case", "illegal", "new → closed"),
        ("assignment", "illegal", "dispatched → resolved"),
    ]


def test_scoreboard_totals_agree_across_groupings(api: Api, lifecycle: list[int]) -> None:
    dispatched = api.session.scalar(
        select(Assignment.dispatched_at).where(Assignment.case_id == lifecycle[0])
    )
    assert dispatched is not None
    period = Period.month_of(dispatched)
    rules = rules_from(Settings(environment="test").data_dir)
    found = scoreboard_disagreements(
        session=api.session, period=period, as_of=dispatched + timedelta(days=30), rules=rules
    )
    assert found == []
    # the same boards over HTTP add up too; one row changed by hand does not
    boards = {}
    for by in ("department", "street", "district"):
        body = _ok(
            api.call(
                "GET",
                "/api/assessment/scoreboard",
                "admin",
                params={"period": period.label, "by": by},
            )
        )
        assert body["total"]["scored"] >= 5
        boards[by] = (body["rows"], body["total"])
    assert total_disagreements(boards) == []
    rows, total = boards["district"]
    bent = [{**rows[0], "resolved": rows[0]["resolved"] + 1}, *rows[1:]]
    found = total_disagreements({**boards, "district": (bent, total)})
    assert found == [
        f"district: rows add up to {total['resolved'] + 1} resolved, "
        f"the total says {total['resolved']}"
    ]
    other = {**total, "assigned": total["assigned"] - 1}
    assert any(
        m.startswith("total assigned")
        for m in total_disagreements({**boards, "street": (rows, other)})
    )
    assert set(COUNTS) >= {"scored", "assigned", "resolved", "due", "chases"}
