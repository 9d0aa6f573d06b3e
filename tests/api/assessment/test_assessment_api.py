"""The assessment routes: who sees what, scoreboards that add up, 该吹未吹 after N closures."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from api.cases.service import utcnow
from tests.api.support import BUILDING, Api

BEIJING = ZoneInfo("Asia/Shanghai")
GUANGWAI = "110102020"
IN_GUANGWAI = {"type": "Point", "coordinates": [116.3300, 39.8950]}  # cell 110102020007002
ELSEWHERE_IN_GUANGWAI = {"type": "Point", "coordinates": [116.3250, 39.8920]}


def _whistle(api: Api, category: str = "E0303") -> tuple[int, dict[str, Any]]:
    """Report the straddling building and blow the default joint whistle; the whistle's id."""
    case_id = api.call(
        "POST", "/api/reports", "worker-gw", json={"geometry": BUILDING, "category": category}
    ).json()["case_id"]
    blown = api.call("POST", f"/api/cases/{case_id}/whistle", "gw", json={})
    assert blown.status_code == 200, blown.text
    case = api.call("GET", f"/api/cases/{case_id}", "gw").json()
    return blown.json()["id"], case


def _scores(api: Api, whistle_id: int, user: str | None, **params: Any) -> Any:
    return api.call("GET", f"/api/assessment/whistles/{whistle_id}", user, params=params)


def test_whistle_scores_answer_for_the_right_roles(api: Api) -> None:
    whistle_id, case = _whistle(api)
    departments = {a["department_code"] for a in case["assignments"]}
    assert {"110102-cgzf", "110106-cgzf"} <= departments

    for user in ("gw", "tpq", "xicheng", "fengtai", "analyst", "admin"):
        r = _scores(api, whistle_id, user)
        assert r.status_code == 200, (user, r.text)
        assert {d["department_code"] for d in r.json()["departments"]} == departments
    for user, code in (("xc-cgzf", "110102-cgzf"), ("ft-cgzf", "110106-cgzf")):
        mine = _scores(api, whistle_id, user).json()["departments"]
        assert [d["department_code"] for d in mine] == [code]
    for user in ("worker-gw", "other-street", "dongcheng", "xc-swj"):
        refused = _scores(api, whistle_id, user)
        assert refused.status_code == 403, user
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert _scores(api, whistle_id, None).status_code == 401
    assert _scores(api, 987654, "admin").status_code == 404


def test_a_fresh_whistle_is_full_marks_until_a_due_time_passes(api: Api) -> None:
    whistle_id, _case = _whistle(api)
    fresh = _scores(api, whistle_id, "gw").json()
    assert all(d["score"] == 100 and not d["final"] for d in fresh["departments"])
    # three days on (huangpu: acknowledge within 2 days) nobody has acknowledged
    later = (utcnow() + timedelta(days=3)).isoformat()
    late = _scores(api, whistle_id, "gw", as_of=later).json()["departments"]
    for d in late:
        ack = next(x for x in d["dimensions"] if x["name"] == "acknowledge")
        assert ack["points"] < 100 and ack["deductions"][0]["code"] == "acknowledge_late"
        assert "not yet done" in ack["deductions"][0]["reason"]


def _board(api: Api, user: str | None, **params: Any) -> Any:
    return api.call("GET", "/api/assessment/scoreboard", user, params=params)


def test_scoreboard_totals_agree_with_the_whistle_scores(api: Api) -> None:
    first, case = _whistle(api)
    second, _ = _whistle(api, category="E0101")
    xc = next(a for a in case["assignments"] if a["department_code"] == "110102-cgzf")
    assert (
        api.call("POST", f"/api/assignments/{xc['id']}/acknowledge", "xc-cgzf").status_code == 200
    )
    as_of = utcnow() + timedelta(days=3)
    period = datetime.fromisoformat(case["whistles"][0]["blown_at"]).astimezone(BEIJING)
    params = {"period": period.strftime("%Y-%m"), "as_of": as_of.isoformat()}

    scores: list[dict[str, Any]] = []
    for wid in (first, second):
        scores += _scores(api, wid, "admin", as_of=as_of.isoformat()).json()["departments"]
    assert len({s["score"] for s in scores}) > 1  # not all equal: the acknowledgement shows

    per_department: dict[str, list[float]] = defaultdict(list)
    for s in scores:
        per_department[s["department_code"]].append(s["score"])
    board = _board(api, "admin", by="department", **params).json()
    rows = {r["code"]: r for r in board["rows"]}
    assert set(rows) == set(per_department)
    for code, values in per_department.items():
        assert rows[code]["scored"] == rows[code]["assigned"] == len(values)
        assert rows[code]["average_score"] == pytest.approx(sum(values) / len(values), abs=0.01)
    assert board["total"]["scored"] == len(scores) == sum(r["scored"] for r in rows.values())
    assert board["total"]["average_score"] == pytest.approx(
        sum(s["score"] for s in scores) / len(scores), abs=0.01
    )
    # one acknowledgement in all: 西城 城管执法's on the first whistle
    assert board["total"]["responded_on_time"] == 1

    for by in ("street", "district"):
        other = _board(api, "admin", by=by, **params).json()
        assert other["total"] == {**board["total"]}
        assert sum(r["scored"] for r in other["rows"]) == len(scores)
    street = _board(api, "gw", by="street", **params).json()
    assert [r["code"] for r in street["rows"]] == [GUANGWAI]
    assert street["rows"][0]["name"] == "广安门外街道"


def test_scoreboard_scopes_and_refusals(api: Api) -> None:
    _whistle(api)
    mine = _board(api, "xc-cgzf", by="department").json()
    assert [r["code"] for r in mine["rows"]] == ["110102-cgzf"]
    assert _board(api, "xc-swj").json()["rows"] == []
    assert _board(api, "other-street", by="street").json()["rows"] == []
    fengtai = _board(api, "fengtai", by="department").json()
    # 丰台's departments on 西城's whistle, not 西城's
    assert "110106-cgzf" in [r["code"] for r in fengtai["rows"]]
    assert all(r["code"].startswith("110106-") for r in fengtai["rows"])
    analyst = _board(api, "analyst", by="district").json()
    assert [r["code"] for r in analyst["rows"]] == ["110102"]
    for user in ("worker-gw", "worker-tpq"):
        assert _board(api, user).status_code == 403
    assert _board(api, None).status_code == 401
    for params in ({"period": "2026-13"}, {"period": "last month"}, {"by": "community"}):
        bad = _board(api, "admin", **params)
        assert bad.status_code == 422 and bad.json()["field"] in ("period", "by")


def _close_locally(api: Api, geometry: dict[str, Any], category: str) -> dict[str, Any]:
    case = api.call(
        "POST", "/api/reports", "worker-gw", json={"geometry": geometry, "category": category}
    ).json()
    assert case.get("attached") is False, case
    cid = case["case_id"]
    assert (
        api.call("POST", f"/api/cases/{cid}/resolve", "gw", json={"note": "已清运"}).status_code
        == 200
    )
    assert (
        api.call("POST", f"/api/cases/{cid}/verify", "gw", json={"confirmed": True}).status_code
        == 200
    )
    return api.call("GET", f"/api/cases/{cid}", "gw").json()


def _cells(api: Api, user: str, **params: Any) -> Any:
    return api.call("GET", "/api/assessment/should-have-whistled", user, params=params)


def test_should_have_whistled_lists_a_cell_after_n_local_closures(api: Api) -> None:
    first = _close_locally(api, IN_GUANGWAI, "E0101")
    second = _close_locally(api, IN_GUANGWAI, "E0101")
    _close_locally(api, IN_GUANGWAI, "E0201")  # another category in the same cell
    _close_locally(api, ELSEWHERE_IN_GUANGWAI, "E0101")  # the same category elsewhere
    assert first["grid_code"] == second["grid_code"] == "110102020007002"
    assert _cells(api, "gw", min_local=3).json()["cells"] == []

    third = _close_locally(api, IN_GUANGWAI, "E0101")
    listed = _cells(api, "gw", min_local=3).json()
    assert listed["window_days"] == 90 and listed["min_local"] == 3
    [cell] = listed["cells"]
    assert cell["grid_code"] == "110102020007002" and cell["category"] == "E0101"
    assert cell["street_code"] == GUANGWAI and cell["community_code"] == "110102020007"
    assert cell["local_closures"] == 3
    assert cell["case_ids"] == sorted([first["id"], second["id"], third["id"]])
    assert cell["category_name"]

    # a lower threshold lists the other cell and category too; the window ends it
    assert len(_cells(api, "gw", min_local=1).json()["cells"]) == 3
    months_later = (utcnow() + timedelta(days=91)).isoformat()
    assert _cells(api, "gw", min_local=3, as_of=months_later).json()["cells"] == []

    # who may ask, and what they see
    assert len(_cells(api, "xicheng").json()["cells"]) == 1
    assert len(_cells(api, "analyst").json()["cells"]) == 1
    assert _cells(api, "other-street").json()["cells"] == []
    assert _cells(api, "fengtai").json()["cells"] == []
    for user in ("xc-cgzf", "worker-gw"):
        assert _cells(api, user).status_code == 403
    assert _cells(api, "gw", window_days=0).status_code == 422


def test_a_whistled_case_is_not_a_local_closure(api: Api) -> None:
    for _ in range(2):
        _close_locally(api, IN_GUANGWAI, "E0101")
    # whistled, disputed by 西城 城管执法, then taken back and resolved by the street
    case_id = api.call(
        "POST", "/api/reports", "worker-gw", json={"geometry": IN_GUANGWAI, "category": "E0101"}
    ).json()["case_id"]
    lead = [{"code": "110102-cgzf", "role": "lead", "overall_lead": True}]
    whistled = api.call("POST", f"/api/cases/{case_id}/whistle", "gw", json={"departments": lead})
    assert whistled.status_code == 200, whistled.text
    case = api.call("GET", f"/api/cases/{case_id}", "gw").json()
    xc = next(a for a in case["assignments"] if a["department_code"] == "110102-cgzf")
    disputed = api.call(  # the overall lead's dispute sends the case back to the street
        "POST", f"/api/assignments/{xc['id']}/dispute", "xc-cgzf", json={"reason": "非本部门"}
    )
    assert disputed.status_code == 200, disputed.text
    taken_back = api.call("POST", f"/api/cases/{case_id}/resolve", "gw", json={"note": "自行处置"})
    assert taken_back.status_code == 200 and taken_back.json()["resolution_level"] == "local"
    assert _cells(api, "gw", min_local=3).json()["cells"] == []
    assert _cells(api, "gw", min_local=2).json()["cells"][0]["local_closures"] == 2
