"""Done when: the straddling building, replayed at chosen times, scores as the README says.

广外 (西城) blows a joint whistle on the building astride the 西城/丰台 line on Monday
2026-11-23 09:00 Beijing time under the ``huangpu`` policy (acknowledge 2d, on site 2d,
resolve 5wd). 西城 城管执法 (the overall lead) acknowledges on time, gets one extension and
resolves within it; 丰台 城管执法 acknowledges 5 hours late; 西城 规划自然资源 (support) comes
on site late and reports its part late. 广外 verifies; the case is rated 4 stars.

Every expected number below is worked out by hand from the README's definitions
(``data/assessment.toml`` as shipped), not copied from the code's output.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from api.assessment import service as assessment
from api.assessment.scoring import Period
from api.assessment.service import GroupBy
from api.cases.service import evaluate, get_case, verify
from api.config import get_settings
from api.deadlines.service import calendar, policies_from
from api.whistles import service as duty
from api.whistles.models import Assignment, Extension
from geo.coords import CoordinateSystem
from tests.api.assessment.conftest import actor
from tests.api.support import BUILDING, CENTRE, Api

BJ = ZoneInfo("Asia/Shanghai")
XC, FT, GH = "110102-cgzf", "110106-cgzf", "110102-ghzy"
GUANGWAI = "110102020"
AS_OF = datetime(2026, 12, 10, tzinfo=BJ)


def at(day: str, clock: str) -> datetime:
    """A Beijing time like at("11-23", "09:00") in 2026."""
    return datetime.fromisoformat(f"2026-{day}T{clock}:00").replace(tzinfo=BJ)


def _replay(api: Api, *, reopen: bool = False) -> tuple[int, dict[str, Assignment]]:
    s = api.session
    case_id = api.call(
        "POST", "/api/reports", "worker-gw", json={"geometry": BUILDING, "category": "E0303"}
    ).json()["case_id"]
    case = get_case(session=s, case_id=case_id)
    work = calendar(session=s)
    whistle = duty.blow(
        session=s,
        case=case,
        actor=actor(api, "gw"),
        at=at("11-23", "09:00"),
        sla_policy="huangpu",
        policies=policies_from(get_settings().data_dir),
        calendar=work,
        departments=[
            {"code": XC, "role": "lead", "overall_lead": True},
            {"code": FT, "role": "lead"},
            {"code": GH, "role": "support"},
        ],
        note="联合吹哨",
    )
    s.flush()
    rows = s.scalars(select(Assignment).where(Assignment.whistle_id == whistle.id))
    a = {row.department_code: row for row in rows}
    users = {XC: "xc-cgzf", FT: "ft-cgzf", GH: "xc-ghzy"}

    def ack(code: str, when: datetime) -> None:
        duty.acknowledge(session=s, assignment=a[code], actor=actor(api, users[code]), at=when)

    def arrive(code: str, when: datetime) -> None:
        duty.report_on_site(
            session=s,
            assignment=a[code],
            actor=actor(api, users[code]),
            at=when,
            lon=CENTRE[0],
            lat=39.8904,
            crs=CoordinateSystem.WGS84,
            max_distance_m=500,
        )

    def done(code: str, when: datetime) -> None:
        duty.resolve(
            session=s, assignment=a[code], actor=actor(api, users[code]), at=when, note="完成"
        )

    ack(XC, at("11-23", "10:00"))
    ack(GH, at("11-23", "11:00"))
    arrive(XC, at("11-24", "10:00"))
    ack(FT, at("11-25", "14:00"))
    arrive(FT, at("11-25", "15:30"))
    arrive(GH, at("11-26", "15:00"))
    ext = duty.request_extension(
        session=s,
        assignment=a[XC],
        actor=actor(api, "xc-cgzf"),
        at=at("11-27", "10:00"),
        amount="3wd",
        reason="需走拆除程序",
        calendar=work,
    )
    duty.decide_extension(
        session=s,
        extension=ext,
        actor=actor(api, "gw"),
        at=at("11-27", "14:00"),
        approve=True,
        note="同意",
    )
    done(GH, at("12-02", "10:00"))
    done(XC, at("12-03", "16:00"))
    if reopen:  # 广外 finds the demolition unfinished; 西城 城管执法 finishes it
        verify(
            session=s,
            case=case,
            actor=actor(api, "gw"),
            confirmed=False,
            reason="未拆净",
            at=at("12-03", "18:00"),
        )
        done(XC, at("12-03", "20:00"))
    verify(
        session=s,
        case=case,
        actor=actor(api, "gw"),
        confirmed=True,
        reason="",
        at=at("12-04", "10:00"),
    )
    evaluate(
        session=s,
        case=case,
        actor=actor(api, "worker-gw"),
        stars=4,
        comment="基本满意",
        at=at("12-05", "10:00"),
    )
    s.flush()
    assert s.scalar(select(Extension.status).where(Extension.id == ext.id)) == "approved"
    return whistle.id, a


def test_the_straddling_building_scores_as_the_readme_says(api: Api) -> None:
    whistle_id, a = _replay(api)

    # deadlines (README "Deadlines"): 2d = same clock two days later; 5wd = 24:00 of the 5th
    # working day after Monday 11-23 (24, 25, 26, 27, 30 Nov); +3wd counts 1, 2, 3 Dec
    assert a[FT].acknowledge_due_at == at("11-25", "09:00") == a[FT].on_site_due_at
    assert a[FT].resolve_due_at == a[GH].resolve_due_at == at("12-01", "00:00")
    assert a[XC].resolve_due_at == at("12-04", "00:00")

    rules = assessment.rules_from(get_settings().data_dir)
    _, items = assessment.whistle_scores(
        session=api.session, whistle_id=whistle_id, actor=actor(api, "gw"), rules=rules, as_of=AS_OF
    )
    by = {i.department_code: i for i in items}
    deductions = {
        code: {d.code: d.points for d in item.score.deductions} for code, item in by.items()
    }

    # 西城 城管执法, overall lead: acknowledged 1 h after dispatch (due 11-25 09:00) → 100;
    # on site 11-24 10:00 (due 11-25 09:00) → no deduction; one approved extension → −5;
    # resolved 12-03 16:00 before the extended due 12-04 00:00 → no deduction; handling 95;
    # 4 stars → 80 (−20)
    assert deductions[XC] == {"extension_approved": 5, "stars": 20}
    assert by[XC].score.total == pytest.approx(0.3 * 100 + 0.4 * (100 - 5) + 0.3 * 80)  # 92

    # 丰台 城管执法: acknowledged 11-25 14:00 = 5 h late → 5 started hours × 2 = −10;
    # on site 11-25 15:30 = 6.5 h late → 7 started hours × 2 = −14; reported no resolution of
    # its own (the overall lead resolves for all) → no resolve deduction; satisfaction is the
    # overall lead's → not counted, weights 30 + 40
    assert deductions[FT] == {"acknowledge_late": 10, "on_site_late": 14}
    assert by[FT].score.total == pytest.approx((30 * (100 - 10) + 40 * (100 - 14)) / (30 + 40))

    # 西城 规划自然资源, support: acknowledged on time → 100; on site 11-26 15:00 = 30 h late →
    # 30 × 2 = 60, capped at 40; its own resolution 12-02 10:00 against its unextended due
    # 12-01 00:00 = 34 h late → 2 started days × 10 = −20; handling 100 − 40 − 20 = 40
    assert deductions[GH] == {"on_site_late": 40, "resolve_late": 20}
    assert by[GH].score.total == pytest.approx((30 * 100 + 40 * (100 - 40 - 20)) / (30 + 40))
    assert all(i.score.final for i in items)

    # the same over HTTP, rounded to 2 decimals, explained
    shown = api.call(
        "GET",
        f"/api/assessment/whistles/{whistle_id}",
        "gw",
        params={"as_of": AS_OF.isoformat()},
    )
    assert shown.status_code == 200, shown.text
    public = {d["department_code"]: d for d in shown.json()["departments"]}
    assert public[XC]["score"] == 92.0
    assert public[FT]["score"] == round(6140 / 70, 2) == 87.71
    assert public[GH]["score"] == round(4600 / 70, 2) == 65.71
    sat = next(d for d in public[XC]["dimensions"] if d["name"] == "satisfaction")
    assert sat["points"] == 80 and sat["deductions"][0]["reason"] == "rated 4 stars (基本满意)"
    ft_sat = next(d for d in public[FT]["dimensions"] if d["name"] == "satisfaction")
    assert ft_sat["counted"] is False


def _board(api: Api, period: str, by: GroupBy) -> tuple[dict[str, Any], Any]:
    rows, total = assessment.scoreboard(
        session=api.session,
        actor=actor(api, "analyst"),
        period=Period.parse(period),
        by=by,
        rules=assessment.rules_from(get_settings().data_dir),
        as_of=AS_OF,
    )
    return rows, total


def test_the_straddling_building_rates_as_the_readme_says(api: Api) -> None:
    _replay(api)
    average = (92 + 6140 / 70 + 4600 / 70) / 3  # the three whistle scores above

    # November (dispatch month): 3 tickets; answered on time: 西城 城管执法 and 规划自然资源,
    # not 丰台 → 响应率 2/3; the case was verified as resolved by the departments → 解决率 3/3;
    # one rating (the overall lead's), 4 stars ≥ 4 → 满意率 1/1; the whistle's due time
    # (the overall lead's, 12-04 00:00) is in December → nothing due in November
    rows, total = _board(api, "2026-11", GroupBy.STREET)
    street = rows[GUANGWAI]
    assert (street.scored, street.assigned, street.responded_on_time) == (3, 3, 2)
    assert street.average_score == round(average, 2) == 81.81
    assert street.response_rate == round(2 / 3, 4)
    assert street.resolution_rate == 1.0 and street.satisfaction_rate == 1.0
    assert street.due == 0 and street.closure_rate is None
    assert total.scored == street.scored

    # by department: each department its own ticket
    depts, _ = _board(api, "2026-11", GroupBy.DEPARTMENT)
    assert {c: r.response_rate for c, r in depts.items()} == {XC: 1.0, FT: 0.0, GH: 1.0}
    assert {c: r.rated for c, r in depts.items()} == {XC: 1, FT: 0, GH: 0}
    assert depts[FT].satisfaction_rate is None
    assert depts[XC].average_score == 92.0

    # December (due month): all three tickets share the whistle's due time 12-04 00:00, which
    # passed before the as-of time; the case was resolved 12-03 16:00 ≤ 12-04 00:00 →
    # 结案率 3/3, 按期结案率 3/3; nothing was dispatched in December
    rows, _ = _board(api, "2026-12", GroupBy.STREET)
    december = rows[GUANGWAI]
    assert (december.scored, december.due, december.closed, december.closed_on_time) == (
        0,
        3,
        3,
        3,
    )
    assert december.closure_rate == 1.0 and december.on_time_closure_rate == 1.0

    # the year, by district (the lead street's district): the sum of both months
    rows, _ = _board(api, "2026", GroupBy.DISTRICT)
    assert list(rows) == ["110102"]
    year = rows["110102"]
    assert (year.scored, year.assigned, year.due, year.closed_on_time) == (3, 3, 3, 3)
    assert year.average_score == round(average, 2)


def test_without_the_extension_the_closure_would_have_been_late(api: Api) -> None:
    """The rate's test can fail: move the lead's resolution past its extended due time."""
    _whistle_id, a = _replay(api)
    a[XC].resolve_due_at = at("12-03", "12:00")  # as if the extension had given less time
    api.session.flush()
    rows, _ = _board(api, "2026-12", GroupBy.STREET)
    assert rows[GUANGWAI].closed_on_time == 0 and rows[GUANGWAI].on_time_closure_rate == 0.0


def test_a_reopening_costs_the_lead_and_keeps_its_first_arrival(api: Api) -> None:
    whistle_id, a = _replay(api, reopen=True)
    assert a[XC].on_site_at == at("12-03", "18:00")  # the reopening moved it back on site
    _, items = assessment.whistle_scores(
        session=api.session,
        whistle_id=whistle_id,
        actor=actor(api, "gw"),
        rules=assessment.rules_from(get_settings().data_dir),
        as_of=AS_OF,
    )
    lead = next(i for i in items if i.department_code == XC)
    # on site still counts from the first arrival 11-24 10:00; resolved again 12-03 20:00,
    # before the extended due 12-04 00:00; one reopening −10, one extension −5, 4 stars −20
    assert {d.code: d.points for d in lead.score.deductions} == {
        "extension_approved": 5,
        "reopened": 10,
        "stars": 20,
    }
    assert lead.score.total == pytest.approx(0.3 * 100 + 0.4 * (100 - 5 - 10) + 0.3 * 80)
