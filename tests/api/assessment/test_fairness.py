"""Fair scoreboards: a score as of a time sees only what was done by then; obligations not
yet due stay out of the rates; provisional scores are not ranked; only the reporter's, a
resident's or the call-back's rating counts as satisfaction.

Times are chosen (Beijing, November 2026) and passed to the service functions; the expected
numbers are worked out from docs/assessment.md and ``data/assessment.toml``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from api.assessment import service as assessment
from api.assessment.scoring import Period
from api.assessment.service import GroupBy
from api.auth.roles import Role
from api.callbacks import service as callbacks
from api.cases.service import evaluate, get_case, resolve_locally, verify
from api.config import get_settings
from api.deadlines.service import calendar, policies_from
from api.whistles import service as duty
from api.whistles.models import Assignment
from geo.coords import CoordinateSystem
from tests.api.assessment.conftest import actor
from tests.api.support import CENTRE, PIN, Api, issue_tokens

BJ = ZoneInfo("Asia/Shanghai")
D = datetime(2026, 11, 2, 9, 0, tzinfo=BJ)  # a Monday
CGZF, GHZY = "110102-cgzf", "110102-ghzy"
USERS = {CGZF: "xc-cgzf", GHZY: "xc-ghzy"}


def _rules() -> Any:
    return assessment.rules_from(get_settings().data_dir)


def _whistle(api: Api, code: str, at: datetime, *, source: str = "patrol") -> Assignment:
    """A report by 广外's grid worker whistled at ``at`` to ``code`` alone (huangpu)."""
    body = {**PIN, "source": source, "description": f"考核 {code} {at:%d %H}"}
    case_id = api.call("POST", "/api/reports", "worker-gw", json=body).json()["case_id"]
    case = get_case(session=api.session, case_id=case_id)
    whistle = duty.blow(
        session=api.session,
        case=case,
        actor=actor(api, "gw"),
        at=at,
        sla_policy="huangpu",
        policies=policies_from(get_settings().data_dir),
        calendar=calendar(session=api.session),
        departments=[{"code": code, "role": "lead", "overall_lead": True}],
    )
    api.session.flush()
    found = api.session.scalar(select(Assignment).where(Assignment.whistle_id == whistle.id))
    assert found is not None
    return found


def _finish(api: Api, a: Assignment, at: datetime, *, rater: str | None = "worker-gw") -> None:
    """Acknowledge, arrive, resolve an hour apart from ``at``; 广外 verifies; ``rater`` gives
    4 stars (None: no evaluation)."""
    who = actor(api, USERS[a.department_code])
    s = api.session
    duty.acknowledge(session=s, assignment=a, actor=who, at=at)
    duty.report_on_site(
        session=s,
        assignment=a,
        actor=who,
        at=at + timedelta(hours=1),
        lon=CENTRE[0],
        lat=CENTRE[1],
        crs=CoordinateSystem.WGS84,
        max_distance_m=500,
    )
    duty.resolve(session=s, assignment=a, actor=who, at=at + timedelta(hours=2), note="完成")
    case = get_case(session=s, case_id=a.case_id)
    verify(
        session=s,
        case=case,
        actor=actor(api, "gw"),
        confirmed=True,
        reason="",
        at=at + timedelta(hours=3),
    )
    if rater is not None:
        evaluate(
            session=s,
            case=case,
            actor=actor(api, rater),
            stars=4,
            comment="",
            at=at + timedelta(hours=4),
        )
    s.flush()


def _scores(api: Api, a: Assignment, as_of: datetime) -> Any:
    _, items = assessment.whistle_scores(
        session=api.session,
        whistle_id=a.whistle_id,
        actor=actor(api, "gw"),
        rules=_rules(),
        as_of=as_of,
    )
    (item,) = items
    return item


def _board(api: Api, as_of: datetime) -> dict[str, Any]:
    rows, _total = assessment.scoreboard(
        session=api.session,
        actor=actor(api, "analyst"),
        period=Period.parse("2026-11"),
        by=GroupBy.DEPARTMENT,
        rules=_rules(),
        as_of=as_of,
    )
    return rows


def test_as_of_is_a_snapshot_the_issue_example(api: Api) -> None:
    """Acknowledged at D+7 h, due at D+2 h: nothing is late as of D+1 h; as of D+3 h the
    acknowledgement is one started hour overdue (−2); as of D+8 h it was 5 h late (−10)."""
    a = _whistle(api, CGZF, D)
    a.acknowledge_due_at = D + timedelta(hours=2)
    duty.acknowledge(
        session=api.session, assignment=a, actor=actor(api, "xc-cgzf"), at=D + timedelta(hours=7)
    )
    api.session.flush()

    early = _scores(api, a, D + timedelta(hours=1))
    assert early.score.deductions == () and early.score.total == 100
    assert early.status == "dispatched"  # as it stood then
    assert early.timeline.acknowledged_at is None

    overdue = _scores(api, a, D + timedelta(hours=3))
    assert {d.code: d.points for d in overdue.score.deductions} == {"acknowledge_late": 2}
    assert "not yet done" in overdue.score.deductions[0].reason

    after = _scores(api, a, D + timedelta(hours=8))
    assert {d.code: d.points for d in after.score.deductions} == {"acknowledge_late": 10}
    assert after.status == "acknowledged"

    # the scoreboard as of D+1 h: the acknowledgement was not yet due, so no 响应率 at all
    row = _board(api, D + timedelta(hours=1))[CGZF]
    assert (row.assigned, row.response_due, row.response_rate) == (1, 0, None)
    row = _board(api, D + timedelta(hours=3))[CGZF]
    assert (row.response_due, row.responded_on_time, row.response_rate) == (1, 0, 0.0)


def test_acts_after_as_of_do_not_count_resolution_rating_or_finality(api: Api) -> None:
    a = _whistle(api, CGZF, D)
    _finish(api, a, D + timedelta(hours=1))  # resolved D+3 h, verified D+4 h, rated D+5 h
    before_rating = _scores(api, a, D + timedelta(hours=4, minutes=30))
    assert not before_rating.score.final
    sat = next(d for d in before_rating.score.dimensions if d.name == "satisfaction")
    assert not sat.counted
    rated = _scores(api, a, D + timedelta(hours=6))
    assert rated.score.final and rated.score.total == pytest.approx(30 + 40 + 0.3 * 80)
    # before the department was dispatched its whistle has no score at all
    _, nothing = assessment.whistle_scores(
        session=api.session,
        whistle_id=a.whistle_id,
        actor=actor(api, "gw"),
        rules=_rules(),
        as_of=D - timedelta(minutes=1),
    )
    assert nothing == []


def test_a_department_that_did_nothing_yet_is_not_ranked_above_one_that_finished(
    api: Api,
) -> None:
    """城管执法 finished the loop (4 stars, final 94); 规自 was dispatched an hour before
    ``as_of`` and has done nothing: its 100 is provisional, its acknowledgement not due."""
    done = _whistle(api, CGZF, D)
    _finish(api, done, D + timedelta(hours=1))
    as_of = D + timedelta(days=3)
    idle = _whistle(api, GHZY, as_of - timedelta(hours=1))
    rows = _board(api, as_of)

    finished, nothing = rows[CGZF], rows[GHZY]
    assert finished.final_average_score == pytest.approx(94.0)
    assert (nothing.final, nothing.final_average_score) == (0, None)
    assert (nothing.provisional, nothing.provisional_average_score) == (1, 100.0)
    assert nothing.response_due == 0 and nothing.response_rate is None
    assert nothing.resolution_due == 0 and nothing.resolution_rate is None
    assert finished.response_rate == 1.0 and finished.resolution_rate == 1.0

    board = api.call(
        "GET",
        "/api/assessment/scoreboard",
        "analyst",
        params={"period": "2026-11", "as_of": as_of.isoformat()},
    ).json()
    ranks = {r["code"]: r["rank"] for r in board["rows"]}
    assert ranks == {CGZF: 1, GHZY: None}

    # once its acknowledgement is overdue it enters the 响应率 (0 %), still unranked
    later = _board(api, as_of + timedelta(days=3))[GHZY]
    assert (later.response_due, later.response_rate) == (1, 0.0)
    assert later.final == 0
    assert idle.id  # the idle assignment exists all along


def test_the_row_click_lists_its_whistle_scores_with_deductions(api: Api) -> None:
    a = _whistle(api, CGZF, D)
    a.acknowledge_due_at = D + timedelta(hours=2)
    api.session.flush()
    _finish(api, a, D + timedelta(hours=7))  # acknowledged 5 h late
    b = _whistle(api, CGZF, D + timedelta(days=1))
    _finish(api, b, D + timedelta(days=1, hours=1))
    as_of = (D + timedelta(days=5)).isoformat()
    params = {"period": "2026-11", "by": "department", "code": CGZF, "as_of": as_of}
    shown = api.call("GET", "/api/assessment/scores", "gw", params=params)
    assert shown.status_code == 200, shown.text
    scores = shown.json()["scores"]
    assert [s["whistle_id"] for s in scores] == [a.whistle_id, b.whistle_id]  # lowest first
    assert {d["code"]: d["points"] for d in scores[0]["deductions"]} == {
        "acknowledge_late": 10,
        "stars": 20,
    }
    assert scores[0]["case_id"] == a.case_id and scores[0]["final"] is True
    # a department sees its own row, not another's
    assert api.call("GET", "/api/assessment/scores", "xc-cgzf", params=params).json()["scores"]
    other = {**params, "code": GHZY}
    assert api.call("GET", "/api/assessment/scores", "xc-cgzf", params=other).json()["scores"] == []
    refused = api.call("GET", "/api/assessment/scores", "worker-gw", params=params)
    assert refused.status_code == 403
    bad = api.call("GET", "/api/assessment/scores", "gw", params={**params, "code": "x%"})
    assert bad.status_code == 422 and bad.json()["field"] == "code"


@pytest.mark.parametrize(
    ("rater", "source", "counted"),
    [
        ("worker-gw", "reporter", True),
        ("gw", "street", False),
        ("community-gw", "community", False),
    ],
)
def test_only_the_reporter_resident_or_call_back_rating_counts(
    api: Api, rater: str, source: str, counted: bool
) -> None:
    a = _whistle(api, CGZF, D)
    community = get_case(session=api.session, case_id=a.case_id).community_code
    api.tokens.update(issue_tokens(api.session, {"community-gw": (Role.COMMUNITY, community)}))
    _finish(api, a, D + timedelta(hours=1), rater=rater)
    case = get_case(session=api.session, case_id=a.case_id)
    assert (case.rating, case.rating_source) == (4, source)  # recorded either way
    row = _board(api, D + timedelta(days=3))[CGZF]
    assert (row.rated, row.satisfied) == ((1, 1) if counted else (0, 0))
    sat = next(
        d
        for d in _scores(api, a, D + timedelta(days=3)).score.dimensions
        if d.name == "satisfaction"
    )
    assert sat.counted is counted
    if not counted:
        assert "recorded, not counted" in sat.note


def test_a_resident_report_rates_as_a_resident(api: Api) -> None:
    a = _whistle(api, CGZF, D, source="resident")
    _finish(api, a, D + timedelta(hours=1))
    assert get_case(session=api.session, case_id=a.case_id).rating_source == "resident"
    assert _board(api, D + timedelta(days=3))[CGZF].rated == 1


def test_a_call_back_rating_counts_as_satisfaction(api: Api) -> None:
    api.tokens.update(issue_tokens(api.session, {"hotline": (Role.HOTLINE, None)}))
    a = _whistle(api, CGZF, D, source="hotline")
    _finish(api, a, D + timedelta(hours=1), rater=None)
    case = get_case(session=api.session, case_id=a.case_id)
    callbacks.call_back(
        session=api.session,
        case=case,
        actor=actor(api, "hotline"),
        result="基本满意",
        reason="",
        at=D + timedelta(hours=6),
    )
    api.session.flush()
    assert (case.status, case.rating, case.rating_source) == ("closed", 4, "callback")
    row = _board(api, D + timedelta(days=3))[CGZF]
    assert (row.rated, row.satisfied, row.satisfaction_rate) == (1, 1, 1.0)
    # as of before the call-back: verified, not yet rated, provisional
    early = _scores(api, a, D + timedelta(hours=5))
    assert not early.score.final


def test_a_local_resolution_leaves_the_department_unrated(api: Api) -> None:
    """The street resolving a case itself is not a department's rating (a guard for the
    sources above: a local case has no whistle score)."""
    body = {**PIN, "description": "就地解决"}
    case_id = api.call("POST", "/api/reports", "worker-gw", json=body).json()["case_id"]
    case = get_case(session=api.session, case_id=case_id)
    resolve_locally(session=api.session, case=case, actor=actor(api, "gw"), note="已清理", at=D)
    api.session.flush()
    assert _board(api, D + timedelta(days=1)) == {}
